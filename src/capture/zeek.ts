/**
 * Zeek's TCP connection layer, ported from zeek/zeek (TCPSessionAdapter.cc, TCP_Endpoint.cc, conn/main.zeek;
 * reference/pcap-state.md §1): the 7-value endpoint state per side, the `history` string and `conn_state`.
 * It exists so our output can be checked against Zeek's baselines letter for letter; the RFC states come from
 * infer.ts.
 */
import {
  type Connection,
  type Side,
  Z_CLOSED,
  Z_ESTABLISHED,
  Z_INACTIVE,
  Z_PARTIAL,
  Z_RESET,
  Z_SYN_ACK_SENT,
  Z_SYN_SENT,
} from './conn.ts';
import { type Segment, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './decode.ts';

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

function isOrigSide(conn: Connection, side: Side): boolean {
  return side === conn.orig;
}

function addHistory(conn: Connection, isOrig: boolean, code: string): void {
  conn.history += isOrig ? code : code.toLowerCase();
}

/** Records `code` the first time it is seen per direction; returns true if it had been seen already. */
function checkHistory(conn: Connection, isOrig: boolean, mask: number, code: string): boolean {
  const m = isOrig ? mask : mask << 16;
  if ((conn.histSeen & m) === 0) {
    conn.histSeen |= m;
    addHistory(conn, isOrig, code);
    return false;
  }
  return true;
}

/** Zeek's logarithmic letters (C, T, W): recorded on the 1st, 10th, 100th... occurrence. */
function scaled(conn: Connection, isOrig: boolean, count: number, threshold: number, code: string): number {
  if (count === threshold) {
    addHistory(conn, isOrig, code);
    return threshold * 10;
  }
  return threshold;
}

function setState(conn: Connection, side: Side, state: number, t: number): void {
  if (side.z === state) return;
  side.zPrev = side.z;
  side.z = state;
  if (state === Z_CLOSED || state === Z_RESET) side.didClose = true;
  const o = conn.orig.z;
  const r = conn.resp.z;
  if (
    Number.isNaN(conn.closedAt) &&
    (o === Z_RESET ||
      r === Z_RESET ||
      ((o === Z_CLOSED || o === Z_RESET) && (r === Z_CLOSED || r === Z_RESET)))
  ) {
    conn.closedAt = t;
  }
}

/** Swaps originator and responder, as Zeek's FlipRoles does (history letters already written stay). */
export function flipRoles(conn: Connection): void {
  const o = conn.orig;
  conn.orig = conn.resp;
  conn.resp = o;
  conn.histSeen = ((conn.histSeen >>> 16) | (conn.histSeen << 16)) >>> 0;
  conn.history += '^';
  conn.flipped = true;
}

/** Seq difference a - b in 32-bit serial arithmetic. */
export function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * Zeek's per-packet processing for a segment from `ep`. Returns false when the segment was dropped (bad checksum
 * while checksums are enforced), as Zeek does.
 */
