import { emitKeypressEvents } from 'node:readline';
import type { Command } from '@commander-js/extra-typings';
import logUpdate from 'log-update';
import { formatEndpoint } from '../../analysis/address.ts';
import { groupTable, processLabel } from '../../analysis/groups.ts';
import { emptyCounts, type StateCounts } from '../../analysis/summary.ts';
import type { AgeOptions } from '../../diagnose/age.ts';
import { isTcpstateError, UsageError } from '../../errors.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { RowsTable, tableOf } from '../../model/socket-table.ts';
import { colorsFor } from '../../render/color.ts';
import {
  renderWatchLine,
  renderWatchScreen,
  WATCH_SORTS,
  type WatchModel,
  type WatchSort,
} from '../../render/watch-screen.ts';
import { type LiveSourceOptions, snapshotCookies, takeLiveSnapshot } from '../../sources/live.ts';
import { parseTraceMode, type TraceMode } from '../../sources/trace/feed.ts';
import { monotonicMs } from '../../sources/trace/session.ts';
import { TCP_STATES, type TcpState } from '../../states/states.ts';
import { formatTrackedAge, oldestPerState } from '../../track/ages.ts';
import { connectionAge, KernelEntryTimes } from '../../track/kernel-ages.ts';
import type { TrackedConnection } from '../../track/tracker.ts';
import { ConnectionTracker } from '../../track/tracker.ts';
import { MIN_INTERVAL_MS, parseDuration } from '../duration.ts';
import { type DiagnoseFn, defaultDiagnosis } from '../findings.ts';
import { openCommandTrace } from '../kernel-trace.ts';
import { addLiveOptions } from '../live-options.ts';
import { runAction } from '../run.ts';
import { Ticker } from '../ticker.ts';
import { parseWatchFilter } from '../watch-filter.ts';

interface WatchOptions extends LiveSourceOptions {
  trace?: TraceMode;
  interval: string;
  duration?: string;
  sort: string;
  filter?: string;
  plain?: boolean;
}

const HISTORY = 60;

export function registerWatch(program: Command): void {
  const command = program
    .command('watch')
    .description(
      'a live screen: counts per state with trends, the oldest connections per state, top talkers, findings',
    )
    .option('-i, --interval <duration>', 'time between looks (500ms, 2s, 1m)', '2s')
    .option('-d, --duration <duration>', 'stop after this long')
    .option('--sort <how>', `order of the states: ${WATCH_SORTS.join(', ')}`, 'count')
    .option('-f, --filter <state-or-port>', 'show only a state (close-wait) or a port (:8080)')
    .option('--plain', 'one line per look even on a terminal (the default when stdout is not a terminal)')
    .option(
      '--trace <mode>',
      'exact ages from the kernel for connections that change state while watching (BPF; root): auto, on, off',
      parseTraceMode,
      'auto' as TraceMode,
    )
    .addHelpText(
      'after',
      `
Keys: p pause/resume · s next sort · f filter (a state such as close-wait, or :8080; empty clears) · q quit

Examples:
  tcpstate watch                         every 2 s
  tcpstate watch -i 500ms -f close-wait
  tcpstate watch --plain | tee watch.log`,
    );
  addLiveOptions(command);
  command.action((_options, cmd) =>
    runAction(() => watch((cmd as unknown as { opts(): WatchOptions }).opts(), defaultDiagnosis)),
  );
}

const QUIET_STATES: ReadonlySet<TcpState> = new Set(['LISTEN']);

