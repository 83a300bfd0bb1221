import { TCP_STATES, type TcpState } from '../states/states.ts';
import type { ConnectionTracker, TrackStep } from './tracker.ts';

/**
 * One look's changes as from → to counts: the dashboard's arrows and `tcpstate_transitions_total`. They are
 * counted from the tracker's step, so they follow the same connection-identity rule as watch and record (the
 * 4-tuple with its family; a reused tuple by inode or by a closing state going back to opening; a tuple listed twice
 * in one look kept as two), and per state add up to the step's arrivals and departures.
 *
 * What sampling can and cannot see: a connection that appears is counted as entering its first observed state
 * from CLOSED (or from LISTEN for SYN_RECEIVED, the passive open); one that disappears as going to CLOSED. Several
 * changes inside one interval show up as one jump (ESTABLISHED -> TIME_WAIT): reported as observed, never
 * invented as intermediate steps.
 */
export interface ObservedTransition {
  from: TcpState;
  to: TcpState;
  count: number;
}

const ORDER = new Map(TCP_STATES.map((s, i) => [s, i]));

/** The step's changes, counted per (from, to) and sorted by the states' RFC order. */
export function stepTransitions(step: TrackStep): ObservedTransition[] {
  const counts = new Map<string, ObservedTransition>();
  const bump = (from: TcpState, to: TcpState) => {
    const key = `${from}>${to}`;
    const t = counts.get(key);
    if (t) t.count++;
    else counts.set(key, { from, to, count: 1 });
  };
  for (const e of step.events) {
    if (e.kind === 'changed') bump(e.from, e.connection.state);
    else if (e.kind === 'closed') bump(e.connection.state, 'CLOSED');
    else bump(e.connection.state === 'SYN_RECEIVED' ? 'LISTEN' : 'CLOSED', e.connection.state);
  }
  return [...counts.values()].sort(
    (a, b) => ORDER.get(a.from)! - ORDER.get(b.from)! || ORDER.get(a.to)! - ORDER.get(b.to)!,
  );
}

/**
 * Per state, since when (ms) its oldest connection has been in it, as of the tracker's last look: a lower bound on
 * the real age, since tracking starts with the first look.
 */
export function oldestSince(tracker: ConnectionTracker): Partial<Record<TcpState, number>> {
  const found: Partial<Record<TcpState, number>> = {};
  for (const c of tracker.current())
    if (!(c.stateSeenAt >= (found[c.state] ?? Infinity))) found[c.state] = c.stateSeenAt;
  // In the states' order, whatever order the tracker holds its connections in.
  const oldest: Partial<Record<TcpState, number>> = {};
  for (const s of TCP_STATES) if (found[s] !== undefined) oldest[s] = found[s];
  return oldest;
}
