/**
 * Where the state diagram draws each state. The arrows are RFC 9293's table (src/states/transitions.ts): Figure 5's
 * and, drawn apart, the Note 3 transitions every simulator run can take.
 */
import type { TcpState } from '../../fsm/types.ts';

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
