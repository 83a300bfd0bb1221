/**
 * One TCP connection as seen on the wire: two endpoint records (originator and responder) with Zeek's endpoint
 * state, the inferred RFC 9293 state history, counters and anomalies. The tracker keeps live connections in flat
 * arrays (flows.ts) and builds these objects once a connection has ended: they are what callers get and keep.
 */

import { formatAddress, formatIpv4 } from '../internal/address.ts';
import { TCP_STATES, type TcpState } from '../states/states.ts';

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

const NAN = Number.NaN;
/**
 * Templates of the per-side (16) and per-connection (8) double arrays. `slice()` of a double array is one block
 * copy, where a literal naming variables is built element by element (idea and measurement from the capperf
 * branch: `create()` fell from 28 % to 9 % of the profile).
 */
const DOUBLES16: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, NAN, NAN, 0, 0, 0, NAN, NAN];
const DOUBLES8: readonly number[] = [NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN];

function timeWaitOver(side: Side, t: number): boolean {
  return side.rfc === S_TIME_WAIT && t >= side.timeWaitUntil;
}

export class Side {
  readonly family: 4 | 6;
  readonly port: number;
  /**
   * Every field that holds a double or a uint32 (sequence numbers, times, address words) lives in this one array
   * of doubles, behind accessors: as plain fields each would be its own boxed heap number, one more allocation
   * per field for every connection handed out. A plain array literal (V8 stores its doubles unboxed) rather than
   * a Float64Array: a typed array this size gets a separately allocated backing store, which costs far more.
   */
  private readonly n: number[];
  private printed: string | undefined;
  // --- Zeek layer ---
  z = Z_INACTIVE;
  zPrev = Z_INACTIVE;
  didClose = false;
  rxmt = 0;
  rxmtThresh = 1;
  zeroWin = 0;
  zeroWinThresh = 1;
  badCsum = 0;
  badCsumThresh = 1;
  // --- counters ---
  pkts = 0;
  ipBytes = 0;
  payloadBytes = 0;
  synCount = 0;
  finCount = 0;
  rstCount = 0;
  mss = 0;
  wscale = -1;
  sackPermitted = false;
  timestamps = false;
  // --- RFC inference layer ---
  /** Current inferred state as an index into TCP_STATES, -1 while nothing is known. */
  rfc = -1;
  /** The initial state was assumed (LISTEN for a responder, ESTABLISHED for a midstream pickup), not observed. */
  assumedStart = false;
  /** State history: [stateIndex, time, stateIndex, time, ...]; the first entry is the initial state. */
  readonly tr: number[] = [];
  hasIsn = false;
  sentFin = false;
  /** The FIN has moved this side's state (it may not have, if sent before the handshake completed). */
  finApplied = false;
  finAcked = false;
  acked = false;

  constructor(family: 4 | 6, words: Uint32Array, port: number) {
    this.family = family;
    this.port = port;
    const n = DOUBLES16.slice();
    n[0] = words[0]!;
    n[1] = words[1]!;
    n[2] = words[2]!;
    n[3] = words[3]!;
    this.n = n;
  }

  get w0(): number {
    return this.n[0]!;
  }
  get w1(): number {
    return this.n[1]!;
  }
  get w2(): number {
    return this.n[2]!;
  }
  get w3(): number {
    return this.n[3]!;
  }
  get startSeq(): number {
    return this.n[4]!;
  }
  set startSeq(v: number) {
    this.n[4] = v;
  }
  /** Highest seq one past a segment, in absolute 32-bit space. */
  get lastSeq(): number {
    return this.n[5]!;
  }
  set lastSeq(v: number) {
    this.n[5] = v;
  }
  get histLastSyn(): number {
    return this.n[6]!;
  }
  set histLastSyn(v: number) {
    this.n[6] = v;
  }
  get histLastFin(): number {
    return this.n[7]!;
  }
  set histLastFin(v: number) {
    this.n[7] = v;
  }
  get histLastRst(): number {
    return this.n[8]!;
  }
  set histLastRst(v: number) {
    this.n[8] = v;
  }
  /** Time of this side's first SYN (NaN if none). */
  get firstSynAt(): number {
    return this.n[9]!;
  }
  set firstSynAt(v: number) {
    this.n[9] = v;
  }
  /** First time this side's RST was seen. */
  get rstAt(): number {
    return this.n[10]!;
  }
  set rstAt(v: number) {
    this.n[10] = v;
  }
  /** This side's ISN (seq of its SYN), valid when hasIsn. */
  get isn(): number {
    return this.n[11]!;
  }
  set isn(v: number) {
    this.n[11] = v;
  }
  /** Sequence number the peer must acknowledge to cover our FIN; valid when sentFin. */
  get finAck(): number {
    return this.n[12]!;
  }
  set finAck(v: number) {
    this.n[12] = v;
  }
  /** Highest acknowledgement number this side has sent, valid when acked. */
  get ackNo(): number {
    return this.n[13]!;
  }
  set ackNo(v: number) {
    this.n[13] = v;
  }
  /** When this side entered TIME_WAIT (NaN if it did not). */
  get timeWaitAt(): number {
    return this.n[14]!;
  }
  set timeWaitAt(v: number) {
    this.n[14] = v;
  }
  /** When that TIME_WAIT will end by its timer (known once the timer length was applied). */
  get timeWaitUntil(): number {
    return this.n[15]!;
  }
  set timeWaitUntil(v: number) {
    this.n[15] = v;
  }

