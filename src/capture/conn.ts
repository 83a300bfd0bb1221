/**
 * One TCP connection as seen on the wire: two endpoint records (originator and responder) with Zeek's endpoint
 * state, the inferred RFC 9293 state history, counters and anomalies. Plain mutable classes on purpose: one object
 * per connection, none per packet.
 */
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

function timeWaitOver(side: Side, t: number): boolean {
  return side.rfc === S_TIME_WAIT && t >= side.timeWaitUntil;
}

export class Side {
  /** Printable address and port. */
  readonly address: string;
  readonly port: number;
  /** Raw address words (see Segment.src), for matching packets. */
  readonly words: Uint32Array;
  // --- Zeek layer ---
  z = Z_INACTIVE;
  zPrev = Z_INACTIVE;
  didClose = false;
  startSeq = 0;
  /** Highest seq one past a segment, in absolute 32-bit space. */
  lastSeq = 0;
  histLastSyn = 0;
  histLastFin = 0;
  histLastRst = 0;
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
  firstSynAt = Number.NaN;
  /** First time this side's RST was seen. */
  rstAt = Number.NaN;
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
  /** This side's ISN (seq of its SYN), valid when hasIsn. */
  isn = 0;
  hasIsn = false;
  /** Sequence number the peer must acknowledge to cover our FIN; valid when sentFin. */
  finAck = 0;
  sentFin = false;
  /** The FIN has moved this side's state (it may not have, if sent before the handshake completed). */
  finApplied = false;
  finAcked = false;
  /** Highest acknowledgement number this side has sent, valid when acked. */
  ackNo = 0;
  acked = false;
  /** When this side entered TIME_WAIT (NaN if it did not). */
  timeWaitAt = Number.NaN;
  /** When that TIME_WAIT will end by its timer (known once the timer length was applied). */
  timeWaitUntil = Number.NaN;

  constructor(address: string, port: number, words: Uint32Array) {
    this.address = address;
    this.port = port;
    this.words = words;
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
  start: number;
  /** Last packet of any kind. */
  last: number;
  /** Zeek's last_time: stops advancing once both sides closed. */
  zLast: number;
  /** Zeek history string and the set of letters already recorded (bits per direction). */
  history = '';
  histSeen = 0;
  /** Zeek flipped the roles at some point (history has ^). */
  flipped = false;
  /** When the attempt timer fires (first SYN + attempt delay), NaN if not armed. */
  attemptAt = Number.NaN;
  /** When the connection became fully closed (both FIN or a RST), NaN while not. */
  closedAt = Number.NaN;
  /** SYN → SYN-ACK and SYN-ACK → ACK in seconds (handshake RTT split at the capture point). */
  rttSynToSynAck = Number.NaN;
  rttSynAckToAck = Number.NaN;
  synAckAt = Number.NaN;
  anomalies: Anomaly[] | undefined;
  /** Why the record ended: `end` of capture, `reuse` of the tuple, `closed`, `idle`, `attempt` timeout. */
  endReason: 'end' | 'reuse' | 'closed' | 'idle' | 'attempt' = 'end';
  /** Next connection in the same flow-table bucket. */
  next: Connection | undefined;
  readonly hash: number;

  constructor(id: number, family: 4 | 6, orig: Side, resp: Side, t: number, hash: number) {
    this.id = id;
    this.family = family;
    this.orig = orig;
    this.resp = resp;
    this.start = t;
    this.last = t;
    this.zLast = t;
    this.hash = hash;
  }

  note(anomaly: Anomaly): void {
    if (this.anomalies === undefined) this.anomalies = [];
    this.anomalies.push(anomaly);
  }

  has(kind: AnomalyKind): boolean {
    return this.anomalies?.some((a) => a.kind === kind) ?? false;
  }
}
