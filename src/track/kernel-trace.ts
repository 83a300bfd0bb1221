/**
 * Turns the kernel's raw facts (src/sources/trace/record.ts) into the state changes a user sees, with the exact time
 * spent in the state left. Pure: time comes in on the records and as an argument to flush().
 *
 * What the raw facts need before they mean what they say:
 * - the tracepoint reports FIN_WAIT2 → CLOSE (or CLOSING → CLOSE) when the full socket is replaced by its TIME_WAIT
 *   mini-socket; the BPF program pairs the two and reports the mini-socket's state instead, and a FIN_WAIT2 socket
 *   that becomes a FIN_WAIT2 mini-socket (an orphan waiting for the peer's FIN) has not changed state at all;
 * - the mini-socket's timer is detached both when it is re-armed, when it fires and when the mini-socket is
 *   removed early; only the last is an end, known by nothing following within a moment.
 */
import type { Endpoint, Family } from '../model/snapshot.ts';
import type { TcpState } from '../states/states.ts';

/** The kernel's state numbers (include/net/tcp_states.h); NEW_SYN_RECV (request sockets) reads as SYN_RECEIVED. */
const LINUX_STATES: readonly (TcpState | undefined)[] = [
  undefined,
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECEIVED',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'TIME_WAIT',
  'CLOSED',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'SYN_RECEIVED',
];

export function linuxState(n: number): TcpState | undefined {
  return LINUX_STATES[n];
}

/** One kernel record, as src/sources/trace/record.ts decodes it from the loader's binary layout (bpf/tcpstate.h). */
export interface KernelEvent {
  kind: number;
  /** CLOCK_MONOTONIC nanoseconds, as a double of milliseconds (µs stay exact for 100+ days of uptime). */
  atMs: number;
  /** Socket cookie as decimal text; '0' when the kernel never gave the socket one. */
  cookie: string;
  /** Kernel address of the socket (or mini-socket), hex. */
  skaddr: string;
  ino: number;
  netns: number;
  pid: number;
  comm: string;
  /** Linux TCP state numbers (include/net/tcp_states.h). */
  oldState: number;
  newState: number;
  /** The moment was derived from a timer's expiry (jiffy precision), not read from the clock. */
  derived: boolean;
  family: Family;
  sport: number;
  dport: number;
  saddr: string;
  daddr: string;
}

/** The record kinds (enum ts_kind in bpf/tcpstate.h). */
export const KIND = {
  setState: 1,
  toTimeWait: 2,
  twSubstate: 3,
  twExpire: 4,
  twKill: 5,
  twRearm: 6,
} as const;

export interface Owner {
  pid: number;
  command: string;
}

export interface StateChange {
  /** Kernel monotonic time of the change, ms (µs fraction). */
  atMs: number;
  from: TcpState;
  to: TcpState;
  /** Exact time spent in `from`; undefined when the connection was in it before tracing began, or `from` is
   * LISTEN/CLOSED (a new socket: no stay). */
  stayMs: number | undefined;
  family: Family;
  local: Endpoint;
  remote: Endpoint;
  /** Connection identity: the socket cookie (`c123`), or the kernel address when it had none (`k…`). */
  id: string;
  /** Socket inode, 0 when the socket has no file (accept queue, orphan, mini-socket). */
  inode: number;
  netns: number;
  /** The process holding the socket, when known so far (resolved lazily for accepted sockets). */
  owner: Owner | undefined;
  /** How the change was seen: `kernel` (the tracepoint), `timewait` (the mini-socket's timer) or `derived` (a
   * moment read back from the timer's expiry, to the jiffy). */
  how: 'kernel' | 'timewait' | 'derived';
  /** The connection started after tracing began and this is its end: its whole life in ms. */
  lifeMs?: number;
}

interface Conn {
  state: TcpState;
  /** When it entered `state`; undefined when that was before tracing began. */
  sinceMs: number | undefined;
  /** When it left CLOSED/LISTEN (its SYN), when seen. */
  bornMs: number | undefined;
  inode: number;
  owner: Owner | undefined;
  /** Later keys (the mini-socket's address) point here too. */
  id: string;
}

interface PendingKill {
  event: KernelEvent;
  key: string;
}

/** How long after a detached mini-socket timer a re-arm or expiry may still follow (same call on one CPU: µs). */
const KILL_GRACE_MS = 2;

export interface TrackerOptions {
  /** Connections remembered at most; the oldest are forgotten beyond it (bounded memory). */
  maxConnections?: number;
}

export class KernelTracker {
  private readonly conns = new Map<string, Conn>();
  private readonly byAddr = new Map<string, string>();
  private readonly pending = new Map<string, PendingKill>();
  private readonly max: number;

  constructor(options: TrackerOptions = {}) {
    this.max = options.maxConnections ?? 1_000_000;
  }

  get size(): number {
    return this.conns.size;
  }

