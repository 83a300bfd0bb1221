import { describe, expect, it } from 'vitest';
import { type KernelEvent, KernelTracker, KIND, type StateChange } from '../../src/track/kernel-trace.ts';
import { TraceSummarizer } from '../../src/track/trace-summary.ts';

// Linux state numbers (include/net/tcp_states.h)
const EST = 1;
const SYN_SENT = 2;
const FW1 = 4;
const FW2 = 5;
const TW = 6;
const CLOSE = 7;

function ev(
  kind: number,
  atMs: number,
  from: number,
  to: number,
  extra: Partial<KernelEvent> = {},
): KernelEvent {
  return {
    kind,
    atMs,
    cookie: '7',
    skaddr: 'ffff1',
    ino: 0,
    netns: 1,
    pid: 0,
    comm: '',
    oldState: from,
    newState: to,
    derived: false,
    family: 'inet',
    sport: 40000,
    dport: 80,
    saddr: '127.0.0.1',
    daddr: '127.0.0.1',
    ...extra,
  };
}

function run(events: KernelEvent[], flushAt = Number.POSITIVE_INFINITY): StateChange[] {
  const t = new KernelTracker();
  const out: StateChange[] = [];
  for (const e of events) t.push(e, out);
  t.flush(flushAt, out);
  return out;
}

const moves = (changes: StateChange[]) => changes.map((c) => `${c.from}>${c.to}`);

