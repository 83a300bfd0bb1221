import { describe, expect, it } from 'vitest';
import { KernelEntryTimes } from '../../src/track/kernel-ages.ts';
import type { StateChange } from '../../src/track/kernel-trace.ts';

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
