/**
 * Classify an observed segment's effect on an endpoint, for capture analysis: given what we believe the endpoint's
 * control block is, what would this arriving segment do to it (which table rows fire, the state it moves to, what
 * it sends back)? A thin, pure wrapper over step() that never changes the caller's TCB.
 */
import { step } from './engine.ts';
import { PROFILES, type Profile } from './profiles.ts';
import type { Segment, Tcb, TcpState } from './types.ts';

export interface SegmentEffect {
  from: TcpState;
  to: TcpState;
  /** rfc9293-transitions.json row ids, in processing order. */
  rows: string[];
  /** The replies the endpoint would send. */
  replies: Segment[];
  /** The segment was dropped without changing state or replying. */
  ignored: boolean;
  /** The endpoint's control block after the segment. */
  tcb: Tcb;
}

export function classifySegment(
  tcb: Tcb,
  segment: Segment,
  now = 0,
  profile: Profile = PROFILES.rfc,
): SegmentEffect {
  const r = step(tcb, { kind: 'segment', segment }, now, profile);
  return {
    from: tcb.state,
    to: r.tcb.state,
    rows: r.rows,
    replies: r.segments,
    ignored: r.tcb.state === tcb.state && r.segments.length === 0,
    tcb: r.tcb,
  };
}
