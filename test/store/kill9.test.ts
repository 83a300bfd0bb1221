/**
 * The recorder as a user runs it, killed with SIGKILL mid-run: committed looks survive, the file passes
 * `PRAGMA integrity_check`, no look is half-written, and a restarted recorder takes over and continues. A second
 * recorder on a file in use is refused with a clear error.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { waitFor } from '../helpers/netns.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
});

function startRecorder(db: string, extra: string[] = []): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', main, 'record', '--db', db, '-i', '100ms', ...extra],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  return child;
}

function looks(db: string): number {
  try {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return (d.prepare('SELECT COUNT(*) AS n FROM snapshots').get() as { n: number }).n;
    } finally {
      d.close();
    }
  } catch {
    return 0;
  }
}

describe.skipIf(process.platform !== 'linux')('record under kill -9', () => {
  it('keeps every committed look, stays intact, and a restarted recorder continues', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'tcpstate-kill9-')), 'r.db');
    const first = startRecorder(db);
    await waitFor(() => (looks(db) >= 8 ? true : undefined), 20_000);
    const exited = new Promise((r) => first.on('exit', r));
    first.kill('SIGKILL');
    await exited;
    const d = new Database(db);
    expect(d.pragma('integrity_check', { simple: true })).toBe('ok');
    // Every look is whole: its per-state counts add up to its total (one transaction per look).
    const partial = d
      .prepare(
        `SELECT s.id FROM snapshots s LEFT JOIN state_counts c ON c.snapshot_id = s.id
         GROUP BY s.id HAVING s.total != COALESCE(SUM(c.count), 0)`,
      )
      .all();
    expect(partial).toEqual([]);
    const before = (d.prepare('SELECT COUNT(*) AS n FROM snapshots').get() as { n: number }).n;
    // The killed recorder's lease is still there: it could not clean up.
    expect(d.prepare('SELECT pid FROM recorder_lock').get()).toEqual({ pid: first.pid });
    d.close();
    expect(before).toBeGreaterThanOrEqual(8);

    const again = runCli(['record', '--db', db, '-i', '100ms', '-d', '600ms']);
    expect(again.stderr).not.toMatch(/another tcpstate record/);
    expect(again.status).toBe(0);
    expect(looks(db)).toBeGreaterThan(before);
    const d2 = new Database(db, { readonly: true });
    expect(d2.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(d2.prepare('SELECT COUNT(*) AS n FROM recorder_lock').get()).toEqual({ n: 0 }); // released on exit
    d2.close();
  }, 60_000);

  it('refuses a second recorder on the same file with a clear error', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'tcpstate-lock-')), 'r.db');
    const first = startRecorder(db);
    await waitFor(() => (looks(db) >= 2 ? true : undefined), 20_000);
    const second = runCli(['record', '--db', db, '-i', '100ms', '-d', '300ms']);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `^tcpstate: .*r\\.db: another tcpstate record \\(pid ${first.pid} on .*\\) is writing to this file`,
      ),
    );
    expect(second.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(first.exitCode).toBeNull(); // the first keeps recording
    const n = looks(db);
    await waitFor(() => (looks(db) > n ? true : undefined), 10_000);
    // report reads while the recorder writes (WAL)
    const report = runCli(['report', '--db', db, '--json']);
    expect(report.status).toBe(0);
    expect(JSON.parse(report.stdout).looks).toBeGreaterThanOrEqual(n);
  }, 60_000);
});
