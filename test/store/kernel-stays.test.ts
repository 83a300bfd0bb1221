import Database from 'better-sqlite3';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import type { Socket } from '../../src/model/snapshot.ts';
import { renderReportText } from '../../src/render/report-text.ts';
import type { TcpState } from '../../src/states/states.ts';
import { readReportInput } from '../../src/store/report-input.ts';
import { attachKernelStays, buildSnapshotWrite } from '../../src/store/snapshot-write.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import { KernelStays } from '../../src/track/kernel-stays.ts';
import type { StateChange } from '../../src/track/kernel-trace.ts';
import { ConnectionTracker } from '../../src/track/tracker.ts';
import { buildReport } from '../../src/track/trends.ts';
import { listener, recordingFiles, snap, sock } from '../helpers/recording.ts';

const file = recordingFiles('kstays');

/** A change the kernel trace reports for the server side of a connection from port `port`. */
function change(port: number, atMs: number, from: TcpState, to: TcpState, stayMs?: number): StateChange {
  return {
    atMs,
    from,
    to,
    stayMs,
    family: 'inet',
    local: { address: '127.0.0.1', port: 8080 },
    remote: { address: '127.0.0.1', port },
    id: `c${port}`,
    inode: 0,
    netns: 1,
    owner: undefined,
    how: 'kernel',
  };
}

describe('record --trace: kernel stays into the store and report', () => {
  it('stores stays the looks never saw as exact, names them by service, and the report marks them', () => {
    const path = file();
    const store = openSqliteStore(path, { write: true, spanMinMs: 500 });
    store.setMeta('trace', 'kernel');
    const tracker = new ConnectionTracker();
    const stays = new KernelStays();
    // Kernel monotonic 0 is wall 1_000_000: two connections open and close between the looks at 1_000_000 and
    // 1_005_000, each held 1000.4 ms in CLOSE_WAIT and 3 ms in ESTABLISHED; one stays already under way (no stay).
    const offset = 1_000_000;
    for (const [port, t] of [
      [40001, 100],
      [40002, 2000],
    ] as const) {
      stays.add(
        [
          change(port, t, 'LISTEN', 'SYN_RECEIVED'),
          change(port, t + 1, 'SYN_RECEIVED', 'ESTABLISHED', 1),
          change(port, t + 4, 'ESTABLISHED', 'CLOSE_WAIT', 3),
          change(port, t + 1004.4, 'CLOSE_WAIT', 'LAST_ACK', 1000.4),
          change(port, t + 1005, 'LAST_ACK', 'CLOSED', 0.6),
        ],
        offset,
      );
    }
    stays.add([change(40003, 3000, 'ESTABLISHED', 'CLOSE_WAIT', undefined)], offset);
    for (const at of [1_000_000, 1_005_000]) {
      const s = snap(at, [listener]);
      store.append(attachKernelStays(buildSnapshotWrite(s, tracker.update(s), tracker, []), s, stays));
    }
    store.close();

    const reader = openSqliteStore(path);
    const input = readReportInput(reader);
    const { durations } = input;
    const kernelSpans = input.spans.filter((s) => s.state !== 'LISTEN');
    const report = buildReport(input);
    expect(reader.meta().trace).toBe('kernel');
    reader.close();
    // Every stay the kernel ended is exact and named by the listening port; the one begun before tracing is not.
    expect(durations.every((d) => d.bound === 'exact' && d.service === '8080')).toBe(true);
    const count = (state: TcpState) =>
      durations.filter((d) => d.state === state).reduce((n, d) => n + d.count, 0);
    expect(count('CLOSE_WAIT')).toBe(2);
    expect(count('ESTABLISHED')).toBe(2);
    expect(count('SYN_RECEIVED')).toBe(2);
    expect(count('LAST_ACK')).toBe(2);
    // Stays past --span-min are individual spans with exact ends.
    expect(kernelSpans).toHaveLength(2);
    expect(kernelSpans[0]).toMatchObject({ state: 'CLOSE_WAIT', startBy: 1_000_104, startAfter: 1_000_104 });
    expect(kernelSpans[0]!.endBy! - kernelSpans[0]!.startBy).toBeCloseTo(1000.4, 6);
    const cw = report.timeInState.find((t) => t.state === 'CLOSE_WAIT')!;
    expect(cw.exactTotal).toBe(2);
    expect(cw.longest).toMatchObject({ atLeast: false });
    expect(cw.longest!.ms).toBeCloseTo(1000.4, 6);

    report.kernelTrace = true;
    const text = renderReportText(report, 'k.db', pc.createColors(false));
    expect(text).toContain('with the kernel trace (sock:inet_sock_set_state)');
    const row = text.split('\n').find((l) => l.trimStart().startsWith('CLOSE_WAIT') && l.includes('1.0s'));
    expect(row, text).toBeDefined();
    // STATE ENDED KERNEL ...: both ended stays came from the kernel.
    expect(row!.trim().split(/\s+/).slice(1, 3)).toEqual(['2', '2']);
  });

  // Looks at 0, 1000, 2000: port 1 in ESTABLISHED at the first look, CLOSE_WAIT at the second, gone at the third;
  // port 2 ESTABLISHED at the second, CLOSE_WAIT at the third. What the kernel timed is stored once, exactly;
  // what it could not time (begun before tracing, or lost) the looks still bound.
  it.each([
    [
      'port 1 in ESTABLISHED since before tracing (the looks keep their ≥)',
      [change(1, 50, 'ESTABLISHED', 'CLOSE_WAIT'), change(1, 1800, 'CLOSE_WAIT', 'LAST_ACK', 1750)],
      [change(2, 1500, 'ESTABLISHED', 'CLOSE_WAIT', 800)],
      ['CLOSE_WAIT:exact×1', 'ESTABLISHED:atLeast×1', 'ESTABLISHED:exact×1'],
    ],
    [
      "port 1's ESTABLISHED begun after tracing, before the first look (the kernel's, not also a looks' ≥)",
      [change(1, 50, 'ESTABLISHED', 'CLOSE_WAIT', 300), change(1, 1800, 'CLOSE_WAIT', 'LAST_ACK', 1750)],
      [change(2, 1500, 'ESTABLISHED', 'CLOSE_WAIT', 800)],
      ['CLOSE_WAIT:exact×1', 'ESTABLISHED:exact×2'],
    ],
    [
      'the kernel lost every change (the looks keep all their stays)',
      [],
      [],
      ['CLOSE_WAIT:within×1', 'ESTABLISHED:atLeast×1', 'ESTABLISHED:within×1'],
    ],
  ] as const)('%s', (_name, beforeSecond, beforeThird, expected) => {
    const path = file();
    const store = openSqliteStore(path, { write: true });
    const tracker = new ConnectionTracker();
    const stays = new KernelStays();
    const conn = (port: number, state: TcpState): Socket =>
      sock(port, state, 200 + port, { server: '127.0.0.1', client: '127.0.0.1' });
    const looks: Array<[number, Socket[]]> = [
      [0, [listener, conn(1, 'ESTABLISHED')]],
      [1000, [listener, conn(1, 'CLOSE_WAIT'), conn(2, 'ESTABLISHED')]],
      [2000, [listener, conn(2, 'CLOSE_WAIT')]],
    ];
    const changes: ReadonlyArray<readonly StateChange[]> = [[], beforeSecond, beforeThird];
    for (const [i, [at, sockets]] of looks.entries()) {
      stays.add(changes[i]!, 0);
      const s = snap(at, sockets);
      store.append(attachKernelStays(buildSnapshotWrite(s, tracker.update(s), tracker, []), s, stays));
    }
    const bounds = store
      .durations()
      .map((d) => `${d.state}:${d.bound}×${d.count}`)
      .sort();
    store.close();
    expect(bounds).toEqual(expected);
  });
});

