import { statSync } from 'node:fs';
import { type Command, Option } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type LiveSourceOptions, snapshotCookies, takeLiveSnapshot } from '../../sources/live.ts';
import { parseTraceMode, type TraceMode } from '../../sources/trace/feed.ts';
import { monotonicMs } from '../../sources/trace/session.ts';
import { attachKernelStays, buildSnapshotWrite } from '../../store/snapshot-write.ts';
import { openSqliteStore } from '../../store/sqlite-store.ts';
import { formatDuration } from '../../track/ages.ts';
import { KernelStays } from '../../track/kernel-stays.ts';
import { ConnectionTracker } from '../../track/tracker.ts';
import { MIN_INTERVAL_MS, parseDuration } from '../duration.ts';
import { type DiagnoseFn, defaultDiagnosis } from '../findings.ts';
import { openCommandTrace } from '../kernel-trace.ts';
import { addLiveOptions } from '../live-options.ts';
import { runAction } from '../run.ts';
import { Ticker } from '../ticker.ts';

interface RecordOptions extends LiveSourceOptions {
  db: string;
  interval: string;
  duration?: string;
  retention: string;
  downsampleAfter: string;
  downsampleTo: string;
  spanMin: string;
  quiet?: boolean;
  trace?: TraceMode;
}

export function registerRecord(program: Command): void {
  const command = program
    .command('record')
    .description('record snapshots of this host over time into an SQLite file, for `tcpstate report`')
    .addOption(
      new Option(
        '--db <file>',
        'the recording (created if absent; continued if present)',
      ).makeOptionMandatory(),
    )
    .option('-i, --interval <duration>', 'time between looks (500ms, 5s, 1m)', '5s')
    .option('-d, --duration <duration>', 'stop after this long (default: until Ctrl-C)')
    .option('--retention <duration>', 'drop data older than this', '7d')
    .option('--downsample-after <duration>', 'merge looks older than this ...', '1d')
    .option('--downsample-to <duration>', '... into rows this wide (average and maximum kept)', '1m')
    .option('--span-min <duration>', 'keep individual connections that stay this long in one state', '30s')
    .option(
      '--trace <mode>',
      'exact stays from the kernel, including connections shorter than the interval (BPF; root): auto, on, off',
      parseTraceMode,
      'auto' as TraceMode,
    )
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Examples:
  tcpstate record --db host.db                      every 5 s until Ctrl-C
  tcpstate record --db leak.db -i 1s -d 30m         a 30-minute session at 1 s
  tcpstate report --db leak.db --since 10m          what happened`,
    );
  addLiveOptions(command);
  command.action((_options, cmd) =>
    runAction(() => record((cmd as unknown as { opts(): RecordOptions }).opts(), defaultDiagnosis)),
  );
}

export async function record(options: RecordOptions, diagnose: DiagnoseFn): Promise<number> {
  const intervalMs = parseDuration(options.interval, '--interval', { min: MIN_INTERVAL_MS, timer: true });
  const durationMs =
    options.duration === undefined
      ? undefined
      : parseDuration(options.duration, '--duration', { timer: true });
  const retentionMs = parseDuration(options.retention, '--retention');
  const downsampleAfterMs = parseDuration(options.downsampleAfter, '--downsample-after');
  const downsampleToMs = parseDuration(options.downsampleTo, '--downsample-to');
  if (downsampleAfterMs >= retentionMs) {
    throw new UsageError('--downsample-after must be shorter than --retention');
  }
  const store = openSqliteStore(options.db, {
    write: true,
    spanMinMs: parseDuration(options.spanMin, '--span-min', { allowZero: true }),
    staleAfterMs: Math.max(120_000, intervalMs * 5),
  });
  const log = (text: string) => {
    if (!options.quiet) process.stderr.write(`tcpstate record: ${text}\n`);
  };
  // Opened before the first look, so every stay begun after it is one the kernel reports whole.
  let kernel: Awaited<ReturnType<typeof openCommandTrace>>;
  try {
    kernel = await openCommandTrace(options.trace ?? 'off', options, {
      command: 'record',
      without: 'stays are bounds from the looks',
    });
  } catch (error) {
    store.close();
    throw error;
  }
  const stays = new KernelStays();
  const wallOffsetMs = Date.now() - monotonicMs();
  kernel.feed?.subscribe((changes) => stays.add(changes, wallOffsetMs));
  if (kernel.feed) store.setMeta('trace', 'kernel');
  // Kept in the recording, so the report says what the counts miss.
  let lostBefore = Number(store.meta().trace_lost ?? 0);
  kernel.feed?.onDropped((_total, added) => {
    lostBefore += added;
    store.setMeta('trace_lost', String(lostBefore));
  });
  const tracker = new ConnectionTracker();
  const ticker = new Ticker(intervalMs);
  const stop = () => ticker.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const started = Date.now();
  let looks = 0;
  try {
    const resumed = store.resume(tracker);
    log(
      `recording to ${options.db} every ${formatDuration(intervalMs)}${durationMs ? ` for ${formatDuration(durationMs)}` : ' until Ctrl-C'}${resumed ? ` (continuing ${resumed} open connection${resumed === 1 ? '' : 's'})` : ''}`,
    );
    let previous: Snapshot | undefined;
    let lastMaintenance = 0;
    while (!ticker.stopped) {
      // Listener backlogs come from running `ss`, and nothing recorded uses them: skip that cost every look.
      const snapshot = await takeLiveSnapshot({ ...options, backlog: false });
      const step = tracker.update(snapshot, snapshotCookies(snapshot));
      const findings = diagnose(snapshot, previous);
      const write = buildSnapshotWrite(snapshot, step, tracker, findings);
      if (kernel.feed) attachKernelStays(write, snapshot, stays);
      store.append(write);
      looks++;
      previous = snapshot;
      if (snapshot.takenAt - lastMaintenance >= 60_000) {
        store.maintain(snapshot.takenAt, { retentionMs, downsampleAfterMs, downsampleToMs });
        lastMaintenance = snapshot.takenAt;
      }
      if (durationMs !== undefined && Date.now() - started >= durationMs) break;
      await ticker.next();
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await kernel.feed?.close();
    store.close();
  }
  const size = statSync(options.db).size;
  if (kernel.feed && (kernel.feed.dropped > 0 || stays.overflow > 0)) {
    log(
      `kernel trace: ${kernel.feed.dropped + stays.overflow} changes lost (too many at once); some stays missing`,
    );
  }
  log(
    `${looks} look${looks === 1 ? '' : 's'} in ${formatDuration(Date.now() - started)}; ${options.db} is ${(size / 1024).toFixed(0)} KiB`,
  );
  return 0;
}
