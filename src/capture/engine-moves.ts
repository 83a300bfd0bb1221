/**
 * What each wire-level endpoint event does to each state, decided by the state-machine engine (src/fsm `step()`)
 * and tabulated once: capture inference looks moves up in this table instead of deciding them itself, so a capture
 * and the simulator follow the same machine, at the cost of one array read per event.
 *
 * For every state a control block consistent with it is built (sequence numbers that say whether our FIN is out,
 * acknowledged, whether the peer's FIN arrived), the event is turned into the engine's input (a user call, a
 * segment, a timer), and the state `step()` returns is recorded. Captures come from real stacks, so the Linux
 * profile decides (a new SYN reopens a TIME_WAIT tuple there, as on the BSDs and Windows; RFC 9293 alone would
 * answer it with an ACK).
 */
import { type Segment as FsmSegment, newTcb, PROFILES, step, type Tcb, type TcpEvent } from '../fsm/index.ts';
import { TCP_STATES, type TcpState } from '../states/states.ts';

/** What happens to one endpoint, as seen on the wire. */
export const ENDPOINT_EVENTS = [
  'send-syn', // active open: a SYN leaves
  'rcv-syn', // a SYN arrives (passive open, or simultaneous open)
  'rcv-syn-ack', // our SYN is answered
  'rcv-ack-of-syn', // the handshake's last ACK arrives
  'send-fin', // the application closed: a FIN leaves
  'rcv-fin',
  'rcv-ack-of-fin',
  'send-rst', // abort: a RST leaves
  'rcv-rst',
  'timeout-2msl', // TIME_WAIT ran out
] as const;
export type EndpointEvent = (typeof ENDPOINT_EVENTS)[number];

const PROFILE = PROFILES.linux;
const ISS = 1000;
const IRS = 5000;
const WND = 65535;

/** A control block in `state` with the sequence numbers that state implies. */
function blockIn(state: TcpState): Tcb {
  const tcb = newTcb(PROFILE);
  tcb.state = state;
  if (state === 'CLOSED') return tcb;
  tcb.remoteKnown = state !== 'LISTEN';
  tcb.origin = state === 'LISTEN' || state === 'SYN_RECEIVED' ? 'passive' : 'active';
  if (state === 'LISTEN') return tcb;
  tcb.iss = ISS;
  tcb.sndUna = ISS;
  tcb.sndNxt = ISS + 1;
  if (state === 'SYN_SENT') return tcb;
  tcb.irs = IRS;
  tcb.rcvNxt = IRS + 1;
  tcb.sndWnd = WND;
  tcb.sndWl1 = IRS;
  tcb.sndWl2 = ISS;
  if (state === 'SYN_RECEIVED') return tcb;
  tcb.sndUna = ISS + 1;
  tcb.sndWl1 = IRS + 1;
  tcb.sndWl2 = ISS + 1;
  // Our FIN: sent in FIN_WAIT_1, CLOSING, LAST_ACK (not yet acknowledged), FIN_WAIT_2 and TIME_WAIT (acknowledged).
  const finSent = ['FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSING', 'LAST_ACK', 'TIME_WAIT'].includes(state);
  const finAcked = state === 'FIN_WAIT_2' || state === 'TIME_WAIT';
  if (finSent) {
    tcb.finSeq = ISS + 1;
    tcb.sndNxt = ISS + 2;
    tcb.closeQueued = true;
    if (finAcked) tcb.sndUna = ISS + 2;
  }
  // The peer's FIN has arrived in CLOSE_WAIT, CLOSING, LAST_ACK and TIME_WAIT.
  if (['CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT'].includes(state)) tcb.rcvNxt = IRS + 2;
  if (state === 'TIME_WAIT') tcb.timers = { TIME_WAIT: 60_000 };
  return tcb;
}

function segment(tcb: Tcb, flags: Partial<FsmSegment['flags']>, seq: number, ack?: number): TcpEvent {
  return {
    kind: 'segment',
    segment: {
      seq,
      ack: ack ?? 0,
      flags: { syn: false, ack: ack !== undefined, fin: false, rst: false, ...flags },
      len: 0,
      wnd: tcb.rcvWnd || WND,
    },
  };
}

