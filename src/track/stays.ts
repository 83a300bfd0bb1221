import type { StayBound } from '../model/recording.ts';
import type { TcpState } from '../states/states.ts';
import type { FlowEvent } from './tracker.ts';

export { STAY_BOUNDS, type StayBound } from '../model/recording.ts';

/** One ended stay in a state. */
export interface Stay {
  state: TcpState;
  /** The service of the connection (`8080`, `→443`), `(none)` when unknown. */
  service: string;
  bound: StayBound;
  /** `exact`: the length; `within`: the middle of its bounds; `atLeast`: the lower bound. */
  ms: number;
}

/** The stay a `changed` or `closed` event of a look at `at` ended; undefined for `opened`. */
export function endedStay(event: FlowEvent, at: number): Stay | undefined {
  if (event.kind === 'opened') return undefined;
  const c = event.connection;
  const changed = event.kind === 'changed';
  const state = changed ? event.from : c.state;
  const startBy = changed ? event.fromSeenAt : c.stateSeenAt;
  const startAfter = changed ? event.fromAfter : c.stateAfter;
  // The last look still in the state: the one before the change, or the connection's last look.
  const endAfter = changed ? c.transitions[c.transitions.length - 1]!.after : c.lastSeen;
  const lower = Math.max(0, endAfter - startBy);
  const service = c.service ?? '(none)';
  if (startAfter === undefined) return { state, service, bound: 'atLeast', ms: lower };
  // At least endAfter - startBy, at most at - startAfter.
  return { state, service, bound: 'within', ms: (lower + Math.max(lower, at - startAfter)) / 2 };
}
