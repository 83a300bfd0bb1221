import { describe, expect, it } from 'vitest';
import type { Socket, TcpInfo } from '../../src/model/snapshot.ts';
import { ArrayTable, tableBackedSnapshot } from '../../src/model/socket-table.ts';
import { formatTrackedAge } from '../../src/track/ages.ts';
import { bestAge, connectionAge, estimatedAge, KernelEntryTimes } from '../../src/track/kernel-ages.ts';
import type { StateChange } from '../../src/track/kernel-trace.ts';
import { ConnectionTracker } from '../../src/track/tracker.ts';

const change = (atMs: number, from: StateChange['from'], to: StateChange['to']): StateChange => ({
  atMs,
  from,
  to,
  stayMs: undefined,
  family: 'inet',
  local: { address: '10.0.0.1', port: 8080 },
  remote: { address: '10.0.0.2', port: 40000 },
  id: 'c1',
  inode: 0,
  netns: 1,
  owner: undefined,
  how: 'kernel',
});

describe('KernelEntryTimes', () => {
  const local = { address: '10.0.0.1', port: 8080 };
  const remote = { address: '10.0.0.2', port: 40000 };

  it('gives the exact age in the state the kernel saw it enter, and nothing for another state', () => {
    const e = new KernelEntryTimes();
    // monotonic 500 ms + offset 1,000,000 = wall 1,000,500
    e.add([change(100, 'SYN_RECEIVED', 'ESTABLISHED'), change(500, 'ESTABLISHED', 'CLOSE_WAIT')], 1_000_000);
    expect(e.age(local, remote, 'CLOSE_WAIT', 1_003_000)).toEqual({ minMs: 2500, maxMs: 2500 });
    expect(e.age(local, remote, 'ESTABLISHED', 1_003_000)).toBeUndefined();
  });

  it('forgets a connection once it is closed', () => {
    const e = new KernelEntryTimes();
    e.add([change(500, 'ESTABLISHED', 'CLOSE_WAIT'), change(900, 'LAST_ACK', 'CLOSED')], 0);
    expect(e.age(local, remote, 'CLOSE_WAIT', 1000)).toBeUndefined();
  });
});

describe('bestAge: the kernel age when the looks agree, else the looks', () => {
  // The looks: first seen in the state 4 s ago, last seen in another state 6 s ago.
  const looks = { minMs: 4000, maxMs: 6000 };

  it('takes the kernel age inside the looks bounds (and within a look of slack)', () => {
    expect(bestAge({ minMs: 5000, maxMs: 5000 }, looks)).toEqual({ minMs: 5000, maxMs: 5000 });
    expect(bestAge({ minMs: 3500, maxMs: 3500 }, looks).maxMs).toBe(3500);
  });

  it('refuses a kernel age a lost change made wrong: older than the looks allow, or newer than a look that saw it', () => {
    // e.g. the change into this state was lost, and the entry is of an earlier connection on the same endpoints
    expect(bestAge({ minMs: 60_000, maxMs: 60_000 }, looks)).toBe(looks);
    expect(bestAge({ minMs: 100, maxMs: 100 }, looks)).toBe(looks);
  });

  it('uses the looks when the kernel has nothing, and keeps a kernel age for a state seen since the first look', () => {
    expect(bestAge(undefined, looks)).toBe(looks);
    expect(bestAge({ minMs: 90_000, maxMs: 90_000 }, { minMs: 80_000 })).toEqual({
      minMs: 90_000,
      maxMs: 90_000,
    });
  });
});

