/**
 * A pure RFC 9293 state machine: `step(tcb, event, now, profile)` returns the next control block, the segments to
 * send, the timer deadlines and the ids of the transition-table rows that fired. No clocks, no I/O: the caller
 * owns time (Fuchsia netstack3 style) and delivers timeouts as events when a deadline passes.
 *
 * Structure follows RFC 9293 §3.10 (Event Processing): user calls (§3.10.1-§3.10.6), SEGMENT ARRIVES
 * (§3.10.7.1 CLOSED, §3.10.7.2 LISTEN, §3.10.7.3 SYN-SENT, §3.10.7.4 the synchronized states in step order),
 * and timeouts (§3.10.8). Simplifications, documented in docs/state-machine.md: data is sent as soon as SEND is
 * called (no Nagle, no congestion control), every acceptable data segment is ACKed at once (no delayed ACK),
 * no URG processing beyond recognising the bit, IP security compartments are not modelled.
 */
import { stateName, TCP_STATES, type TcpState } from '../states/states.ts';
import { PROFILES, type Profile } from './profiles.ts';
import { seqAdd, seqDiff, seqGt, seqInWindow, seqLe, seqLt } from './seq.ts';
import {
  type CallError,
  type ConnectionError,
  ERROR_TEXT,
  type Flags,
  type Segment,
  type StepResult,
  type Tcb,
  type TcpEvent,
  type TimerName,
  type Timers,
  type UserCall,
} from './types.ts';

export const DEFAULT_WINDOW = 65535;

/** RFC spellings (SYN-RECEIVED, ...), as the transition table's row ids use them: the one table in src/states. */
export const RFC_NAME = Object.fromEntries(TCP_STATES.map((s) => [s, stateName(s)])) as Record<
  TcpState,
  string
>;

/** The id of a row of rfc9293-transitions.json. */
export function rowId(state: TcpState, event: string, condition?: string): string {
  return condition ? `${stateName(state)}|${event}|${condition}` : `${stateName(state)}|${event}`;
}

/** A fresh control block in CLOSED. */
export function newTcb(profile: Profile = PROFILES.rfc): Tcb {
  return {
    state: 'CLOSED',
    origin: null,
    remoteKnown: false,
    iss: 0,
    irs: 0,
    sndUna: 0,
    sndNxt: 0,
    sndWnd: 0,
    sndWl1: 0,
    sndWl2: 0,
    rcvNxt: 0,
    rcvWnd: DEFAULT_WINDOW,
    sendQueued: 0,
    unread: 0,
    closeQueued: false,
    orphaned: false,
    finSeq: null,
    retransmits: 0,
    rto: profile.initialRto,
    srtt: null,
    rttvar: 0,
    rttStart: null,
    timers: {},
  };
}

/** Sequence space a segment occupies: SEG.LEN counts SYN and FIN (RFC 9293 §3.4). */
export function segLen(seg: Segment): number {
  return seg.len + (seg.flags.syn ? 1 : 0) + (seg.flags.fin ? 1 : 0);
}

/** Table 6 acceptability test (RFC 9293 §3.10.7.4, first check). */
export function isAcceptable(tcb: Tcb, seg: Segment): boolean {
  const len = segLen(seg);
  const wnd = tcb.rcvWnd;
  if (len === 0 && wnd === 0) return seg.seq === tcb.rcvNxt;
  if (len === 0) return seqInWindow(seg.seq, tcb.rcvNxt, wnd);
  if (wnd === 0) return false;
  return seqInWindow(seg.seq, tcb.rcvNxt, wnd) || seqInWindow(seqAdd(seg.seq, len - 1), tcb.rcvNxt, wnd);
}

const NO_FLAGS: Flags = { syn: false, ack: false, fin: false, rst: false };

function flags(...names: Array<keyof Flags>): Flags {
  const f: Flags = { ...NO_FLAGS };
  for (const n of names) f[n] = true;
  return f;
}

/** Mutable working state of one step. */
class Step {
  tcb: Tcb;
  readonly profile: Profile;
  readonly now: number;
  readonly out: Segment[] = [];
  readonly rows: string[] = [];
  message: string | undefined;
  callError: CallError | undefined;
  connectionError: ConnectionError | undefined;
  note: string | undefined;

  constructor(tcb: Tcb, profile: Profile, now: number) {
    this.tcb = { ...tcb, timers: { ...tcb.timers } };
    this.profile = profile;
    this.now = now;
  }

  row(event: string, condition?: string, state: TcpState = this.tcb.state): void {
    this.rows.push(rowId(state, event, condition));
  }

  send(f: Flags, seq: number, ack: number, len = 0): void {
    if (f.syn || f.fin || len > 0) this.tcb.rttStart = this.now;
    this.out.push({ seq, ack: f.ack ? ack : 0, flags: f, len, wnd: f.rst ? 0 : this.tcb.rcvWnd });
  }

  /** <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
  sendAck(): void {
    this.send(flags('ack'), this.tcb.sndNxt, this.tcb.rcvNxt);
  }

  /** The RST reply of RFC 9293 §3.5.2 / §3.10.7.1 to a segment that should not have arrived. */
  sendResetFor(seg: Segment): void {
    if (seg.flags.ack) this.send(flags('rst'), seg.ack, 0);
    else this.send(flags('rst', 'ack'), 0, seqAdd(seg.seq, segLen(seg)));
  }

