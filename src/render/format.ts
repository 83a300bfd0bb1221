import type { SocketTimer } from '../model/snapshot.ts';

/**
 * 12345 → "12,345": counts read faster with separators. Integers are grouped here rather than by
 * toLocaleString(), whose first call loads ICU's locale data: ~15 ms of a command's start-up.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  const digits = String(n < 0 ? -n : n);
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}

/** A count and its noun, singular for one: "1 packet", "12,345 packets" (irregular plurals passed in). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** How often something happened: "once", "twice", "3 times". */
export function times(n: number): string {
  return n === 1 ? 'once' : n === 2 ? 'twice' : `${formatCount(n)} times`;
}

export function formatPercent(part: number, total: number): string {
  if (total === 0) return '0%';
  const p = (part * 100) / total;
  return p >= 10 || p === 0 ? `${Math.round(p)}%` : `${p.toFixed(1)}%`;
}

/** Milliseconds as ss prints timers: `1min55sec`, `59sec`, `976ms`. Negative (overdue) values print as `-Nms`. */
export function formatMs(ms: number): string {
  if (ms < 0) return `-${formatMs(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSec = Math.floor(ms / 1000);
  if (totalSec < 60) return `${totalSec}sec`;
  const min = Math.floor(totalSec / 60);
  const sec = totalSec % 60;
  if (min >= 60) {
    const h = Math.floor(min / 60);
    return `${h}h${min % 60 ? `${min % 60}min` : ''}`;
  }
  return sec ? `${min}min${sec}sec` : `${min}min`;
}

/** Ages in words for people: `42s`, `12m`, `3h 5m`, `2d 4h`. */
export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** `timer:(keepalive,23sec,0)` exactly as `ss -o` prints it. */
export function formatTimer(timer: SocketTimer | undefined): string {
  if (!timer) return '';
  return `timer:(${timer.kind},${formatMs(timer.expiresMs)},${timer.retransmits ?? 0})`;
}

/** A horizontal bar of `width` cells for `value` out of `max`, with eighth-block resolution. */
export function bar(value: number, max: number, width: number, ascii = false): string {
  if (max <= 0 || value <= 0) return '';
  const cells = (value / max) * width;
  if (ascii) return '#'.repeat(Math.max(1, Math.round(cells)));
  const full = Math.floor(cells);
  const eighths = Math.round((cells - full) * 8);
  const partial = eighths > 0 ? ' ▏▎▍▌▋▊▉'[eighths] : '';
  return '█'.repeat(full) + (full === 0 && !partial ? '▏' : (partial ?? ''));
}
