import type { Socket } from '../model/snapshot.ts';
import { type SocketTable, tableOf } from '../model/socket-table.ts';
import { TCP_STATES, type TcpState } from '../states/states.ts';

export type StateCounts = Record<TcpState, number>;

export function emptyCounts(): StateCounts {
  return Object.fromEntries(TCP_STATES.map((s) => [s, 0])) as StateCounts;
}

/** Counts sockets per state; every state is present (zero when none). */
export function countByState(sockets: readonly Socket[]): StateCounts {
  const counts = emptyCounts();
  for (const s of sockets) counts[s.state]++;
  return counts;
}

export interface Summary {
  total: number;
  byState: StateCounts;
  byFamily: { inet: number; inet6: number };
}

/** The summary of a snapshot (or any `{ sockets }`), counted from its table: a netlink look builds no socket. */
export function summarize(snapshot: { readonly sockets: readonly Socket[] }): Summary {
  return summarizeTable(tableOf(snapshot));
}

/** The summary of a table's sockets (no object per socket). */
export function summarizeTable(table: SocketTable): Summary {
  const byFamily = { inet: 0, inet6: 0 };
  const byState = emptyCounts();
  const n = table.length;
  for (let i = 0; i < n; i++) {
    byFamily[table.family(i)]++;
    byState[table.state(i)]++;
  }
  return { total: n, byState, byFamily };
}