  start(timer: TimerName, after: number): void {
    this.tcb.timers[timer] = this.now + after;
  }

  stop(timer: TimerName): void {
    delete this.tcb.timers[timer];
  }

  stopAll(): void {
    this.tcb.timers = {};
  }

  enter(state: TcpState): void {
    this.tcb.state = state;
  }

  /** Enter CLOSED and delete the TCB (keeping the profile-independent fields readable for traces). */
  close(error?: ConnectionError, message?: string): void {
    this.stopAll();
    this.tcb.state = 'CLOSED';
    this.tcb.closeQueued = false;
    if (error) this.connectionError = error;
    if (message) this.message = message;
  }

  /** Refuses the user call: the typed error, and RFC 9293's `error: ...` text for traces. */
  refuse(error: CallError): void {
    this.callError = error;
    this.message = `error: ${ERROR_TEXT[error.error]}`;
  }

  enterTimeWait(): void {
    // RFC 9293 §3.10.7.4 eighth: "Start the time-wait timer, turn off the other timers."
    this.stopAll();
    this.enter('TIME_WAIT');
    this.start('TIME_WAIT', this.profile.timeWait);
  }

  /** Arm the retransmission timer (RFC 6298 §5.1) and, while something is outstanding, the user timeout. */
  armRetransmission(): void {
    if (this.tcb.timers.RETRANSMISSION === undefined) this.start('RETRANSMISSION', this.tcb.rto);
    if (this.profile.userTimeout !== null && this.tcb.timers.USER_TIMEOUT === undefined)
      this.start('USER_TIMEOUT', this.profile.userTimeout);
  }

  /** Send our SYN (active open): ISS selected, SND.UNA=ISS, SND.NXT=ISS+1. */
  sendSyn(iss: number): void {
    const t = this.tcb;
    t.iss = iss >>> 0;
    t.sndUna = t.iss;
    t.sndNxt = seqAdd(t.iss, 1);
    t.retransmits = 0;
    t.rto = this.profile.synSchedule[0] ?? this.profile.initialRto;
    this.send(flags('syn'), t.iss, 0);
    this.enter('SYN_SENT');
    this.start('RETRANSMISSION', t.rto);
    if (this.profile.connEstablish !== null) this.start('CONN_ESTABLISH', this.profile.connEstablish);
    if (this.profile.userTimeout !== null) this.start('USER_TIMEOUT', this.profile.userTimeout);
  }

  sendSynAck(): void {
    const t = this.tcb;
    this.send(flags('syn', 'ack'), t.iss, t.rcvNxt);
  }

  /** Segmentize queued data, then the FIN if CLOSE was called (RFC 9293 §3.10.4: FIN after queued SENDs). */
  flush(): void {
    const t = this.tcb;
    if (t.sendQueued > 0) {
      this.send(flags('ack'), t.sndNxt, t.rcvNxt, t.sendQueued);
      t.sndNxt = seqAdd(t.sndNxt, t.sendQueued);
      t.sendQueued = 0;
      this.armRetransmission();
    }
    if (t.closeQueued && t.finSeq === null) this.sendFin();
  }

  sendFin(): void {
    const t = this.tcb;
    t.finSeq = t.sndNxt;
    this.send(flags('fin', 'ack'), t.sndNxt, t.rcvNxt);
    t.sndNxt = seqAdd(t.sndNxt, 1);
    t.closeQueued = false;
    this.armRetransmission();
  }

  finAcked(): boolean {
    const t = this.tcb;
    return t.finSeq !== null && seqGt(t.sndUna, t.finSeq);
  }

  result(): StepResult {
    const r: StepResult = { tcb: this.tcb, segments: this.out, timers: this.tcb.timers, rows: this.rows };
    if (this.callError !== undefined) r.callError = this.callError;
    if (this.connectionError !== undefined) r.connectionError = this.connectionError;
    if (this.message !== undefined) r.message = this.message;
    if (this.note !== undefined) r.note = this.note;
    return r;
  }
}

/** One event in, the consequences out. `now` is any monotonic millisecond clock; deadlines use the same clock. */
export function step(tcb: Tcb, event: TcpEvent, now: number, profile: Profile = PROFILES.rfc): StepResult {
  const s = new Step(tcb, profile, now);
  if (event.kind === 'user') userCall(s, event.user);
  else if (event.kind === 'segment') segmentArrives(s, event.segment);
  else timeout(s, event.timer);
  return s.result();
}

// ---------------------------------------------------------------------------------------------------------------
// User calls, RFC 9293 §3.10.1-§3.10.6

