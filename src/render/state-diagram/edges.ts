/**
 * The edges of RFC 9293 Figure 5 (plus the transitions its Note 3 leaves out that every simulator run can take),
 * with the positions used by the SVG and terminal drawings.
 */
import type { TcpState } from '../../fsm/types.ts';

export interface Edge {
  from: TcpState;
  to: TcpState;
  /** "event / action", as in the RFC figure. */
  label: string;
  /** Drawn in Figure 5 (false: Note 3 transitions such as RST, ABORT and timeouts). */
  figure: boolean;
}

export const EDGES: readonly Edge[] = [
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

/** Grid positions (column, row) for the drawing: the RFC's layout, opener on the left, closer below. */
export const POSITIONS: Record<TcpState, [number, number]> = {
  CLOSED: [1, 0],
  LISTEN: [1, 1],
  SYN_RECEIVED: [0, 2],
  SYN_SENT: [2, 2],
  ESTABLISHED: [1, 3],
  FIN_WAIT_1: [0, 4],
  CLOSE_WAIT: [2, 4],
  FIN_WAIT_2: [0, 5],
  CLOSING: [1, 5],
  LAST_ACK: [2, 5],
  TIME_WAIT: [1, 6],
};

export function edgeKey(from: TcpState, to: TcpState): string {
  return `${from}>${to}`;
}

/** Edges taken by a path of states (consecutive pairs). */
export function pathEdges(paths: readonly (readonly TcpState[])[]): Set<string> {
  const out = new Set<string>();
  for (const p of paths)
    for (let i = 1; i < p.length; i++) out.add(edgeKey(p[i - 1] as TcpState, p[i] as TcpState));
  return out;
}
