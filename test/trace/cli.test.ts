/**
 * `tcpstate trace` run as a user runs it, against the kernel, in a namespace of its own (nothing else changes
 * state there): the summary covers the time traced, and what was lost is said.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { traceUnavailable } from '../../src/sources/trace/kernel.ts';
import { runCli } from '../helpers/cli.ts';
import { canUseNetns, createNetnsPair, waitFor } from '../helpers/netns.ts';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const BURST = fileURLToPath(new URL('../helpers/trace-burst.py', import.meta.url));
const OLD = fileURLToPath(new URL('../helpers/trace-old.py', import.meta.url));

/** The CLI in the background with extra environment (the tiny ring), its output gathered. */
function spawnCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  const io = { out: '', err: '' };
  child.stdout.on('data', (d) => {
    io.out += d;
  });
  child.stderr.on('data', (d) => {
    io.err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { io, exited };
}

const TINY = { TCPSTATE_TRACE_RING_BYTES: '4096' };

interface NdChange {
  id: string;
  from: string;
  to: string;
  monotonicMs: number;
  stayMs: number | null;
}

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

  it('with a ring buffer too small for a burst: the loss is said on stderr and in the summary, and no stay is made up across it', async () => {
    const pair = createNetnsPair('trlost');
    try {
      const run = spawnCli(['trace', '--netns', pair.a.ns, '-d', '6s', '--ndjson'], TINY);
      await waitFor(() => (run.io.err.includes('tracing TCP state changes') ? true : undefined), 30_000);
      pair.exec(pair.a.ns, 'python3', [BURST, '5300', '400']);
      expect(await run.exited, run.io.err).toBe(0);
      const { out, err } = run.io;
      const lines = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const summary = lines.at(-1).summary as { dropped: number; changes: number };
      // 400 connections are ~4,000 changes; a 4 KiB ring holds ~36 between two drains.
      expect(summary.dropped, err).toBeGreaterThan(0);
      expect(err).toMatch(/the kernel dropped \d+ state changes \(ring buffer full/);
      // What did arrive is consistent: a stay is given only when this change leaves the state the previous change
      // of the same connection entered, and it is the time between them. A lost change leaves the next stay unknown.
      const last = new Map<string, NdChange>();
      let checked = 0;
      for (const c of lines.slice(0, -1) as NdChange[]) {
        const before = last.get(c.id);
        if (c.stayMs !== null) {
          expect(before?.to, JSON.stringify(c)).toBe(c.from);
          expect(Math.abs(c.monotonicMs - before!.monotonicMs - c.stayMs)).toBeLessThan(0.01);
          checked++;
        }
        last.set(c.id, c);
      }
      expect(checked).toBeGreaterThan(0);
    } finally {
      pair.cleanup();
    }
  }, 60_000);

  it('record and watch with a tiny ring: the loss is in the recording and its report, and watch says it once', async () => {
    const pair = createNetnsPair('trlost2');
    const db = join(tmpdir(), `tcpstate-trace-lost-${process.pid}.db`);
    try {
      const rec = spawnCli(
        ['record', '--db', db, '--netns', pair.a.ns, '-i', '1s', '-d', '10s', '--trace', 'on'],
        TINY,
      );
      const watch = spawnCli(
        ['watch', '--netns', pair.a.ns, '--plain', '-i', '1s', '-d', '10s', '--trace', 'on'],
        TINY,
      );
      await waitFor(() => (rec.io.err.includes('recording to') && watch.io.out ? true : undefined), 30_000);
      pair.exec(pair.a.ns, 'python3', [BURST, '5301', '300']);
      pair.exec(pair.a.ns, 'python3', [BURST, '5302', '300']);
      expect(await rec.exited, rec.io.err).toBe(0);
      expect(await watch.exited, watch.io.err).toBe(0);
      expect(rec.io.err).toMatch(/kernel trace: \d+ changes lost/);
      const said = watch.io.err.match(/the kernel trace lost \d+ state changes/g) ?? [];
      expect(said, watch.io.err).toHaveLength(1);
      const report = runCli(['report', '--db', db]);
      expect(report.status, report.stderr).toBe(0);
      expect(report.stdout).toMatch(
        /the kernel lost \d+ changes \(ring buffer full\), which these counts and stays miss/,
      );
    } finally {
      pair.cleanup();
      rmSync(db, { force: true });
    }
  }, 60_000);

  it('watch gives a socket older than the trace an estimated age from its tcp_info, marked ~', async () => {
    const pair = createNetnsPair('trold');
    const staged = spawn('ip', ['netns', 'exec', pair.a.ns, 'python3', OLD, '5400']);
    try {
      let said = '';
      staged.stdout.on('data', (d) => {
        said += d;
      });
      await waitFor(() => (/staged \d/.test(said) ? true : undefined), 10_000);
      const stagedAt = Number(said.match(/staged ([\d.]+)/)![1]) * 1000;
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const run = spawnCli(
        ['watch', '--netns', pair.a.ns, '--plain', '-i', '1s', '-d', '1s', '--trace', 'on'],
        {},
      );
      expect(await run.exited, run.io.err).toBe(0);
      const line = run.io.out.trim().split('\n').at(-1) ?? '';
      // The CLOSE_WAIT began before tracing (no kernel entry) and at the first look (no bound but ≥): the peer's FIN
      // is the last ACK it received, so its age is last_ack_recv, read at the look.
      const m = line.match(/oldest CLOSE_WAIT ~(\d+(?:\.\d)?)s 127\.0\.0\.1:5400->/);
      expect(m, line).not.toBeNull();
      const seconds = Number(m![1]);
      expect(seconds).toBeGreaterThanOrEqual(4);
      expect(seconds).toBeLessThanOrEqual((Date.now() - stagedAt) / 1000 + 0.2);
    } finally {
      staged.kill();
      pair.cleanup();
    }
  }, 60_000);
});
