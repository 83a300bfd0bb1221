/**
 * check over a table-backed snapshot (the netlink reader's records) reads the table: the status line, the
 * perfdata and the "not checked" notes build no socket object but the listeners' (their backlogs), and say the
 * same as over an array of the same sockets.
 */
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/analysis/summary.ts';
import { runCheck } from '../../src/check/check.ts';
import type { Snapshot, Socket } from '../../src/model/snapshot.ts';
import { ArrayTable, tableBackedSnapshot } from '../../src/model/socket-table.ts';

/** A table that builds a new object per `socket(i)`, as the netlink records do, and counts them. */
class RecordLikeTable extends ArrayTable {
  built = 0;
  /** Which sockets were built. */
  readonly which = new Set<number>();
  override socket(i: number): Socket {
    this.built++;
    this.which.add(i);
    return structuredClone(this.sockets[i]!);
  }
}

const sockets: Socket[] = [
  {
    protocol: 'tcp',
    family: 'inet',
    state: 'LISTEN',
    local: { address: '0.0.0.0', port: 8080 },
    remote: { address: '0.0.0.0', port: undefined },
    backlog: 128,
  },
  ...Array.from(
    { length: 50 },
    (_, i): Socket => ({
      protocol: 'tcp',
      family: i % 2 ? 'inet6' : 'inet',
      state: i % 5 ? 'ESTABLISHED' : 'TIME_WAIT',
      local: { address: i % 2 ? '::1' : '127.0.0.1', port: 8080 },
      remote: { address: i % 2 ? '::1' : '127.0.0.1', port: 40000 + i },
    }),
  ),
];
const head = { source: { kind: 'netlink' as const, name: 't', os: 'linux' as const }, takenAt: 1000 };

describe('check over a table-backed snapshot', () => {
  it('summarize counts from the table, building nothing', () => {
    const table = new RecordLikeTable(sockets);
    const snapshot = tableBackedSnapshot(head, table, []);
    const plain: Snapshot = { ...head, sockets, warnings: [] };
    expect(summarize(snapshot)).toEqual(summarize(plain));
    expect(table.built).toBe(0);
  });

  it('says what it says over the array, building only the listener', async () => {
    const table = new RecordLikeTable(sockets);
    const snapshot = tableBackedSnapshot(head, table, []);
    const plain: Snapshot = { ...head, sockets, warnings: [] };
    for (const json of [false, true]) {
      const a = await runCheck(async () => ({ snapshot }), { thresholds: {}, json });
      const b = await runCheck(async () => ({ snapshot: plain }), { thresholds: {}, json });
      expect(a).toEqual(b);
      expect(a.output).toContain('51 TCP sockets, nothing wrong');
      expect([...table.which]).toEqual([0]); // the listener (the diagnosis and the notes each read its backlog)
    }
  });
});
