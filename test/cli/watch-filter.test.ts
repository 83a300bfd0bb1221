/**
 * watch's filter (`-f close-wait`, `-f :8080`) over a table-backed look (the netlink reader's records): the rows it
 * keeps and the tracked connections it keeps are read from the table, so a filtered look builds no socket object,
 * and they are the sockets `--state` / `--port` keep of the same look as objects.
 */
import { describe, expect, it } from 'vitest';
import { applyFilter, type FilterOptions } from '../../src/analysis/filter.ts';
import { groupTable } from '../../src/analysis/groups.ts';
import { summarizeTable } from '../../src/analysis/summary.ts';
import { parseWatchFilter } from '../../src/cli/watch-filter.ts';
import type { Socket } from '../../src/model/snapshot.ts';
import { ArrayTable, RowsTable, tableBackedSnapshot, tableOf } from '../../src/model/socket-table.ts';
import { TCP_STATES } from '../../src/states/states.ts';
import { ConnectionTracker } from '../../src/track/tracker.ts';

/** A table that builds a new object per `socket(i)`, as the netlink records do, and counts them. */
class RecordLikeTable extends ArrayTable {
  built = 0;
  override socket(i: number): Socket {
    this.built++;
    return structuredClone(this.sockets[i]!);
  }
}

const states = TCP_STATES.filter((s) => s !== 'LISTEN');
const sockets: Socket[] = [
  {
    protocol: 'tcp',
    family: 'inet',
    state: 'LISTEN',
    local: { address: '0.0.0.0', port: 8080 },
    remote: { address: '0.0.0.0', port: undefined },
    cookie: 'ff',
  },
  ...Array.from(
    { length: 60 },
    (_, i): Socket => ({
      protocol: 'tcp',
      family: 'inet',
      state: states[i % states.length]!,
      local: { address: '10.0.0.1', port: i % 3 ? 8080 : 5000 + i },
      remote: { address: '10.0.0.2', port: i % 3 ? 40_000 + i : 8080 + (i % 2) },
      cookie: (i + 1).toString(16),
    }),
  ),
];
const look = (takenAt: number) => {
  const table = new RecordLikeTable(sockets);
  const snapshot = tableBackedSnapshot({ source: { kind: 'netlink', name: 't' }, takenAt }, table, []);
  const ids = Float64Array.from(sockets, (s) => Number.parseInt(s.cookie!, 16));
  return { snapshot, ids, table };
};

describe("watch's filter reads the look's table", () => {
  for (const [word, spec] of [
    ['close-wait', { states: ['close-wait'] }],
    ['connected', { states: ['connected'] }],
    [':8080', { ports: [8080] }],
    ['8081', { ports: [8081] }],
  ] as [string, FilterOptions][]) {
    it(`${word}: the rows and connections --state/--port keep, none built`, () => {
      const filter = parseWatchFilter(word)!;
      const tracker = new ConnectionTracker();
      const first = look(0);
      tracker.update(first.snapshot, first.ids);
      const second = look(5000);
      tracker.update(second.snapshot, second.ids);
      const shown = RowsTable.where(tableOf(second.snapshot), filter.row);
      const kept = [...tracker.current()].filter(filter.connection);
      const counts = summarizeTable(shown);
      const peers = groupTable(shown, 'peer');
      expect(second.table.built).toBe(0);
      const expected = applyFilter(sockets, spec);
      expect(expected.length).toBeGreaterThan(0);
      expect(counts).toEqual(summarizeTable(new ArrayTable(expected)));
      expect(peers).toEqual(groupTable(new ArrayTable(expected), 'peer'));
      expect(kept.map((c) => c.socket)).toEqual(expected);
    });
  }

  it('says which word is no state, as --state does', () => {
    expect(() => parseWatchFilter('close-wiat')).toThrow(/^--state: unknown state 'close-wiat'/);
    expect(parseWatchFilter('  ')).toBeUndefined();
  });
});
