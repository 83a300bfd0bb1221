import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { FIGURE_EDGES, isFigureEdge } from '../../src/states/transitions.ts';
import { ConnectionTracker } from '../../src/track/tracker.ts';
import { oldestSince, stepTransitions } from '../../src/track/transitions.ts';
import { snap, sock } from './fixtures.ts';

const A: [string, number] = ['10.0.0.1', 50000];
const B: [string, number] = ['10.0.0.2', 80];

/** The server's counting: the track step of each snapshot, as from -> to counts. */
class Observer {
  readonly tracker = new ConnectionTracker();
  private clock = 0;
  observe(snapshot: Pick<Snapshot, 'sockets'> & { takenAt?: number }) {
    this.clock = snapshot.takenAt ?? this.clock + 1000;
    return stepTransitions(this.tracker.update({ sockets: snapshot.sockets, takenAt: this.clock }));
  }
  get oldestSince() {
    return oldestSince(this.tracker);
  }
}

describe('transition counting (the track step of each look)', () => {
  it('reports nothing for the first snapshot', () => {
    const t = new Observer();
    expect(t.observe(snap([sock('ESTABLISHED', A, B)]))).toEqual([]);
  });

  it('follows one connection through the active close even when the inode drops to 0', () => {
    const t = new Observer();
    t.observe(snap([sock('ESTABLISHED', A, B, { inode: 77 })]));
    expect(t.observe(snap([sock('FIN_WAIT_1', A, B, { inode: 77 })]))).toEqual([
      { from: 'ESTABLISHED', to: 'FIN_WAIT_1', count: 1 },
    ]);
    // Linux shows inode 0 once the application has closed: still the same connection.
    expect(t.observe(snap([sock('TIME_WAIT', A, B, { inode: 0 })]))).toEqual([
      { from: 'FIN_WAIT_1', to: 'TIME_WAIT', count: 1 },
    ]);
    expect(t.observe(snap([]))).toEqual([{ from: 'TIME_WAIT', to: 'CLOSED', count: 1 }]);
  });

  it('tells a reused 4-tuple from the old connection by the inode', () => {
    const t = new Observer();
    t.observe(snap([sock('ESTABLISHED', A, B, { inode: 10 })]));
    const out = t.observe(snap([sock('ESTABLISHED', A, B, { inode: 11 })]));
    // Sorted by the from-state's place in the RFC order.
    expect(out).toEqual([
      { from: 'ESTABLISHED', to: 'CLOSED', count: 1 },
      { from: 'CLOSED', to: 'ESTABLISHED', count: 1 },
    ]);
  });

  it('counts opens from CLOSED, passive opens from LISTEN, and multi-step jumps as observed', () => {
    const t = new Observer();
    const listener = sock('LISTEN', ['0.0.0.0', 80], ['0.0.0.0', undefined], { inode: 9 });
    t.observe(snap([listener]));
    const out = t.observe(
      snap([
        listener,
        sock('SYN_SENT', A, B),
        sock('SYN_RECEIVED', ['10.0.0.1', 80], ['10.0.0.9', 4000], { inode: 0 }),
        sock('ESTABLISHED', ['10.0.0.1', 80], ['10.0.0.9', 4001]),
      ]),
    );
    expect(out).toEqual([
      { from: 'LISTEN', to: 'SYN_RECEIVED', count: 1 },
      { from: 'CLOSED', to: 'SYN_SENT', count: 1 },
      { from: 'CLOSED', to: 'ESTABLISHED', count: 1 },
    ]);
    expect(isFigureEdge('CLOSED', 'SYN_SENT')).toBe(true);
    expect(isFigureEdge('CLOSED', 'ESTABLISHED')).toBe(false);
  });

  it('tracks since when the oldest connection of each state has been in it', () => {
    const t = new Observer();
    const at = (takenAt: number, ...sockets: ReturnType<typeof sock>[]) => ({ ...snap(sockets), takenAt });
    const a = sock('ESTABLISHED', A, B, { inode: 1 });
    const b = sock('ESTABLISHED', ['10.0.0.1', 50001], B, { inode: 2 });
    t.observe(at(1000, a));
    t.observe(at(2000, a, b));
    expect(t.oldestSince).toEqual({ ESTABLISHED: 1000 });
    // a moves on: its clock restarts in CLOSE_WAIT; b is now the oldest ESTABLISHED.
    t.observe(at(3000, { ...a, state: 'CLOSE_WAIT' }, b));
    expect(t.oldestSince).toEqual({ ESTABLISHED: 2000, CLOSE_WAIT: 3000 });
    t.observe(at(9000, { ...a, state: 'CLOSE_WAIT' }));
    expect(t.oldestSince).toEqual({ CLOSE_WAIT: 3000 });
  });

  it('has the arrows of RFC 9293 Figure 5', () => {
    // Figure 5 draws 19 arrows; the simultaneous-open and FIN+ACK shortcut (note 2) make 21 with LISTEN->CLOSED.
    expect(FIGURE_EDGES).toHaveLength(21);
    for (const [from, to] of [
      ['CLOSED', 'LISTEN'],
      ['FIN_WAIT_1', 'CLOSING'],
      ['CLOSING', 'TIME_WAIT'],
      ['TIME_WAIT', 'CLOSED'],
      ['CLOSE_WAIT', 'LAST_ACK'],
    ] as const)
      expect(isFigureEdge(from, to)).toBe(true);
    expect(isFigureEdge('CLOSE_WAIT', 'TIME_WAIT')).toBe(false);
  });
});
