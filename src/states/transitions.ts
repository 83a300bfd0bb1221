/**
 * The one table of RFC 9293's state changes: every (from, to) pair its transition rules (section 3.10) allow, with
 * the label of the arrow and whether Figure 5 draws it. Figure 5 leaves out the changes its Note 3 describes (RST,
 * ABORT, timeouts) and the TIME-WAIT reuse Linux and the BSDs do; those are `figure: false`.
 *
 * Everything that knows what a legal change is reads this table: the capture inference (a move not in it is an
 * anomaly), the state-diagram renderers (the figure's arrows), the server (whether an observed change is one
 * arrow of the figure) and the dashboard's drawing. A test checks the pairs against the RFC's transition table.
 */
import { TCP_STATES, type TcpState } from './states.ts';

export interface RfcEdge {
  from: TcpState;
  to: TcpState;
  /** "event / action", as in the RFC figure. */
  label: string;
  /** Drawn in Figure 5 (false: Note 3 transitions such as RST, ABORT and timeouts, and TIME-WAIT reuse). */
  figure: boolean;
}

export const RFC_EDGES: readonly RfcEdge[] = [
  { from: 'CLOSED', to: 'LISTEN', label: 'passive OPEN / create TCB', figure: true },
  { from: 'CLOSED', to: 'SYN_SENT', label: 'active OPEN / snd SYN', figure: true },
  { from: 'LISTEN', to: 'SYN_RECEIVED', label: 'rcv SYN / snd SYN,ACK', figure: true },
  { from: 'LISTEN', to: 'SYN_SENT', label: 'SEND / snd SYN', figure: true },
  { from: 'LISTEN', to: 'CLOSED', label: 'CLOSE / delete TCB', figure: true },
  { from: 'SYN_SENT', to: 'SYN_RECEIVED', label: 'rcv SYN / snd SYN,ACK', figure: true },
  { from: 'SYN_SENT', to: 'ESTABLISHED', label: 'rcv SYN,ACK / snd ACK', figure: true },
  { from: 'SYN_SENT', to: 'CLOSED', label: 'CLOSE, RST, or timeout / delete TCB', figure: true },
  { from: 'SYN_RECEIVED', to: 'ESTABLISHED', label: 'rcv ACK of SYN', figure: true },
  { from: 'SYN_RECEIVED', to: 'LISTEN', label: 'rcv RST (passive open)', figure: true },
  { from: 'SYN_RECEIVED', to: 'FIN_WAIT_1', label: 'CLOSE / snd FIN', figure: true },
  { from: 'SYN_RECEIVED', to: 'CLOSE_WAIT', label: 'rcv FIN / snd ACK', figure: false },
  { from: 'SYN_RECEIVED', to: 'CLOSED', label: 'RST, ABORT, timeout', figure: false },
  { from: 'ESTABLISHED', to: 'FIN_WAIT_1', label: 'CLOSE / snd FIN', figure: true },
  { from: 'ESTABLISHED', to: 'CLOSE_WAIT', label: 'rcv FIN / snd ACK', figure: true },
  { from: 'ESTABLISHED', to: 'CLOSED', label: 'RST, ABORT, timeout', figure: false },
  { from: 'FIN_WAIT_1', to: 'FIN_WAIT_2', label: 'rcv ACK of FIN', figure: true },
  { from: 'FIN_WAIT_1', to: 'CLOSING', label: 'rcv FIN / snd ACK', figure: true },
  { from: 'FIN_WAIT_1', to: 'TIME_WAIT', label: 'rcv FIN+ACK of FIN / snd ACK', figure: true },
  { from: 'FIN_WAIT_1', to: 'CLOSED', label: 'RST, ABORT, timeout', figure: false },
  { from: 'FIN_WAIT_2', to: 'TIME_WAIT', label: 'rcv FIN / snd ACK', figure: true },
  { from: 'FIN_WAIT_2', to: 'CLOSED', label: 'RST, ABORT, FIN-WAIT-2 timer', figure: false },
  { from: 'CLOSE_WAIT', to: 'LAST_ACK', label: 'CLOSE / snd FIN', figure: true },
  { from: 'CLOSE_WAIT', to: 'CLOSED', label: 'RST, ABORT', figure: false },
  { from: 'CLOSING', to: 'TIME_WAIT', label: 'rcv ACK of FIN', figure: true },
  { from: 'CLOSING', to: 'CLOSED', label: 'RST, timeout', figure: false },
  { from: 'LAST_ACK', to: 'CLOSED', label: 'rcv ACK of FIN', figure: true },
  { from: 'TIME_WAIT', to: 'CLOSED', label: 'timeout = 2MSL / delete TCB', figure: true },
  { from: 'TIME_WAIT', to: 'SYN_RECEIVED', label: 'rcv new SYN (reuse, Linux/BSD)', figure: false },
];

/** The arrows RFC 9293 Figure 5 draws (with the simultaneous-open and FIN+ACK shortcuts of its notes). */
export const FIGURE_EDGES: readonly RfcEdge[] = RFC_EDGES.filter((e) => e.figure);

const N = TCP_STATES.length;
/** By index in TCP_STATES, from * N + to: 1 for an RFC change, 2 when Figure 5 also draws it. The capture's hot path checks every move. */
const table = new Uint8Array(N * N);
for (const e of RFC_EDGES)
  table[TCP_STATES.indexOf(e.from) * N + TCP_STATES.indexOf(e.to)] = e.figure ? 2 : 1;

/** True when RFC 9293 has an event that moves an endpoint from `from` to `to`. */
export function isRfcTransition(from: TcpState, to: TcpState): boolean {
  return table[TCP_STATES.indexOf(from) * N + TCP_STATES.indexOf(to)]! > 0;
}

/** isRfcTransition by state index (TCP_STATES order). */
export function isRfcMove(from: number, to: number): boolean {
  return table[from * N + to]! > 0;
}

/** True when `from` → `to` is one arrow of Figure 5. */
export function isFigureEdge(from: TcpState, to: TcpState): boolean {
  return table[TCP_STATES.indexOf(from) * N + TCP_STATES.indexOf(to)] === 2;
}
