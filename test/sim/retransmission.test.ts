/**
 * A retransmission is the original segment again: the same sequence slots, each the same kind (the SYN's slot a
 * SYN, data bytes data, the FIN's slot a FIN). A SYN,ACK retransmitted after close() in SYN-RECEIVED used to go out
 * as `FIN,ACK seq=ISS len=1`: the SYN's slot turned into a data byte, and the peer reset the connection.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROFILE_NAMES } from '../../src/fsm/profiles.ts';
import { defaultRules, parseMatcher } from '../../src/sim/network.ts';
import { runScenario } from '../../src/sim/run.ts';
import { SCENARIOS } from '../../src/sim/scenarios.ts';
import type { Trace } from '../../src/sim/simulator.ts';

type Kind = 'SYN' | 'data' | 'FIN';

/** Every slot a segment occupies, with its kind: SYN first, then the data bytes, then FIN (RFC 9293 §3.4). */
function slots(seg: {
  seq: number;
  len: number;
  flags: { syn?: boolean; fin?: boolean };
}): Array<[number, Kind]> {
  const out: Array<[number, Kind]> = [];
  let seq = seg.seq >>> 0;
  if (seg.flags.syn) {
    out.push([seq, 'SYN']);
    seq = (seq + 1) >>> 0;
  }
  for (let i = 0; i < seg.len; i++) {
    out.push([seq, 'data']);
    seq = (seq + 1) >>> 0;
  }
  if (seg.flags.fin) out.push([seq, 'FIN']);
  return out;
}

/** Checks the property on a trace; returns the first violation, if any. */
function violation(trace: Trace): string | undefined {
  const seen = { A: new Map<number, Kind>(), B: new Map<number, Kind>() };
  for (const ev of trace.events) {
    if (ev.kind !== 'send' || ev.segment.flags.rst) continue;
    const mine = seen[ev.side];
    const occupied = slots(ev.segment);
    const again = occupied.filter(([seq]) => mine.has(seq));
    for (const [seq, kind] of again) {
      const was = mine.get(seq);
      if (was !== kind) return `${ev.side} sent slot ${seq} as ${was}, then again as ${kind} (t=${ev.t})`;
    }
    // A segment the trace calls a retransmission occupies only slots sent before.
    if (ev.retransmission && again.length !== occupied.length)
      return `${ev.side} marked a segment with new slots a retransmission (t=${ev.t})`;
    for (const [seq, kind] of occupied) if (!mine.has(seq)) mine.set(seq, kind);
  }
  return undefined;
}

function simulate(name: string, profile: string, drop: string[], loss = 0, seed = 1): Trace {
  return runScenario(name, profile, {
    ...defaultRules(),
    loss,
    seed,
    drop: drop.map((d) => parseMatcher(d)),
  }).trace;
}

describe('retransmissions repeat the original segment', () => {
  it("active-close with A's ACK, A's FIN and B's first FIN lost: B resends SYN,ACK at its ISS, then its FIN", () => {
    const trace = simulate('active-close', 'rfc', ['A->B #2', 'A->B #3', 'B->A #2']);
    expect(violation(trace)).toBeUndefined();
    const bResends = trace.events.filter((ev) => ev.kind === 'send' && ev.side === 'B' && ev.retransmission);
    const first = bResends[0];
    expect(first?.kind === 'send' && first.segment.flags.syn && first.segment.flags.ack).toBe(true);
    expect(first?.kind === 'send' ? first.segment.seq : undefined).toBe(5000);
    // Nobody resets: the connection closes as the scenario means.
    const resets = trace.events.filter((ev) => ev.kind === 'send' && ev.segment.flags.rst);
    expect(resets).toEqual([]);
  });

  it('the same with 30% loss, seed 4', () => {
    const trace = simulate('active-close', 'rfc', ['A->B #2', 'A->B #3', 'B->A #2'], 0.3, 4);
    expect(violation(trace)).toBeUndefined();
    const plain = simulate('active-close', 'rfc', [], 0.3, 4);
    expect(violation(plain)).toBeUndefined();
  });

  it('property: every scenario, profile and loss pattern', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SCENARIOS.map((s) => s.name)),
        fc.constantFrom(...PROFILE_NAMES),
        fc.array(
          fc
            .tuple(fc.constantFrom('A->B', 'B->A'), fc.integer({ min: 1, max: 4 }))
            .map(([d, n]) => `${d} #${n}`),
          { maxLength: 3 },
        ),
        fc.constantFrom(0, 0.1, 0.3),
        fc.integer({ min: 0, max: 1000 }),
        (name, profile, drop, loss, seed) => {
          expect(violation(simulate(name, profile, drop, loss, seed))).toBeUndefined();
        },
      ),
      { seed: 1010, numRuns: 400 },
    );
  });
});
