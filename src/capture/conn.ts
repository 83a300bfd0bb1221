/**
 * One TCP connection as seen on the wire: two endpoint records (originator and responder) with Zeek's endpoint
 * state, the inferred RFC 9293 state history, counters and anomalies. The tracker keeps live connections in flat
 * arrays (flows.ts, laid out by the declaration in layout.ts) and builds these objects once a connection has
 * ended: they are what callers get and keep.
 */

import { formatAddress, formatIpv4 } from '../internal/address.ts';
import { TCP_STATES, type TcpState } from '../states/states.ts';
import { CONN_RICH, type ConnFields, defineAccessors, SIDE_RICH, type SideFields } from './layout.ts';

/** Zeek's per-endpoint states (TCP_Endpoint.h), kept verbatim so conn_state can be computed exactly like Zeek. */
export const Z_INACTIVE = 0;
export const Z_SYN_SENT = 1;
export const Z_SYN_ACK_SENT = 2;
export const Z_PARTIAL = 3;
export const Z_ESTABLISHED = 4;
export const Z_CLOSED = 5;
export const Z_RESET = 6;
export const ZEEK_ENDPOINT_STATES = [
  'INACTIVE',
  'SYN_SENT',
  'SYN_ACK_SENT',
  'PARTIAL',
  'ESTABLISHED',
  'CLOSED',
  'RESET',
] as const;

/** Index of each RFC state in TCP_STATES, for compact histories. */
export const S = Object.fromEntries(TCP_STATES.map((s, i) => [s, i])) as Record<TcpState, number>;

export type AnomalyKind =
  | 'unanswered-syn'
  | 'rejected'
  | 'half-open'
  | 'reset'
  | 'stuck-half-close'
  | 'retransmitted-fin'
  | 'lost-final-ack'
  | 'zero-window'
  | 'retransmissions'
  | 'time-wait'
  | 'syn-retransmitted'
  | 'midstream'
  | 'one-sided'
  | 'simultaneous-open'
  | 'simultaneous-close'
  | 'data-after-close'
  | 'unexpected-segment'
  | 'bad-checksum';

export interface Anomaly {
  kind: AnomalyKind;
  /** Capture time (seconds since the epoch) the anomaly refers to. */
  at: number;
  /** Which endpoint it concerns, when one does. */
  side?: 'orig' | 'resp';
  message: string;
  /** A duration or count that quantifies it (seconds for TIME_WAIT length, a count for retransmissions). */
  value?: number;
}

const S_TIME_WAIT = TCP_STATES.indexOf('TIME_WAIT');

/** What an endpoint offers to readers: the rich `Side`, or the in-place view of one being handed over (ended.ts). */
export interface SideLike extends SideFields {
  readonly family: 4 | 6;
  readonly address: string;
  readonly state: TcpState | undefined;
  /** Time the side entered its current state (NaN if it has none). */
  enteredAt(): number;
  history(): Array<{ state: TcpState; at: number; assumed?: true }>;
  /** The state history read entry by entry without building it: how many, and each one's TCP_STATES index and time. */
  historyLength(): number;
  historyState(k: number): number;
  historyTime(k: number): number;
}

/** What a connection offers to readers: the rich `Connection`, or the in-place view of one being handed over. */
export interface ConnectionLike extends ConnFields {
  readonly family: 4 | 6;
  readonly orig: SideLike;
  readonly resp: SideLike;
  readonly history: string;
  readonly anomalies: Anomaly[] | undefined;
  readonly endReason: 'end' | 'reuse' | 'closed' | 'idle' | 'attempt';
  note(anomaly: Anomaly): void;
}

function timeWaitOver(side: Side, t: number): boolean {
  return side.rfc === S_TIME_WAIT && t >= side.timeWaitUntil;
}

/**
 * One endpoint of an ended connection. Its fields are the side fields of the record declaration (layout.ts),
 * copied from the store into one array of doubles (`v`) and read through accessors generated from the same
 * table: one array instead of forty-odd properties, and as doubles no field needs a heap box of its own.
 */
