import type { Snapshot, Socket } from '../model/snapshot.ts';
import { TCP_STATES, type TcpState } from '../states/states.ts';

/**
 * Snapshot-to-snapshot tracking for the dashboard's arrows and the `tcpstate_transitions_total` counter.
 *
 * A connection is keyed by its 4-tuple. The inode tells a new connection on a reused 4-tuple from the old one:
 * two different non-zero inodes are two connections. An inode of 0 does not break identity, because Linux
 * drops the inode when the application closes the socket (TIME_WAIT, orphaned FIN_WAIT_1/2, LAST_ACK), so
 * ESTABLISHED (inode 123) -> TIME_WAIT (inode 0) is one connection moving on.
 *
 * What sampling can and cannot see: a connection that appears is counted as entering its first observed state
 * from CLOSED (or from LISTEN for SYN_RECEIVED, the passive open); one that disappears is counted as going to
 * CLOSED. Several steps inside one interval show up as one jump (ESTABLISHED -> TIME_WAIT); those are reported as
 * observed, with `direct: false`, never invented as intermediate steps.
 */
export interface ObservedTransition {
  from: TcpState;
  to: TcpState;
  count: number;
}

interface Tracked {
  state: TcpState;
  inode: number;
  /** When the connection was first seen in this state (ms); for the first snapshot, that snapshot's time. */
  since: number;
}

function tupleKey(s: Socket): string {
  return `${s.local.address}|${s.local.port ?? '*'}|${s.remote.address}|${s.remote.port ?? '*'}`;
}

/** Keeps the previous snapshot's connections and reports what changed; one instance per sampling loop. */
export class TransitionTracker {
  private previous: Map<string, Tracked> | undefined;
  /** Transitions seen since the tracker started, by `from>to`. */
  readonly totals = new Map<string, number>();
  /**
   * Per state, since when (ms) its oldest connection has been in it, as of the last snapshot. A lower bound on the
   * real age: tracking starts with the first snapshot.
   */
  oldestSince: Partial<Record<TcpState, number>> = {};

  /** Feeds the next snapshot; returns the transitions between the previous one and this one (none the first time). */
  observe(snapshot: Pick<Snapshot, 'sockets'> & { takenAt?: number }): ObservedTransition[] {
    const now = snapshot.takenAt ?? Date.now();
    const current = new Map<string, Tracked>();
    const counts = new Map<string, number>();
    const bump = (from: TcpState, to: TcpState) => {
      const key = `${from}>${to}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    };
    const first = this.previous === undefined;
    const previous = this.previous ?? new Map<string, Tracked>();
    const seen = new Set<string>();

    for (const socket of snapshot.sockets) {
      const key = tupleKey(socket);
      const inode = socket.inode ?? 0;
      // Duplicate 4-tuples (a SO_REUSEPORT listener group) are counted once per tuple: the first wins.
      if (current.has(key)) continue;
      const entry: Tracked = { state: socket.state, inode, since: now };
      current.set(key, entry);
      if (first) continue;
      const before = previous.get(key);
      if (before && !(before.inode !== 0 && inode !== 0 && before.inode !== inode)) {
        seen.add(key);
        if (before.state !== socket.state) bump(before.state, socket.state);
        else entry.since = before.since;
        continue;
      }
      if (before) {
        // Same 4-tuple, different socket: the old one closed and a new one opened in between.
        seen.add(key);
        bump(before.state, 'CLOSED');
      }
      bump(socket.state === 'SYN_RECEIVED' ? 'LISTEN' : 'CLOSED', socket.state);
    }
    if (!first) {
      for (const [key, before] of previous) if (!seen.has(key)) bump(before.state, 'CLOSED');
    }
    this.previous = current;
    const oldest: Partial<Record<TcpState, number>> = {};
    for (const t of current.values())
      if (!(t.since >= (oldest[t.state] ?? Infinity))) oldest[t.state] = t.since;
    this.oldestSince = oldest;

    const out: ObservedTransition[] = [];
    for (const [key, count] of counts) {
      const [from, to] = key.split('>') as [TcpState, TcpState];
      out.push({ from, to, count });
      this.totals.set(key, (this.totals.get(key) ?? 0) + count);
    }
    const order = new Map(TCP_STATES.map((s, i) => [s, i]));
    return out.sort((a, b) => order.get(a.from)! - order.get(b.from)! || order.get(a.to)! - order.get(b.to)!);
  }
}
