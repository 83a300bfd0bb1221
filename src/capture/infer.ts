/**
 * Inference of each endpoint's RFC 9293 state from the segments that crossed the wire (reference/pcap-state.md §6).
 *
 * A segment sent by X is "X has done it"; a segment X sent reaches Y at the moment we see it (the capture point is
 * assumed close to both). Every segment is turned into endpoint *events* (X closes, Y receives a FIN, Y receives the
 * ACK of its FIN, ...) and the state-machine engine decides where each moves the endpoint: `nextStateIndex` reads
 * a table made once from src/fsm `step()` (engine-moves.ts). Every move is also checked against the RFC transition
 * table; a move the table does not have is not applied but reported as an `unexpected-segment` anomaly.
 */
import { TCP_STATES, type TcpState } from '../states/states.ts';
import { type Connection, S, type Side } from './conn.ts';
import { type Segment, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './decode.ts';
import { type EndpointEvent, nextStateIndex } from './engine-moves.ts';
import { isRfcMove } from './transitions.ts';
import { seqDelta } from './zeek.ts';

export { type EndpointEvent, nextState } from './engine-moves.ts';

export interface InferOptions {
  /** TIME_WAIT length assumed for the endpoints (Linux: 60 s). */
  timeWait: number;
}

function sideName(conn: Connection, side: Side): 'orig' | 'resp' {
  return side === conn.orig ? 'orig' : 'resp';
}

/** Sets the first known state of a side (assumed, not observed). */
function begin(side: Side, state: TcpState, t: number, assumed: boolean): void {
  side.rfc = S[state];
  side.tr.push(side.rfc, t);
  side.assumedStart = assumed;
}

/** Applies `event` to `side` at time t if the state machine moves it; validates against the RFC table. */
function apply(conn: Connection, side: Side, event: EndpointEvent, t: number): boolean {
  if (side.rfc < 0) return false;
  const toIndex = nextStateIndex(side.rfc, event);
  if (toIndex < 0 || toIndex === side.rfc) return false;
  if (!isRfcMove(side.rfc, toIndex)) {
    const from = TCP_STATES[side.rfc]!;
    const to = TCP_STATES[toIndex]!;
    conn.note({
      kind: 'unexpected-segment',
      at: t,
      side: sideName(conn, side),
      message: `${event} would move ${from} to ${to}, which RFC 9293 does not allow; not applied`,
    });
    return false;
  }
  side.rfc = toIndex;
  side.tr.push(toIndex, t);
  if (toIndex === S.TIME_WAIT) side.timeWaitAt = t;
  return true;
}

/** Lets timers run until `now`: TIME_WAIT ends after the configured length. */
export function settle(side: Side, now: number, options: InferOptions): void {
  if (side.rfc === S.TIME_WAIT) side.timeWaitUntil = side.timeWaitAt + options.timeWait;
  if (side.rfc === S.TIME_WAIT && now >= side.timeWaitAt + options.timeWait) {
    side.rfc = S.CLOSED;
    side.tr.push(side.rfc, side.timeWaitAt + options.timeWait);
  }
}

/** Ends a TIME_WAIT early because the tuple is reused; returns how long it lasted (NaN if not in TIME_WAIT). */
export function cutTimeWait(conn: Connection, side: Side, t: number): number {
  if (side.rfc !== S.TIME_WAIT) return Number.NaN;
  const lasted = t - side.timeWaitAt;
  side.rfc = S.CLOSED;
  side.tr.push(side.rfc, t);
  conn.note({
    kind: 'time-wait',
    at: t,
    side: sideName(conn, side),
    message: `TIME_WAIT ended by a new SYN on the same tuple after ${lasted.toFixed(3)} s`,
    value: lasted,
  });
  return lasted;
}

/** Updates both endpoints' RFC states for a segment sent by `x` to `y`. */
export function inferSegment(conn: Connection, x: Side, y: Side, seg: Segment, options: InferOptions): void {
  const t = seg.ts;
  const flags = seg.flags;
  const syn = (flags & TCP_SYN) !== 0;
  const ack = (flags & TCP_ACK) !== 0;
  const fin = (flags & TCP_FIN) !== 0;
  const rst = (flags & TCP_RST) !== 0;
  if (x.rfc === S.TIME_WAIT) settle(x, t, options);
  if (y.rfc === S.TIME_WAIT) settle(y, t, options);

  // First sight of X: what state must it have been in to send this?
  if (x.rfc < 0) {
    if (syn && !ack) {
      begin(x, 'CLOSED', t, true);
      apply(conn, x, 'send-syn', t);
      if (y.rfc < 0) begin(y, 'LISTEN', t, true);
    } else if (syn && ack) {
      // Passive side answering: it was listening and received the SYN (when we saw it, if we did).
      begin(x, 'LISTEN', Number.isNaN(y.firstSynAt) ? t : y.firstSynAt, true);
      if (y.rfc < 0) begin(y, 'SYN_SENT', t, true);
    } else if (rst && y.rfc >= 0 && y.rfc === S.SYN_SENT) {
      // A RST answering a SYN: nothing listens on that port.
      x.tr.length = 0;
      begin(x, 'CLOSED', t, true);
    } else {
      begin(x, 'ESTABLISHED', t, true);
      if (y.rfc < 0) begin(y, 'ESTABLISHED', t, true);
      if (!syn && !conn.has('midstream')) {
        conn.note({
          kind: 'midstream',
          at: t,
          message: 'picked up mid-stream: the handshake was not captured',
        });
      }
    }
  } else if (y.rfc < 0) {
    begin(y, syn && ack ? 'SYN_SENT' : 'ESTABLISHED', t, true);
  }

  if (syn) {
    if (!x.hasIsn) {
      x.isn = seg.seq;
      x.hasIsn = true;
    }
    if (!ack) {
      if (x.rfc === S.LISTEN && y.rfc === S.SYN_SENT) {
        // Both sides sent a SYN: simultaneous open.
        apply(conn, x, 'send-syn', t);
        apply(conn, x, 'rcv-syn', t);
        apply(conn, y, 'rcv-syn', t);
        conn.note({ kind: 'simultaneous-open', at: t, message: 'both sides sent a SYN (simultaneous open)' });
      }
    } else {
      // SYN-ACK: X received the SYN (at the SYN's time, if we saw it) and answers.
      apply(conn, x, 'rcv-syn', Number.isNaN(y.firstSynAt) ? t : Math.max(y.firstSynAt, x.tr[1] ?? t));
      if (y.rfc === S.SYN_SENT && (!y.hasIsn || seg.ack === (y.isn + 1) >>> 0))
        apply(conn, y, 'rcv-syn-ack', t);
      else if (y.rfc === S.SYN_RECEIVED) apply(conn, y, 'rcv-ack-of-syn', t);
    }
  }

  if (ack && !rst) {
    if (x.rfc === S.SYN_SENT && !syn) {
      // X acknowledges without our having seen the SYN-ACK: it got one (one-sided capture).
      apply(conn, y, 'rcv-syn', t);
      apply(conn, x, 'rcv-syn-ack', t);
      if (!conn.has('one-sided')) {
        conn.note({
          kind: 'one-sided',
          at: t,
          side: sideName(conn, y),
          message: `only one direction captured: ${sideName(conn, y)}'s packets are missing`,
        });
      }
    }
    if (y.rfc === S.SYN_RECEIVED && !syn && (!y.hasIsn || seqDelta(seg.ack, y.isn) > 0)) {
      apply(conn, y, 'rcv-ack-of-syn', t);
      if (Number.isNaN(conn.rttSynAckToAck) && !Number.isNaN(conn.synAckAt)) {
        conn.rttSynAckToAck = t - conn.synAckAt;
      }
    }
    if (y.sentFin && !y.finAcked && seqDelta(seg.ack, y.finAck) >= 0) {
      y.finAcked = true;
      apply(conn, y, 'rcv-ack-of-fin', t);
    }
    if (!x.acked || seqDelta(seg.ack, x.ackNo) > 0) {
      x.ackNo = seg.ack;
      x.acked = true;
    }
  }

  if (fin && !rst) {
    const finAck = (seg.seq + seg.payloadLen + (syn ? 1 : 0) + 1) >>> 0;
    const retransmitted = x.sentFin && finAck === x.finAck;
    if (retransmitted) {
      const lost = y.rfc === S.TIME_WAIT || (y.rfc === S.CLOSED && x.finAcked);
      conn.note({
        kind: lost ? 'lost-final-ack' : 'retransmitted-fin',
        at: t,
        side: sideName(conn, x),
        message: lost
          ? `${sideName(conn, x)} retransmitted its FIN although ${sideName(conn, y)} had ACKed it: the final ACK was lost; ${sideName(conn, y)} re-ACKs from TIME_WAIT, still there after ${(t - y.timeWaitAt).toFixed(3)} s`
          : `${sideName(conn, x)} retransmitted its FIN (not yet acknowledged)`,
      });
      if (y.rfc === S.TIME_WAIT) y.timeWaitAt = t;
    }
    if (!x.sentFin && x.rfc === S.CLOSE_WAIT && y.sentFin && (!ack || seqDelta(seg.ack, y.finAck) < 0)) {
      // X's FIN does not acknowledge Y's: X sent it before Y's FIN reached it. We had let X receive Y's FIN when
      // we saw it; the ACK number proves the order was the other way: a simultaneous close.
      x.tr.length -= 2;
      x.rfc = x.tr[x.tr.length - 2]!;
      x.sentFin = true;
      x.finAck = finAck;
      x.finApplied = apply(conn, x, 'send-fin', t);
      apply(conn, x, 'rcv-fin', t);
      apply(conn, y, 'rcv-fin', t);
      conn.note({
        kind: 'simultaneous-close',
        at: t,
        message: 'both sides sent a FIN before receiving the other’s (CLOSING)',
      });
    }
    if (!x.sentFin || (retransmitted && !x.finApplied)) {
      x.sentFin = true;
      x.finAck = finAck;
      const before = x.rfc;
      x.finApplied = apply(conn, x, 'send-fin', t);
      if (x.finApplied) {
        const yBefore = y.rfc;
        apply(conn, y, 'rcv-fin', t);
        if (yBefore === S.FIN_WAIT_1 && y.rfc === S.CLOSING) {
          conn.note({ kind: 'simultaneous-close', at: t, message: 'both sides closed at once (CLOSING)' });
        }
      } else if (before === S.SYN_SENT) {
        conn.note({
          kind: 'unexpected-segment',
          at: t,
          side: sideName(conn, x),
          message: `${sideName(conn, x)} sent a FIN before the handshake completed (applied once it is established)`,
        });
      }
    }
  } else if (seg.payloadLen > 0 && x.sentFin && seqDelta(seg.seq, x.finAck) >= 0) {
    conn.note({
      kind: 'data-after-close',
      at: t,
      side: sideName(conn, x),
      message: 'data after its own FIN',
    });
  }

  if (rst) {
    const xState = x.rfc < 0 ? undefined : TCP_STATES[x.rfc];
    const yState = y.rfc < 0 ? undefined : TCP_STATES[y.rfc];
    if (Number.isNaN(x.rstAt)) x.rstAt = t;
    if (xState === 'CLOSED' && yState === 'CLOSED') return;
    const refused =
      yState === 'SYN_SENT' && (xState === 'LISTEN' || xState === 'CLOSED' || xState === undefined);
    const firstFromX = x.pkts <= 1;
    apply(conn, x, 'send-rst', t);
    apply(conn, y, 'rcv-rst', t);
    if (refused) {
      // The LISTEN we assumed on seeing the SYN was wrong: nothing listens there.
      if (x.rfc === S.LISTEN && x.tr.length === 2) {
        x.rfc = S.CLOSED;
        x.tr[0] = S.CLOSED;
      }
      conn.note({
        kind: 'rejected',
        at: t,
        side: sideName(conn, x),
        message: `${sideName(conn, x)} refused the connection (RST answering the SYN)`,
      });
    } else {
      const who = sideName(conn, x);
      const half = firstFromX && !syn && yState !== undefined && yState !== 'SYN_SENT';
      conn.note({
        kind: half ? 'half-open' : 'reset',
        at: t,
        side: who,
        message: half
          ? `${who}'s first packet is a RST answering ${sideName(conn, y)}: ${who} had no such connection (half-open)`
          : `${who} reset the connection (${who} was ${xState ?? 'unknown'}, ${sideName(conn, y)} was ${yState ?? 'unknown'})`,
      });
    }
  }
}
