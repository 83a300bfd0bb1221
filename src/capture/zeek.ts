/**
 * Zeek's TCP connection layer, ported from zeek/zeek (TCPSessionAdapter.cc, TCP_Endpoint.cc, conn/main.zeek;
 * Zeek's conn.log documentation, https://docs.zeek.org/en/master/scripts/base/protocols/conn/main.zeek.html): the 7-value endpoint state per side, the `history` string and `conn_state`.
 * It exists so our output can be checked against Zeek's baselines letter for letter; the RFC states come from
 * infer.ts.
 */
import {
  type ConnectionLike,
  S,
  type SideLike,
  Z_CLOSED,
  Z_ESTABLISHED,
  Z_INACTIVE,
  Z_PARTIAL,
  Z_RESET,
  Z_SYN_ACK_SENT,
  Z_SYN_SENT,
} from './conn.ts';
import { type DecodedSegment, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './decode.ts';
import type { FlowStore } from './flows.ts';
import {
  CD_ATTEMPT_AT,
  CD_CLOSED_AT,
  CD_Z_LAST,
  CI_HIST_SEEN,
  CONN_DOUBLES_STRIDE,
  CONN_INTS_STRIDE,
  I_BAD_CSUM,
  I_DID_CLOSE,
  I_RFC,
  I_RXMT,
  I_SENT_FIN,
  I_Z,
  I_Z_PREV,
  I_ZERO_WIN,
  SIDE_INTS_STRIDE,
  U_HIST_LAST_FIN,
  U_HIST_LAST_RST,
  U_HIST_LAST_SYN,
  U_LAST_SEQ,
  U_START_SEQ,
} from './layout.ts';

const HIST_SYN = 0x1;
const HIST_FIN = 0x2;
const HIST_RST = 0x4;
const HIST_FIN_RST = 0x8;
const HIST_DATA = 0x10;
const HIST_ACK = 0x20;
const HIST_MULTI = 0x40;
const HIST_CORRUPT = 0x80;
const HIST_RXMIT = 0x100;
const HIST_WIN0 = 0x200;

export type ConnState =
  | 'S0'
  | 'S1'
  | 'SF'
  | 'REJ'
  | 'S2'
  | 'S3'
  | 'RSTO'
  | 'RSTR'
  | 'RSTOS0'
  | 'RSTRH'
  | 'SH'
  | 'SHR'
  | 'OTH';

/** What each conn_state means (Zeek's documentation, slightly clarified). */
export const CONN_STATE_TEXT: Record<ConnState, string> = {
  S0: 'connection attempt seen, no reply',
  S1: 'established, not terminated',
  SF: 'normal establishment and termination',
  REJ: 'connection attempt rejected',
  S2: 'established, originator closed, no reply from responder',
  S3: 'established, responder closed, no reply from originator',
  RSTO: 'established, originator aborted (RST)',
  RSTR: 'responder sent a RST',
  RSTOS0: 'originator sent a SYN then a RST; no SYN-ACK from the responder',
  RSTRH: 'responder sent a SYN-ACK then a RST; no SYN from the originator',
  SH: 'originator sent a SYN then a FIN; no SYN-ACK from the responder (half-open)',
  SHR: 'responder sent a SYN-ACK then a FIN; no SYN from the originator',
  OTH: 'no SYN seen, just midstream traffic (a partial connection that was not later closed)',
};

const CHAR_CASE = 32;
const RFC_ESTABLISHED = S.ESTABLISHED;
const H_UPPER = 72;
const H_LOWER = 104;
const CARET = 94;

/** Appends a history letter: upper case for the originator, lower case for the responder. */
function addHistory(st: FlowStore, c: number, isOrig: boolean, code: number): void {
  st.histAppend(c, isOrig ? code : code + CHAR_CASE);
}

/** Records `code` the first time it is seen per direction; returns true if it had been seen already. */
function checkHistory(st: FlowStore, c: number, isOrig: boolean, mask: number, code: number): boolean {
  const m = isOrig ? mask : mask << 16;
  const at = c * CONN_INTS_STRIDE + CI_HIST_SEEN;
  const seen = st.i32[at]!;
  if ((seen & m) === 0) {
    st.i32[at] = seen | m;
    addHistory(st, c, isOrig, code);
    return false;
  }
  return true;
}

function markSeen(st: FlowStore, c: number, isOrig: boolean, mask: number): void {
  st.i32[c * CONN_INTS_STRIDE + CI_HIST_SEEN]! |= isOrig ? mask : mask << 16;
}

/**
 * Zeek's logarithmic letters (C, T, W): recorded on the 1st, 10th, 100th... occurrence. Counts the occurrence in
 * the side's integer at `count` and moves the threshold at `count + 1`.
 */
function scaled(st: FlowStore, c: number, isOrig: boolean, ep: number, count: number, code: number): void {
  const si = st.i32;
  const i = ep * SIDE_INTS_STRIDE + count;
  const n = si[i]! + 1;
  si[i] = n;
  if (n === si[i + 1]) {
    addHistory(st, c, isOrig, code);
    si[i + 1] = n * 10;
  }
}

/**
 * Moves side `side` to Zeek state `state` at the segment's time. It takes the segment, not its time: a double
 * argument to a call V8 does not inline is boxed, one allocation per call on the per-packet path.
 */
function setState(st: FlowStore, c: number, side: number, state: number, seg: DecodedSegment): void {
  const si = st.i32;
  const i = side * SIDE_INTS_STRIDE;
  const was = si[i + I_Z]!;
  if (was === state) return;
  si[i + I_Z_PREV] = was;
  si[i + I_Z] = state;
  if (state === Z_CLOSED || state === Z_RESET) si[i + I_DID_CLOSE] = 1;
  const cdAt = c * CONN_DOUBLES_STRIDE + CD_CLOSED_AT;
  if (!Number.isNaN(st.f64[cdAt])) return;
  const o = si[2 * c * SIDE_INTS_STRIDE + I_Z]!;
  const r = si[(2 * c + 1) * SIDE_INTS_STRIDE + I_Z]!;
  if (
    o === Z_RESET ||
    r === Z_RESET ||
    ((o === Z_CLOSED || o === Z_RESET) && (r === Z_CLOSED || r === Z_RESET))
  ) {
    st.f64[cdAt] = seg.ts;
  }
}

/** Swaps originator and responder, as Zeek's FlipRoles does (history letters already written stay). */
export function flipRoles(st: FlowStore, c: number): void {
  st.flip(c);
  st.histAppend(c, CARET);
}

/** Seq difference a - b in 32-bit serial arithmetic. */
export function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/** Zeek's connection-attempt timer, seconds after the first SYN (tcp_attempt_delay). */
export const ZEEK_ATTEMPT = 5;

/**
 * Zeek's per-packet processing for a segment from side `ep` of connection `c`. `attemptTimer` arms Zeek's attempt
 * timer at the first SYN (split zeek); without it the attempt never times out. Returns false when the segment was
 * dropped (bad checksum while checksums are enforced), as Zeek does.
 */
export function zeekPacket(
  st: FlowStore,
  c: number,
  ep: number,
  seg: DecodedSegment,
  attemptTimer: boolean,
): boolean {
  let isOrig = ep === st.orig(c);
  const flags = seg.flags;
  const len = seg.payloadLen;
  if (seg.badChecksum) {
    scaled(st, c, isOrig, ep, I_BAD_CSUM, 67 /* C */);
    markSeen(st, c, isOrig, HIST_CORRUPT);
    return false;
  }
  // A connection whose SYN was missed: its first packet was the SYN-ACK (history exactly "H") and now the
  // other side answers: the SYN-ACK sender is the responder after all (zeek PR 2191).
  if (
    st.histIs(c, H_UPPER) &&
    (flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0 &&
    (len > 0 || flags & TCP_ACK)
  ) {
    st.histClear(c);
    flipRoles(st, c);
    st.histAppend(c, H_LOWER);
    isOrig = ep === st.orig(c);
  }
  const peer = ep ^ 1;
  initEndpoint(st, ep, seg);
  updateHistory(st, c, isOrig, ep, seg);
  // Zero window, not with a RST and not once the peer has closed (then it is just the end).
  if (
    seg.window === 0 &&
    !(flags & TCP_RST) &&
    !(flags & TCP_SYN) &&
    st.i32[peer * SIDE_INTS_STRIDE + I_Z] !== Z_CLOSED
  ) {
    scaled(st, c, isOrig, ep, I_ZERO_WIN, 87 /* W */);
    markSeen(st, c, isOrig, HIST_WIN0);
  }
  if (!(st.i32[ep * SIDE_INTS_STRIDE + I_DID_CLOSE] && st.i32[peer * SIDE_INTS_STRIDE + I_DID_CLOSE])) {
    st.f64[c * CONN_DOUBLES_STRIDE + CD_Z_LAST] = seg.ts;
  }
  updateLastSeq(st, c, isOrig, ep, seg);
  updateStateMachine(st, c, seg, ep, peer, isOrig, attemptTimer);
  return true;
}

/**
 * Header prediction, as TCP stacks do it (Van Jacobson): most segments are data or a bare ACK on a connection whose
 * two ends are both established and neither has closed. For those, zeekPacket only records the first D or A
 * history letter, moves Zeek's last time, and moves the sender's highest sequence number or counts a
 * retransmission; this does exactly that, with a fraction of the reads. Any other segment returns false with
 * nothing changed, and goes the general way. The tracker's comparison tests (every fixture, both split modes)
 * run through both paths.
 */
export function zeekEstablished(st: FlowStore, c: number, ep: number, seg: DecodedSegment): boolean {
  const flags = seg.flags;
  if ((flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK)) !== TCP_ACK || seg.badChecksum || seg.window === 0) {
    return false;
  }
  const si = st.i32;
  const ei = ep * SIDE_INTS_STRIDE;
  const pi = (ep ^ 1) * SIDE_INTS_STRIDE;
  if (
    si[ei + I_Z] !== Z_ESTABLISHED ||
    si[pi + I_Z] !== Z_ESTABLISHED ||
    si[ei + I_RFC] !== RFC_ESTABLISHED ||
    si[pi + I_RFC] !== RFC_ESTABLISHED ||
    si[ei + I_SENT_FIN] !== 0 ||
    si[pi + I_SENT_FIN] !== 0 ||
    st.histIs(c, H_UPPER)
  ) {
    return false;
  }
  // What zeekPacket does for such a segment (initEndpoint and updateStateMachine do nothing here). The branches of
  // updateHistory and updateLastSeq that can apply are written out: calling those two whole cost ~5 % on the
  // packet-heavy bench capture (median of 10, one core). A change to either must be made here too; the Zeek
  // baseline tests fail if they disagree.
  const isOrig = ep === st.orig(c);
  const len = seg.payloadLen;
  if (len > 0) checkHistory(st, c, isOrig, HIST_DATA, 68 /* D */);
  else checkHistory(st, c, isOrig, HIST_ACK, 65 /* A */);
  if (!(si[ei + I_DID_CLOSE] && si[pi + I_DID_CLOSE])) st.f64[c * CONN_DOUBLES_STRIDE + CD_Z_LAST] = seg.ts;
  const su = st.u32;
  const last = (seg.seq + len) >>> 0;
  if (seqDelta(last, su[ei + U_LAST_SEQ]!) > 0) su[ei + U_LAST_SEQ] = last;
  else if (len > 0) {
    scaled(st, c, isOrig, ep, I_RXMT, 84 /* T */);
    markSeen(st, c, isOrig, HIST_RXMIT);
  }
  return true;
}

function initEndpoint(st: FlowStore, ep: number, seg: DecodedSegment): void {
  const flags = seg.flags;
  const seq = seg.seq;
  const lastSeq = (seq + seg.payloadLen) >>> 0;
  const syn = (flags & TCP_SYN) !== 0;
  const su = st.u32;
  const i = ep * SIDE_INTS_STRIDE;
  switch (st.i32[i + I_Z]) {
    case Z_INACTIVE:
      if (syn) {
        su[i + U_START_SEQ] = seq;
        su[i + U_LAST_SEQ] = lastSeq;
      } else {
        // Partial connection: number bytes as though a SYN had been seen, and don't mark the first packet a dup.
        su[i + U_START_SEQ] = (seq - 1) >>> 0;
        su[i + U_LAST_SEQ] = seq;
      }
      break;
    case Z_SYN_SENT:
    case Z_SYN_ACK_SENT:
    case Z_ESTABLISHED:
    case Z_PARTIAL:
      if (syn && seq !== su[i + U_START_SEQ]) {
        su[i + U_START_SEQ] = seq;
        su[i + U_LAST_SEQ] = lastSeq;
      }
      break;
    case Z_RESET:
      if (syn && st.i32[i + I_Z_PREV] === Z_INACTIVE) {
        su[i + U_START_SEQ] = seq;
        su[i + U_LAST_SEQ] = lastSeq;
      }
      break;
  }
}

function updateHistory(st: FlowStore, c: number, isOrig: boolean, ep: number, seg: DecodedSegment) {
  const flags = seg.flags;
  const len = seg.payloadLen;
  const su = st.u32;
  const i = ep * SIDE_INTS_STRIDE;
  const relSeq = (seg.seq - su[i + U_START_SEQ]!) >>> 0;
  const syn = flags & TCP_SYN ? 1 : 0;
  const fin = flags & TCP_FIN ? 1 : 0;
  const rst = flags & TCP_RST ? 1 : 0;
  const bits = syn + fin + rst;
  if (bits > 1) {
    if (fin && rst) checkHistory(st, c, isOrig, HIST_FIN_RST, 73 /* I */);
    else checkHistory(st, c, isOrig, HIST_MULTI, 81 /* Q */);
  } else if (bits === 1) {
    if (syn) {
      const code = flags & TCP_ACK ? H_UPPER : 83; /* S */
      if (checkHistory(st, c, isOrig, HIST_SYN, code) && relSeq !== su[i + U_HIST_LAST_SYN])
        addHistory(st, c, isOrig, code);
      su[i + U_HIST_LAST_SYN] = relSeq;
    }
    if (fin) {
      // A FIN's sequence number is the one after its data.
      const finSeq = (relSeq + len) >>> 0;
      if (checkHistory(st, c, isOrig, HIST_FIN, 70 /* F */) && finSeq !== su[i + U_HIST_LAST_FIN])
        addHistory(st, c, isOrig, 70);
      su[i + U_HIST_LAST_FIN] = finSeq;
    }
    if (rst) {
      if (checkHistory(st, c, isOrig, HIST_RST, 82 /* R */) && relSeq !== su[i + U_HIST_LAST_RST])
        addHistory(st, c, isOrig, 82);
      su[i + U_HIST_LAST_RST] = relSeq;
    }
  } else if (len > 0) checkHistory(st, c, isOrig, HIST_DATA, 68 /* D */);
  else if (flags & TCP_ACK) checkHistory(st, c, isOrig, HIST_ACK, 65 /* A */);
}

function updateLastSeq(st: FlowStore, c: number, isOrig: boolean, ep: number, seg: DecodedSegment) {
  const flags = seg.flags;
  const len = seg.payloadLen;
  const su = st.u32;
  const i = ep * SIDE_INTS_STRIDE;
  const last = (seg.seq + len) >>> 0;
  const lastSeq = su[i + U_LAST_SEQ]!;
  const delta = seqDelta(last, lastSeq);
  if (flags & (TCP_SYN | TCP_RST) && (delta > 16384 || delta < -16384)) {
    // Don't trust outlandish sequence numbers on SYN/RST.
  } else if (flags & TCP_FIN && lastSeq === (su[i + U_START_SEQ]! + 1) >>> 0) {
    su[i + U_LAST_SEQ] = last;
  } else if (st.i32[i + I_Z] === Z_RESET) {
    // Nothing after a RST is trusted.
  } else if (delta > 0) {
    su[i + U_LAST_SEQ] = last;
  } else if (len > 0) {
    scaled(st, c, isOrig, ep, I_RXMT, 84 /* T */);
    markSeen(st, c, isOrig, HIST_RXMIT);
  }
}

function updateStateMachine(
  st: FlowStore,
  c: number,
  seg: DecodedSegment,
  ep: number,
  peer: number,
  isOrig: boolean,
  attemptTimer: boolean,
): void {
  const t = seg.ts;
  const flags = seg.flags;
  const len = seg.payloadLen;
  const syn = (flags & TCP_SYN) !== 0;
  const fin = (flags & TCP_FIN) !== 0;
  const rst = (flags & TCP_RST) !== 0;
  const ack = (flags & TCP_ACK) !== 0;
  const si = st.i32;
  const epZ = ep * SIDE_INTS_STRIDE + I_Z;
  const peerZ = peer * SIDE_INTS_STRIDE + I_Z;
  switch (si[epZ]) {
    case Z_INACTIVE:
      if (syn) {
        if (isOrig) {
          setState(st, c, ep, ack ? Z_SYN_ACK_SENT : Z_SYN_SENT, seg);
          const at = c * CONN_DOUBLES_STRIDE + CD_ATTEMPT_AT;
          if (Number.isNaN(st.f64[at]))
            st.f64[at] = attemptTimer ? t + ZEEK_ATTEMPT : Number.POSITIVE_INFINITY;
        } else {
          if (!ack && si[peerZ] === Z_SYN_ACK_SENT) {
            // SYN and SYN-ACK were captured in reverse order: the SYN sender is the originator.
            flipRoles(st, c);
            setState(st, c, peer, Z_ESTABLISHED, seg);
          }
          if (si[peerZ] === Z_SYN_SENT) setState(st, c, peer, Z_ESTABLISHED, seg);
          setState(st, c, ep, Z_ESTABLISHED, seg);
        }
        if (fin) setState(st, c, ep, Z_CLOSED, seg);
        if (rst) setState(st, c, ep, Z_RESET, seg);
      } else if (fin) {
        setState(st, c, ep, Z_CLOSED, seg);
      } else if (rst) {
        setState(st, c, ep, Z_RESET, seg);
      } else if (!isOrig && len === 0 && ack && si[peerZ] === Z_SYN_SENT) {
        // Some TCPs ACK the SYN before sending the SYN-ACK: ignored, as Zeek does.
      } else if (ack && si[peerZ] === Z_ESTABLISHED) {
        setState(st, c, ep, Z_ESTABLISHED, seg);
      } else {
        setState(st, c, ep, Z_PARTIAL, seg);
      }
      break;
    case Z_SYN_SENT:
    case Z_SYN_ACK_SENT:
      if (fin) setState(st, c, ep, Z_CLOSED, seg);
      if (rst) setState(st, c, ep, Z_RESET, seg);
      break;
    case Z_ESTABLISHED:
    case Z_PARTIAL:
      if (syn && si[epZ] === Z_PARTIAL && isOrig && si[peerZ] === Z_INACTIVE && !ack) {
        setState(st, c, ep, Z_SYN_SENT, seg);
      }
      if (fin && !rst) {
        setState(st, c, ep, Z_CLOSED, seg);
        // The peer sent FIN then RST: that was a normal termination after all.
        if (si[peerZ] === Z_RESET && si[peerZ + I_Z_PREV - I_Z] === Z_CLOSED) {
          si[peerZ] = Z_CLOSED;
          si[peerZ + I_Z_PREV - I_Z] = Z_RESET;
        }
      }
      if (rst) setState(st, c, ep, Z_RESET, seg);
      break;
    case Z_CLOSED:
      if (rst && si[peerZ] !== Z_CLOSED) setState(st, c, ep, Z_RESET, seg);
      break;
    default:
      break;
  }
}

/** Zeek's `conn_state` (base/protocols/conn/main.zeek), from the two endpoint states and the history. */
export function connState(conn: ConnectionLike): ConnState {
  const o = conn.orig.z;
  const r = conn.resp.z;
  const oInactive = o === Z_INACTIVE || o === Z_PARTIAL;
  const rInactive = r === Z_INACTIVE || r === Z_PARTIAL;
  if (r === Z_RESET) {
    if (
      o === Z_SYN_SENT ||
      o === Z_SYN_ACK_SENT ||
      (o === Z_RESET && size(conn.orig) === 0 && size(conn.resp) === 0)
    ) {
      return 'REJ';
    }
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (o === Z_RESET) {
    if (rInactive) return /^\^?S[^HAFGIQ]*R.*$/.test(conn.history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (o === Z_CLOSED && r === Z_CLOSED) return 'SF';
  if (o === Z_CLOSED) return rInactive ? 'SH' : 'S2';
  if (r === Z_CLOSED) return oInactive ? 'SHR' : 'S3';
  if (o === Z_SYN_SENT && r === Z_INACTIVE) return 'S0';
  if (o === Z_ESTABLISHED && r === Z_ESTABLISHED) return 'S1';
  return 'OTH';
}

/** Payload bytes from sequence numbers, as Zeek's endpoint Size(). */
export function size(side: SideLike): number {
  if (side.z === Z_INACTIVE) return 0;
  const rel = (side.lastSeq - side.startSeq) >>> 0;
  // The SYN (or the virtual one of a partial connection) occupies the first sequence number.
  return rel > 0 ? rel - 1 : 0;
}