export async function watch(options: WatchOptions, diagnose: DiagnoseFn): Promise<number> {
  const intervalMs = parseDuration(options.interval, '--interval', { min: MIN_INTERVAL_MS, timer: true });
  const durationMs =
    options.duration === undefined
      ? undefined
      : parseDuration(options.duration, '--duration', { timer: true });
  if (!WATCH_SORTS.includes(options.sort as WatchSort)) {
    throw new UsageError(`--sort: '${options.sort}' is not one of ${WATCH_SORTS.join(', ')}`);
  }
  const tty = Boolean(process.stdout.isTTY) && !options.plain;
  const c = colorsFor(process.stdout);
  const tracker = new ConnectionTracker();
  // Ages from the kernel where it reported the entry (exact), from the looks otherwise (≥ bounds).
  // A loss is said once on stderr when not drawing a screen; when drawing, in the screen's source line, which
  // stays. The ages cannot go wrong for it: a kernel age the looks contradict is not used.
  const kernel = await openCommandTrace(options.trace ?? 'off', options, {
    command: 'watch',
    without: 'ages are bounds from the looks',
    ...(tty ? {} : { onLoss: "ages it cannot vouch for are the looks' bounds" }),
  });
  const entries = new KernelEntryTimes();
  const wallOffsetMs = Date.now() - monotonicMs();
  kernel.feed?.subscribe((changes) => entries.add(changes, wallOffsetMs));
  let lost = 0;
  kernel.feed?.onDropped((total) => {
    lost = total;
  });
  // Ages: the kernel's entry time (exact), else the socket's own timers and tcp_info (an estimate, for sockets
  // older than the trace or without it), else the looks' bounds; each only where the looks agree.
  let lookAt = Date.now();
  let ageOptions: AgeOptions = {};
  const ageOf = (t: TrackedConnection, now: number) =>
    connectionAge(t, now, { entries: kernel.feed && entries, lookAt, options: ageOptions }).age;
  const ticker = new Ticker(intervalMs);
  const history = new Map<TcpState, number[]>();
  let previousCounts: StateCounts | undefined;
  let previous: Snapshot | undefined;
  let filter = options.filter ? parseWatchFilter(options.filter) : undefined;
  let model: WatchModel | undefined;
  const ui = {
    paused: false,
    sort: options.sort as WatchSort,
    filter: options.filter,
    prompt: undefined as string | undefined,
    message: undefined as string | undefined,
  };

  const draw = () => {
    if (!model || !tty) return;
    Object.assign(model, {
      paused: ui.paused,
      sort: ui.sort,
      filter: ui.filter,
      prompt: ui.prompt,
      message: ui.message,
    });
    if (ui.filter === undefined) delete model.filter;
    if (ui.prompt === undefined) delete model.prompt;
    if (ui.message === undefined) delete model.message;
    const size = { width: process.stdout.columns ?? 80, height: process.stdout.rows ?? 24 };
    logUpdate(renderWatchScreen(model, size, c).join('\n'));
  };

  const look = async () => {
    const snapshot = await takeLiveSnapshot(options);
    lookAt = snapshot.takenAt;
    const fin = Number(snapshot.kernel?.sysctls?.['net.ipv4.tcp_fin_timeout']?.trim() ?? Number.NaN);
    ageOptions = {
      ...(snapshot.source.os !== undefined ? { os: snapshot.source.os } : {}),
      ...(Number.isFinite(fin) ? { finTimeoutSec: fin } : {}),
    };
    tracker.update(snapshot, snapshotCookies(snapshot));
    const findings = diagnose(snapshot, previous);
    previous = snapshot;
    // The look is counted and grouped from its table (netlink records in place), filtered or not: no object per
    // socket.
    const table = tableOf(snapshot);
    const shown = filter ? RowsTable.where(table, filter.row) : table;
    const counts = emptyCounts();
    for (let i = 0; i < shown.length; i++) counts[shown.state(i)]++;
    const change = emptyCounts();
    for (const s of TCP_STATES) {
      change[s] = previousCounts ? counts[s] - previousCounts[s] : 0;
      const h = history.get(s) ?? [];
      h.push(counts[s]);
      if (h.length > HISTORY) h.shift();
      history.set(s, h);
    }
    previousCounts = counts;
    const tracked: TrackedConnection[] = [];
    for (const t of tracker.current()) if (!filter || filter.connection(t)) tracked.push(t);
    const perState = oldestPerState(tracked, snapshot.takenAt, 8, ageOf);
    const oldest: WatchModel['oldest'] = [];
    const statesByAge = [...perState.entries()]
      .filter(([s]) => !QUIET_STATES.has(s))
      .sort((a, b) => (b[1][0]?.age.minMs ?? 0) - (a[1][0]?.age.minMs ?? 0));
    for (const [state, list] of statesByAge) {
      for (const [rank, { connection, age }] of list.entries()) {
        const o: WatchModel['oldest'][number] = {
          state,
          rank,
          age: formatTrackedAge(age),
          local: formatEndpoint(connection.socket.local.address, connection.socket.local.port),
          remote: formatEndpoint(connection.socket.remote.address, connection.socket.remote.port),
        };
        if (connection.socket.processes?.length) o.process = processLabel(connection.socket);
        oldest.push(o);
      }
    }
    const top = (by: 'peer' | 'process'): Array<[string, number]> =>
      // Without -p every socket's process is unknown: no need to group 100k sockets to find that out.
      (by === 'process' && !snapshot.processesLookedUp ? [] : groupTable(shown, by))
        .filter((g) => g.key !== '(unknown)')
        .slice(0, 5)
        .map((g) => [g.key, g.total]);
    // Services against the listeners of the whole look, so a filter does not turn inbound into outbound.
    // The tracker labelled each connection with its service against the whole look's listeners (so a filter does
    // not turn inbound into outbound), once when it changes: no label string per socket per look here.
    const services = new Map<string, number>();
    for (const t of tracked) {
      if (t.service !== undefined) services.set(t.service, (services.get(t.service) ?? 0) + 1);
    }
    const ports = [...services.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
    model = {
      source: kernel.feed
        ? `${snapshot.source.name} + kernel trace${lost > 0 ? ` (${lost} changes lost)` : ''}`
        : snapshot.source.name,
      at: snapshot.takenAt,
      intervalMs,
      looks: (model?.looks ?? 0) + 1,
      paused: ui.paused,
      sort: ui.sort,
      total: shown.length,
      counts,
      change,
      history,
      oldest,
      top: { ports, peers: top('peer'), processes: top('process') },
      findings: findings.map((f) => ({ severity: f.severity, title: f.title })),
    };
    if (tty) draw();
    else process.stdout.write(`${renderWatchLine(model)}\n`);
  };

  const stdin = process.stdin;
  const keys = tty && stdin.isTTY;
  const onKey = (str: string | undefined, key: { name?: string; ctrl?: boolean } | undefined) => {
    if (key?.ctrl && key.name === 'c') return ticker.stop();
    if (ui.prompt !== undefined) {
      if (key?.name === 'return' || key?.name === 'enter') {
        try {
          filter = parseWatchFilter(ui.prompt);
          ui.filter = ui.prompt.trim() || undefined;
          ui.message = undefined;
          // The sparklines and changes were of other sockets: start them again from the next look.
          history.clear();
          previousCounts = undefined;
        } catch (error) {
          ui.message = isTcpstateError(error)
            ? error.message.replace(/^--state: /, 'filter: ')
            : String(error);
        }
        ui.prompt = undefined;
        ticker.poke();
      } else if (key?.name === 'escape') ui.prompt = undefined;
      else if (key?.name === 'backspace') ui.prompt = ui.prompt.slice(0, -1);
      else if (str && str >= ' ' && str.length === 1) ui.prompt += str;
      return draw();
    }
    ui.message = undefined;
    switch (str) {
      case 'q':
        return ticker.stop();
      case 'p':
        ui.paused = !ui.paused;
        if (!ui.paused) ticker.poke();
        return draw();
      case 's':
        ui.sort = WATCH_SORTS[(WATCH_SORTS.indexOf(ui.sort) + 1) % WATCH_SORTS.length]!;
        return draw();
      case 'f':
        ui.prompt = '';
        return draw();
    }
  };
  // After a resize the old frame has been cut or wrapped by the terminal, so erasing it line by line would miss:
  // clear the whole screen and draw afresh.
  const onResize = () => {
    logUpdate.clear();
    process.stdout.write('\x1b[2J\x1b[H');
    draw();
  };
  if (keys) {
    emitKeypressEvents(stdin);
    stdin.setRawMode(true);
    stdin.on('keypress', onKey);
    stdin.resume();
  }
  if (tty) process.stdout.on('resize', onResize);
  const stop = () => ticker.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const started = Date.now();
  try {
    await look();
    while (!ticker.stopped) {
      await ticker.next();
      if (ticker.stopped) break;
      if (durationMs !== undefined && Date.now() - started >= durationMs) break;
      // A poke (new filter) redraws from a fresh look; pause holds the screen but keys still work.
      if (!ui.paused) await look();
    }
  } finally {
    await kernel.feed?.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (tty) {
      process.stdout.off('resize', onResize);
      logUpdate.done();
    }
    if (keys) {
      stdin.off('keypress', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
  }
  return 0;
}
