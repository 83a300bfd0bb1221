import type { TcpState } from '../states/states.ts';

export type { TcpState };

/** Control bits of a segment (RFC 9293 §3.1). */
export interface Flags {
  syn: boolean;
  ack: boolean;
  fin: boolean;
  rst: boolean;
  urg?: boolean;
}

/** One TCP segment, with real 32-bit sequence and acknowledgment numbers. `len` counts payload octets only. */
export interface Segment {
  seq: number;
  /** Meaningful only when `flags.ack` is set (0 otherwise). */
  ack: number;
  flags: Flags;
  /** Payload length in octets. */
  len: number;
  wnd: number;
}

/** The timers of RFC 9293 §3.8/§3.10.8 plus the real-stack FIN-WAIT-2 and connection-establishment timers. */
export const TIMER_NAMES = [
  'RETRANSMISSION',
  'CONN_ESTABLISH',
  'FIN_WAIT_2',
  'TIME_WAIT',
  'USER_TIMEOUT',
] as const;
export type TimerName = (typeof TIMER_NAMES)[number];

/** Timer deadlines on the caller's clock, in milliseconds. A missing timer is not running. */
export type Timers = Partial<Record<TimerName, number>>;

/** The transmission control block (RFC 9293 §3.3.1) plus what the engine needs to be pure. */
export interface Tcb {
  state: TcpState;
  /** MUST-11: whether SYN-RECEIVED was entered from a passive OPEN (a RST sends it back to LISTEN). */
  origin: 'passive' | 'active' | null;
  /** Whether the foreign socket is specified (OPEN/SEND from LISTEN needs it). */
  remoteKnown: boolean;
  iss: number;
  irs: number;
  sndUna: number;
  sndNxt: number;
  sndWnd: number;
  sndWl1: number;
  sndWl2: number;
  rcvNxt: number;
  rcvWnd: number;
  /** Octets the user queued with SEND that are not on the wire yet (pre-ESTABLISHED). */
  sendQueued: number;
  /** Octets received and acknowledged but not yet RECEIVEd by the application. */
  unread: number;
  /** The user issued CLOSE; the FIN goes out once queued data has been segmentized. */
  closeQueued: boolean;
  /** The application released the socket entirely (sockets close(), not shutdown()): the connection is orphaned. */
  orphaned: boolean;
  /** Sequence number our FIN occupies, once sent. */
  finSeq: number | null;
  /** Consecutive retransmissions of the front of the retransmission queue. */
  retransmits: number;
  /** Current retransmission timeout (ms). */
  rto: number;
  /** RFC 6298 smoothed RTT and variation (ms); null before the first sample. */
  srtt: number | null;
  rttvar: number;
  /** When the newest outstanding octet was (re)transmitted: the RTT sample's start (timestamps make it valid
   * even for retransmissions, as on Linux). */
  rttStart: number | null;
  timers: Timers;
}

/** User calls of RFC 9293 §3.9.1. */
export type UserCall =
  | { call: 'OPEN'; mode: 'passive' }
  | { call: 'OPEN'; mode: 'active'; remote?: boolean; iss?: number }
  | { call: 'SEND'; bytes: number }
  | { call: 'RECEIVE' }
  /** `full` is the sockets close(): the application will not read any more (orphans the connection). */
  | { call: 'CLOSE'; full?: boolean }
  | { call: 'ABORT' }
  | { call: 'STATUS' };

export type TcpEvent =
  | { kind: 'user'; user: UserCall }
  | { kind: 'segment'; segment: Segment }
  | { kind: 'timeout'; timer: TimerName };

/**
 * Why a user call was refused: RFC 9293 §3.10's "error: ..." replies, one type per call (as smoltcp's ConnectError,
 * SendError and RecvError), so a caller can switch on what each call can actually answer.
 */
export type OpenError = 'connection-already-exists' | 'remote-socket-unspecified';
export type SendError = 'connection-does-not-exist' | 'remote-socket-unspecified' | 'connection-closing';
export type ReceiveError = 'connection-does-not-exist' | 'connection-closing';
export type CloseError = 'connection-does-not-exist' | 'connection-closing';
export type AbortError = 'connection-does-not-exist';
export type StatusError = 'connection-does-not-exist';

export type CallError =
  | { call: 'OPEN'; error: OpenError }
  | { call: 'SEND'; error: SendError }
  | { call: 'RECEIVE'; error: ReceiveError }
  | { call: 'CLOSE'; error: CloseError }
  | { call: 'ABORT'; error: AbortError }
  | { call: 'STATUS'; error: StatusError };

/** Why a connection ended under its user (RFC 9293's signals): refused, reset by the peer, or timed out. */
export type ConnectionError =
  | 'connection-refused'
  | 'connection-reset'
  | 'connection-timed-out'
  | 'user-timeout';

/** RFC 9293's wording of each error, as the user is told it. */
export const ERROR_TEXT: Record<CallError['error'], string> = {
  'connection-already-exists': 'connection already exists',
  'remote-socket-unspecified': 'remote socket unspecified',
  'connection-does-not-exist': 'connection does not exist',
  'connection-closing': 'connection closing',
};

export interface StepResult {
  tcb: Tcb;
  /** Segments to transmit, in order. */
  segments: Segment[];
  /** Deadlines of every running timer after the step (same as tcb.timers). */
  timers: Timers;
  /** Ids of the rfc9293-transitions.json rows this step fired, in processing order. */
  rows: string[];
  /** The user call was refused (the TCB is unchanged apart from the row fired). */
  callError?: CallError;
  /** The connection ended under the user in this step. */
  connectionError?: ConnectionError;
  /** What the user is told (RFC 9293 error strings and signals), if anything. */
  message?: string;
  /** Short human explanation of what happened, for traces. */
  note?: string;
}
