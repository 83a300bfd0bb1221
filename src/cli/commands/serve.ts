import { type Command, Option } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.ts';
import { storeHistory } from '../../server/history.ts';
import { checkBind, startServer } from '../../server/http.ts';
import { workerSnapshotProvider } from '../../server/worker-provider.ts';
import type { LiveSourceOptions } from '../../sources/live.ts';
import { parseTraceMode, type TraceMode } from '../../sources/trace/feed.ts';
import { openSqliteStore } from '../../store/sqlite-store.ts';
import { MIN_INTERVAL_MS, parseDuration } from '../duration.ts';
import { openCommandTrace } from '../kernel-trace.ts';
import { addLiveOptions } from '../live-options.ts';
import { runAction } from '../run.ts';

/** `5s`, `500ms`, `1m`: between 100 ms and 1 h. */
export function parseInterval(text: string): number {
  return parseDuration(text, '--interval', { min: MIN_INTERVAL_MS, max: 3_600_000 });
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535)
    throw new UsageError(`--port: '${text}' is not a port number (0-65535)`);
  return n;
}

function parseRate(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text)) throw new UsageError(`--rate-limit: '${text}' is not a whole number (0 = off)`);
  return n;
}

function parseConnectionCap(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 1024)
    throw new UsageError(`--max-conns-per-client: '${text}' is not a whole number from 1 to 1024`);
  return n;
}

interface ServeOptions extends LiveSourceOptions {
  host: string;
  port: number;
  interval: number;
  token?: string;
  insecure?: boolean;
  db?: string;
  rateLimit: number;
  trace: TraceMode;
  maxConnsPerClient: number;
}

export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .description(
      'Serve Prometheus /metrics, a JSON API with live events, and the dashboard with the TCP state diagram. One snapshot per interval, whatever the load.',
    )
    .option(
      '--host <address>',
      'address to listen on; anything but loopback needs --token or --insecure',
      '127.0.0.1',
    )
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, 9877)
    .addOption(
      new Option('--interval <duration>', 'time between snapshots: 5s, 500ms, 1m')
        .argParser(parseInterval)
        .default(5000, '5s'),
    )
    .option(
      '--token <token>',
      'require Authorization: Bearer <token> on /metrics and /api (or set TCPSTATE_TOKEN, which ps does not show)',
    )
    .option('--insecure', 'allow listening on a non-loopback address without a token')
    .option(
      '--trace <mode>',
      'state changes from the kernel (BPF; root): auto (where permitted), on, off. Transitions and stays then come from every change, not from snapshot diffs',
      parseTraceMode,
      'auto' as TraceMode,
    )
    .option('--db <file>', 'serve /api/history from this recording (made by `tcpstate record`)')
    .option(
      '--rate-limit <n>',
      'requests per second per client address, bursts of 4x (0 = off)',
      parseRate,
      50,
    )
    .option(
      '--max-conns-per-client <n>',
      'connections one client address may hold open (more are closed at once; raise it behind a proxy)',
      parseConnectionCap,
      32,
    );
  addLiveOptions(command);
  command.addHelpText(
    'after',
    `
Endpoints:
  /                 dashboard: state diagram with live counts and transition rates, charts, findings
  /metrics          Prometheus exposition (tcpstate_connections{state,family}, ...; see docs/serve.md)
  /api              index of the JSON API: summary, snapshot (filters like the CLI), findings,
                    series, history (--db), states, events (Server-Sent Events)

Examples:
  tcpstate serve                                  http://127.0.0.1:9877
  tcpstate serve --interval 15s --port 9100
  TCPSTATE_TOKEN=s3cret tcpstate serve --host 0.0.0.0
  curl -s localhost:9877/api/snapshot?state=close-wait | jq .summary`,
  );
  command.action((_args, cmd) =>
    runAction(async () => {
      const options = (cmd as unknown as { opts(): ServeOptions }).opts();
      const token = options.token ?? process.env.TCPSTATE_TOKEN;
      if (token !== undefined && token.length < 8) {
        throw new UsageError('--token: use at least 8 characters');
      }
      const warning = checkBind(options.host, token, options.insecure);
      if (warning) process.stderr.write(`tcpstate serve: ${warning}\n`);
      // The recording is opened read-only; a recorder may keep writing to it while we serve it.
      const store = options.db === undefined ? undefined : openSqliteStore(options.db);
      // A loss is said once: from then on tcpstate_trace_dropped_total counts them.
      const kernel = await openCommandTrace(options.trace, options, {
        command: 'serve',
        without: 'transitions come from snapshot diffs',
        onLoss: 'transition counts and stays miss them; tcpstate_trace_dropped_total counts every loss',
      });
      // Live snapshots are taken in a worker thread so request load cannot delay them.
      const live = workerSnapshotProvider(options, kernel.feed);
      const server = await startServer({
        host: options.host,
        port: options.port,
        intervalMs: options.interval,
        look: live.provider,
        ...(token !== undefined ? { token } : {}),
        ...(options.insecure ? { insecure: true } : {}),
        maxConnectionsPerClient: options.maxConnsPerClient,
        rateLimit:
          options.rateLimit > 0 ? { perSecond: options.rateLimit, burst: options.rateLimit * 4 } : false,
        ...(store ? { history: storeHistory(store) } : {}),
        ...(kernel.feed ? { kernel: kernel.feed } : {}),
      }).catch(async (error: unknown) => {
        await live.close();
        await kernel.feed?.close();
        store?.close();
        throw error;
      });
      process.stderr.write(
        `tcpstate serve: ${server.url}/ (dashboard), ${server.url}/metrics, ${server.url}/api; a snapshot every ${options.interval / 1000}s${kernel.feed ? '; state changes from the kernel' : ''}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          void server
            .close()
            .then(() => live.close())
            .then(() => kernel.feed?.close())
            .then(() => store?.close())
            .then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      return 0;
    }),
  );
}
