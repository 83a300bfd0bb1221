import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketByState, RuleContext } from '../../src/diagnose/context.ts';
import { DEFAULT_THRESHOLDS } from '../../src/diagnose/index.ts';
import type { Snapshot, Socket } from '../../src/model/snapshot.ts';
import { ArrayTable } from '../../src/model/socket-table.ts';
import { TCP_STATES, type TcpState } from '../../src/states/states.ts';

const sock = (i: number, state: TcpState): Socket => ({
  protocol: 'tcp',
  family: 'inet',
  state,
  local: { address: '10.0.0.1', port: 1000 + i },
  remote: { address: '10.0.0.2', port: 80 },
});

describe('sockets by state (what the rules pick their examples from)', () => {
  it('lists each state in table order, as a stable sort of the indexes by state would (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TCP_STATES), { maxLength: 200 }), (states) => {
        const table = new ArrayTable(states.map((s, i) => sock(i, s)));
        const buckets = bucketByState(table);
        const sorted = states
          .map((s, i) => ({ s, i }))
          .sort((a, b) => TCP_STATES.indexOf(a.s) - TCP_STATES.indexOf(b.s));
        for (const state of TCP_STATES) {
          const expected = sorted.filter((x) => x.s === state).map((x) => x.i);
          expect(Array.from(buckets.get(state) ?? [])).toEqual(expected);
        }
        expect([...buckets.values()].reduce((n, l) => n + l.length, 0)).toBe(states.length);
      }),
      { numRuns: 300 },
    );
  });

  it('hands the rules the sockets of a state in table order, interleaved runs included', () => {
    const states: TcpState[] = [
      'CLOSE_WAIT',
      'ESTABLISHED',
      'CLOSE_WAIT',
      'CLOSE_WAIT',
      'LISTEN',
      'CLOSE_WAIT',
    ];
    const snapshot: Snapshot = {
      source: { kind: 'proc', name: 't' },
      takenAt: 0,
      sockets: states.map((s, i) => sock(i, s)),
      warnings: [],
    };
    const ctx = new RuleContext(snapshot, DEFAULT_THRESHOLDS);
    expect(ctx.inState('CLOSE_WAIT').map((s) => s.local.port)).toEqual([1000, 1002, 1003, 1005]);
    expect(ctx.count('SYN_SENT')).toBe(0);
  });
});
