import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pc from 'picocolors';
import { afterAll, describe, expect, it } from 'vitest';
import type { Snapshot, Socket } from '../../src/model/snapshot.ts';
import { renderReportText } from '../../src/render/report-text.ts';
import type { TcpState } from '../../src/states/states.ts';
import { attachKernelStays, buildSnapshotWrite } from '../../src/store/snapshot-write.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import { KernelStays } from '../../src/track/kernel-stays.ts';
import type { StateChange } from '../../src/track/kernel-trace.ts';
import { ConnectionTracker } from '../../src/track/tracker.ts';
import { buildReport } from '../../src/track/trends.ts';

const dir = mkdtempSync(join(tmpdir(), 'tcpstate-kstays-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const listener: Socket = {
  protocol: 'tcp',
  family: 'inet',
  state: 'LISTEN',
  local: { address: '127.0.0.1', port: 8080 },
  remote: { address: '0.0.0.0', port: undefined },
  inode: 1,
};
const snap = (takenAt: number, sockets: Socket[]): Snapshot => ({
  source: { kind: 'text', name: 'test' },
  takenAt,
  sockets,
  warnings: [],
});

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
    const path = join(dir, 'k.db');
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
      store.append(attachKernelStays(buildSnapshotWrite(s, tracker.update(s), tracker, []), s, stays, 0));
    }
    store.close();

    const reader = openSqliteStore(path);
    const durations = reader.durations();
    const spans = reader.spans();
    const kernelSpans = spans.filter((s) => s.state !== 'LISTEN');
    const report = buildReport({
      snapshots: reader.snapshots(),
      groups: reader.groupSeries(),
      spans,
      durations,
      findings: reader.findings(),
      open: reader.openStays(),
    });
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

  it.each([
    // Port 1's ESTABLISHED was under way at the first look (≥, kept); its CLOSE_WAIT and port 2's ESTABLISHED
    // began after it, so the kernel reported them and the looks' `within` copies are not stored twice ...
    [0, ['ESTABLISHED:atLeast']],
    // ... unless tracing began later (a resumed recording): then the kernel never saw their start.
    [500, ['CLOSE_WAIT:within', 'ESTABLISHED:atLeast', 'ESTABLISHED:within']],
  ] as const)(
    'with tracing from %d, leaves the looks own "within" stays out only where the kernel saw them',
    (since, expected) => {
      const path = join(dir, `w${since}.db`);
      const store = openSqliteStore(path, { write: true });
      const tracker = new ConnectionTracker();
      const stays = new KernelStays();
      const conn = (port: number, state: TcpState): Socket => ({
        protocol: 'tcp',
        family: 'inet',
        state,
        local: { address: '127.0.0.1', port: 8080 },
        remote: { address: '127.0.0.1', port },
        inode: 200 + port,
      });
      const looks: Array<[number, Socket[]]> = [
        [0, [listener, conn(1, 'ESTABLISHED')]],
        [1000, [listener, conn(1, 'CLOSE_WAIT'), conn(2, 'ESTABLISHED')]],
        [2000, [listener, conn(2, 'CLOSE_WAIT')]],
      ];
      for (const [at, sockets] of looks) {
        const s = snap(at, sockets);
        store.append(
          attachKernelStays(buildSnapshotWrite(s, tracker.update(s), tracker, []), s, stays, since),
        );
      }
      const bounds = store
        .durations()
        .map((d) => `${d.state}:${d.bound}`)
        .sort();
      store.close();
      expect(bounds).toEqual(expected);
    },
  );
});
