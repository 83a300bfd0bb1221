import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Snapshot, Socket } from '../../src/model/snapshot.ts';
import { ArrayTable, tableBackedSnapshot } from '../../src/model/socket-table.ts';
import { parseProcNetTcp } from '../../src/sources/proc/proc-net-tcp.ts';
import { TCP_STATES, type TcpState } from '../../src/states/states.ts';
import { ageDistribution, formatTrackedAge, oldestPerState } from '../../src/track/ages.ts';
import { isReuse } from '../../src/track/key.ts';
import { ConnectionTracker, flowByGroup, serviceOf, trackedAge } from '../../src/track/tracker.ts';

const isReuseState = (from: TcpState, to: TcpState) => isReuse(sock(1, 80, from), sock(1, 80, to));

function sock(lport: number, rport: number, state: TcpState, inode = 0): Socket {
  return {
    protocol: 'tcp',
    family: 'inet',
    state,
    local: { address: '10.0.0.1', port: lport },
    remote:
      state === 'LISTEN' ? { address: '0.0.0.0', port: undefined } : { address: '10.0.0.2', port: rport },
    inode,
  };
}
/** A table that builds a new object per `socket(i)`, as the netlink records do, and counts them. */
class RecordLikeTable extends ArrayTable {
  built = 0;
  override socket(i: number): Socket {
    this.built++;
    return structuredClone(this.sockets[i]!);
  }
}
/** A netlink-like look: table-backed, with the cookies as numbers (what snapshotCookies hands the tracker). */
const tableSnap = (takenAt: number, sockets: Socket[]) => {
  const table = new RecordLikeTable(sockets);
  const snapshot = tableBackedSnapshot({ source: { kind: 'netlink', name: 't' }, takenAt }, table, []);
  const ids = Float64Array.from(sockets, (s) => Number.parseInt(s.cookie!, 16));
  return { snapshot, ids, table };
};
const snap = (takenAt: number, sockets: Socket[]): Snapshot => ({
  source: { kind: 'text', name: 't' },
  takenAt,
  sockets,
  warnings: [],
});

