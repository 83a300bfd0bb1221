/**
 * Inference of each endpoint's RFC 9293 state from the segments that crossed the wire (RFC 9293 §3.10 event processing, seen from a third point on the path).
 *
 * A segment sent by X is "X has done it"; a segment X sent reaches Y at the moment we see it (the capture point is
 * assumed close to both). Every segment is turned into endpoint *events* (X closes, Y receives a FIN, Y receives the
 * ACK of its FIN, ...) and the state-machine engine decides where each moves the endpoint: `nextStateIndex` reads
 * a table made once from src/fsm `step()` (engine-moves.ts). Every move is also checked against the RFC transition
 * table; a move the table does not have is not applied but reported as an `unexpected-segment` anomaly.
 */
import { TCP_STATES } from '../states/states.ts';
import { S } from './conn.ts';
import { type DecodedSegment, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './decode.ts';
import { ENDPOINT_EVENTS, EV, nextStateIndex } from './engine-moves.ts';
import type { FlowStore } from './flows.ts';
import {
  CD_RTT_SYN_ACK_TO_ACK,
  CD_SYN_ACK_AT,
  CONN_DOUBLES_STRIDE,
  D_FIRST_SYN_AT,
  D_PKTS,
  D_RST_AT,
  D_TIME_WAIT_AT,
  D_TIME_WAIT_UNTIL,
  I_ACKED,
  I_ASSUMED_START,
  I_FIN_ACKED,
  I_FIN_APPLIED,
  I_HAS_ISN,
  I_RFC,
  I_SENT_FIN,
  SIDE_DOUBLES_STRIDE as SD,
  SIDE_INTS_STRIDE as SI,
  U_ACK_NO,
  U_FIN_ACK,
  U_ISN,
} from './layout.ts';
import { isRfcMove } from './transitions.ts';
import { seqDelta } from './zeek.ts';

export { type EndpointEvent, nextState } from './engine-moves.ts';

export interface InferOptions {
  /** TIME_WAIT length assumed for the endpoints (Linux: 60 s). */
  timeWait: number;
}

function rfcOf(st: FlowStore, s: number): number {
  return st.i32[s * SI + I_RFC]!;
}

/** Puts side `s` in `state` from time t, and records it in the side's state history. */
function enter(st: FlowStore, s: number, state: number, t: number): void {
  st.i32[s * SI + I_RFC] = state;
  st.trPush(s, state, t);
}

// The per-segment moves take the segment and read its time themselves: a double passed to a call V8 does not
// inline is boxed, an allocation per call, and inferSegment is too large for all of its calls to be inlined. The
// *At forms, for a time other than the segment's, are for the rarer moves.

/** Sets the first known state of a side (assumed, not observed), at the segment's time. */
function begin(st: FlowStore, s: number, state: number, seg: DecodedSegment, assumed: boolean): void {
  beginAt(st, s, state, seg.ts, assumed);
}

function beginAt(st: FlowStore, s: number, state: number, t: number, assumed: boolean): void {
  enter(st, s, state, t);
  st.i32[s * SI + I_ASSUMED_START] = assumed ? 1 : 0;
}

/** Applies `event` to side `s` at the segment's time if the state machine moves it (see applyAt). */
function apply(st: FlowStore, c: number, s: number, event: number, seg: DecodedSegment): boolean {
  return applyAt(st, c, s, event, seg.ts);
}

/** Applies `event` to side `s` at time t if the state machine moves it; validates against the RFC table. */
function applyAt(st: FlowStore, c: number, s: number, event: number, t: number): boolean {
  const from = rfcOf(st, s);
  if (from < 0) return false;
  const toIndex = nextStateIndex(from, event);
  if (toIndex < 0 || toIndex === from) return false;
  if (!isRfcMove(from, toIndex)) {
    st.note(c, {
      kind: 'unexpected-segment',
      at: t,
      side: st.sideName(c, s),
      message: `${ENDPOINT_EVENTS[event]} would move ${TCP_STATES[from]} to ${TCP_STATES[toIndex]}, which RFC 9293 does not allow; not applied`,
    });
    return false;
  }
  enter(st, s, toIndex, t);
  if (toIndex === S.TIME_WAIT) st.f64[s * SD + D_TIME_WAIT_AT] = t;
  return true;
}

/**
 * Whether side s is in TIME_WAIT, the one state settle() acts on. Callers outside the per-segment path ask first:
 * a call to settle boxes its time argument even when there is nothing to settle.
 */
export function inTimeWait(st: FlowStore, s: number): boolean {
  return st.i32[s * SI + I_RFC] === S.TIME_WAIT;
}

/** Lets timers run until `now`: TIME_WAIT ends after the configured length. */
export function settle(st: FlowStore, s: number, now: number, options: InferOptions): void {
  if (rfcOf(st, s) !== S.TIME_WAIT) return;
  const until = st.f64[s * SD + D_TIME_WAIT_AT]! + options.timeWait;
  st.f64[s * SD + D_TIME_WAIT_UNTIL] = until;
  if (now >= until) enter(st, s, S.CLOSED, until);
}

/** Ends a TIME_WAIT early because the tuple is reused; returns how long it lasted (NaN if not in TIME_WAIT). */
export function cutTimeWait(st: FlowStore, c: number, s: number, t: number): number {
  if (rfcOf(st, s) !== S.TIME_WAIT) return Number.NaN;
  const lasted = t - st.f64[s * SD + D_TIME_WAIT_AT]!;
  enter(st, s, S.CLOSED, t);
  st.note(c, {
    kind: 'time-wait',
    at: t,
    side: st.sideName(c, s),
    message: `TIME_WAIT ended by a new SYN on the same tuple after ${lasted.toFixed(3)} s`,
    value: lasted,
  });
  return lasted;
}

/**
 * Remembers the highest acknowledgement number side `x` has sent. This is all an established data segment or bare
 * ACK changes here (see zeekEstablished: the tracker calls this alone for those).
 */
export function noteAck(st: FlowStore, x: number, seg: DecodedSegment): void {
  const xi = x * SI;
  if (!st.i32[xi + I_ACKED] || seqDelta(seg.ack, st.u32[xi + U_ACK_NO]!) > 0) {
    st.u32[xi + U_ACK_NO] = seg.ack;
    st.i32[xi + I_ACKED] = 1;
  }
}

/** Updates both endpoints' RFC states for a segment sent by side `x` to side `y` of connection `c`. */
export function inferSegment(
  st: FlowStore,
  c: number,
  x: number,
  y: number,
  seg: DecodedSegment,
  options: InferOptions,
): void {
  const t = seg.ts;
  const flags = seg.flags;
  const syn = (flags & TCP_SYN) !== 0;
  const ack = (flags & TCP_ACK) !== 0;
  const fin = (flags & TCP_FIN) !== 0;
  const rst = (flags & TCP_RST) !== 0;
  const si = st.i32;
  const su = st.u32;
  const sd = st.f64;
  const xi = x * SI;
  const yi = y * SI;
  const xd = x * SD;
  const yd = y * SD;
  if (si[xi + I_RFC] === S.TIME_WAIT) settle(st, x, t, options);
  if (si[yi + I_RFC] === S.TIME_WAIT) settle(st, y, t, options);

  // First sight of X: what state must it have been in to send this?
  if (si[xi + I_RFC]! < 0) {
    if (syn && !ack) {
      begin(st, x, S.CLOSED, seg, true);
      apply(st, c, x, EV.SEND_SYN, seg);
      if (si[yi + I_RFC]! < 0) begin(st, y, S.LISTEN, seg, true);
    } else if (syn && ack) {
      // Passive side answering: it was listening and received the SYN (when we saw it, if we did).
      const synAt = sd[yd + D_FIRST_SYN_AT]!;
      beginAt(st, x, S.LISTEN, Number.isNaN(synAt) ? t : synAt, true);
      if (si[yi + I_RFC]! < 0) begin(st, y, S.SYN_SENT, seg, true);
    } else if (rst && si[yi + I_RFC] === S.SYN_SENT) {
      // A RST answering a SYN: nothing listens on that port.
      st.trTruncate(x, 0);
      begin(st, x, S.CLOSED, seg, true);
    } else {
      begin(st, x, S.ESTABLISHED, seg, true);
      if (si[yi + I_RFC]! < 0) begin(st, y, S.ESTABLISHED, seg, true);
      if (!syn && !st.has(c, 'midstream')) {
        st.note(c, {
          kind: 'midstream',
          at: t,
          message: 'picked up mid-stream: the handshake was not captured',
        });
      }
    }
  } else if (si[yi + I_RFC]! < 0) {
    begin(st, y, syn && ack ? S.SYN_SENT : S.ESTABLISHED, seg, true);
  }

  if (syn) {
    if (!si[xi + I_HAS_ISN]) {
      su[xi + U_ISN] = seg.seq;
      si[xi + I_HAS_ISN] = 1;
    }
    if (!ack) {
      if (si[xi + I_RFC] === S.LISTEN && si[yi + I_RFC] === S.SYN_SENT) {
        // Both sides sent a SYN: simultaneous open.
        apply(st, c, x, EV.SEND_SYN, seg);
        apply(st, c, x, EV.RCV_SYN, seg);
        apply(st, c, y, EV.RCV_SYN, seg);
        st.note(c, {
          kind: 'simultaneous-open',
          at: t,
          message: 'both sides sent a SYN (simultaneous open)',
        });
      }
    } else {
      // SYN-ACK: X received the SYN (at the SYN's time, if we saw it) and answers.
      const synAt = sd[yd + D_FIRST_SYN_AT]!;
      const xSince = st.trLen(x) > 0 ? st.trTime(x, 0) : t;
      applyAt(st, c, x, EV.RCV_SYN, Number.isNaN(synAt) ? t : Math.max(synAt, xSince));
      if (si[yi + I_RFC] === S.SYN_SENT && (!si[yi + I_HAS_ISN] || seg.ack === (su[yi + U_ISN]! + 1) >>> 0))
        apply(st, c, y, EV.RCV_SYN_ACK, seg);
      else if (si[yi + I_RFC] === S.SYN_RECEIVED) apply(st, c, y, EV.RCV_ACK_OF_SYN, seg);
    }
  }

  if (ack && !rst) {
    if (si[xi + I_RFC] === S.SYN_SENT && !syn) {
      // X acknowledges without our having seen the SYN-ACK: it got one (one-sided capture).
      apply(st, c, y, EV.RCV_SYN, seg);
      apply(st, c, x, EV.RCV_SYN_ACK, seg);
      if (!st.has(c, 'one-sided')) {
        const missing = st.sideName(c, y);
        st.note(c, {
          kind: 'one-sided',
          at: t,
          side: missing,
          message: `only one direction captured: ${missing}'s packets are missing`,
        });
      }
    }
    if (
      si[yi + I_RFC] === S.SYN_RECEIVED &&
      !syn &&
      (!si[yi + I_HAS_ISN] || seqDelta(seg.ack, su[yi + U_ISN]!) > 0)
    ) {
      apply(st, c, y, EV.RCV_ACK_OF_SYN, seg);
      const cd = st.f64;
      const cdi = c * CONN_DOUBLES_STRIDE;
      if (Number.isNaN(cd[cdi + CD_RTT_SYN_ACK_TO_ACK]) && !Number.isNaN(cd[cdi + CD_SYN_ACK_AT])) {
        cd[cdi + CD_RTT_SYN_ACK_TO_ACK] = t - cd[cdi + CD_SYN_ACK_AT]!;
      }
    }
    if (si[yi + I_SENT_FIN] && !si[yi + I_FIN_ACKED] && seqDelta(seg.ack, su[yi + U_FIN_ACK]!) >= 0) {
      si[yi + I_FIN_ACKED] = 1;
      apply(st, c, y, EV.RCV_ACK_OF_FIN, seg);
    }
    noteAck(st, x, seg);
  }

  if (fin && !rst) {
    const finAck = (seg.seq + seg.payloadLen + (syn ? 1 : 0) + 1) >>> 0;
    const retransmitted = si[xi + I_SENT_FIN] === 1 && finAck === su[xi + U_FIN_ACK];
    if (retransmitted) {
      const yRfc = si[yi + I_RFC];
      const lost = yRfc === S.TIME_WAIT || (yRfc === S.CLOSED && si[xi + I_FIN_ACKED] === 1);
      const xName = st.sideName(c, x);
      const yName = st.sideName(c, y);
      st.note(c, {
        kind: lost ? 'lost-final-ack' : 'retransmitted-fin',
        at: t,
        side: xName,
        message: lost
          ? `${xName} retransmitted its FIN although ${yName} had ACKed it: the final ACK was lost; ${yName} re-ACKs from TIME_WAIT, still there after ${(t - sd[yd + D_TIME_WAIT_AT]!).toFixed(3)} s`
          : `${xName} retransmitted its FIN (not yet acknowledged)`,
      });
      if (yRfc === S.TIME_WAIT) sd[yd + D_TIME_WAIT_AT] = t;
    }
    if (
      !si[xi + I_SENT_FIN] &&
      si[xi + I_RFC] === S.CLOSE_WAIT &&
      si[yi + I_SENT_FIN] &&
      (!ack || seqDelta(seg.ack, su[yi + U_FIN_ACK]!) < 0)
    ) {
      // X's FIN does not acknowledge Y's: X sent it before Y's FIN reached it. We had let X receive Y's FIN when
      // we saw it; the ACK number proves the order was the other way: a simultaneous close.
      const n = st.trLen(x) - 1;
      st.trTruncate(x, n);
      si[xi + I_RFC] = st.trState(x, n - 1);
      si[xi + I_SENT_FIN] = 1;
      su[xi + U_FIN_ACK] = finAck;
      si[xi + I_FIN_APPLIED] = apply(st, c, x, EV.SEND_FIN, seg) ? 1 : 0;
      apply(st, c, x, EV.RCV_FIN, seg);
      apply(st, c, y, EV.RCV_FIN, seg);
      st.note(c, {
        kind: 'simultaneous-close',
        at: t,
        message: 'both sides sent a FIN before receiving the other’s (CLOSING)',
      });
    }
    if (!si[xi + I_SENT_FIN] || (retransmitted && !si[xi + I_FIN_APPLIED])) {
      si[xi + I_SENT_FIN] = 1;
      su[xi + U_FIN_ACK] = finAck;
      const before = si[xi + I_RFC];
      const applied = apply(st, c, x, EV.SEND_FIN, seg);
      si[xi + I_FIN_APPLIED] = applied ? 1 : 0;
      if (applied) {
        const yBefore = si[yi + I_RFC];
        apply(st, c, y, EV.RCV_FIN, seg);
        if (yBefore === S.FIN_WAIT_1 && si[yi + I_RFC] === S.CLOSING) {
          st.note(c, { kind: 'simultaneous-close', at: t, message: 'both sides closed at once (CLOSING)' });
        }
      } else if (before === S.SYN_SENT) {
        const xName = st.sideName(c, x);
        st.note(c, {
          kind: 'unexpected-segment',
          at: t,
          side: xName,
          message: `${xName} sent a FIN before the handshake completed (applied once it is established)`,
        });
      }
    }
  } else if (seg.payloadLen > 0 && si[xi + I_SENT_FIN] && seqDelta(seg.seq, su[xi + U_FIN_ACK]!) >= 0) {
    st.note(c, {
      kind: 'data-after-close',
      at: t,
      side: st.sideName(c, x),
      message: 'data after its own FIN',
    });
  }

  if (rst) {
    const xRfc = si[xi + I_RFC]!;
    const yRfc = si[yi + I_RFC]!;
    const xState = xRfc < 0 ? undefined : TCP_STATES[xRfc];
    const yState = yRfc < 0 ? undefined : TCP_STATES[yRfc];
    if (Number.isNaN(sd[xd + D_RST_AT])) sd[xd + D_RST_AT] = t;
    if (xState === 'CLOSED' && yState === 'CLOSED') return;
    const refused =
      yState === 'SYN_SENT' && (xState === 'LISTEN' || xState === 'CLOSED' || xState === undefined);
    const firstFromX = sd[xd + D_PKTS]! <= 1;
    apply(st, c, x, EV.SEND_RST, seg);
    apply(st, c, y, EV.RCV_RST, seg);
    const who = st.sideName(c, x);
    const other = st.sideName(c, y);
    if (refused) {
      // The LISTEN we assumed on seeing the SYN was wrong: nothing listens there.
      if (si[xi + I_RFC] === S.LISTEN && st.trLen(x) === 1) {
        si[xi + I_RFC] = S.CLOSED;
        st.trSetState(x, 0, S.CLOSED);
      }
      st.note(c, {
        kind: 'rejected',
        at: t,
        side: who,
        message: `${who} refused the connection (RST answering the SYN)`,
      });
    } else {
      const half = firstFromX && !syn && yState !== undefined && yState !== 'SYN_SENT';
      st.note(c, {
        kind: half ? 'half-open' : 'reset',
        at: t,
        side: who,
        message: half
          ? `${who}'s first packet is a RST answering ${other}: ${who} had no such connection (half-open)`
          : `${who} reset the connection (${who} was ${xState ?? 'unknown'}, ${other} was ${yState ?? 'unknown'})`,
      });
    }
  }
}
