import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSnapshotWrite } from '../../src/store/snapshot-write.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import { ConnectionTracker } from '../../src/track/tracker.ts';
import { runCli } from '../helpers/cli.ts';
import { snap, sock } from '../helpers/recording.ts';

/**
 * Readers of a recording (report, serve --db) must not need to write anything: a recording made by root read by
 * another user, or one on read-only media.
 */

const isRoot = process.getuid?.() === 0;
const hasRunuser = spawnSync('runuser', ['--help']).status === 0;
const canMount =
  isRoot &&
  (() => {
    const probe = mkdtempSync(join(tmpdir(), 'tcpstate-mountprobe-'));
    const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
    if (ok) spawnSync('umount', [probe]);
    rmSync(probe, { recursive: true, force: true });
    return ok;
  })();

const dir = mkdtempSync(join(tmpdir(), 'tcpstate-readers-'));
chmodSync(dir, 0o755);
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  rmSync(dir, { recursive: true, force: true });
});

/** A small recording of 4 looks with 3 CLOSE_WAIT, closed as `record` closes it. */
function makeRecording(path: string): void {
  const store = openSqliteStore(path, { write: true, spanMinMs: 0 });
  const tracker = new ConnectionTracker();
  for (let i = 0; i < 4; i++) {
    const s = snap(1_000_000 + i * 1000, [
      sock(1, 'CLOSE_WAIT'),
      sock(2, 'CLOSE_WAIT'),
      sock(3, 'CLOSE_WAIT'),
    ]);
    store.append(buildSnapshotWrite(s, tracker.update(s), tracker, []));
  }
  store.close();
}

/** The same recording left in WAL mode, as a recorder killed with SIGKILL (or an older tcpstate) leaves it. */
function makeWalRecording(path: string): void {
  makeRecording(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.close();
}

const asNobody = (args: string[]) => {
  const tsx = join(process.cwd(), 'node_modules', 'tsx', 'dist', 'loader.mjs');
  const r = spawnSync(
    'runuser',
    ['-u', 'nobody', '--', process.execPath, '--import', tsx, 'src/cli/main.ts', ...args],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', HOME: '/tmp' } },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('reading a recording without writing to it', () => {
  it.skipIf(!isRoot || !hasRunuser)(
    'report as nobody on a 0644 recording made by root (clean close and WAL left behind)',
    () => {
      for (const [name, make] of [
        ['clean.db', makeRecording],
        ['wal.db', makeWalRecording],
      ] as const) {
        const path = join(dir, name);
        make(path);
        chmodSync(path, 0o644);
        const r = asNobody(['report', '--db', path, '--json']);
        expect(r.stderr, name).toBe('');
        expect(r.status, name).toBe(0);
        const states = JSON.parse(r.stdout).states as Array<{ state: string; last: number }>;
        expect(states.find((s) => s.state === 'CLOSE_WAIT')?.last, name).toBe(3);
        // Nothing was left beside the file by the reader.
        expect(existsSync(`${path}-shm`), name).toBe(false);
      }
    },
  );

  it.skipIf(!canMount)('report and the store from a read-only filesystem', () => {
    const mount = join(dir, 'ro');
    mkdirSync(mount);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]).status).toBe(0);
    mounts.push(mount);
    chmodSync(mount, 0o755);
    makeRecording(join(dir, 'src-clean.db'));
    makeWalRecording(join(dir, 'src-wal.db'));
    copyFileSync(join(dir, 'src-clean.db'), join(mount, 'clean.db'));
    copyFileSync(join(dir, 'src-wal.db'), join(mount, 'wal.db'));
    expect(spawnSync('mount', ['-o', 'remount,ro', mount]).status).toBe(0);
    for (const name of ['clean.db', 'wal.db']) {
      const path = join(mount, name);
      const r = runCli(['report', '--db', path, '--json']);
      expect(r.stderr, name).toBe('');
      expect(r.status, name).toBe(0);
      const store = openSqliteStore(path);
      expect(store.snapshots().map((s) => s.counts.CLOSE_WAIT)).toEqual([3, 3, 3, 3]);
      store.close();
      if (hasRunuser) expect(asNobody(['report', '--db', path]).status, `${name} as nobody`).toBe(0);
    }
  });
});

describe('recorder faults', () => {
  it.skipIf(!canMount)(
    'a full disk during record: a clear error naming the file, exit 1, the recording intact',
    () => {
      const mount = join(dir, 'full');
      mkdirSync(mount);
      // Small enough that a few looks fill it (every commit appends its pages to the write-ahead log).
      expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=160k', 'tmpfs', mount]).status).toBe(0);
      mounts.push(mount);
      const path = join(mount, 'r.db');
      // An empty namespace of our own, so each look is the same small size whatever else runs on this host (the
      // host's table can be bigger than the disk, and then not even the first look fits).
      const ns = `tcpst-full-${process.pid}`;
      expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
      let r: ReturnType<typeof runCli>;
      try {
        r = runCli([
          'record',
          '--db',
          path,
          '--netns',
          ns,
          '-i',
          '100ms',
          '-d',
          '30s',
          '--no-kernel',
          '--trace',
          'off',
          '-q',
        ]);
      } finally {
        spawnSync('ip', ['netns', 'del', ns]);
      }
      expect(r.stderr).not.toMatch(/internal error|bug/);
      expect(r.stderr).toContain(path);
      expect(r.stderr).toMatch(/disk is full|no space/i);
      expect(r.status).toBe(1);
      // Intact: readable, and every look it committed is there.
      const copy = join(dir, 'full-copy.db');
      copyFileSync(path, copy);
      if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
      const store = openSqliteStore(copy);
      expect(store.snapshots().length).toBeGreaterThan(0);
      expect(store.meta().schema_version).toBeDefined();
      store.close();
    },
  );

  it('a recorder that finds a new file being created by another one: refused with a clear message, no raw SQL error', async () => {
    const { spawn } = await import('node:child_process');
    const { SCHEMA } = await import('../../src/store/schema.ts');
    const path = join(dir, 'race.db');
    // The first recorder is mid-creation: the file exists in WAL mode, its schema not yet committed.
    const first = new Database(path);
    first.pragma('journal_mode = WAL');
    first.prepare('BEGIN IMMEDIATE').run();
    first.exec(SCHEMA);
    first.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', '1')").run();
    const store = new URL('../../src/store/sqlite-store.ts', import.meta.url).href;
    const script = `import { openSqliteStore } from '${store}';
      console.log('opening');
      try { openSqliteStore(${JSON.stringify(path)}, { write: true }).close(); }
      catch (e) { console.error(e.name + ': ' + e.message); process.exitCode = e.name === 'StoreError' ? 1 : 70; }`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 300));
    // The first one finishes creating and takes the lease, as a recorder does.
    first.exec(
      `INSERT INTO recorder_lock (id, pid, host, proc_start, started_at, heartbeat_at)
       VALUES (1, ${process.pid}, '${(await import('node:os')).hostname()}', '?', 0, 0)`,
    );
    first.prepare('COMMIT').run();
    const code = await exited;
    first.close();
    expect(stderr).not.toMatch(/UNIQUE|SqliteError/);
    expect(stderr).toMatch(/StoreError: .*another tcpstate record/);
    expect(code).toBe(1);
  });
});