/** The engine's input for `event` in `tcb`, and what must leave the endpoint for the event to be what we saw. */
function input(tcb: Tcb, event: EndpointEvent): { event: TcpEvent; emits?: 'syn' | 'fin' } {
  switch (event) {
    case 'send-syn':
      // From LISTEN a SYN leaves when the application SENDs to a now-known peer.
      tcb.remoteKnown = true;
      return tcb.state === 'LISTEN'
        ? { event: { kind: 'user', user: { call: 'SEND', bytes: 0 } }, emits: 'syn' }
        : {
            event: { kind: 'user', user: { call: 'OPEN', mode: 'active', remote: true, iss: ISS } },
            emits: 'syn',
          };
    case 'rcv-syn':
      // A fresh SYN: for a TIME_WAIT tuple, beyond what the old connection used (the reuse test of RFC 6191).
      return { event: segment(tcb, { syn: true }, tcb.state === 'TIME_WAIT' ? tcb.rcvNxt + 100_000 : IRS) };
    case 'rcv-syn-ack':
      return { event: segment(tcb, { syn: true }, IRS, tcb.iss + 1) };
    case 'rcv-ack-of-syn':
      return { event: segment(tcb, {}, tcb.rcvNxt, tcb.iss + 1) };
    case 'send-fin':
      return { event: { kind: 'user', user: { call: 'CLOSE' } }, emits: 'fin' };
    case 'rcv-fin':
      // The FIN acknowledges what the peer has seen (our SYN, in SYN_RECEIVED) but not our FIN: that is the
      // separate rcv-ack-of-fin event.
      return {
        event: segment(
          tcb,
          { fin: true },
          tcb.rcvNxt,
          tcb.state === 'SYN_RECEIVED' ? tcb.iss + 1 : tcb.sndUna,
        ),
      };
    case 'rcv-ack-of-fin':
      return { event: segment(tcb, {}, tcb.rcvNxt, tcb.sndNxt) };
    case 'send-rst':
      // A RST leaving a listener is its answer to a stray segment (the listener stays); anywhere else the
      // connection was aborted.
      return tcb.state === 'LISTEN'
        ? { event: segment(tcb, {}, IRS, ISS) }
        : { event: { kind: 'user', user: { call: 'ABORT' } } };
    case 'rcv-rst':
      // In SYN_SENT only a RST that acknowledges our SYN counts (a refused connection); elsewhere one in window.
      return {
        event:
          tcb.state === 'SYN_SENT'
            ? segment(tcb, { rst: true }, 0, tcb.iss + 1)
            : segment(tcb, { rst: true }, tcb.rcvNxt),
      };
    case 'timeout-2msl':
      return { event: { kind: 'timeout', timer: 'TIME_WAIT' } };
  }
}

/** The state `event` moves `state` to, per the engine; undefined when it does not move it (or not that way). */
export function engineMove(state: TcpState, event: EndpointEvent): TcpState | undefined {
  // Only a state where a TIME_WAIT timer exists can time out of it.
  if (event === 'timeout-2msl' && state !== 'TIME_WAIT') return undefined;
  const tcb = blockIn(state);
  // Nothing of ours to acknowledge: an ACK "of our FIN" in a state that has not sent one is no such event.
  if (event === 'rcv-ack-of-fin' && tcb.finSeq === null) return undefined;
  const { event: fsmEvent, emits } = input(tcb, event);
  const result = step(tcb, fsmEvent, 0, PROFILE);
  const to = result.tcb.state;
  if (to === state) return undefined;
  if (emits === 'syn' && !result.segments.some((s) => s.flags.syn)) return undefined;
  if (emits === 'fin' && !result.segments.some((s) => s.flags.fin)) return undefined;
  return to;
}

const N = TCP_STATES.length;
const E = ENDPOINT_EVENTS.length;
let table: Int8Array | undefined;

/** engineMove for every state and event, computed on first use: next[state * E + event] = state index, or -1. */
function moves(): Int8Array {
  if (table !== undefined) return table;
  const t = new Int8Array(N * E).fill(-1);
  for (let s = 0; s < N; s++) {
    for (let e = 0; e < E; e++) {
      const to = engineMove(TCP_STATES[s]!, ENDPOINT_EVENTS[e]!);
      if (to !== undefined) t[s * E + e] = TCP_STATES.indexOf(to);
    }
  }
  table = t;
  return t;
}

const EVENT_INDEX = Object.fromEntries(ENDPOINT_EVENTS.map((e, i) => [e, i])) as Record<
  EndpointEvent,
  number
>;

/** The next state for `event` in `state`, or undefined when the event does not move it, as the engine decides. */
export function nextState(state: TcpState, event: EndpointEvent): TcpState | undefined {
  const to = moves()[TCP_STATES.indexOf(state) * E + EVENT_INDEX[event]]!;
  return to < 0 ? undefined : TCP_STATES[to];
}

/** Index of each event in ENDPOINT_EVENTS, for the hot path (a string-keyed lookup there was a megamorphic load). */
export const EV = {
  SEND_SYN: ENDPOINT_EVENTS.indexOf('send-syn'),
  RCV_SYN: ENDPOINT_EVENTS.indexOf('rcv-syn'),
  RCV_SYN_ACK: ENDPOINT_EVENTS.indexOf('rcv-syn-ack'),
  RCV_ACK_OF_SYN: ENDPOINT_EVENTS.indexOf('rcv-ack-of-syn'),
  SEND_FIN: ENDPOINT_EVENTS.indexOf('send-fin'),
  RCV_FIN: ENDPOINT_EVENTS.indexOf('rcv-fin'),
  RCV_ACK_OF_FIN: ENDPOINT_EVENTS.indexOf('rcv-ack-of-fin'),
  SEND_RST: ENDPOINT_EVENTS.indexOf('send-rst'),
  RCV_RST: ENDPOINT_EVENTS.indexOf('rcv-rst'),
};

/** nextState by state and event index: -1 when the event does not move it. The hot path. */
export function nextStateIndex(state: number, event: number): number {
  return moves()[state * E + event]!;
}
