import { type Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { diagnose } from '../diagnose/index.ts';
import { NotAvailableError, QueryError } from '../errors.ts';
import type { KernelChangeFeed } from '../sources/trace/feed.ts';
import { DEFAULT_LIMITS, type Limits } from './aggregates.ts';
import { allExplanations, type StateExplainer, stateExplanation } from './explanations.ts';
import { liveDocument, seriesDocument } from './live.ts';
import { createMetrics, type ServerMetrics } from './metrics.ts';
import { intParam, type Params, readParams, singleParam, snapshotQuery, stateParam } from './query.ts';
import {
  type FindingsProvider,
  type LookProvider,
  memo,
  type Sample,
  Sampler,
  type SnapshotProvider,
} from './sampler.ts';
import { bearerMatches, hostHeaderAllowed, RateLimiter, SECURITY_HEADERS } from './security.ts';
import { defaultWebRoot, loadStaticFiles, NOT_BUILT_PAGE, type StaticFile } from './static.ts';

export interface HistoryQuery {
  /** Milliseconds since the epoch; undefined = from the start of the recording. */
  from?: number;
  to?: number;
}
/** Reads a recording (`--db`): returns a JSON-able document for the range. */
export type HistoryProvider = (query: HistoryQuery) => unknown | Promise<unknown>;

/** A capability this build or configuration does not have: answered with 501 and the message. */
export interface ServerAppOptions {
  /** Takes one snapshot; called by the sampling loop once per interval, never per request. */
  snapshot?: SnapshotProvider;
  /** Or takes whole looks elsewhere (the snapshot worker of `tcpstate serve`); `findings` is then not used. */
  look?: LookProvider;
  intervalMs: number;
  /** Diagnoses each snapshot; defaults to src/diagnose's `diagnose(snapshot, {}, previous)`. */
  findings?: FindingsProvider;
  /** State explanations; defaults to src/states' explain data. */
  explain?: StateExplainer;
  /** History from a recording; without it `/api/history` answers 404 with the reason. */
  history?: HistoryProvider;
  /** When set, `/api/*` and `/metrics` need `Authorization: Bearer <token>`. */
  token?: string;
  /** Refuse requests whose Host header is not a loopback name (DNS-rebinding guard); on for loopback binds. */
  loopbackOnly?: boolean;
  /** Requests per second per client address, with bursts; `false` turns limiting off. */
  rateLimit?: { perSecond: number; burst: number } | false;
  /** Directory of the built dashboard (default `dist/web` of this package). */
  webRoot?: string;
  limits?: Partial<Limits>;
  /** Concurrent `/api/events` streams (default 32). */
  maxEventClients?: number;
  /** State changes from the kernel: transitions and stays come from it instead of snapshot diffs. */
  kernel?: KernelChangeFeed;
  /** How a client is identified for rate limiting (the node adapter passes the socket address). */
  clientAddress?: (c: Context) => string;
}

export interface ServerApp {
  app: Hono;
  sampler: Sampler;
  metrics: ServerMetrics;
  /** Takes the first snapshot and starts the loop. */
  start(): Promise<void>;
  /** Stops the loop and ends open event streams. */
  stop(): void;
}

export const MAX_URL_LENGTH = 4096;
export const DEFAULT_RATE_LIMIT = { perSecond: 50, burst: 200 };

type Status = 400 | 401 | 403 | 404 | 405 | 413 | 414 | 421 | 429 | 500 | 501 | 503;

function jsonError(c: Context, status: Status, message: string, headers: Record<string, string> = {}) {
  return c.body(`${JSON.stringify({ error: message, status })}\n`, status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
}

function jsonBody(c: Context, text: string) {
  return c.body(text, 200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
}

/** The range of a JavaScript Date (±100,000,000 days from 1970): a time outside it cannot be printed or compared. */
const MAX_TIME_MS = 8.64e15;

/** Parses `from`/`to`: Unix seconds, milliseconds, or an ISO date, within the range a date can have. */
function timeParam(params: Params, key: string): number | undefined {
  const value = singleParam(params, key);
  if (value === undefined) return undefined;
  let t: number;
  if (/^\d+(\.\d+)?$/.test(value)) {
    const n = Number(value);
    t = n < 1e11 ? n * 1000 : n;
  } else {
    t = Date.parse(value);
    if (Number.isNaN(t)) throw new QueryError(`'${key}' must be Unix seconds or an ISO date, not '${value}'`);
  }
  if (!Number.isFinite(t) || Math.abs(t) > MAX_TIME_MS) {
    throw new QueryError(
      `'${key}' is out of range: '${value.length > 40 ? `${value.slice(0, 40)}…` : value}' is not a date (Unix seconds, milliseconds or an ISO date up to the year 275760)`,
    );
  }
  return t;
}

export function createServerApp(options: ServerAppOptions): ServerApp {
  const sampler = new Sampler({
    ...(options.snapshot ? { snapshot: options.snapshot } : {}),
    ...(options.look ? { look: options.look } : {}),
    intervalMs: options.intervalMs,
    findings: options.findings ?? ((snapshot, previous) => diagnose(snapshot, {}, previous)),
    ...(options.kernel ? { kernel: options.kernel } : {}),
  });
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const metrics = createMetrics(sampler, limits, options.kernel);
  const explain = options.explain ?? stateExplanation;
  const files: Map<string, StaticFile> = loadStaticFiles(options.webRoot ?? defaultWebRoot());
  const rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  const limiter = rateLimit ? new RateLimiter(rateLimit.perSecond, rateLimit.burst) : undefined;
  const maxEventClients = options.maxEventClients ?? 32;
  const closers = new Set<() => void>();
  const intervalSeconds = options.intervalMs / 1000;
  const app = new Hono();

  // ---- guards, in the order a request meets them ----------------------------------------------------------
  app.use('*', async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });
  app.use('*', async (c, next) => {
    if (c.req.url.length > MAX_URL_LENGTH)
      return jsonError(c, 414, `URL longer than ${MAX_URL_LENGTH} bytes`);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      return jsonError(
        c,
        405,
        `${c.req.method} is not allowed: this server is read-only (GET and HEAD only)`,
        {
          Allow: 'GET, HEAD',
        },
      );
    }
    const length = c.req.header('content-length');
    if ((length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined) {
      return jsonError(c, 413, 'request bodies are not accepted (read-only server)');
    }
    if (options.loopbackOnly && !hostHeaderAllowed(c.req.header('host'))) {
      return jsonError(c, 421, 'Host header is not a loopback name; this server only answers for localhost');
    }
    if (limiter) {
      const client = options.clientAddress?.(c) ?? 'local';
      const wait = limiter.take(client);
      if (wait > 0) {
        return jsonError(c, 429, 'too many requests; slow down', {
          'Retry-After': String(Math.max(1, Math.ceil(wait))),
        });
      }
    }
    const path = c.req.path;
    if (options.token !== undefined && (path === '/metrics' || path === '/api' || path.startsWith('/api/'))) {
      if (!bearerMatches(c.req.header('authorization'), options.token)) {
        return jsonError(c, 401, 'missing or wrong bearer token (send Authorization: Bearer <token>)', {
          'WWW-Authenticate': 'Bearer realm="tcpstate"',
        });
      }
    }
    return next();
  });

  app.onError((error, c) => {
    if (error instanceof QueryError) return jsonError(c, 400, error.message);
    if (error instanceof NotAvailableError) return jsonError(c, 501, error.message);
    return jsonError(c, 500, `internal error: ${error.message}`);
  });

  const needSample = (c: Context): Sample | Response => {
    const sample = sampler.current;
    if (sample) return sample;
    const why = sampler.lastError ? `: ${sampler.lastError.message}` : '';
    return jsonError(c, 503, `no snapshot yet${why}`, { 'Retry-After': String(Math.ceil(intervalSeconds)) });
  };

  // ---- Prometheus ---------------------------------------------------------------------------------------------
  app.get('/metrics', async (c) => {
    readParams(new URL(c.req.url), []);
    return c.body(await metrics.render(), 200, {
      'Content-Type': metrics.contentType,
      'Cache-Control': 'no-store',
    });
  });

  // ---- JSON API -----------------------------------------------------------------------------------------------
  app.get('/api', (c) => {
    readParams(new URL(c.req.url), []);
    return c.json({
      endpoints: {
        '/api/summary?top=N': 'counts per state, transitions and rates, top ports/peers/processes, findings',
        '/api/snapshot?state=&exclude=&port=&process=&filter=&sort=&top=&limit=':
          'the snapshot as `tcpstate --json`, filtered like the CLI',
        '/api/findings': 'diagnoses with evidence',
        '/api/series': 'per-state counts over the last samples (in memory)',
        '/api/history?from=&to=': 'per-state history from a recording (--db)',
        '/api/states': 'explanations of the eleven states',
        '/api/states/{state}': 'one state',
        '/api/events': 'Server-Sent Events: `sample` every interval',
        '/metrics': 'Prometheus exposition',
      },
      intervalSeconds,
    });
  });

  app.get('/api/summary', async (c) => {
    const params = readParams(new URL(c.req.url), ['top']);
    const top = intParam(params, 'top', 1, 100) ?? 10;
    const sample = needSample(c);
    if (sample instanceof Response) return sample;
    return jsonBody(
      c,
      await memo(sample, `summary-json:${top}`, async () =>
        JSON.stringify(await liveDocument(sample, intervalSeconds, top)),
      ),
    );
  });

  app.get('/api/snapshot', async (c) => {
    // Parsed here first, so a bad query is a 400 before any work; the worker answers from the sockets it kept.
    const query = snapshotQuery(new URL(c.req.url));
    const sample = needSample(c);
    if (sample instanceof Response) return sample;
    const text = await memo(sample, `snapshot:${query.key}`, () => sample.sockets.query(c.req.url));
    return jsonBody(c, text);
  });

  app.get('/api/findings', (c) => {
    readParams(new URL(c.req.url), []);
    const sample = needSample(c);
    if (sample instanceof Response) return sample;
    return jsonBody(
      c,
      memo(sample, 'findings-json', () =>
        JSON.stringify({
          takenAt: new Date(sample.snapshot.takenAt).toISOString(),
          findings: sample.findings,
        }),
      ),
    );
  });

  app.get('/api/series', (c) => {
    readParams(new URL(c.req.url), []);
    const sample = needSample(c);
    if (sample instanceof Response) return sample;
    return jsonBody(
      c,
      memo(sample, 'series-json', () =>
        JSON.stringify(seriesDocument(sampler, options.history !== undefined)),
      ),
    );
  });

  app.get('/api/history', async (c) => {
    const params = readParams(new URL(c.req.url), ['from', 'to']);
    const from = timeParam(params, 'from');
    const to = timeParam(params, 'to');
    if (from !== undefined && to !== undefined && from > to) throw new QueryError("'from' is after 'to'");
    if (!options.history) {
      return jsonError(
        c,
        404,
        'no recording: start `tcpstate serve --db FILE` to serve history from a recording (the last samples are at /api/series)',
      );
    }
    const query: HistoryQuery = {};
    if (from !== undefined) query.from = from;
    if (to !== undefined) query.to = to;
    return c.json(await options.history(query));
  });

  app.get('/api/states', (c) => {
    readParams(new URL(c.req.url), []);
    return c.json({ states: allExplanations(explain) });
  });

  app.get('/api/states/:state', (c) => {
    readParams(new URL(c.req.url), []);
    const state = stateParam(c.req.param('state'));
    const sample = sampler.current;
    return c.json({ ...explain(state), count: sample ? sample.summary.byState[state] : null });
  });

  app.get('/api/events', (c) => {
    readParams(new URL(c.req.url), []);
    if (closers.size >= maxEventClients) {
      return jsonError(c, 503, `too many event streams open (limit ${maxEventClients})`, {
        'Retry-After': '10',
      });
    }
    c.header('Cache-Control', 'no-store');
    return streamSSE(c, async (stream) => {
      let finish = () => {};
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const send = (sample: Sample) =>
        memo(sample, 'summary-json:10', async () =>
          JSON.stringify(await liveDocument(sample, intervalSeconds)),
        )
          .then((data) => stream.writeSSE({ event: 'sample', id: String(sample.seq), data }))
          .catch(() => finish());
      const unsubscribe = sampler.subscribe((event) => {
        if (event.type === 'sample') void send(event.sample);
        else
          void stream
            .writeSSE({ event: 'snapshot-error', data: JSON.stringify({ message: event.message }) })
            .catch(() => finish());
      });
      // Comments keep proxies from closing an idle stream between long intervals.
      const ping = setInterval(() => void stream.write(': ping\n\n').catch(() => finish()), 15_000);
      const close = () => finish();
      closers.add(close);
      stream.onAbort(() => finish());
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ intervalSeconds }), retry: 3000 });
      if (sampler.current) await send(sampler.current);
      await done;
      clearInterval(ping);
      unsubscribe();
      closers.delete(close);
    });
  });

  app.all('/api/*', (c) => jsonError(c, 404, `no such endpoint: ${c.req.path} (see /api)`));

  // ---- the dashboard ------------------------------------------------------------------------------------------
  app.get('*', (c) => {
    const path = c.req.path === '/' ? '/index.html' : c.req.path;
    const file = files.get(path);
    if (!file) {
      if (c.req.path === '/' || c.req.path === '/index.html') {
        return c.html(NOT_BUILT_PAGE);
      }
      return jsonError(c, 404, `not found: ${c.req.path}`);
    }
    return c.body(file.body, 200, {
      'Content-Type': file.type,
      'Cache-Control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  });

  return {
    app,
    sampler,
    metrics,
    start: () => sampler.start(),
    stop() {
      sampler.stop();
      for (const close of closers) close();
    },
  };
}
