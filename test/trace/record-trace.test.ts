/**
 * `record --trace on` against the real kernel: connections staged in a fresh namespace, some held ~1 s in
 * CLOSE_WAIT and many shorter than the interval, must come back from the recording as exact stays.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
      // ... each once: a hold under way at the first look is the kernel's exact stay, not also a looks' '≥' one.
      expect(tis('CLOSE_WAIT')?.endedTotal).toBe(HOLDS + QUICK);
      expect(tis('CLOSE_WAIT')?.atLeastTotal).toBe(0);
      // Both ends of every connection left ESTABLISHED, as the kernel saw it.
      expect(tis('ESTABLISHED')?.exactTotal).toBe(2 * (HOLDS + QUICK));
      // IN/OUT are the kernel's counts, though the looks, 2 s apart, saw few of these connections at all: every
      // connection's two ends entered and left ESTABLISHED, and each server side went through CLOSE_WAIT.
      const flow = (state: string) => report.states.find((s) => s.state === state);
      const all = JSON.stringify(report.states.map((s) => [s.state, s.arrivals, s.departures]));
      expect(flow('ESTABLISHED')?.arrivals, all).toBe(2 * (HOLDS + QUICK));
      expect(flow('ESTABLISHED')?.departures, all).toBe(2 * (HOLDS + QUICK));
      expect(flow('CLOSE_WAIT')?.arrivals, all).toBe(HOLDS + QUICK);
      expect(flow('SYN_SENT')?.arrivals, all).toBe(HOLDS + QUICK);
      // The transitions themselves, stored per look and summed: the Linux sequence of both ends.
      const moves = new Map(report.kernel?.transitions.map((t) => [`${t.from}>${t.to}`, t.count]));
      expect(report.kernel?.looks).toBeGreaterThanOrEqual(3);
      for (const move of [
        'CLOSED>SYN_SENT',
        'SYN_SENT>ESTABLISHED',
        'LISTEN>SYN_RECEIVED',
        'SYN_RECEIVED>ESTABLISHED',
        'ESTABLISHED>FIN_WAIT_1',
        'FIN_WAIT_1>FIN_WAIT_2',
        'FIN_WAIT_2>TIME_WAIT',
        'ESTABLISHED>CLOSE_WAIT',
        'CLOSE_WAIT>LAST_ACK',
        'LAST_ACK>CLOSED',
      ]) {
        expect(moves.get(move), `${move} in ${JSON.stringify([...moves])}`).toBe(HOLDS + QUICK);
      }
      expect(text.stdout).toContain('Transitions (counted by the kernel)');
      expect(text.stdout).toMatch(/CLOSE_WAIT → LAST_ACK\s+18/);
      const html = runCli(['report', '--db', db, '--html', join(dir, 'r.html')]);
      expect(html.status, html.stderr).toBe(0);
      const page = readFileSync(join(dir, 'r.html'), 'utf8');
      expect(page).toMatch(
        /CLOSE_WAIT<\/span><small>18 ended · <span class="kernel"[^>]*>KERNEL<\/span> all exact/,
      );

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
