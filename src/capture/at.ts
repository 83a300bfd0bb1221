/**
 * "What would netstat have shown at time T?": every endpoint's inferred state at T, from its own host's point of
 * view, as a Snapshot, so the summary, grouping, filters and renderers that work on live data work on captures.
 *
 * T may be unknown while connections arrive (`--at end`: the capture's last packet). Connections are still taken
 * as they end and let go of: T is at least the last packet read so far, and a side's state at any such time is
 * its last one (a TIME_WAIT ending by its timer), so only the sides still open are kept, not the connections.
 */
import type { Snapshot, Socket } from '../model/snapshot.ts';
import { TCP_STATES } from '../states/states.ts';
import type { Connection, Side } from './conn.ts';

/** A socket whose state at T is known once T is: open until `closesAt`, or (rarely) read from its side then. */
interface Pending {
  socket: Socket;
  /** T at or after this: CLOSED (its TIME_WAIT timer ran out). */
  closesAt: number;
  /** A side with a state change after the last packet read (a timer): its state at T is asked at the end. */
  side?: Side;
}

const CLOSED = TCP_STATES.indexOf('CLOSED');
const LISTEN = TCP_STATES.indexOf('LISTEN');
const TIME_WAIT = TCP_STATES.indexOf('TIME_WAIT');

export class AtCollector {
  /** T, or undefined until it is known (see setTime). */
  private at: number | undefined;
  private readonly sockets: Socket[] = [];
  private readonly pending: Pending[] = [];
  private readonly listeners = new Map<string, Socket>();

  /** `at` undefined: T is not known yet, only that it is at or after every packet handed in with add(). */
  constructor(at?: number) {
    this.at = at;
  }

  get time(): number | undefined {
    return this.at;
  }

  /**
   * Adds a finished connection's endpoints (call for every connection the tracker emits). `now`: the last packet
   * read so far (when T is not known yet, T is at least this).
   */
  add(conn: Connection, now = Number.NEGATIVE_INFINITY): void {
    this.side(conn, conn.orig, conn.resp, now);
    this.side(conn, conn.resp, conn.orig, now);
  }

  /** T, once known: the sockets kept for it are settled. */
  setTime(at: number): void {
    this.at = at;
    for (const p of this.pending) {
      if (p.side !== undefined) {
        const state = p.side.stateAt(at);
        if (state === undefined || state === 'CLOSED' || state === 'LISTEN') continue;
        this.sockets.push({ ...p.socket, state });
      } else if (!(at >= p.closesAt)) {
        this.sockets.push(p.socket);
      }
    }
    this.pending.length = 0;
  }

  private side(conn: Connection, side: Side, peer: Side, now: number): void {
    const at = this.at;
    const family = conn.family === 4 ? 'inet' : 'inet6';
    const tr = side.tr;
    const first = tr[1];
    // A side that answered a SYN proves a listener on its port from the first SYN it answered. (Its first entry
    // is a packet's time, so at or before an unknown T.)
    if (tr[0] !== undefined && side.history()[0]?.state === 'LISTEN' && side.synCount > 0) {
      if (first !== undefined && (at === undefined || first <= at)) {
        const key = `${side.address}|${side.port}`;
        if (!this.listeners.has(key)) {
          this.listeners.set(key, {
            protocol: 'tcp',
            family,
            state: 'LISTEN',
            local: { address: side.address, port: side.port },
            remote: { address: '*', port: undefined },
            extra: { inferred: 'answered a SYN' },
          });
        }
      }
    }
    if (at !== undefined) {
      const state = side.stateAt(at);
      if (state === undefined || state === 'CLOSED' || state === 'LISTEN') return;
      this.sockets.push(socket(conn, side, peer, family, state));
      return;
    }
    if (tr.length === 0) return;
    const last = tr[tr.length - 2]!;
    if (tr[tr.length - 1]! > now) {
      // A change dated after the last packet: which state holds at T is asked once T is known.
      this.pending.push({ socket: socket(conn, side, peer, family, 'CLOSED'), closesAt: 0, side });
      return;
    }
    if (last === CLOSED || last === LISTEN) return;
    const closesAt = last === TIME_WAIT ? side.timeWaitUntil : Number.POSITIVE_INFINITY;
    if (now >= closesAt) return;
    this.pending.push({ socket: socket(conn, side, peer, family, TCP_STATES[last]!), closesAt });
  }

  snapshot(source: string): Snapshot {
    if (this.at === undefined) throw new Error('AtCollector.snapshot() before its time is known');
    return {
      source: { kind: 'capture', name: source },
      takenAt: this.at * 1000,
      sockets: [...this.listeners.values(), ...this.sockets],
      warnings: [],
    };
  }
}

function socket(
  conn: Connection,
  side: Side,
  peer: Side,
  family: 'inet' | 'inet6',
  state: Socket['state'],
): Socket {
  const assumed = side.assumedStart && side.tr.length === 2;
  return {
    protocol: 'tcp',
    family,
    state,
    local: { address: side.address, port: side.port },
    remote: { address: peer.address, port: peer.port },
    extra: { connection: conn.id, ...(assumed ? { inferred: 'assumed (not seen changing)' } : {}) },
  };
}
