/**
 * `record --trace on` against the real kernel: connections staged in a fresh namespace, some held ~1 s in
 * CLOSE_WAIT and many shorter than the interval, must come back from the recording as exact stays.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { traceUnavailable } from '../../src/sources/trace/kernel.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { Report } from '../../src/track/trends.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { canUseNetns, createNetnsPair, waitFor } from '../helpers/netns.ts';

const why = !canUseNetns ? 'needs root and ip netns' : traceUnavailable();
const STAGE = fileURLToPath(new URL('../helpers/record-stage.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tcpstate-rtrace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(why !== undefined)(`record --trace on${why ? ` (skipped: ${why})` : ''}`, () => {
  it('stores the kernel stays exactly, including connections the looks never saw', async () => {
    const pair = createNetnsPair('tcprec');
    const db = join(dir, 'trace.db');
    const HOLDS = 3;
    const QUICK = 15;
    try {
      const rec = startCli([
        'record',
        '--db',
        db,
        '--netns',
        pair.a.ns,
        '-i',
        '2s',
        '-d',
        '7s',
        '--trace',
        'on',
        '--span-min',
        '500ms',
      ]);
      await waitFor(() => (rec.err().includes('recording to') ? true : undefined), 30_000);
      const staged = JSON.parse(
        pair.exec(pair.a.ns, 'python3', [STAGE, '5099', String(HOLDS), String(QUICK), '1.0']),
      ) as { holds: number[] };
      const exit = await rec.exited;
      expect(exit.code, rec.err()).toBe(0);

      const text = runCli(['report', '--db', db]);
      expect(text.status, text.stderr).toBe(0);
      expect(text.stdout).toContain('with the kernel trace (sock:inet_sock_set_state)');
      const json = runCli(['report', '--db', db, '--json']);
      const report = JSON.parse(json.stdout) as Report;
      const tis = (state: string) => report.timeInState.find((t) => t.state === state);
      // Every server side passed through CLOSE_WAIT: the held ones and the quick ones.
      expect(tis('CLOSE_WAIT')?.exactTotal).toBe(HOLDS + QUICK);
      // Both ends of every connection left ESTABLISHED, as the kernel saw it ...
      expect(tis('ESTABLISHED')?.exactTotal).toBeGreaterThanOrEqual(2 * (HOLDS + QUICK));
      // ... while the looks, 2 s apart, saw few of them arrive at all.
      const seen = report.states.find((s) => s.state === 'ESTABLISHED')?.arrivals ?? 0;
      expect(seen, JSON.stringify(report.states.map((s) => [s.state, s.arrivals]))).toBeLessThan(QUICK);

      // Each CLOSE_WAIT hold, as the staging measured it, is an exact span within ±20 ms.
      const store = openSqliteStore(db);
      const spans = store
        .spans()
        .filter((s) => s.state === 'CLOSE_WAIT' && s.startAfter === s.startBy && s.endBy !== null);
      store.close();
      const got = spans.map((s) => s.endBy! - s.startBy).sort((a, b) => a - b);
      const want = staged.holds.map((s) => s * 1000).sort((a, b) => a - b);
      expect(got).toHaveLength(HOLDS);
      for (const [i, ms] of got.entries()) {
        expect(Math.abs(ms - want[i]!), `${ms} vs ${want[i]}`).toBeLessThan(20);
      }
      expect(Math.abs(tis('CLOSE_WAIT')!.longest!.ms - want[HOLDS - 1]!)).toBeLessThan(20);
    } finally {
      pair.cleanup();
    }
  }, 60_000);
});