describe('estimatedAge: what a socket older than the trace says of its age', () => {
  const base: Socket = {
    protocol: 'tcp',
    family: 'inet',
    state: 'TIME_WAIT',
    local: { address: '127.0.0.1', port: 40000 },
    remote: { address: '127.0.0.1', port: 80 },
  };
  it('TIME_WAIT: 60 s less what its timer has left, moved on to now', () => {
    const tw = { ...base, timer: { kind: 'timewait' as const, expiresMs: 45_500 } };
    expect(estimatedAge(tw, 1000, 1500)).toEqual({ minMs: 15_000, maxMs: 15_000, estimate: true });
  });
  it('an orphan FIN_WAIT_2: tcp_fin_timeout less what is left, when the sysctl is known', () => {
    const fw2 = {
      ...base,
      state: 'FIN_WAIT_2' as const,
      timer: { kind: 'timewait' as const, expiresMs: 20_000 },
    };
    expect(estimatedAge(fw2, 0, 0, { finTimeoutSec: 60 })?.minMs).toBe(40_000);
    expect(estimatedAge(fw2, 0, 0)).toBeUndefined();
  });
  it('CLOSE_WAIT: from the last ACK received (the FIN) up to the last data received', () => {
    const info = { lastAckRecvMs: 7000, lastDataRecvMs: 9000, lastDataSentMs: 9000 } as TcpInfo;
    const cw = { ...base, state: 'CLOSE_WAIT' as const, tcpInfo: info };
    expect(estimatedAge(cw, 0, 1000)).toEqual({ minMs: 8000, maxMs: 10_000, estimate: true });
    expect(formatTrackedAge(estimatedAge(cw, 0, 1000)!)).toBe('~8.0s');
    expect(estimatedAge({ ...base, state: 'ESTABLISHED' }, 0, 0)).toBeUndefined();
  });
});

describe('connectionAge: the one best age of watch and serve, without building what cannot say more', () => {
  /** A table that builds a new object per `socket(i)`, as the netlink records do, and counts them. */
  class RecordLikeTable extends ArrayTable {
    built = 0;
    override socket(i: number): Socket {
      this.built++;
      return structuredClone(this.sockets[i]!);
    }
  }
  const sock = (port: number, state: Socket['state'], extra: Partial<Socket> = {}): Socket => ({
    protocol: 'tcp',
    family: 'inet',
    state,
    local: { address: '10.0.0.1', port },
    remote: { address: '10.0.0.2', port: 40000 },
    cookie: port.toString(16),
    ...extra,
  });
  const sockets = [
    sock(8080, 'ESTABLISHED'),
    sock(8081, 'ESTABLISHED'),
    sock(8082, 'TIME_WAIT', { timer: { kind: 'timewait', expiresMs: 45_000 } }),
  ];
  const look = (takenAt: number) => {
    const table = new RecordLikeTable(sockets);
    const snapshot = tableBackedSnapshot({ source: { kind: 'netlink', name: 't' }, takenAt }, table, []);
    const ids = Float64Array.from(sockets, (s) => Number.parseInt(s.cookie!, 16));
    return { snapshot, ids, table };
  };
  const track = () => {
    const tracker = new ConnectionTracker();
    const first = look(0);
    tracker.update(first.snapshot, first.ids);
    const second = look(5000);
    tracker.update(second.snapshot, second.ids);
    return { tracker, table: second.table };
  };

  it('builds no socket for a state that cannot tell its age when the kernel reported nothing on its ports', () => {
    const { tracker, table } = track();
    const entries = new KernelEntryTimes();
    entries.add(
      [{ ...change(100, 'SYN_RECEIVED', 'ESTABLISHED'), local: { address: '10.0.0.1', port: 9999 } }],
      0,
    );
    const ages = [...tracker.current()].map((c) => connectionAge(c, 6000, { entries, lookAt: 5000 }));
    // Only the TIME_WAIT socket, whose timer tells its age: ESTABLISHED's ports have no kernel entry.
    expect(table.built).toBe(1);
    expect(ages.map((a) => a.kind)).toEqual(['bound', 'bound', 'estimate']);
    expect(ages[0]!.age).toEqual({ minMs: 6000 });
    // TIME_WAIT's 60 s timer has 45 s left at the look, a second before now.
    expect(ages[2]!.age).toEqual({ minMs: 16_000, maxMs: 16_000, estimate: true });
  });

  it("builds the socket of a connection on the kernel's ports and takes the kernel's exact age", () => {
    const { tracker, table } = track();
    const entries = new KernelEntryTimes();
    // Entered ESTABLISHED at monotonic 100 = wall -400 (before the first look): the looks agree (≥ 6 s).
    entries.add([change(100, 'SYN_RECEIVED', 'ESTABLISHED')], -500);
    const ages = [...tracker.current()].map((c) => connectionAge(c, 6000, { entries, lookAt: 5000 }));
    expect(table.built).toBe(2); // 8080 (the kernel's) and the TIME_WAIT; not 8081
    expect(ages[0]).toEqual({ age: { minMs: 6400, maxMs: 6400 }, kind: 'exact' });
    expect(ages[1]!.kind).toBe('bound');
  });
});