describe('ConnectionTracker', () => {
  it('bounds the age of a state by the looks: a lower bound only for what was there at the first look', () => {
    const t = new ConnectionTracker();
    t.update(snap(0, [sock(80, 0, 'LISTEN', 5), sock(8080, 4000, 'ESTABLISHED', 7)]));
    const step = t.update(snap(10_000, [sock(80, 0, 'LISTEN', 5), sock(8080, 4000, 'CLOSE_WAIT', 7)]));
    expect(step.previousAt).toBe(0);
    expect(step.departures.ESTABLISHED).toBe(1);
    expect(step.arrivals.CLOSE_WAIT).toBe(1);
    const byState = new Map([...t.current()].map((c) => [c.state, c]));
    const listen = byState.get('LISTEN')!;
    const cw = byState.get('CLOSE_WAIT')!;
    // LISTEN was there at the first look: "at least 25 s", no upper bound.
    expect(trackedAge(listen, 25_000)).toEqual({ minMs: 25_000 });
    expect(formatTrackedAge(trackedAge(listen, 25_000))).toBe('≥25s');
    // CLOSE_WAIT was entered between the looks at 0 and 10 s: 15..25 s at 25 s.
    expect(trackedAge(cw, 25_000)).toEqual({ minMs: 15_000, maxMs: 25_000 });
    expect(cw.transitions).toEqual([{ from: 'ESTABLISHED', to: 'CLOSE_WAIT', after: 0, by: 10_000 }]);
    expect(cw.firstSeen).toBe(0);
  });

  it('keeps one connection across the inode dropping to 0 (close → TIME_WAIT) but splits a reused 4-tuple', () => {
    const t = new ConnectionTracker();
    t.update(snap(0, [sock(5000, 443, 'ESTABLISHED', 99)]));
    t.update(snap(1000, [sock(5000, 443, 'TIME_WAIT', 0)]));
    const [tw] = [...t.current()];
    expect(tw!.transitions.map((x) => x.to)).toEqual(['TIME_WAIT']);
    const id = tw!.id;
    // Same 4-tuple back in SYN_SENT: the old connection ended, a new one began.
    const step = t.update(snap(2000, [sock(5000, 443, 'SYN_SENT', 120)]));
    const [fresh] = [...t.current()];
    expect(fresh!.id).not.toBe(id);
    expect(step.events.map((e) => e.kind).sort()).toEqual(['closed', 'opened']);
    // A different non-zero inode in the same state is also a new connection.
    t.update(snap(3000, [sock(5000, 443, 'SYN_SENT', 121)]));
    expect([...t.current()][0]!.id).not.toBe(fresh!.id);
  });

  it('counts arrivals and departures per group', () => {
    const t = new ConnectionTracker();
    t.update(snap(0, [sock(8080, 0, 'LISTEN'), sock(8080, 1, 'ESTABLISHED')]));
    const step = t.update(
      snap(1000, [
        sock(8080, 0, 'LISTEN'),
        sock(8080, 1, 'CLOSE_WAIT'),
        sock(8080, 2, 'CLOSE_WAIT'),
        sock(9, 443, 'SYN_SENT'),
      ]),
    );
    const flow = flowByGroup(step.events, 'service');
    expect(flow.get('8080')!.arrivals.CLOSE_WAIT).toBe(2);
    expect(flow.get('8080')!.departures.ESTABLISHED).toBe(1);
    expect(flow.get('→443')!.arrivals.SYN_SENT).toBe(1);
  });

  it('age distribution and oldest-per-state agree with a brute-force sort', () => {
    const t = new ConnectionTracker();
    const sockets: Socket[] = [];
    for (let i = 0; i < 50; i++) sockets.push(sock(1000 + i, 80, i % 2 ? 'CLOSE_WAIT' : 'ESTABLISHED'));
    t.update(snap(0, sockets.slice(0, 10)));
    t.update(snap(30_000, sockets.slice(0, 30)));
    t.update(snap(700_000, sockets));
    const dist = ageDistribution(t.current(), 700_000);
    expect(dist.get('CLOSE_WAIT')!.count).toBe(25);
    expect(dist.get('CLOSE_WAIT')!.lowerBoundOnly).toBe(5);
    // ages: 5 at ≥700 s (10m-1h), 10 at 670 s (10m-1h), 10 at 0 s (<1s)
    expect(dist.get('CLOSE_WAIT')!.buckets).toEqual([10, 0, 0, 0, 15, 0, 0]);
    const oldest = oldestPerState(t.current(), 700_000, 3).get('ESTABLISHED')!;
    const brute = [...t.current()]
      .filter((c) => c.state === 'ESTABLISHED')
      .map((c) => trackedAge(c, 700_000).minMs)
      .sort((a, b) => b - a)
      .slice(0, 3);
    expect(oldest.map((o) => o.age.minMs)).toEqual(brute);
  });

  it('counts match the snapshot and every connection is conserved (property)', () => {
    const state = fc.constantFrom(...TCP_STATES);
    const look = fc.uniqueArray(fc.record({ port: fc.integer({ min: 1, max: 30 }), state }), {
      selector: (x) => x.port,
      maxLength: 30,
    });
    fc.assert(
      fc.property(fc.array(look, { minLength: 1, maxLength: 8 }), (looks) => {
        const t = new ConnectionTracker();
        let previous = new Map<number, TcpState>();
        looks.forEach((l, i) => {
          const step = t.update(
            snap(
              i * 1000,
              l.map((x) => sock(x.port, 80, x.state)),
            ),
          );
          expect(t.size).toBe(l.length);
          for (const s of TCP_STATES) expect(step.counts[s]).toBe(l.filter((x) => x.state === s).length);
          if (i > 0) {
            // count(now) = count(before) + arrivals - departures, per state
            for (const s of TCP_STATES) {
              const before = [...previous.values()].filter((v) => v === s).length;
              expect(step.counts[s]).toBe(before + step.arrivals[s] - step.departures[s]);
            }
          }
          previous = new Map(l.map((x) => [x.port, x.state]));
        });
      }),
      { numRuns: 200 },
    );
  });

  it('follows connections across repeated looks of real /proc text', () => {
    const text = readFileSync(
      new URL('../fixtures/netstat/linux-proc-net-tcp-1.txt', import.meta.url),
      'utf8',
    );
    const sockets = parseProcNetTcp(text, 'inet', []);
    const t = new ConnectionTracker();
    t.update(snap(0, sockets));
    const step = t.update(snap(5000, sockets));
    expect(t.size).toBe(sockets.length);
    expect(step.events).toEqual([]);
    for (const c of t.current()) expect(trackedAge(c, 5000)).toEqual({ minMs: 5000 });
  });

  describe('sockets named by cookie (netlink)', () => {
    const withCookie = (s: Socket, cookie: number): Socket => ({ ...s, cookie: cookie.toString(16) });

    it('follows a connection by its cookie and builds its 4-tuple key only when asked', () => {
      const t = new ConnectionTracker();
      t.update(snap(0, [withCookie(sock(8080, 4000, 'ESTABLISHED', 7), 0x10)]));
      const step = t.update(snap(5000, [withCookie(sock(8080, 4000, 'CLOSE_WAIT', 7), 0x10)]));
      expect(step.events.map((e) => e.kind)).toEqual(['changed']);
      const [cw] = [...t.current()];
      expect(cw!.transitions).toEqual([{ from: 'ESTABLISHED', to: 'CLOSE_WAIT', after: 0, by: 5000 }]);
      expect(cw!.key).toBe('inet|10.0.0.1|8080|10.0.0.2|4000');
    });

    it('continues a connection whose socket changed (request socket accepted) by its 4-tuple', () => {
      const t = new ConnectionTracker();
      t.update(
        snap(0, [withCookie(sock(80, 0, 'LISTEN', 5), 1), withCookie(sock(80, 5555, 'SYN_RECEIVED'), 2)]),
      );
      const step = t.update(
        snap(1000, [
          withCookie(sock(80, 0, 'LISTEN', 5), 1),
          withCookie(sock(80, 5555, 'ESTABLISHED', 9), 3),
        ]),
      );
      expect(step.events.map((e) => e.kind)).toEqual(['changed']);
      expect(step.arrivals.ESTABLISHED).toBe(1);
      expect(step.departures.SYN_RECEIVED).toBe(1);
    });

    it('splits a reused 4-tuple (a new cookie after a closing state) into closed and opened', () => {
      const t = new ConnectionTracker();
      t.update(snap(0, [withCookie(sock(5000, 443, 'TIME_WAIT'), 4)]));
      const step = t.update(snap(1000, [withCookie(sock(5000, 443, 'SYN_SENT', 120), 8)]));
      expect(step.events.map((e) => e.kind)).toEqual(['closed', 'opened']);
    });

    it('reads a table-backed look in place: no socket object for a connection it already knew', () => {
      const t = new ConnectionTracker();
      const sockets = [
        withCookie(sock(80, 0, 'LISTEN', 5), 1),
        withCookie(sock(80, 5555, 'ESTABLISHED', 9), 2),
        withCookie(sock(6000, 443, 'ESTABLISHED', 10), 3),
      ];
      const first = tableSnap(0, sockets);
      t.update(first.snapshot, first.ids);
      expect(first.table.built).toBe(1); // the listener, for its key
      const second = tableSnap(1000, [
        ...sockets.slice(0, 2),
        withCookie(sock(6000, 443, 'FIN_WAIT_1', 10), 3),
      ]);
      const step = t.update(second.snapshot, second.ids);
      expect(second.table.built).toBe(0);
      expect(step.events.map((e) => e.kind)).toEqual(['changed']);
      const changed = step.events[0]!.connection;
      expect(changed.socket.state).toBe('FIN_WAIT_1');
      expect(changed.service).toBe('→443');
      expect(second.table.built).toBe(1);
      expect(
        [...t.current()].find((c) => c.socket.local.port === 80 && c.state === 'ESTABLISHED')?.service,
      ).toBe('80');
    });

    it('keeps two SO_REUSEPORT listeners on one 4-tuple apart, with distinct keys', () => {
      const t = new ConnectionTracker();
      const looks = [0, 1000, 2000].map((at) =>
        snap(at, [withCookie(sock(80, 0, 'LISTEN', 5), 1), withCookie(sock(80, 0, 'LISTEN', 6), 2)]),
      );
      for (const l of looks) t.update(l);
      const keys = [...t.current()].map((c) => c.key);
      expect(new Set(keys).size).toBe(2);
      expect(t.size).toBe(2);
    });

    it('relabels a connection that kept its state when the listeners change (labels are kept only while they stay)', () => {
      const conn = withCookie(sock(8080, 50000, 'ESTABLISHED'), 7);
      const listener = withCookie({ ...sock(8080, 0, 'LISTEN'), inode: 1 }, 9);
      const t = new ConnectionTracker();
      const service = () => [...t.current()].find((c) => c.state === 'ESTABLISHED')?.service;
      for (const [at, sockets, expected] of [
        [0, [conn], '→50000'],
        [1000, [conn], '→50000'],
        [2000, [listener, conn], '8080'],
        [3000, [conn, listener], '8080'],
        [4000, [conn], '→50000'],
      ] as const) {
        const look = tableSnap(at, [...sockets]);
        t.update(look.snapshot, look.ids);
        expect(service()).toBe(expected);
      }
    });

    it('labels every connection as serviceOf would, looks with listeners and reordered sockets (property)', () => {
      const state = fc.constantFrom(...TCP_STATES.filter((s) => s !== 'LISTEN'));
      const look = fc.record({
        conns: fc.uniqueArray(fc.record({ port: fc.integer({ min: 1, max: 12 }), state }), {
          selector: (x) => x.port,
          maxLength: 12,
        }),
        listeners: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 4 }),
        order: fc.array(fc.nat(), { maxLength: 16 }),
      });
      fc.assert(
        fc.property(fc.array(look, { minLength: 1, maxLength: 6 }), (looks) => {
          const t = new ConnectionTracker();
          const cookies = new Map<number, { state: TcpState; cookie: number }>();
          let nextCookie = 1;
          looks.forEach((l, n) => {
            const sockets: Socket[] = [];
            for (const x of l.conns) {
              const before = cookies.get(x.port);
              const reuse = before !== undefined && isReuseState(before.state, x.state);
              const cookie = before !== undefined && !reuse ? before.cookie : nextCookie++;
              cookies.set(x.port, { state: x.state, cookie });
              sockets.push(withCookie(sock(x.port, 80, x.state), cookie));
            }
            for (const port of l.listeners)
              sockets.push(withCookie({ ...sock(port, 0, 'LISTEN'), inode: port }, 1000 + port));
            // Shuffle, so a connection changes index between looks.
            for (let i = sockets.length - 1; i > 0; i--) {
              const j = (l.order[i] ?? 0) % (i + 1);
              [sockets[i], sockets[j]] = [sockets[j]!, sockets[i]!];
            }
            const look = tableSnap(n * 1000, sockets);
            t.update(look.snapshot, look.ids);
            const listening = new Set(l.listeners);
            for (const c of t.current()) expect(c.service).toBe(serviceOf(c.socket, listening));
            expect(t.size).toBe(sockets.length);
          });
        }),
        { numRuns: 300 },
      );
    });

    it('agrees with 4-tuple tracking on counts, arrivals, departures and transitions (property)', () => {
      // Connections on distinct ports; each socket generation has its own cookie, as the kernel gives.
      const state = fc.constantFrom(...TCP_STATES.filter((s) => s !== 'LISTEN'));
      const look = fc.uniqueArray(fc.record({ port: fc.integer({ min: 1, max: 30 }), state }), {
        selector: (x) => x.port,
        maxLength: 20,
      });
      fc.assert(
        fc.property(fc.array(look, { minLength: 1, maxLength: 8 }), (looks) => {
          const byTuple = new ConnectionTracker();
          const byCookie = new ConnectionTracker();
          const byTable = new ConnectionTracker();
          let last = new Map<number, { state: TcpState; cookie: number }>();
          let nextCookie = 1;
          looks.forEach((l, i) => {
            const now = new Map<number, { state: TcpState; cookie: number }>();
            const plain: Socket[] = [];
            const named: Socket[] = [];
            for (const x of l) {
              const s = sock(x.port, 80, x.state);
              const before = last.get(x.port);
              // The kernel keeps a cookie while the socket lives; a reused 4-tuple is a new socket.
              const reuse = before !== undefined && isReuseState(before.state, x.state);
              const cookie = before !== undefined && !reuse ? before.cookie : nextCookie++;
              now.set(x.port, { state: x.state, cookie });
              plain.push(s);
              named.push(withCookie(s, cookie));
            }
            const a = byTuple.update(snap(i * 1000, plain));
            const b = byCookie.update(snap(i * 1000, named));
            const look = tableSnap(i * 1000, named);
            const c = byTable.update(look.snapshot, look.ids);
            // From the table: the same step and the same connections (socket, labels, ages), built on demand.
            expect(c).toEqual(b);
            const conn = (
              x: ReturnType<ConnectionTracker['current']> extends Iterable<infer T> ? T : never,
            ) => ({
              ...x,
              key: x.key,
              socket: x.socket,
            });
            expect([...byTable.current()].map(conn)).toEqual([...byCookie.current()].map(conn));
            expect(b.counts).toEqual(a.counts);
            expect(b.arrivals).toEqual(a.arrivals);
            expect(b.departures).toEqual(a.departures);
            const sig = (e: (typeof a.events)[number]) =>
              `${e.kind} ${e.connection.key} ${e.kind === 'changed' ? e.from : ''}>${e.connection.state}`;
            expect(b.events.map(sig).sort()).toEqual(a.events.map(sig).sort());
            last = now;
          });
        }),
        { numRuns: 300 },
      );
    });
  });
});
