/**
 * `tcpstate trace` run as a user runs it, against the kernel, in a namespace of its own (nothing else changes
 * state there): the summary covers the time traced, and what was lost is said.
 */
import { describe, expect, it } from 'vitest';
import { traceUnavailable } from '../../src/sources/trace/kernel.ts';
import { runCli } from '../helpers/cli.ts';
import { canUseNetns, createNetnsPair } from '../helpers/netns.ts';

const why = !canUseNetns ? 'needs root and ip netns' : traceUnavailable();

describe.skipIf(why !== undefined)(`tcpstate trace${why ? ` (skipped: ${why})` : ''}`, () => {
  it('with no change at all, the summary spans the traced duration, not 0 s', () => {
    const pair = createNetnsPair('trcli');
    try {
      const text = runCli(['trace', '--netns', pair.a.ns, '-d', '2s'], { timeout: 30_000 });
      expect(text.status, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/0 state changes in 2\.\d s/);
      const json = runCli(['trace', '--netns', pair.a.ns, '-d', '1500ms', '--json'], { timeout: 30_000 });
      expect(json.status, json.stderr).toBe(0);
      const doc = JSON.parse(json.stdout) as { summary: { spanMs: number; changes: number } };
      expect(doc.summary.changes).toBe(0);
      expect(doc.summary.spanMs).toBeGreaterThanOrEqual(1500);
      expect(doc.summary.spanMs).toBeLessThan(2500);
    } finally {
      pair.cleanup();
    }
  }, 60_000);
});