describe('KernelTracker', () => {
  it('gives the exact stay in the state left, and none for a stay that began before tracing', () => {
    const out = run([
      ev(KIND.setState, 100, EST, FW1, { ino: 55, pid: 9, comm: 'curl' }),
      ev(KIND.setState, 102.5, FW1, FW2),
    ]);
    expect(moves(out)).toEqual(['ESTABLISHED>FIN_WAIT_1', 'FIN_WAIT_1>FIN_WAIT_2']);
    expect(out[0]?.stayMs).toBeUndefined();
    expect(out[1]?.stayMs).toBe(2.5);
    // the owner named in process context stays with the connection when later changes run in softirq
    expect(out[1]?.owner).toEqual({ pid: 9, command: 'curl' });
  });

  it('after a lost change (ring buffer full) claims no stay, and is exact again from the next change on', () => {
    const out = run([
      ev(KIND.setState, 100, CLOSE, SYN_SENT),
      // SYN_SENT → ESTABLISHED at 101 was lost: the connection is still SYN_SENT as far as the tracker knew
      ev(KIND.setState, 105, EST, FW1),
      ev(KIND.setState, 107, FW1, FW2),
    ]);
    expect(moves(out)).toEqual(['CLOSED>SYN_SENT', 'ESTABLISHED>FIN_WAIT_1', 'FIN_WAIT_1>FIN_WAIT_2']);
    // Not 5 ms of ESTABLISHED (it began when the lost change happened, unknown) ...
    expect(out[1]?.stayMs).toBeUndefined();
    // ... and the state the kernel says it left is taken as the truth from here on.
    expect(out[2]?.stayMs).toBe(2);
  });

  it('reports FIN_WAIT_2 → TIME_WAIT (not → CLOSED) when the mini-socket replaces the socket, and its end', () => {
    const out = run([
      ev(KIND.setState, 0, 7, SYN_SENT),
      ev(KIND.setState, 1, SYN_SENT, EST),
      ev(KIND.setState, 10, EST, FW1),
      ev(KIND.setState, 11, FW1, FW2),
      ev(KIND.toTimeWait, 20, FW2, TW),
      // the timer fires: detached (cancel) then expired, 60 s later, on the mini-socket's address
      ev(KIND.twKill, 60_020, TW, CLOSE, { skaddr: 'ffff2' }),
      ev(KIND.twExpire, 60_020.01, TW, CLOSE, { skaddr: 'ffff2' }),
    ]);
    expect(moves(out)).toEqual([
      'CLOSED>SYN_SENT',
      'SYN_SENT>ESTABLISHED',
      'ESTABLISHED>FIN_WAIT_1',
      'FIN_WAIT_1>FIN_WAIT_2',
      'FIN_WAIT_2>TIME_WAIT',
      'TIME_WAIT>CLOSED',
    ]);
    expect(out[4]?.stayMs).toBe(9);
    expect(out[4]?.lifeMs).toBe(20);
    expect(out[5]?.stayMs).toBeCloseTo(60_000.01, 6);
  });

  it('keeps an orphan FIN_WAIT_2 in FIN_WAIT_2 when it becomes a mini-socket, and times its stay across', () => {
    const out = run([
      ev(KIND.setState, 0, EST, FW1),
      ev(KIND.setState, 2, FW1, FW2),
      ev(KIND.toTimeWait, 2.01, FW2, FW2),
      // the peer's FIN: the timer is re-armed (detach + attach), the substate moves
      ev(KIND.twKill, 500, FW2, CLOSE, { skaddr: 'ffff2' }),
      ev(KIND.twRearm, 500.001, TW, TW, { skaddr: 'ffff2' }),
      ev(KIND.twSubstate, 500.002, FW2, TW, { skaddr: 'ffff2' }),
    ]);
    expect(moves(out)).toEqual(['ESTABLISHED>FIN_WAIT_1', 'FIN_WAIT_1>FIN_WAIT_2', 'FIN_WAIT_2>TIME_WAIT']);
    expect(out[2]?.stayMs).toBeCloseTo(498.002, 6);
  });

  it('reports a removed mini-socket (not re-armed within a moment) as its end', () => {
    const events = [ev(KIND.toTimeWait, 0, FW2, TW), ev(KIND.twKill, 1000, TW, CLOSE, { skaddr: 'ffff2' })];
    expect(moves(run(events, 1000.5))).toEqual(['FIN_WAIT_2>TIME_WAIT']);
    const out = run(events, 1010);
    expect(moves(out)).toEqual(['FIN_WAIT_2>TIME_WAIT', 'TIME_WAIT>CLOSED']);
    expect(out[1]?.stayMs).toBe(1000);
  });

  it('ignores a state set to itself (close() after shutdown: FIN_WAIT1 → FIN_WAIT1) and keeps the stay', () => {
    const out = run([
      ev(KIND.setState, 0, EST, FW1),
      ev(KIND.setState, 5, FW1, FW1),
      ev(KIND.setState, 7, FW1, FW2),
    ]);
    expect(moves(out)).toEqual(['ESTABLISHED>FIN_WAIT_1', 'FIN_WAIT_1>FIN_WAIT_2']);
    expect(out[1]?.stayMs).toBe(7);
  });

  it('treats an accepted child (LISTEN → SYN_RECV, cloned from the listener) as a new socket', () => {
    const out = run([
      ev(KIND.setState, 0, 10, 3, { cookie: '8' }),
      ev(KIND.setState, 0.01, 3, EST, { cookie: '8' }),
    ]);
    expect(out[0]?.stayMs).toBeUndefined();
    expect(out[1]?.stayMs).toBeCloseTo(0.01, 9);
  });
});

describe('TraceSummarizer', () => {
  it('counts changes, stays and short-lived connections', () => {
    const s = new TraceSummarizer();
    for (const c of run([
      ev(KIND.setState, 0, 7, SYN_SENT),
      ev(KIND.setState, 1, SYN_SENT, EST),
      ev(KIND.setState, 301, EST, 7),
    ]))
      s.add(c);
    const sum = s.summary();
    expect(sum.changes).toBe(3);
    expect(sum.connections).toBe(1);
    expect(sum.shortLived).toBe(1);
    expect(sum.stays.find((x) => x.state === 'ESTABLISHED')?.p50).toBe(300);
  });
});