describe('the kernel transitions in the recording', () => {
  const write = (
    store: ReturnType<typeof openSqliteStore>,
    tracker: ConnectionTracker,
    at: number,
    k?: KernelStays,
  ) => {
    const s = snap(at, [listener]);
    const w = buildSnapshotWrite(s, tracker.update(s), tracker, []);
    store.append(k ? attachKernelStays(w, s, k) : w);
  };

  it('a file from before them is read as it is, and migrated by the next recorder', () => {
    const path = file();
    const first = openSqliteStore(path, { write: true });
    write(first, new ConnectionTracker(), 1000);
    first.close();
    // What an older tcpstate wrote: no transitions table, no kernel column.
    const raw = new Database(path);
    raw.exec('DROP TABLE transitions; ALTER TABLE snapshots DROP COLUMN kernel;');
    raw.close();

    const reader = openSqliteStore(path);
    expect(reader.transitions()).toEqual([]);
    expect(reader.tracedLooks()).toBe(0);
    expect(reader.snapshots()).toHaveLength(1);
    reader.close();

    const recorder = openSqliteStore(path, { write: true });
    const tracker = new ConnectionTracker();
    recorder.resume(tracker);
    const stays = new KernelStays();
    stays.add(
      [
        change(1, 10, 'LISTEN', 'SYN_RECEIVED'),
        change(1, 11, 'SYN_RECEIVED', 'ESTABLISHED', 1),
        change(1, 12, 'ESTABLISHED', 'CLOSE_WAIT', 1),
        change(2, 20, 'LISTEN', 'SYN_RECEIVED'),
      ],
      0,
    );
    write(recorder, tracker, 2000, stays);
    recorder.close();

    const after = openSqliteStore(path);
    expect(after.tracedLooks()).toBe(1);
    expect(after.transitions()).toEqual([
      { from: 'LISTEN', to: 'SYN_RECEIVED', count: 2 },
      { from: 'ESTABLISHED', to: 'CLOSE_WAIT', count: 1 },
      { from: 'SYN_RECEIVED', to: 'ESTABLISHED', count: 1 },
    ]);
    // The traced look's IN/OUT are the kernel's: the listener never left LISTEN for its children.
    const last = after.snapshots().at(-1)!;
    expect([last.arrivals.SYN_RECEIVED, last.departures.SYN_RECEIVED]).toEqual([2, 1]);
    expect([last.arrivals.CLOSE_WAIT, last.departures.LISTEN]).toEqual([1, 0]);
    after.close();
  });

  it('downsampling sums them, and a bucket is traced only when all its looks were', () => {
    const path = file();
    const store = openSqliteStore(path, { write: true });
    const tracker = new ConnectionTracker();
    const stays = new KernelStays();
    for (const at of [0, 1000, 2000, 61_000, 62_000]) {
      stays.add([change(at + 1, at, 'ESTABLISHED', 'CLOSE_WAIT', 5)], 0);
      write(store, tracker, at, at === 62_000 ? undefined : stays);
    }
    store.maintain(300_000, { retentionMs: 1e9, downsampleAfterMs: 100_000, downsampleToMs: 60_000 });
    expect(store.transitions()).toEqual([{ from: 'ESTABLISHED', to: 'CLOSE_WAIT', count: 4 }]);
    // 3 traced looks in the first minute's row; the second minute had an untraced look.
    expect(store.tracedLooks()).toBe(3);
    expect(store.snapshots().map((s) => s.arrivals.CLOSE_WAIT)).toEqual([3, 1]);
    store.close();
  });
});