  /** Printable address (formatted on first use). */
  get address(): string {
    if (this.printed === undefined) {
      this.printed =
        this.family === 4 ? formatIpv4(this.w3) : formatAddress(6, [this.w0, this.w1, this.w2, this.w3]);
    }
    return this.printed;
  }

  get state(): TcpState | undefined {
    return this.rfc < 0 ? undefined : TCP_STATES[this.rfc];
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
    if (state === S_TIME_WAIT && timeWaitOver(this, t)) return 'CLOSED';
    return TCP_STATES[state];
  }

  /** The state history as readable entries. */
  history(): Array<{ state: TcpState; at: number; assumed?: true }> {
    const out: Array<{ state: TcpState; at: number; assumed?: true }> = [];
    for (let i = 0; i < this.tr.length; i += 2) {
      const entry: { state: TcpState; at: number; assumed?: true } = {
        state: TCP_STATES[this.tr[i]!]!,
        at: this.tr[i + 1]!,
      };
      if (i === 0 && this.assumedStart) entry.assumed = true;
      out.push(entry);
    }
    return out;
  }
}

export class Connection {
  /** 1-based, in order of first packet. */
  readonly id: number;
  readonly family: 4 | 6;
  orig: Side;
  resp: Side;
  /** Times live in one array of doubles (see Side.n for why). */
  private readonly n: number[];
  /** Zeek history string and the set of letters already recorded (bits per direction). */
  history = '';
  histSeen = 0;
  /** Zeek flipped the roles at some point (history has ^). */
  flipped = false;
  anomalies: Anomaly[] | undefined;
  /** Why the record ended: `end` of capture, `reuse` of the tuple, `closed`, `idle`, `attempt` timeout. */
  endReason: 'end' | 'reuse' | 'closed' | 'idle' | 'attempt' = 'end';
  readonly hash: number;

  constructor(id: number, family: 4 | 6, orig: Side, resp: Side, t: number, hash: number) {
    this.id = id;
    this.family = family;
    this.orig = orig;
    this.resp = resp;
    const n = DOUBLES8.slice();
    n[0] = t;
    n[1] = t;
    n[2] = t;
    this.n = n;
    this.hash = hash;
  }

  get start(): number {
    return this.n[0]!;
  }
  /** Last packet of any kind. */
  get last(): number {
    return this.n[1]!;
  }
  set last(v: number) {
    this.n[1] = v;
  }
  /** Zeek's last_time: stops advancing once both sides closed. */
  get zLast(): number {
    return this.n[2]!;
  }
  set zLast(v: number) {
    this.n[2] = v;
  }
  /** When the attempt timer fires (first SYN + attempt delay), NaN if not armed. */
  get attemptAt(): number {
    return this.n[3]!;
  }
  set attemptAt(v: number) {
    this.n[3] = v;
  }
  /** When the connection became fully closed (both FIN or a RST), NaN while not. */
  get closedAt(): number {
    return this.n[4]!;
  }
  set closedAt(v: number) {
    this.n[4] = v;
  }
  /** SYN → SYN-ACK in seconds, at the capture point. */
  get rttSynToSynAck(): number {
    return this.n[5]!;
  }
  set rttSynToSynAck(v: number) {
    this.n[5] = v;
  }
  /** SYN-ACK → ACK in seconds, at the capture point. */
  get rttSynAckToAck(): number {
    return this.n[6]!;
  }
  set rttSynAckToAck(v: number) {
    this.n[6] = v;
  }
  get synAckAt(): number {
    return this.n[7]!;
  }
  set synAckAt(v: number) {
    this.n[7] = v;
  }

  note(anomaly: Anomaly): void {
    if (this.anomalies === undefined) this.anomalies = [];
    this.anomalies.push(anomaly);
  }

  has(kind: AnomalyKind): boolean {
    return this.anomalies?.some((a) => a.kind === kind) ?? false;
  }
}