function userCall(s: Step, u: UserCall): void {
  const t = s.tcb;
  const st = t.state;
  switch (u.call) {
    case 'OPEN': {
      if (u.mode === 'passive') {
        s.row('OPEN_PASSIVE');
        if (st !== 'CLOSED') s.refuse({ call: 'OPEN', error: 'connection-already-exists' });
        else {
          // §3.10.1 CLOSED: create TCB, passive.
          const iss = t.iss;
          Object.assign(t, newTcb(s.profile));
          t.iss = iss;
          s.enter('LISTEN');
        }
        return;
      }
      if (st === 'CLOSED' || st === 'LISTEN') {
        const remote = u.remote ?? true;
        s.row('OPEN_ACTIVE', remote ? 'remote socket specified' : 'remote socket unspecified');
        if (!remote) {
          s.refuse({ call: 'OPEN', error: 'remote-socket-unspecified' });
          return;
        }
        const iss = u.iss ?? t.iss;
        if (st === 'CLOSED') Object.assign(t, newTcb(s.profile));
        t.remoteKnown = true;
        t.origin = 'active';
        s.sendSyn(iss);
        return;
      }
      s.row('OPEN_ACTIVE');
      s.refuse({ call: 'OPEN', error: 'connection-already-exists' });
      return;
    }
    case 'SEND': {
      if (st === 'CLOSED') {
        s.row('SEND');
        s.refuse({ call: 'SEND', error: 'connection-does-not-exist' });
      } else if (st === 'LISTEN') {
        // §3.10.2 LISTEN: with a foreign socket the connection becomes active.
        s.row('SEND', t.remoteKnown ? 'remote socket specified' : 'remote socket unspecified');
        if (!t.remoteKnown) s.refuse({ call: 'SEND', error: 'remote-socket-unspecified' });
        else {
          t.sendQueued += u.bytes;
          t.origin = 'active';
          s.sendSyn(t.iss);
        }
      } else if (st === 'SYN_SENT' || st === 'SYN_RECEIVED') {
        s.row('SEND');
        t.sendQueued += u.bytes;
      } else if (st === 'ESTABLISHED' || st === 'CLOSE_WAIT') {
        s.row('SEND');
        t.sendQueued += u.bytes;
        s.flush();
      } else {
        s.row('SEND');
        s.refuse({ call: 'SEND', error: 'connection-closing' });
      }
      return;
    }
    case 'RECEIVE': {
      s.row('RECEIVE');
      if (st === 'CLOSED') s.refuse({ call: 'RECEIVE', error: 'connection-does-not-exist' });
      else if (t.unread > 0) t.unread = 0;
      else if (st === 'CLOSE_WAIT' || st === 'CLOSING' || st === 'LAST_ACK' || st === 'TIME_WAIT')
        s.refuse({ call: 'RECEIVE', error: 'connection-closing' });
      return;
    }
    case 'CLOSE': {
      if (u.full) t.orphaned = true;
      if (
        u.full &&
        s.profile.rstOnCloseWithUnread &&
        t.unread > 0 &&
        (st === 'ESTABLISHED' || st === 'CLOSE_WAIT' || st === 'FIN_WAIT_1' || st === 'FIN_WAIT_2')
      ) {
        // RFC 2525 §2.17 / Linux tcp_close(): unread data is lost, so tell the peer with a RST, not a FIN.
        s.row('ABORT');
        s.send(flags('rst', 'ack'), t.sndNxt, t.rcvNxt);
        s.close();
        s.note = 'close() with unread data: RST instead of FIN (RFC 2525 §2.17)';
        return;
      }
      switch (st) {
        case 'CLOSED':
          s.row('CLOSE');
          s.refuse({ call: 'CLOSE', error: 'connection-does-not-exist' });
          return;
        case 'LISTEN':
        case 'SYN_SENT':
          // §3.10.4: delete the TCB; no segment is sent.
          s.row('CLOSE');
          s.close();
          return;
        case 'SYN_RECEIVED':
          if (t.sendQueued > 0) {
            s.row('CLOSE', 'SENDs pending');
            t.closeQueued = true;
            return;
          }
          s.row('CLOSE', 'no SENDs issued and no pending data');
          s.stop('CONN_ESTABLISH'); // the connection is synchronized enough to close; keepinit no longer applies
          s.sendFin();
          s.enter('FIN_WAIT_1');
          return;
        case 'ESTABLISHED':
          s.row('CLOSE');
          t.closeQueued = true;
          s.flush();
          s.enter('FIN_WAIT_1');
          return;
        case 'CLOSE_WAIT':
          s.row('CLOSE');
          t.closeQueued = true;
          s.flush();
          s.enter('LAST_ACK');
          return;
        default:
          s.row('CLOSE');
          s.refuse({ call: 'CLOSE', error: 'connection-closing' });
          // An orphaned FIN-WAIT-2 gets the real-stack timer (Linux tcp_fin_timeout, BSD 10 min).
          if (st === 'FIN_WAIT_2' && u.full && s.profile.finWait2 !== null)
            s.start('FIN_WAIT_2', s.profile.finWait2);
          return;
      }
    }
    case 'ABORT': {
      s.row('ABORT');
      if (st === 'CLOSED') {
        s.refuse({ call: 'ABORT', error: 'connection-does-not-exist' });
        return;
      }
      // §3.10.5: RST <SEQ=SND.NXT> from the synchronized states where the peer holds state.
      if (
        st === 'SYN_RECEIVED' ||
        st === 'ESTABLISHED' ||
        st === 'FIN_WAIT_1' ||
        st === 'FIN_WAIT_2' ||
        st === 'CLOSE_WAIT'
      )
        s.send(flags('rst'), t.sndNxt, 0);
      s.close();
      return;
    }
    case 'STATUS':
      s.row('STATUS');
      if (st === 'CLOSED') s.refuse({ call: 'STATUS', error: 'connection-does-not-exist' });
      else s.message = `state = ${stateName(st)}`;
      return;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// SEGMENT ARRIVES, RFC 9293 §3.10.7

function segmentArrives(s: Step, seg: Segment): void {
  switch (s.tcb.state) {
    case 'CLOSED':
      segmentInClosed(s, seg);
      return;
    case 'LISTEN':
      segmentInListen(s, seg);
      return;
    case 'SYN_SENT':
      segmentInSynSent(s, seg);
      return;
    default:
      segmentInSynchronized(s, seg);
  }
}

/** §3.10.7.1: everything but a RST draws a RST. */
function segmentInClosed(s: Step, seg: Segment): void {
  if (seg.flags.rst) {
    s.row('SEG_RST');
    return;
  }
  s.row('SEG_ANY_NON_RST', seg.flags.ack ? 'ACK bit on' : 'ACK bit off');
  s.sendResetFor(seg);
}

/** §3.10.7.2 LISTEN. */
function segmentInListen(s: Step, seg: Segment): void {
  const t = s.tcb;
  // First: a RST is ignored.
  if (seg.flags.rst) {
    s.row('SEG_RST');
    return;
  }
  // Second: any ACK is bad in LISTEN.
  if (seg.flags.ack) {
    s.row('SEG_ACK_ANY', 'any ACK-bearing segment (incl. SYN+ACK, FIN+ACK, data+ACK), RST off');
    s.send(flags('rst'), seg.ack, 0);
    return;
  }
  // Third: SYN.
  if (seg.flags.syn) {
    s.row('SEG_SYN', 'no ACK, security/compartment matches');
    t.irs = seg.seq;
    t.rcvNxt = seqAdd(seg.seq, 1);
    t.iss = t.iss >>> 0;
    t.sndUna = t.iss;
    t.sndNxt = seqAdd(t.iss, 1);
    t.sndWnd = seg.wnd;
    t.sndWl1 = seg.seq;
    t.origin = 'passive';
    t.remoteKnown = true;
    t.retransmits = 0;
    t.rto = s.profile.initialRto;
    s.sendSynAck();
    s.enter('SYN_RECEIVED');
    s.start('RETRANSMISSION', t.rto);
    if (s.profile.connEstablish !== null) s.start('CONN_ESTABLISH', s.profile.connEstablish);
    return;
  }
  // Fourth: anything else is dropped.
  s.row('SEG_OTHER', 'no SYN, no ACK, no RST (FIN-only, data-only, no flags)');
}

/** §3.10.7.3 SYN-SENT. */
function segmentInSynSent(s: Step, seg: Segment): void {
  const t = s.tcb;
  let ackAcceptable = false;
  // First: check the ACK bit.
  if (seg.flags.ack) {
    if (seqLe(seg.ack, t.iss) || seqGt(seg.ack, t.sndNxt)) {
      if (seg.flags.rst) s.row('SEG_RST', 'ACK on but unacceptable');
      else {
        s.row('SEG_ACK_UNACCEPTABLE', 'ACK on and (SEG.ACK =< ISS or SEG.ACK > SND.NXT), RST off');
        s.send(flags('rst'), seg.ack, 0);
      }
      return;
    }
    ackAcceptable = seqLt(t.sndUna, seg.ack) && seqLe(seg.ack, t.sndNxt);
  }
  // Second: RST.
  if (seg.flags.rst) {
    if (ackAcceptable) {
      s.row('SEG_RST', 'ACK acceptable (SND.UNA < SEG.ACK =< SND.NXT)');
      s.close('connection-reset', 'error: connection reset');
      s.note = 'connection refused';
    } else s.row('SEG_RST', 'no ACK');
    return;
  }
  // Fourth: SYN.
  if (seg.flags.syn) {
    t.irs = seg.seq;
    t.rcvNxt = seqAdd(seg.seq, 1);
    if (ackAcceptable) {
      t.sndUna = seg.ack;
    }
    if (seqGt(t.sndUna, t.iss)) {
      s.row('SEG_SYN_ACK', 'ACK acceptable, SYN on, RST off, security ok (SND.UNA > ISS after update)');
      t.sndWnd = seg.wnd;
      t.sndWl1 = seg.seq;
      t.sndWl2 = seg.ack;
      s.stop('RETRANSMISSION');
      s.stop('CONN_ESTABLISH');
      s.stop('USER_TIMEOUT');
      // RFC 6298 §5.7: a SYN that had to be retransmitted gives no valid RTT sample (Karn), and the RTO is
      // re-initialised to 3 s when data transmission begins (Linux TCP_TIMEOUT_FALLBACK).
      if (t.retransmits > 0) t.rto = Math.max(t.rto, 3000);
      else updateRto(s);
      t.retransmits = 0;
      s.enter('ESTABLISHED');
      s.sendAck();
      s.flush();
      return;
    }
    // Simultaneous open (Figure 7): SYN without ACK.
    s.row('SEG_SYN', 'SYN on, no ACK (simultaneous open or self-connect)');
    t.sndWnd = seg.wnd;
    t.sndWl1 = seg.seq;
    t.sndWl2 = seg.ack;
    s.enter('SYN_RECEIVED');
    s.sendSynAck();
    t.retransmits = 0;
    s.start('RETRANSMISSION', t.rto);
    return;
  }
  // Fifth: neither SYN nor RST.
  if (seg.flags.ack) s.row('SEG_ACK_ONLY', 'acceptable ACK but neither SYN nor RST');
  else s.row('SEG_OTHER', 'no SYN, no RST, no ACK (FIN, data, no flags)');
}

const FIN_ROW_CONDITION: Partial<Record<TcpState, string>> = {
  CLOSE_WAIT: 'retransmitted FIN',
  CLOSING: 'retransmitted FIN',
  LAST_ACK: 'retransmitted FIN',
  TIME_WAIT: 'retransmitted remote FIN (our last ACK was lost)',
};

const RST_VALID_CONDITION: Partial<Record<TcpState, string>> = {
  ESTABLISHED: 'valid RST (SEG.SEQ == RCV.NXT, or in-window for non-5961 stacks)',
  FIN_WAIT_1: 'valid RST (SEG.SEQ == RCV.NXT, or in-window for non-5961 stacks)',
  FIN_WAIT_2: 'valid RST (SEG.SEQ == RCV.NXT, or in-window for non-5961 stacks)',
  CLOSE_WAIT: 'valid RST (SEG.SEQ == RCV.NXT, or in-window for non-5961 stacks)',
  CLOSING: 'valid RST',
  LAST_ACK: 'valid RST',
  TIME_WAIT: 'valid RST',
};

/** §3.10.7.4, the synchronized states (and SYN-RECEIVED), in the RFC's step order. */
function segmentInSynchronized(s: Step, seg: Segment): void {
  const t = s.tcb;
  const entry = t.state;

  // TIME-WAIT and a new SYN (RFC 1122 §4.2.2.13, RFC 6191): real stacks let a SYN with a higher sequence
  // number start a new incarnation; checked before the window test, as Linux tcp_timewait_state_process does.
  if (entry === 'TIME_WAIT' && seg.flags.syn && !seg.flags.ack && !seg.flags.rst) {
    if (s.profile.timeWaitSynReuse && seqGt(seg.seq, t.rcvNxt)) {
      s.row(
        'SEG_SYN',
        'RFC 6191/RFC 1122 reuse: SYN (no ACK) with TSval > TS.Recent (timestamps) or SEG.SEQ > last RCV.NXT',
      );
      const iss = seqAdd(t.sndNxt, 64000);
      Object.assign(t, newTcb(s.profile));
      t.iss = iss;
      s.stopAll();
      segmentInListen(s, seg);
      s.rows.pop(); // the LISTEN row is how we implement it, not a transition the table lists from TIME-WAIT
      s.note = 'SYN recycles the TIME-WAIT 4-tuple (new incarnation)';
      return;
    }
    s.row('SEG_SYN', 'SYN not satisfying reuse criteria');
    s.sendAck();
    return;
  }

  // First: sequence number check (Table 6).
  if (!isAcceptable(t, seg)) {
    if (seg.flags.rst) {
      s.row('SEG_RST', 'RST, SEG.SEQ outside receive window');
      return;
    }
    // A retransmission of the peer's FIN that we already acknowledged: ACK it again. In TIME-WAIT this also
    // restarts the 2MSL timer (§3.10.7.4 eighth, TIME-WAIT) — the reason TIME-WAIT exists.
    const finCond = FIN_ROW_CONDITION[entry];
    if (seg.flags.fin && finCond && seqAdd(seg.seq, seg.len + 1) === t.rcvNxt) {
      s.row('SEG_FIN', finCond);
      s.sendAck();
      if (entry === 'TIME_WAIT') s.start('TIME_WAIT', s.profile.timeWait);
      return;
    }
    // A duplicate SYN in passive SYN-RECEIVED: request sockets/syncache re-send the SYN-ACK.
    if (
      entry === 'SYN_RECEIVED' &&
      t.origin === 'passive' &&
      seg.flags.syn &&
      !seg.flags.ack &&
      seg.seq === t.irs &&
      s.profile.dupSynResendsSynAck
    ) {
      s.row('SEG_UNACCEPTABLE', 'fails Table 6 acceptability test, RST off');
      s.sendSynAck();
      s.note = 'duplicate SYN: SYN-ACK re-sent';
      return;
    }
    s.row('SEG_UNACCEPTABLE', 'fails Table 6 acceptability test, RST off');
    s.sendAck();
    return;
  }

  // Second: RST (with RFC 5961 §3.2 exact-match check).
  if (seg.flags.rst) {
    const exact = seg.seq === t.rcvNxt;
    if (!exact && s.profile.rfc5961) {
      s.row('SEG_RST', 'RST, SEG.SEQ in window but != RCV.NXT (RFC 5961 stacks)');
      s.sendAck();
      return;
    }
    if (entry === 'SYN_RECEIVED') {
      if (t.origin === 'passive') {
        // Note 1 of Figure 5: back to LISTEN, user not informed.
        s.row('SEG_RST', 'valid RST, entered from passive OPEN');
        const iss = t.iss;
        Object.assign(t, newTcb(s.profile));
        t.iss = iss;
        s.enter('LISTEN');
      } else {
        s.row('SEG_RST', 'valid RST, entered from active OPEN (simultaneous open)');
        s.close('connection-refused', 'connection refused');
      }
      return;
    }
    if (entry === 'TIME_WAIT' && s.profile.rfc1337) {
      // RFC 1337 fix F1: ignore RST in TIME-WAIT (TIME-WAIT assassination).
      s.row('SEG_RST', 'RST, SEG.SEQ outside receive window');
      s.note = 'RST ignored in TIME-WAIT (RFC 1337)';
      return;
    }
    s.row('SEG_RST', RST_VALID_CONDITION[entry]);
    if (entry === 'CLOSING' || entry === 'LAST_ACK' || entry === 'TIME_WAIT') s.close();
    else s.close('connection-reset', 'connection reset');
    return;
  }

  // Fourth: SYN in a synchronized state.
  if (seg.flags.syn) {
    if (entry === 'SYN_RECEIVED' && t.origin === 'passive') {
      s.row('SEG_SYN', 'entered from passive OPEN (in-window SYN)');
      const iss = t.iss;
      Object.assign(t, newTcb(s.profile));
      t.iss = iss;
      s.enter('LISTEN');
      return;
    }
    s.row(
      'SEG_SYN',
      entry === 'SYN_RECEIVED' ? 'entered from active OPEN' : 'SYN (in or out of window), RFC 5961 stack',
    );
    s.sendAck(); // RFC 5961 §4 challenge ACK
    return;
  }

  // Fifth: the ACK field.
  if (!seg.flags.ack) {
    s.row('SEG_NO_ACK', 'ACK bit off (and not RST/SYN), e.g. bare FIN or data without ACK');
    return;
  }
  if (!processAck(s, seg)) return;

  // Sixth: URG is recognised, not modelled.
  if (seg.flags.urg) s.row('SEG_URG');

  // Seventh: segment text.
  if (seg.len > 0 && !processText(s, seg)) return;

  // Eighth: FIN.
  if (seg.flags.fin) processFin(s, seg, entry);
}

/** §3.10.7.4 fifth step. Returns false when the segment is to be dropped. */
function processAck(s: Step, seg: Segment): boolean {
  const t = s.tcb;
  const st = t.state;
  if (st === 'SYN_RECEIVED') {
    if (seqLt(t.sndUna, seg.ack) && seqLe(seg.ack, t.sndNxt)) {
      s.row('SEG_ACK', 'SND.UNA < SEG.ACK =< SND.NXT');
      t.sndUna = seg.ack;
      t.sndWnd = seg.wnd;
      t.sndWl1 = seg.seq;
      t.sndWl2 = seg.ack;
      s.stop('RETRANSMISSION');
      s.stop('CONN_ESTABLISH');
      s.stop('USER_TIMEOUT');
      t.retransmits = 0;
      updateRto(s);
      s.enter('ESTABLISHED');
      // A CLOSE issued in SYN-RECEIVED with data pending was queued "for processing after entering ESTABLISHED"
      // (§3.10.4): it is processed now, as the ESTABLISHED row of CLOSE, and sends its FIN after the data.
      const queuedClose = t.closeQueued;
      s.flush();
      if (t.finSeq !== null && seqGe(t.sndNxt, t.finSeq) && !s.finAcked()) {
        if (queuedClose) s.row('CLOSE');
        s.enter('FIN_WAIT_1');
      }
      return true;
    }
    s.row('SEG_ACK', 'SEG.ACK unacceptable (=< SND.UNA or > SND.NXT)');
    s.send(flags('rst'), seg.ack, 0);
    return false;
  }
  if (seqGt(seg.ack, t.sndNxt)) {
    s.row('SEG_ACK_TOO_NEW', 'SEG.ACK > SND.NXT');
    s.sendAck();
    return false;
  }
  // Nothing outstanding and SEG.ACK = SND.NXT: the ordinary ACK carried by the peer's segments in FIN-WAIT-2 and
  // TIME-WAIT (the table's "acceptable ACK" rows), not a duplicate.
  if (seg.ack === t.sndUna && t.sndUna === t.sndNxt && (st === 'FIN_WAIT_2' || st === 'TIME_WAIT')) {
    s.row('SEG_ACK', st === 'FIN_WAIT_2' ? 'acceptable ACK' : 'in-window bare ACK (SEG.SEQ == RCV.NXT)');
    return true;
  }
  if (seqLe(seg.ack, t.sndUna)) {
    // Duplicate ACK: ignored, processing continues with text and FIN.
    if (seg.len === 0 && !seg.flags.fin)
      s.row('SEG_ACK_DUP', 'SEG.ACK =< SND.UNA (duplicate), no new data/FIN');
    return true;
  }
  // SND.UNA < SEG.ACK =< SND.NXT: new data acknowledged.
  t.sndUna = seg.ack;
  if (seqLt(t.sndWl1, seg.seq) || (t.sndWl1 === seg.seq && seqLe(t.sndWl2, seg.ack))) {
    t.sndWnd = seg.wnd;
    t.sndWl1 = seg.seq;
    t.sndWl2 = seg.ack;
  }
  t.retransmits = 0;
  updateRto(s);
  if (t.sndUna === t.sndNxt) {
    // RFC 6298 §5.2: all outstanding data acknowledged: turn off the retransmission timer.
    s.stop('RETRANSMISSION');
    s.stop('USER_TIMEOUT');
  } else {
    s.start('RETRANSMISSION', t.rto); // §5.3
    if (s.profile.userTimeout !== null) s.start('USER_TIMEOUT', s.profile.userTimeout);
  }
  switch (st) {
    case 'FIN_WAIT_1':
      if (s.finAcked()) {
        s.row('SEG_ACK', 'ACK acknowledges our FIN (SEG.ACK == SND.NXT after FIN)');
        s.enter('FIN_WAIT_2');
        // Real stacks only: an orphaned FIN-WAIT-2 does not wait forever.
        if (t.orphaned && s.profile.finWait2 !== null) s.start('FIN_WAIT_2', s.profile.finWait2);
      } else s.row('SEG_ACK', 'acceptable ACK that does not cover our FIN');
      return true;
    case 'FIN_WAIT_2':
      s.row('SEG_ACK', 'acceptable ACK');
      return true;
    case 'CLOSING':
      if (s.finAcked()) {
        s.row('SEG_ACK', 'ACK acknowledges our FIN');
        s.enterTimeWait();
        return false;
      }
      s.row('SEG_ACK', 'ACK does not acknowledge our FIN');
      return true;
    case 'LAST_ACK':
      if (s.finAcked()) {
        s.row('SEG_ACK', 'ACK acknowledges our FIN');
        s.close();
        return false;
      }
      s.row('SEG_ACK', 'ACK does not acknowledge our FIN');
      return true;
    case 'TIME_WAIT':
      s.row('SEG_ACK', 'in-window bare ACK (SEG.SEQ == RCV.NXT)');
      return true;
    default:
      s.row('SEG_ACK', 'SND.UNA < SEG.ACK =< SND.NXT');
      return true;
  }
}

/**
 * RFC 6298 §2: a new RTT sample R updates SRTT and RTTVAR; RTO = SRTT + max(G, 4*RTTVAR), at least the minimum
 * (1 s in the RFC). Linux instead uses the minimum (200 ms) as a floor on the variance term, so on a fast path its
 * RTO is about 200 ms. The sample runs from the latest transmission (timestamps make retransmissions measurable).
 */
function updateRto(s: Step): void {
  const t = s.tcb;
  const p = s.profile;
  if (t.rttStart === null) return;
  const r = Math.max(0, s.now - t.rttStart);
  if (t.srtt === null) {
    t.srtt = r;
    t.rttvar = r / 2;
  } else {
    t.rttvar = 0.75 * t.rttvar + 0.25 * Math.abs(t.srtt - r);
    t.srtt = 0.875 * t.srtt + 0.125 * r;
  }
  const rto = p.rtoMinIsVariance
    ? t.srtt + Math.max(p.minRto, 4 * t.rttvar)
    : Math.max(p.minRto, t.srtt + Math.max(1, 4 * t.rttvar));
  t.rto = Math.min(p.maxRto, Math.round(rto));
}

function seqGe(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0;
}

/** §3.10.7.4 seventh step. Returns false when processing stops (the connection was reset). */
function processText(s: Step, seg: Segment): boolean {
  const t = s.tcb;
  const st = t.state;
  if (st === 'ESTABLISHED' || st === 'FIN_WAIT_1' || st === 'FIN_WAIT_2' || st === 'SYN_RECEIVED') {
    if (t.orphaned && (st === 'FIN_WAIT_1' || st === 'FIN_WAIT_2')) {
      // MAY-1: nobody will read this data any more; real stacks answer with RST and drop the connection.
      s.row('SEG_DATA', 'new data arrives after the application has fully closed (half-duplex close, MAY-1)');
      s.send(flags('rst'), t.sndNxt, 0);
      s.close('connection-reset', 'connection reset');
      return false;
    }
    s.row('SEG_DATA', 'acceptable in-order data (application still reading)');
    if (seg.seq === t.rcvNxt) {
      t.rcvNxt = seqAdd(t.rcvNxt, seg.len);
      t.unread += seg.len;
    }
    if (!seg.flags.fin) s.sendAck(); // with a FIN, the FIN's ACK covers the data
    return true;
  }
  // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: the peer already sent its FIN, so text here is bogus.
  if (st === 'TIME_WAIT') {
    s.row('SEG_DATA');
    s.sendAck();
  } else s.row('SEG_DATA');
  return true;
}

/** §3.10.7.4 eighth step. */
function processFin(s: Step, seg: Segment, entry: TcpState): void {
  const t = s.tcb;
  const st = t.state;
  if (st === 'CLOSED' || st === 'LISTEN' || st === 'SYN_SENT') return;
  // Only a FIN in sequence is processed; an out-of-order FIN waits for the gap to fill (we do not queue it).
  if (seqAdd(seg.seq, seg.len) !== t.rcvNxt) return;
  const cond = 'FIN in sequence (with acceptable ACK; in SYN-RECEIVED the ACK first moves to ESTABLISHED)';
  t.rcvNxt = seqAdd(t.rcvNxt, 1);
  switch (st) {
    case 'SYN_RECEIVED':
    case 'ESTABLISHED':
      s.row('SEG_FIN', cond, entry === 'SYN_RECEIVED' ? 'SYN_RECEIVED' : 'ESTABLISHED');
      s.sendAck();
      s.enter('CLOSE_WAIT');
      s.message = 'connection closing (FIN signal)';
      return;
    case 'FIN_WAIT_1':
      s.row('SEG_FIN', 'our FIN not yet acked (simultaneous close)');
      s.sendAck();
      s.enter('CLOSING');
      return;
    case 'FIN_WAIT_2':
      if (entry === 'FIN_WAIT_1')
        s.row('SEG_FIN', 'FIN whose ACK also covers our FIN (FIN+ACK)', 'FIN_WAIT_1');
      else s.row('SEG_FIN');
      s.sendAck();
      s.enterTimeWait();
      return;
    default: {
      // CLOSE-WAIT, CLOSING, LAST-ACK remain; TIME-WAIT restarts 2MSL.
      const c = FIN_ROW_CONDITION[st];
      s.row('SEG_FIN', c);
      s.sendAck();
      if (st === 'TIME_WAIT') s.start('TIME_WAIT', s.profile.timeWait);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Timeouts, RFC 9293 §3.10.8 and the real-stack timers

function timeout(s: Step, timer: TimerName): void {
  const t = s.tcb;
  const st = t.state;
  switch (timer) {
    case 'USER_TIMEOUT':
      s.row('USER_TIMEOUT');
      s.close('user-timeout', 'error: connection aborted due to user timeout');
      return;
    case 'TIME_WAIT':
      s.row('TIME_WAIT_TIMEOUT', '2*MSL elapsed');
      s.close();
      return;
    case 'FIN_WAIT_2':
      s.row('TIMER_FIN_WAIT_2', 'application has closed (orphaned) and peer never sends FIN');
      s.close();
      return;
    case 'CONN_ESTABLISH':
      if (st === 'SYN_RECEIVED' && t.origin === 'passive') {
        s.row('TIMER_CONN_ESTABLISH', 'SYN-ACK retries exhausted');
        const iss = t.iss;
        Object.assign(t, newTcb(s.profile));
        t.iss = iss;
        s.enter('LISTEN');
        return;
      }
      if (st === 'SYN_RECEIVED') {
        // Reached by a simultaneous open: the table has no keepinit row here. For the application it is connect()
        // timing out, which the table's USER TIMEOUT row of SYN-RECEIVED describes (flush, signal, CLOSED).
        s.row('USER_TIMEOUT');
      } else {
        s.row('TIMER_CONN_ESTABLISH', 'connection not established within keepinit');
      }
      s.close('connection-timed-out', 'error: connection timed out');
      return;
    case 'RETRANSMISSION':
      retransmissionTimeout(s);
      return;
  }
}

function retransmissionTimeout(s: Step): void {
  const t = s.tcb;
  const st = t.state;
  const p = s.profile;
  const limit =
    st === 'SYN_SENT'
      ? p.synSchedule.length - 1
      : st === 'SYN_RECEIVED' && t.origin === 'passive'
        ? p.synAckRetries
        : p.dataRetries;
  if (t.retransmits >= limit) {
    s.row('RETRANSMISSION_TIMEOUT', 'retransmissions reach threshold R2 (>=100 s data; >=3 min for SYN)');
    if (st === 'SYN_RECEIVED' && t.origin === 'passive') {
      // The embryonic connection is dropped; the listener stays.
      const iss = t.iss;
      Object.assign(t, newTcb(p));
      t.iss = iss;
      s.enter('LISTEN');
      s.rows[s.rows.length - 1] = rowId('SYN_RECEIVED', 'TIMER_CONN_ESTABLISH', 'SYN-ACK retries exhausted');
      return;
    }
    s.close('connection-timed-out', 'error: connection timed out');
    return;
  }
  s.row('RETRANSMISSION_TIMEOUT', 'RTO expires, retransmission count below R2');
  t.retransmits += 1;
  if (st === 'SYN_SENT') {
    t.rto = p.synSchedule[t.retransmits] ?? t.rto;
    s.send(flags('syn'), t.iss, 0);
  } else if (st === 'SYN_RECEIVED') {
    t.rto = Math.min(t.rto * 2, p.maxRto);
    s.sendSynAck();
  } else {
    // Retransmit everything outstanding from SND.UNA: data, then the FIN if it is unacknowledged.
    t.rto = Math.min(t.rto * 2, p.maxRto);
    let from = t.sndUna;
    if (from === t.iss) {
      // Our SYN is still unacknowledged (close() in SYN-RECEIVED went to FIN-WAIT-1 before the handshake's ACK
      // came): its slot is a SYN, not a data byte. Resend the SYN,ACK as it was, then what follows it.
      s.sendSynAck();
      from = seqAdd(t.iss, 1);
    }
    const finPending = t.finSeq !== null && !s.finAcked();
    const end = finPending ? (t.finSeq as number) : t.sndNxt;
    const dataLen = Math.max(0, seqDiff(end, from));
    if (dataLen > 0 || finPending || from === t.sndUna)
      s.send(finPending ? flags('fin', 'ack') : flags('ack'), from, t.rcvNxt, dataLen);
  }
  s.start('RETRANSMISSION', t.rto);
}

export type { Timers };