export function zeekPacket(conn: Connection, ep: Side, seg: Segment, attemptDelay: number): boolean {
  let isOrig = isOrigSide(conn, ep);
  const flags = seg.flags;
  const len = seg.payloadLen;
  const t = seg.ts;
  if (seg.badChecksum) {
    ep.badCsum++;
    ep.badCsumThresh = scaled(conn, isOrig, ep.badCsum, ep.badCsumThresh, 'C');
    conn.histSeen |= isOrig ? HIST_CORRUPT : HIST_CORRUPT << 16;
    return false;
  }
  // A connection whose SYN was missed: its first packet was the SYN-ACK (history exactly "H") and now the
  // other side answers: the SYN-ACK sender is the responder after all (zeek PR 2191).
  if (conn.history === 'H' && (flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0 && (len > 0 || flags & TCP_ACK)) {
    const o = conn.orig;
    conn.orig = conn.resp;
    conn.resp = o;
    conn.histSeen = ((conn.histSeen >>> 16) | (conn.histSeen << 16)) >>> 0;
    conn.history = '^h';
    conn.flipped = true;
    isOrig = isOrigSide(conn, ep);
  }
  const peer = isOrig ? conn.resp : conn.orig;
  initEndpoint(ep, seg);
  updateHistory(conn, isOrig, ep, seg);
  // Zero window, not with a RST and not once the peer has closed (then it is just the end).
  if (seg.window === 0 && !(flags & TCP_RST) && !(flags & TCP_SYN) && peer.z !== Z_CLOSED) {
    ep.zeroWin++;
    ep.zeroWinThresh = scaled(conn, isOrig, ep.zeroWin, ep.zeroWinThresh, 'W');
    conn.histSeen |= isOrig ? HIST_WIN0 : HIST_WIN0 << 16;
  }
  if (!(conn.orig.didClose && conn.resp.didClose)) conn.zLast = t;
  updateLastSeq(conn, isOrig, ep, seg);
  updateStateMachine(conn, seg, ep, peer, isOrig, attemptDelay);
  return true;
}

// Hot helpers take the segment, not its numbers: a double or a uint32 above 2^30 passed to a function that is not
// inlined is boxed on the heap, once per packet per call.
function initEndpoint(ep: Side, seg: Segment): void {
  const flags = seg.flags;
  const seq = seg.seq;
  const lastSeq = (seq + seg.payloadLen) >>> 0;
  const syn = (flags & TCP_SYN) !== 0;
  switch (ep.z) {
    case Z_INACTIVE:
      if (syn) {
        ep.startSeq = seq;
        ep.lastSeq = lastSeq;
      } else {
        // Partial connection: number bytes as though a SYN had been seen, and don't mark the first packet a dup.
        ep.startSeq = (seq - 1) >>> 0;
        ep.lastSeq = seq;
      }
      break;
    case Z_SYN_SENT:
    case Z_SYN_ACK_SENT:
    case Z_ESTABLISHED:
    case Z_PARTIAL:
      if (syn && seq !== ep.startSeq) {
        ep.startSeq = seq;
        ep.lastSeq = lastSeq;
      }
      break;
    case Z_RESET:
      if (syn && ep.zPrev === Z_INACTIVE) {
        ep.startSeq = seq;
        ep.lastSeq = lastSeq;
      }
      break;
  }
}

function updateHistory(conn: Connection, isOrig: boolean, ep: Side, seg: Segment) {
  const flags = seg.flags;
  const len = seg.payloadLen;
  const relSeq = (seg.seq - ep.startSeq) >>> 0;
  const syn = flags & TCP_SYN ? 1 : 0;
  const fin = flags & TCP_FIN ? 1 : 0;
  const rst = flags & TCP_RST ? 1 : 0;
  const bits = syn + fin + rst;
  if (bits > 1) {
    if (fin && rst) checkHistory(conn, isOrig, HIST_FIN_RST, 'I');
    else checkHistory(conn, isOrig, HIST_MULTI, 'Q');
  } else if (bits === 1) {
    if (syn) {
      const code = flags & TCP_ACK ? 'H' : 'S';
      if (checkHistory(conn, isOrig, HIST_SYN, code) && relSeq !== ep.histLastSyn)
        addHistory(conn, isOrig, code);
      ep.histLastSyn = relSeq;
    }
    if (fin) {
      // A FIN's sequence number is the one after its data.
      const finSeq = (relSeq + len) >>> 0;
      if (checkHistory(conn, isOrig, HIST_FIN, 'F') && finSeq !== ep.histLastFin)
        addHistory(conn, isOrig, 'F');
      ep.histLastFin = finSeq;
    }
    if (rst) {
      if (checkHistory(conn, isOrig, HIST_RST, 'R') && relSeq !== ep.histLastRst)
        addHistory(conn, isOrig, 'R');
      ep.histLastRst = relSeq;
    }
  } else if (len > 0) checkHistory(conn, isOrig, HIST_DATA, 'D');
  else if (flags & TCP_ACK) checkHistory(conn, isOrig, HIST_ACK, 'A');
}

function updateLastSeq(conn: Connection, isOrig: boolean, ep: Side, seg: Segment) {
  const flags = seg.flags;
  const len = seg.payloadLen;
  const last = (seg.seq + len) >>> 0;
  const delta = seqDelta(last, ep.lastSeq);
  if (flags & (TCP_SYN | TCP_RST) && (delta > 16384 || delta < -16384)) {
    // Don't trust outlandish sequence numbers on SYN/RST.
  } else if (flags & TCP_FIN && ep.lastSeq === (ep.startSeq + 1) >>> 0) {
    ep.lastSeq = last;
  } else if (ep.z === Z_RESET) {
    // Nothing after a RST is trusted.
  } else if (delta > 0) {
    ep.lastSeq = last;
  } else if (len > 0) {
    ep.rxmt++;
    ep.rxmtThresh = scaled(conn, isOrig, ep.rxmt, ep.rxmtThresh, 'T');
    conn.histSeen |= isOrig ? HIST_RXMIT : HIST_RXMIT << 16;
  }
}

function updateStateMachine(
  conn: Connection,
  seg: Segment,
  ep: Side,
  peer: Side,
  isOrig: boolean,
  attemptDelay: number,
): void {
  const t = seg.ts;
  const flags = seg.flags;
  const len = seg.payloadLen;
  const syn = (flags & TCP_SYN) !== 0;
  const fin = (flags & TCP_FIN) !== 0;
  const rst = (flags & TCP_RST) !== 0;
  const ack = (flags & TCP_ACK) !== 0;
  switch (ep.z) {
    case Z_INACTIVE:
      if (syn) {
        if (isOrig) {
          setState(conn, ep, ack ? Z_SYN_ACK_SENT : Z_SYN_SENT, t);
          if (Number.isNaN(conn.attemptAt)) conn.attemptAt = t + attemptDelay;
        } else {
          if (!ack && peer.z === Z_SYN_ACK_SENT) {
            // SYN and SYN-ACK were captured in reverse order: the SYN sender is the originator.
            flipRoles(conn);
            setState(conn, peer, Z_ESTABLISHED, t);
          }
          if (peer.z === Z_SYN_SENT) setState(conn, peer, Z_ESTABLISHED, t);
          setState(conn, ep, Z_ESTABLISHED, t);
        }
        if (fin) setState(conn, ep, Z_CLOSED, t);
        if (rst) setState(conn, ep, Z_RESET, t);
      } else if (fin) {
        setState(conn, ep, Z_CLOSED, t);
      } else if (rst) {
        setState(conn, ep, Z_RESET, t);
      } else if (!isOrig && len === 0 && ack && peer.z === Z_SYN_SENT) {
        // Some TCPs ACK the SYN before sending the SYN-ACK: ignored, as Zeek does.
      } else if (ack && peer.z === Z_ESTABLISHED) {
        setState(conn, ep, Z_ESTABLISHED, t);
      } else {
        setState(conn, ep, Z_PARTIAL, t);
      }
      break;
    case Z_SYN_SENT:
    case Z_SYN_ACK_SENT:
      if (fin) setState(conn, ep, Z_CLOSED, t);
      if (rst) setState(conn, ep, Z_RESET, t);
      break;
    case Z_ESTABLISHED:
    case Z_PARTIAL:
      if (syn && ep.z === Z_PARTIAL && isOrig && peer.z === Z_INACTIVE && !ack) {
        setState(conn, ep, Z_SYN_SENT, t);
      }
      if (fin && !rst) {
        setState(conn, ep, Z_CLOSED, t);
        // The peer sent FIN then RST: that was a normal termination after all.
        if (peer.z === Z_RESET && peer.zPrev === Z_CLOSED) {
          peer.z = Z_CLOSED;
          peer.zPrev = Z_RESET;
        }
      }
      if (rst) setState(conn, ep, Z_RESET, t);
      break;
    case Z_CLOSED:
      if (rst && peer.z !== Z_CLOSED) setState(conn, ep, Z_RESET, t);
      break;
    default:
      break;
  }
}

/** Zeek's `conn_state` (base/protocols/conn/main.zeek), from the two endpoint states and the history. */
export function connState(conn: Connection): ConnState {
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
export function size(side: Side): number {
  if (side.z === Z_INACTIVE) return 0;
  const rel = (side.lastSeq - side.startSeq) >>> 0;
  // The SYN (or the virtual one of a partial connection) occupies the first sequence number.
  return rel > 0 ? rel - 1 : 0;
}
