/**
 * Durations on the command line: one syntax and one rule everywhere (a number needs its unit), intervals no
 * shorter than serve accepts, and nothing past what a Node timer can wait.
 */
import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, MIN_INTERVAL_MS, parseDuration } from '../../src/cli/duration.ts';
import { runCli } from '../helpers/cli.ts';

describe('parseDuration', () => {
  it('reads units and sums compound durations', () => {
    expect(parseDuration('500ms', '-i')).toBe(500);
    expect(parseDuration('2s', '-i')).toBe(2000);
    expect(parseDuration('1m', '-i')).toBe(60_000);
    expect(parseDuration('1h30m', '-i')).toBe(5_400_000);
    expect(parseDuration('7d', '--retention')).toBe(7 * 86_400_000);
    expect(parseDuration('0', '--span-min', { allowZero: true })).toBe(0);
  });

  it('refuses a bare number: it meant seconds to watch and milliseconds to simulate', () => {
    expect(() => parseDuration('250', '--delay')).toThrow("--delay: '250' needs a unit (250ms or 250s)");
    expect(() => parseDuration('2', '--interval')).toThrow("--interval: '2' needs a unit (2ms or 2s)");
  });

  it('keeps intervals and timers within what can be waited for', () => {
    expect(() => parseDuration('0', '--interval', { min: MIN_INTERVAL_MS, timer: true })).toThrow(
      "--interval: '0' is shorter than 100ms",
    );
    expect(() => parseDuration('99ms', '--interval', { min: MIN_INTERVAL_MS })).toThrow('shorter than 100ms');
    expect(parseDuration('100ms', '--interval', { min: MIN_INTERVAL_MS, timer: true })).toBe(100);
    expect(() => parseDuration('99999h', '--interval', { timer: true })).toThrow(
      "--interval: '99999h' is longer than a timer can wait (24d20h31m23s)",
    );
    expect(parseDuration('24d', '--duration', { timer: true })).toBe(24 * 86_400_000);
    expect(MAX_TIMER_MS).toBe(2 ** 31 - 1);
  });
});

describe('the commands refuse what used to busy-loop or misfire', () => {
  it.each([
    [['watch', '-i', '0'], "--interval: '0' is shorter than 100ms"],
    [['record', '--db', '/nonexistent/x.db', '-i', '0'], "--interval: '0' is shorter than 100ms"],
    [['watch', '-i', '10ms'], "--interval: '10ms' is shorter than 100ms"],
    [['watch', '--interval', '99999h'], 'longer than a timer can wait'],
    [['record', '--db', '/nonexistent/x.db', '-d', '99999h'], 'longer than a timer can wait'],
    [['check', '--interval', '99999h'], 'longer than a timer can wait'],
    [['watch', '-i', '2'], "--interval: '2' needs a unit (2ms or 2s)"],
    [['simulate', 'handshake', '--delay', '250'], "--delay: '250' needs a unit (250ms or 250s)"],
    [['pcap', 'none.pcap', '--time-wait', '60'], "--time-wait: '60' needs a unit (60ms or 60s)"],
    [['serve', '--interval', '5'], "--interval: '5' needs a unit (5ms or 5s)"],
  ])(
    '%j',
    (args, message) => {
      // A command that takes the flag would run on (or busy-loop): the timeout ends it and the test fails.
      const run = runCli(args, { timeout: 20_000 });
      const out = run.stdout + run.stderr;
      expect(out).toContain(message);
      expect(out).not.toMatch(/\n\s+at /);
      // check answers as a monitoring plugin (UNKNOWN = 3); the others exit as usage errors.
      expect(run.status).toBe(args[0] === 'check' ? 3 : 2);
    },
    30_000,
  );
});
