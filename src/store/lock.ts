import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type BetterSqlite3 from 'better-sqlite3';
import { StoreError } from '../errors.ts';

/**
 * One recorder per file, enforced by a lease row taken inside `BEGIN IMMEDIATE` (so two recorders starting at
 * once cannot both win). The row holds pid, host and the process start time: a recorder killed with SIGKILL
 * leaves the row behind, and the next one sees that pid is gone (or now belongs to another process) and takes
 * over. A recorder on another host is trusted while its heartbeat is fresh.
 */

interface LockRow {
  pid: number;
  host: string;
  proc_start: string;
  started_at: number;
  heartbeat_at: number;
}

/** The kernel's start time of a process (clock ticks since boot), which tells a live pid from a reused one. */
export function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the `(comm)` field, which may itself hold spaces or parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? '?';
  } catch {
    return '?';
  }
}

function alive(pid: number, procStart: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = processStartTime(pid);
  return procStart === '?' || now === '?' || now === procStart;
}

export function acquireRecorderLock(db: BetterSqlite3.Database, path: string, staleAfterMs: number): void {
  const me = { pid: process.pid, host: hostname(), procStart: processStartTime(process.pid) };
  const take = db.transaction(() => {
    const row = db.prepare('SELECT * FROM recorder_lock WHERE id = 1').get() as LockRow | undefined;
    if (row && !(row.pid === me.pid && row.host === me.host)) {
      const held =
        row.host === me.host ? alive(row.pid, row.proc_start) : Date.now() - row.heartbeat_at < staleAfterMs;
      if (held) {
        throw new StoreError(
          `${path}: another tcpstate record (pid ${row.pid} on ${row.host}, since ${new Date(row.started_at).toISOString()}) is writing to this file; stop it or record to another --db`,
        );
      }
    }
    const now = Date.now();
    db.prepare(
      `INSERT INTO recorder_lock (id, pid, host, proc_start, started_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, proc_start = excluded.proc_start,
         started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
    ).run(me.pid, me.host, me.procStart, now, now);
  });
  take.immediate();
}

export function releaseRecorderLock(db: BetterSqlite3.Database): void {
  db.prepare('DELETE FROM recorder_lock WHERE id = 1 AND pid = ? AND host = ?').run(process.pid, hostname());
}
