/**
 * "What would netstat have shown at time T?": every endpoint's inferred state at T, from its own host's point of
 * view, as a Snapshot, so the summary, grouping, filters and renderers that work on live data work on captures.
 */
import type { Snapshot, Socket } from '../model/snapshot.ts';
import type { Connection, Side } from './conn.ts';

export class AtCollector {
  readonly at: number;
  private readonly sockets: Socket[] = [];
  private readonly listeners = new Map<string, Socket>();

  constructor(at: number) {
    this.at = at;
  }

  /** Adds a finished connection's endpoints (call for every connection the tracker emits). */
  add(conn: Connection): void {
    this.side(conn, conn.orig, conn.resp);
    this.side(conn, conn.resp, conn.orig);
  }

  private side(conn: Connection, side: Side, peer: Side): void {
    const family = conn.family === 4 ? 'inet' : 'inet6';
    const first = side.tr[1];
    // A side that answered a SYN proves a listener on its port from the first SYN it answered.
    if (side.tr[0] !== undefined && side.history()[0]?.state === 'LISTEN' && side.synCount > 0) {
      if (first !== undefined && first <= this.at) {
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
    const state = side.stateAt(this.at);
    if (state === undefined || state === 'CLOSED' || state === 'LISTEN') return;
    const assumed = side.assumedStart && side.tr.length === 2;
    this.sockets.push({
      protocol: 'tcp',
      family,
      state,
      local: { address: side.address, port: side.port },
      remote: { address: peer.address, port: peer.port },
      extra: { connection: conn.id, ...(assumed ? { inferred: 'assumed (not seen changing)' } : {}) },
    });
  }

  snapshot(source: string): Snapshot {
    return {
      source: { kind: 'capture', name: source },
      takenAt: this.at * 1000,
      sockets: [...this.listeners.values(), ...this.sockets],
      warnings: [],
    };
  }
}
