/**
 * The dashboard's transition counts and watch/record's arrivals and departures come from one connection-identity
 * rule (src/track): fed the same snapshots, they agree, including where a 4-tuple is reused, listed twice in one
 * look, or seen in both families.
 */
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { Sampler } from '../../src/server/sampler.ts';
import { TCP_STATES, type TcpState } from '../../src/states/states.ts';
import { ConnectionTracker, type TrackStep } from '../../src/track/tracker.ts';
import { sock } from './fixtures.ts';

const at = (takenAt: number, ...sockets: ReturnType<typeof sock>[]): Snapshot => ({
  source: { kind: 'proc', name: 'test' },
  takenAt,
  sockets,
  warnings: [],
});

const client: [string, number] = ['10.0.0.1', 50000];
const server: [string, number] = ['10.0.0.2', 80];
const listener = sock('LISTEN', ['0.0.0.0', 8080], ['0.0.0.0', undefined], { inode: 9 });

/** A sequence with each case the two rules used to decide differently. */
const SEQUENCE: Snapshot[] = [
  at(1000, listener, sock('ESTABLISHED', client, server, { inode: 10 })),
  // Actively closed: inode gone.
  at(2000, listener, sock('TIME_WAIT', client, server, { inode: 0 })),
  // The same 4-tuple opened again before the next look; the new socket's inode is not known yet (0): a
  // closing state never goes back to ESTABLISHED, so this is a new connection.
  at(3000, listener, sock('ESTABLISHED', client, server, { inode: 0 })),
  // Two SO_REUSEPORT listeners on one address (two inodes), and a passive open.
  at(
    4000,
    listener,
    sock('LISTEN', ['0.0.0.0', 8080], ['0.0.0.0', undefined], { inode: 11 }),
    sock('ESTABLISHED', client, server, { inode: 12 }),
    sock('SYN_RECEIVED', ['10.0.0.2', 8080], ['10.0.0.7', 40000], { inode: 0 }),
  ),
  // The second listener closes; the connection closes from the other side.
  at(5000, listener, sock('CLOSE_WAIT', client, server, { inode: 12 })),
  at(6000, listener),
];

async function dashboardSteps(): Promise<Array<Array<{ from: TcpState; to: TcpState; count: number }>>> {
  let i = 0;
  const sampler = new Sampler({ snapshot: async () => SEQUENCE[i++]!, intervalMs: 1000 });
  const out = [];
  for (let k = 0; k < SEQUENCE.length; k++) out.push((await sampler.tick())!.transitions);
  return out;
}

describe('dashboard transitions and watch/record agree', () => {
  it('counts what happened, step by step', async () => {
    const steps = await dashboardSteps();
    expect(steps[1]).toEqual([{ from: 'ESTABLISHED', to: 'TIME_WAIT', count: 1 }]);
    // Not TIME_WAIT -> ESTABLISHED (no such change exists): the old connection ended, a new one opened.
    expect(steps[2]).toEqual([
      { from: 'TIME_WAIT', to: 'CLOSED', count: 1 },
      { from: 'CLOSED', to: 'ESTABLISHED', count: 1 },
    ]);
    // The second listener is a new socket, not ignored as a duplicate line; the connection got its inode back.
    expect(steps[3]).toEqual([
      { from: 'LISTEN', to: 'SYN_RECEIVED', count: 1 },
      { from: 'CLOSED', to: 'LISTEN', count: 1 },
    ]);
    expect(steps[4]).toEqual([
      { from: 'LISTEN', to: 'CLOSED', count: 1 },
      { from: 'SYN_RECEIVED', to: 'CLOSED', count: 1 },
      { from: 'ESTABLISHED', to: 'CLOSE_WAIT', count: 1 },
    ]);
    expect(steps[5]).toEqual([{ from: 'CLOSE_WAIT', to: 'CLOSED', count: 1 }]);
  });

  it("equal watch/record's arrivals and departures per state on the same snapshots", async () => {
    const steps = await dashboardSteps();
    const tracker = new ConnectionTracker();
    const tracked: TrackStep[] = SEQUENCE.map((s) => tracker.update(s));
    for (let k = 0; k < SEQUENCE.length; k++) {
      for (const state of TCP_STATES) {
        if (state === 'CLOSED') continue;
        const into = steps[k]!.filter((t) => t.to === state).reduce((n, t) => n + t.count, 0);
        // A passive open is drawn from LISTEN, but the listener stays where it is.
        const outOf = steps[k]!.filter(
          (t) => t.from === state && !(state === 'LISTEN' && t.to === 'SYN_RECEIVED'),
        );
        expect(into, `step ${k} into ${state}`).toBe(tracked[k]!.arrivals[state]);
        expect(
          outOf.reduce((n, t) => n + t.count, 0),
          `step ${k} out of ${state}`,
        ).toBe(tracked[k]!.departures[state]);
      }
    }
  });

  it('keeps one IPv4 and one IPv6 connection with the same printed tuple apart', async () => {
    // Text sources print wildcard listeners as `*` in both families.
    const v4 = { ...sock('LISTEN', ['*', 22], ['*', undefined]), family: 'inet' as const };
    const v6 = { ...sock('LISTEN', ['*', 22], ['*', undefined]), family: 'inet6' as const };
    const seq = [at(1000, v4, v6), at(2000, v4)];
    let i = 0;
    const sampler = new Sampler({ snapshot: async () => seq[i++]!, intervalMs: 1000 });
    await sampler.tick();
    expect((await sampler.tick())!.transitions).toEqual([{ from: 'LISTEN', to: 'CLOSED', count: 1 }]);
  });
});