  /** Feeds one record; returns the changes it completes (pending removals that are now certain come first). */
  push(event: KernelEvent, out: StateChange[] = []): StateChange[] {
    this.flush(event.atMs, out);
    switch (event.kind) {
      case KIND.setState:
      case KIND.toTimeWait:
        this.onSetState(event, out);
        break;
      case KIND.twSubstate:
        this.onTimeWait(event, out, event.derived ? 'derived' : 'timewait');
        break;
      case KIND.twExpire:
        this.pending.delete(event.skaddr);
        this.onTimeWait(event, out, 'timewait');
        break;
      case KIND.twKill:
        this.pending.set(event.skaddr, { event, key: event.skaddr });
        break;
      case KIND.twRearm:
        this.pending.delete(event.skaddr);
        break;
    }
    return out;
  }

  /** Removals of mini-sockets that nothing re-armed: final once `nowMs` is past their grace. */
  flush(nowMs: number, out: StateChange[] = []): StateChange[] {
    for (const [addr, p] of this.pending) {
      if (nowMs - p.event.atMs < KILL_GRACE_MS) continue;
      this.pending.delete(addr);
      this.onTimeWait(p.event, out, 'timewait');
    }
    return out;
  }

  private keyOf(event: KernelEvent): string {
    return event.cookie !== '0' ? `c${event.cookie}` : `k${event.skaddr}`;
  }

  private onSetState(event: KernelEvent, out: StateChange[]): void {
    const from = linuxState(event.oldState);
    const to = linuxState(event.newState);
    if (from === undefined || to === undefined) return;
    const key = this.keyOf(event);
    let conn = this.conns.get(key);
    // A new socket: a connect/listen from CLOSED, or an accepted child (the kernel clones the listener, so it
    // reports LISTEN → SYN_RECV for it).
    const fresh = from === 'CLOSED' || (from === 'LISTEN' && to === 'SYN_RECEIVED');
    if (conn === undefined || fresh) {
      conn = { state: from, sinceMs: undefined, bornMs: undefined, inode: 0, owner: undefined, id: key };
      this.remember(key, conn);
    }
    if (event.ino !== 0) conn.inode = event.ino;
    if (event.pid !== 0) conn.owner = { pid: event.pid, command: event.comm };
    if (fresh && to !== 'CLOSED' && to !== 'LISTEN') conn.bornMs = event.atMs;
    // The kernel reports a state set to itself (close() after shutdown(SHUT_WR): FIN_WAIT1 → FIN_WAIT1): no change.
    if (event.kind === KIND.setState && from === to) return;
    if (event.kind === KIND.toTimeWait && from === to) {
      // A FIN_WAIT2 socket became a FIN_WAIT2 mini-socket: same state, same stay; follow it by its address.
      this.byAddr.set(event.skaddr, key);
      return;
    }
    out.push(this.change(conn, event, from, to, 'kernel'));
    this.enter(conn, key, to, event.atMs);
  }

  private onTimeWait(event: KernelEvent, out: StateChange[], how: StateChange['how']): void {
    const from = linuxState(event.oldState);
    const to = linuxState(event.newState);
    if (from === undefined || to === undefined || from === to) return;
    const key = this.conns.has(this.keyOf(event))
      ? this.keyOf(event)
      : (this.byAddr.get(event.skaddr) ?? this.keyOf(event));
    let conn = this.conns.get(key);
    if (conn === undefined) {
      conn = { state: from, sinceMs: undefined, bornMs: undefined, inode: 0, owner: undefined, id: key };
      this.remember(key, conn);
    }
    const change = this.change(conn, event, from, to, how);
    out.push(change);
    this.enter(conn, key, to, event.atMs);
    if (to === 'CLOSED') this.byAddr.delete(event.skaddr);
  }

  private change(
    conn: Conn,
    event: KernelEvent,
    from: TcpState,
    to: TcpState,
    how: StateChange['how'],
  ): StateChange {
    const known = conn.state === from && conn.sinceMs !== undefined;
    const stayMs = known ? Math.max(0, event.atMs - (conn.sinceMs as number)) : undefined;
    const change: StateChange = {
      atMs: event.atMs,
      from,
      to,
      stayMs,
      family: event.family,
      local: { address: event.saddr, port: event.sport === 0 ? undefined : event.sport },
      remote: { address: event.daddr, port: event.dport === 0 ? undefined : event.dport },
      id: conn.id,
      inode: conn.inode,
      netns: event.netns,
      owner: conn.owner,
      how,
    };
    // A connection's life ends when it closes or enters TIME_WAIT (the kernel's memory of it, not a connection).
    const ends = (to === 'CLOSED' && from !== 'TIME_WAIT') || to === 'TIME_WAIT';
    if (ends && conn.bornMs !== undefined) {
      change.lifeMs = event.atMs - conn.bornMs;
      conn.bornMs = undefined;
    }
    return change;
  }

  private enter(conn: Conn, key: string, to: TcpState, atMs: number): void {
    conn.state = to;
    conn.sinceMs = atMs;
    if (to === 'CLOSED') this.conns.delete(key);
  }

  /** Attaches an owner found later (from the socket's inode) to a connection and its future changes. */
  setOwner(id: string, owner: Owner): void {
    const conn = this.conns.get(id);
    if (conn !== undefined) conn.owner = owner;
  }

  private remember(key: string, conn: Conn): void {
    this.conns.set(key, conn);
    if (this.conns.size > this.max) {
      const oldest = this.conns.keys().next().value;
      if (oldest !== undefined) this.conns.delete(oldest);
    }
  }
}
