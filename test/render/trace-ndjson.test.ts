import { describe, expect, it } from 'vitest';
import { traceChangeJson, traceChangeNdjson } from '../../src/render/trace-json.ts';
import type { StateChange } from '../../src/track/kernel-trace.ts';

const base: StateChange = {
  atMs: 12_345_678.123456,
  from: 'ESTABLISHED',
  to: 'CLOSE_WAIT',
  stayMs: 2000.7712,
  family: 'inet',
  local: { address: '127.0.0.1', port: 8080 },
  remote: { address: '127.0.0.1', port: 40_000 },
  id: 'c1234',
  inode: 5_590_832,
  netns: 4_026_531_840,
  owner: { pid: 42, command: 'python3' },
  how: 'kernel',
};

describe('traceChangeNdjson: the --ndjson line without an object per change', () => {
  it.each<[string, StateChange]>([
    ['a timed stay with an owner', base],
    ['no owner, a stay under way when tracing began', { ...base, owner: undefined, stayMs: undefined }],
    ['a new socket (no stay, none claimed)', { ...base, from: 'CLOSED', to: 'SYN_SENT', stayMs: undefined }],
    ['an accepted child', { ...base, from: 'LISTEN', to: 'SYN_RECEIVED', stayMs: undefined }],
    [
      'IPv6, no ports, a life, a moment from the timer',
      {
        ...base,
        family: 'inet6',
        local: { address: '::1', port: undefined },
        remote: { address: 'fe80::1', port: undefined },
        lifeMs: 0.0004,
        how: 'derived',
        to: 'TIME_WAIT',
      },
    ],
    ['a process name that needs escaping', { ...base, owner: { pid: 7, command: 'we"ird\\\n\u0001name' } }],
  ])('%s: byte for byte JSON.stringify of the object', (_name, change) => {
    expect(traceChangeNdjson(change, 1_796_000_000_000, 12_000_000)).toBe(
      JSON.stringify(traceChangeJson(change, 1_796_000_000_000, 12_000_000)),
    );
  });
});

describe('the time field', () => {
  it('is toISOString of the wall moment across seconds, fractions and far dates', () => {
    for (const wall of [
      1_796_000_000_000, 1_796_000_000_999.9, 1_796_000_001_000.2, 0.5, 253_402_300_799_999,
    ]) {
      const change = { ...base, atMs: 0 };
      expect(JSON.parse(traceChangeNdjson(change, wall, 0)).time).toBe(new Date(wall).toISOString());
    }
  });
});