class SideObject {
  readonly family: 4 | 6;
  /** The field values, in SIDE_RICH order (read them through the named accessors). */
  readonly v: number[];
  /** State history: [stateIndex, time, stateIndex, time, ...]; the first entry is the initial state. */
  readonly tr: number[] = [];
  private printed: string | undefined;

  constructor(family: 4 | 6, v: number[]) {
    this.family = family;
    this.v = v;
  }

  /** Printable address (formatted on first use). */
  get address(): string {
    if (this.printed === undefined) {
      const side = this as unknown as Side;
      this.printed =
        this.family === 4 ? formatIpv4(side.w3) : formatAddress(6, [side.w0, side.w1, side.w2, side.w3]);
    }
    return this.printed;
  }

  get state(): TcpState | undefined {
    const rfc = (this as unknown as Side).rfc;
    return rfc < 0 ? undefined : TCP_STATES[rfc];
  }

  /** The inferred RFC state at time t, or undefined when this side was unknown then. */
  stateAt(t: number): TcpState | undefined {
    let state: number | undefined;
    for (let i = 0; i < this.tr.length; i += 2) {
      if (this.tr[i + 1]! > t) break;
      state = this.tr[i];
    }
    if (state === undefined) return undefined;
    // A TIME_WAIT still running when the connection was handed over ends by its timer.
    if (state === S_TIME_WAIT && timeWaitOver(this as unknown as Side, t)) return 'CLOSED';
    return TCP_STATES[state];
  }

  /** Time the side entered its current state (NaN if it has none). */
  enteredAt(): number {
    return this.tr.length >= 2 ? this.tr[this.tr.length - 1]! : Number.NaN;
  }

  historyLength(): number {
    return this.tr.length >> 1;
  }

  historyState(k: number): number {
    return this.tr[2 * k]!;
  }

  historyTime(k: number): number {
    return this.tr[2 * k + 1]!;
  }

  /** The state history as readable entries. */
  history(): Array<{ state: TcpState; at: number; assumed?: true }> {
    const out: Array<{ state: TcpState; at: number; assumed?: true }> = [];
    const assumed = (this as unknown as Side).assumedStart;
    for (let i = 0; i < this.tr.length; i += 2) {
      const entry: { state: TcpState; at: number; assumed?: true } = {
        state: TCP_STATES[this.tr[i]!]!,
        at: this.tr[i + 1]!,
      };
      if (i === 0 && assumed) entry.assumed = true;
      out.push(entry);
    }
    return out;
  }
}
defineAccessors(SideObject.prototype, SIDE_RICH);

export type Side = SideObject & SideFields;

/** A side built from values copied from the store in SIDE_RICH order (FlowStore.materialize). */
export function newSide(family: 4 | 6, v: number[]): Side {
  return new SideObject(family, v) as Side;
}

/** One TCP connection, handed over once it has ended. Its numeric fields come from the record (see SideObject). */
class ConnectionObject {
  readonly family: 4 | 6;
  orig: Side;
  resp: Side;
  /** The field values, in CONN_RICH order (read them through the named accessors). */
  readonly v: number[];
  /** Zeek history string. */
  history = '';
  anomalies: Anomaly[] | undefined;
  /** Why the record ended: `end` of capture, `reuse` of the tuple, `closed`, `idle`, `attempt` timeout. */
  endReason: 'end' | 'reuse' | 'closed' | 'idle' | 'attempt' = 'end';

  constructor(family: 4 | 6, orig: Side, resp: Side, v: number[]) {
    this.family = family;
    this.orig = orig;
    this.resp = resp;
    this.v = v;
  }

  note(anomaly: Anomaly): void {
    if (this.anomalies === undefined) this.anomalies = [];
    this.anomalies.push(anomaly);
  }

  has(kind: AnomalyKind): boolean {
    return this.anomalies?.some((a) => a.kind === kind) ?? false;
  }
}
defineAccessors(ConnectionObject.prototype, CONN_RICH);

export type Connection = ConnectionObject & ConnFields;

/** A connection built from values copied from the store in CONN_RICH order (FlowStore.materialize). */
export function newConnection(family: 4 | 6, orig: Side, resp: Side, v: number[]): Connection {
  return new ConnectionObject(family, orig, resp, v) as Connection;
}
