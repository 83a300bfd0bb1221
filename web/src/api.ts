/**
 * Talking to `tcpstate serve`: JSON GETs and the `/api/events` stream. A token given as `#token=...` in the
 * address is kept for this tab and sent as a bearer header (EventSource cannot send headers, so the stream is
 * read with fetch).
 */
const TOKEN_KEY = 'tcpstate-token';

function token(): string | null {
  const m = location.hash.match(/token=([^&]+)/);
  if (m?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function headers(): HeadersInit {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

export class ApiError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: headers(), ...(signal ? { signal } : {}) });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      message = ((await res.json()) as { error?: string }).error ?? message;
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, message);
  }
  return (await res.json()) as T;
}

export interface StreamHandlers {
  onEvent(event: string, data: string): void;
  onStatus(status: 'live' | 'reconnecting' | 'unauthorized'): void;
}

/** Reads Server-Sent Events with fetch and reconnects with a back-off until stopped. */
export function openEvents(path: string, handlers: StreamHandlers): () => void {
  let stopped = false;
  let controller = new AbortController();
  let delay = 1000;
  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await fetch(path, { headers: headers(), signal: controller.signal });
        if (res.status === 401) {
          handlers.onStatus('unauthorized');
          return;
        }
        if (!res.ok || !res.body) throw new Error(String(res.status));
        handlers.onStatus('live');
        delay = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            }
            if (data.length) handlers.onEvent(event, data.join('\n'));
            end = buffer.indexOf('\n\n');
          }
        }
      } catch {
        // fall through to reconnect
      }
      if (stopped) return;
      handlers.onStatus('reconnecting');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  };
  void run();
  return () => {
    stopped = true;
    controller.abort();
  };
}
