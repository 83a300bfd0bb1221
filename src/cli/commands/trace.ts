import { type Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { addressMatcher } from '../../analysis/address.ts';
import { buildFilter, type SocketPredicate } from '../../analysis/filter.ts';
import { UsageError } from '../../errors.ts';
import type { Socket } from '../../model/snapshot.ts';
import { colorsFor } from '../../render/color.ts';
import { traceChangeJson, traceChangeNdjson, traceSummaryJson } from '../../render/trace-json.ts';
import { renderTraceHeader, renderTraceLine, renderTraceSummary } from '../../render/trace-text.ts';
import { NAME_STYLES, type NameStyle } from '../../states/states.ts';
import type { StateChange } from '../../track/kernel-trace.ts';
import { TraceSummarizer } from '../../track/trace-summary.ts';
import { parseDuration } from '../duration.ts';
import { addFilterOptions, positiveInt } from '../filter-options.ts';
import { runAction } from '../run.ts';

interface TraceOptions {
  json?: boolean;
  ndjson?: boolean;
  duration?: string;
  count?: number;
  state?: string[];
  exclude?: string[];
  port?: number[];
  peer?: string;
  process?: string;
  filter?: string;
  netns?: string;
  nsOf?: number;
  allNetns?: boolean;
  summary: boolean;
  names: NameStyle;
}

function parsePid(value: string): number {
  const pid = Number(value);
  if (!/^\d+$/.test(value) || pid <= 0)
    throw new InvalidArgumentError('expected a process id (a positive integer).');
  return pid;
}

export function registerTrace(program: Command): void {
  const command = program
    .command('trace')
    .description('every TCP state change as it happens, from the kernel (BPF; Linux, root)')
    .option('--json', 'print one JSON document at the end (changes and summary, schema tcpstate.trace/1)')
    .option('--ndjson', 'print one JSON object per change as it happens, and the summary as the last line')
    .option('-d, --duration <duration>', 'stop after this long (500ms, 10s, 5m)')
    .option(
      '-c, --count <n>',
      'stop after this many changes (those shown, after filters)',
      positiveInt('--count'),
    );
  addFilterOptions(command, 'changes')
    .option('--peer <address>', 'keep changes with this remote address or prefix (10.0.0.0/8, ::1)')
    .option('--netns <name>', 'trace the named network namespace (as in `ip netns list`) instead of our own')
    .option('--ns-of <pid>', 'trace the network namespace of process PID', parsePid)
    .option('--all-netns', 'trace every network namespace')
    .option('--no-summary', 'no summary at the end')
    .addOption(
      new Option('--names <style>', 'how state names are printed')
        .choices(NAME_STYLES)
        .default('rfc' as const),
    )
    .addHelpText(
      'after',
      `
Each line: when, FROM → TO, the exact time spent in FROM (≥ when it began before the trace), both endpoints and
the process holding the socket. The TIME_WAIT mini-socket is followed too: FIN_WAIT_2 → TIME_WAIT when it
replaces the socket, TIME_WAIT → CLOSED when it ends. Ctrl-C stops and prints the summary.

Examples:
  tcpstate trace                          this namespace, until Ctrl-C
  tcpstate trace --port 443 -d 30s        changes on port 443 for 30 s, then the summary
  tcpstate trace -s close-wait --ndjson   every change into or out of CLOSE_WAIT, as JSON lines
  tcpstate trace --netns blue -c 100      another namespace, the first 100 changes`,
    );
  command.action((options) => runAction(() => trace(options as TraceOptions)));
}

/** The filters of the socket views, applied to a change: it matches when the socket before or after it does. */
function changeFilter(options: TraceOptions): ((change: StateChange) => boolean) | undefined {
  const parts: SocketPredicate[] = [];
  const states = options.state?.length ? buildFilter({ states: options.state }) : undefined;
  const excluded = options.exclude?.length ? buildFilter({ exclude: options.exclude }) : undefined;
  if (options.port?.length || options.process || options.filter) {
    parts.push(
      buildFilter({
        ...(options.port ? { ports: options.port } : {}),
        ...(options.process ? { process: options.process } : {}),
        ...(options.filter ? { expression: options.filter } : {}),
      }),
    );
  }
  let peer: ((address: string) => boolean) | undefined;
  if (options.peer !== undefined) {
    peer = addressMatcher(options.peer);
    if (!peer) throw new UsageError(`--peer: '${options.peer}' is not an address or prefix`);
  }
  if (!states && !excluded && parts.length === 0 && !peer) return undefined;
  return (change) => {
    const socket = (state: Socket['state']): Socket => ({
      protocol: 'tcp',
      family: change.family,
      state,
      local: change.local,
      remote: change.remote,
      ...(change.owner ? { processes: [{ pid: change.owner.pid, command: change.owner.command }] } : {}),
    });
    const before = socket(change.from);
    const after = socket(change.to);
    if (states && !states(before) && !states(after)) return false;
    if (excluded && (!excluded(before) || !excluded(after))) return false;
    if (peer && !peer(change.remote.address)) return false;
    return parts.every((p) => p(after));
  };
}

export async function trace(options: TraceOptions): Promise<number> {
  if (options.json && options.ndjson) throw new UsageError('--json and --ndjson: choose one');
  const durationMs =
    options.duration === undefined ? undefined : parseDuration(options.duration, '--duration');
  const keep = changeFilter(options);
  const { startTraceSession, monotonicMs } = await import('../../sources/trace/session.ts');
  const c = colorsFor(process.stdout);
  const err = colorsFor(process.stderr);
  const summarizer = new TraceSummarizer();
  const collected: unknown[] = [];
  const wallOffsetMs = Date.now() - monotonicMs();
  let shown = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let startedAtMs = 0;
  let headerDone = false;
  const out = process.stdout;

  const session = await startTraceSession({
    ...(options.netns !== undefined ? { netns: options.netns } : {}),
    ...(options.nsOf !== undefined ? { nsOf: options.nsOf } : {}),
    ...(options.allNetns ? { allNamespaces: true } : {}),
    onChanges(changes) {
      let text = '';
      for (const change of changes) {
        if (options.count !== undefined && shown >= options.count) break;
        if (keep && !keep(change)) continue;
        shown++;
        summarizer.add(change);
        if (options.json) collected.push(traceChangeJson(change, wallOffsetMs, startedAtMs));
        else if (options.ndjson) text += `${traceChangeNdjson(change, wallOffsetMs, startedAtMs)}\n`;
        else {
          if (!headerDone) {
            text += `${renderTraceHeader(c)}\n`;
            headerDone = true;
          }
          text += `${renderTraceLine(change, wallOffsetMs, startedAtMs, options.names, c)}\n`;
        }
      }
      if (text) out.write(text);
      if (options.count !== undefined && shown >= options.count) finish();
    },
    onDropped(total, added) {
      summarizer.dropped = total;
      process.stderr.write(
        err.yellow(
          `tcpstate: the kernel dropped ${added} state changes (ring buffer full; ${total} so far)\n`,
        ),
      );
    },
    onError(error) {
      process.stderr.write(`tcpstate: ${error.message}\n`);
      finish();
    },
  });
  startedAtMs = session.startedAtMs;
  const scope =
    session.netns === undefined ? 'every network namespace' : `network namespace ${session.netns}`;
  // On stderr in every format: stdout stays the data.
  process.stderr.write(
    err.dim(
      `tracing TCP state changes in ${scope} (ready in ${Math.round(session.startupMs)} ms); Ctrl-C stops\n`,
    ),
  );
  const onSignal = () => finish();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const timer = durationMs === undefined ? undefined : setTimeout(finish, durationMs);
  session.done.then(finish);
  await finished;
  if (timer) clearTimeout(timer);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // The span is the time traced, from ready to now, whether or not anything changed in it.
  const tracedMs = monotonicMs() - startedAtMs;
  await session.stop();
  summarizer.dropped = session.dropped;
  const summary = summarizer.summary(tracedMs);
  if (options.json) {
    out.write(
      `${JSON.stringify(
        {
          schema: 'tcpstate.trace/1',
          source: { kind: 'kernel-trace', netns: session.netns ?? null, startupMs: session.startupMs },
          changes: collected,
          summary: traceSummaryJson(summary),
        },
        null,
        2,
      )}\n`,
    );
  } else if (options.ndjson) {
    if (options.summary) out.write(`${JSON.stringify({ summary: traceSummaryJson(summary) })}\n`);
  } else if (options.summary) {
    out.write(`${renderTraceSummary(summary, options.names, c).join('\n')}\n`);
  }
  return 0;
}
