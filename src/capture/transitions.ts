/**
 * The (from, to) state pairs RFC 9293 allows, derived from the transition table in
 * reference/tcp-fsm/rfc9293-transitions.json (a copy lives in test/fixtures/tcp-fsm/; a test checks this list
 * against it). Capture inference may only move an endpoint along these edges: anything else is reported as an
 * anomaly instead of being applied.
 */
import { TCP_STATES, type TcpState } from '../states/states.ts';

export const RFC_TRANSITIONS: ReadonlyArray<readonly [TcpState, TcpState]> = [
  ['CLOSED', 'LISTEN'],
  ['CLOSED', 'SYN_SENT'],
  ['LISTEN', 'SYN_RECEIVED'],
  ['LISTEN', 'SYN_SENT'],
  ['LISTEN', 'CLOSED'],
  ['SYN_SENT', 'SYN_RECEIVED'],
  ['SYN_SENT', 'ESTABLISHED'],
  ['SYN_SENT', 'CLOSED'],
  ['SYN_RECEIVED', 'ESTABLISHED'],
  ['SYN_RECEIVED', 'FIN_WAIT_1'],
  ['SYN_RECEIVED', 'CLOSE_WAIT'],
  ['SYN_RECEIVED', 'LISTEN'],
  ['SYN_RECEIVED', 'CLOSED'],
  ['ESTABLISHED', 'FIN_WAIT_1'],
  ['ESTABLISHED', 'CLOSE_WAIT'],
  ['ESTABLISHED', 'CLOSED'],
  ['FIN_WAIT_1', 'FIN_WAIT_2'],
  ['FIN_WAIT_1', 'CLOSING'],
  ['FIN_WAIT_1', 'TIME_WAIT'],
  ['FIN_WAIT_1', 'CLOSED'],
  ['FIN_WAIT_2', 'TIME_WAIT'],
  ['FIN_WAIT_2', 'CLOSED'],
  ['CLOSE_WAIT', 'LAST_ACK'],
  ['CLOSE_WAIT', 'CLOSED'],
  ['CLOSING', 'TIME_WAIT'],
  ['CLOSING', 'CLOSED'],
  ['LAST_ACK', 'CLOSED'],
  ['TIME_WAIT', 'CLOSED'],
  ['TIME_WAIT', 'SYN_RECEIVED'],
];

const N = TCP_STATES.length;
/** allowed[from * N + to], by index in TCP_STATES: the hot path checks every inferred move. */
const allowed = new Uint8Array(N * N);
for (const [from, to] of RFC_TRANSITIONS) allowed[TCP_STATES.indexOf(from) * N + TCP_STATES.indexOf(to)] = 1;

/** True when RFC 9293 has an event that moves an endpoint from `from` to `to`. */
export function isRfcTransition(from: TcpState, to: TcpState): boolean {
  return allowed[TCP_STATES.indexOf(from) * N + TCP_STATES.indexOf(to)] === 1;
}

/** isRfcTransition by state index (TCP_STATES order). */
export function isRfcMove(from: number, to: number): boolean {
  return allowed[from * N + to] === 1;
}
