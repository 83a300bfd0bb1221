import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { formatEndpoint } from '../analysis/address.ts';
import { emptyCounts } from '../analysis/summary.ts';
import { StoreError } from '../errors.ts';
import {
  type DurationRow,
  type GroupSeriesPoint,
  type SpanRow,
  STAY_BOUNDS,
  type StayBound,
  type StoredFinding,
  type StoredGroupKind,
  type StoredSnapshot,
} from '../model/recording.ts';
import type { Endpoint, Socket } from '../model/snapshot.ts';
import { TCP_STATES, type TcpState } from '../states/states.ts';
import { bucketOf } from '../track/ages.ts';
import { type KernelTransition, kernelFlows } from '../track/kernel-stays.ts';
import { endedStay } from '../track/stays.ts';
import type { ConnectionTracker, SeedConnection, TrackedConnection } from '../track/tracker.ts';
import { acquireRecorderLock, releaseRecorderLock } from './lock.ts';
import {
  MIGRATE_CONNECTIONS,
  MIGRATE_DURATIONS_BOUND,
  MIGRATE_TRANSITIONS,
  SCHEMA,
  SCHEMA_VERSION,
} from './schema.ts';
import type { MaintenanceOptions, SnapshotStore, SnapshotWrite } from './types.ts';

export interface OpenStoreOptions {
  /** Open for recording: creates the file, takes the recorder lease. Otherwise read-only (report). */
  write?: boolean;
  /** Stays in one state at least this long are kept as individual spans (default 30 s). */
  spanMinMs?: number;
  /** A lease from another host is considered stale after this long without a heartbeat. */
  staleAfterMs?: number;
}

const STATE_SET: ReadonlySet<string> = new Set(TCP_STATES);

interface ConnectionDbRow {
  id?: number;
  conn: string;
  state: string;
  inode: number | null;
  first_seen: number;
  start_after: number | null;
  start_by: number;
  service?: string | null;
  process?: string | null;
}

/** The columns a stay is read back by, alike in the spans table and the connections table. */
/** How a stay is written, in the same order in both tables (stayValues gives them). */
const STAY_WRITE = `(conn, state, service, process, local, remote, inode, first_seen, start_after, start_by)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** A tracked connection's stay, as STAY_WRITE's values. */
function stayValues(c: TrackedConnection) {
  return [
    c.key,
    c.state,
    c.service ?? null,
    c.process ?? null,
    formatEndpoint(c.socket.local.address, c.socket.local.port),
    formatEndpoint(c.socket.remote.address, c.socket.remote.port),
    c.socket.inode ?? null,
    c.firstSeen,
    c.stateAfter ?? null,
    c.stateSeenAt,
  ] as const;
}

const STAY_READ = 'conn, state, service, process, local, remote, first_seen, start_after, start_by';

interface StayDbRow {
  conn: string;
  state: string;
  service: string | null;
  process: string | null;
  local: string;
  remote: string;
  first_seen: number;
  start_after: number | null;
  start_by: number;
}

function spanRow(r: StayDbRow, path: string, endAfter: number | null, endBy: number | null): SpanRow {
  return {
    conn: r.conn,
    state: toState(r.state, path),
    service: r.service,
    process: r.process,
    local: r.local,
    remote: r.remote,
    firstSeen: r.first_seen,
    startAfter: r.start_after,
    startBy: r.start_by,
    endAfter,
    endBy,
  };
}

function toBound(text: string, path: string): StayBound {
  if (!(STAY_BOUNDS as readonly string[]).includes(text))
    throw new StoreError(`${path}: unknown stay bound '${text}' in the recording`);
  return text as StayBound;
}

function toState(text: string, path: string): TcpState {
  if (!STATE_SET.has(text)) throw new StoreError(`${path}: unknown state '${text}' in the recording`);
  return text as TcpState;
}

/** Opens (or, for writing, creates) a recording. Every failure is a StoreError naming the file. */
export function openSqliteStore(path: string, options: OpenStoreOptions = {}): SqliteStore {
  const write = options.write ?? false;
  if (!write && !existsSync(path))
    throw new StoreError(`${path}: no such recording (make one with tcpstate record)`);
  try {
    return openAt(path, path, write, options);
  } catch (error) {
    if (write || !needsWriteToRead(error)) throw error;
  }
  return openPrivateCopy(path, options);
}

function openAt(file: string, path: string, write: boolean, options: OpenStoreOptions): SqliteStore {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: !write, fileMustExist: !write, timeout: 5000 });
  } catch (error) {
    throw new StoreError(`${path}: cannot open: ${(error as Error).message}`, error);
  }
  try {
    return new SqliteStore(db, path, write, options);
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    const message = (error as Error).message;
    throw new StoreError(
      /not a database|malformed/i.test(message)
        ? `${path}: not a tcpstate recording (${message})`
        : `${path}: ${message}`,
      error,
    );
  }
}

/**
 * True when a read-only open failed only because SQLite wanted to create the WAL index beside the file: a
 * recording left in WAL mode (by a recorder killed with SIGKILL, or still being written) in a directory this user
 * cannot write (root's recording read by another user) or on read-only media.
 */
function needsWriteToRead(error: unknown): boolean {
  const code = ((error as { cause?: { code?: unknown } }).cause?.code ?? '') as string;
  return code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY');
}

/**
 * Reads such a recording from a private copy of the file (and of its write-ahead log, which holds the last
 * commits): the copy cannot change under us, which is what SQLite's `immutable` open would give, and that needs
 * URI filenames, which better-sqlite3 builds without. `record` leaves the file in rollback mode when it stops, so
 * this is only for a recording whose recorder was killed or is still running.
 */
function openPrivateCopy(path: string, options: OpenStoreOptions): SqliteStore {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-read-'));
  const copy = join(dir, basename(path));
  try {
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
    const store = openAt(copy, path, false, options);
    store.onClose = () => rmSync(dir, { recursive: true, force: true });
    return store;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    if (error instanceof StoreError) throw error;
    throw new StoreError(`${path}: cannot read: ${(error as Error).message}`, error);
  }
}

/** Errors of SQLite while recording, as one line naming the file: a full disk is the user's to fix, not a bug. */
function writeFailure(path: string, error: unknown): unknown {
  const code = String((error as { code?: unknown }).code ?? '');
  const message = (error as Error).message;
  if (code === 'SQLITE_FULL' || (error as NodeJS.ErrnoException).code === 'ENOSPC') {
    return new StoreError(
      `${path}: the disk is full (${message}); the recording keeps every look before this one`,
      error,
    );
  }
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN') {
    return new StoreError(`${path}: cannot write: ${message}`, error);
  }
  return error;
}

export class SqliteStore implements SnapshotStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly write: boolean;
  private readonly spanMinMs: number;
  /** Tracked connection id → span row id, for the spans this writer has open. */
  private readonly openSpanRows = new Map<number, number>();
  private statements: ReturnType<SqliteStore['prepareWriters']> | undefined;
  private closed = false;
  /** The connections table holds the tracker's connections (else the next look rewrites it whole). */
  private connectionsComplete = false;
  /** The previous look's kernel-timed stays (stayKey), for a look that sees a stay end a drain before the kernel. */
  private kernelTimedBefore: string[] = [];
  /** Run after the database is closed (removes a private copy). */
  onClose: (() => void) | undefined;

  constructor(db: Database.Database, path: string, write: boolean, options: OpenStoreOptions) {
    this.db = db;
    this.path = path;
    this.write = write;
    this.spanMinMs = options.spanMinMs ?? 30_000;
    if (write) {
      // WAL: readers (report, watch of the file) never block the recorder, and a commit is durable against a
      // killed process once it returns; synchronous=NORMAL only risks the last commits on power loss.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      this.checkVersion(true);
      acquireRecorderLock(db, path, options.staleAfterMs ?? 120_000);
      this.migrate();
      this.statements = this.prepareWriters();
    } else {
      this.checkVersion(false);
    }
  }

  private checkVersion(create: boolean): void {
    const tableNames = () =>
      this.db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((r) => (r as { name: string }).name);
    let tables = tableNames();
    if (tables.length === 0) {
      if (!create) throw new StoreError(`${this.path}: empty file, not a tcpstate recording`);
      // Look again inside a write transaction: recorders started at once on a new file all saw it empty, and
      // only the first may create it (the others then meet its lease).
      this.db
        .transaction(() => {
          tables = tableNames();
          if (tables.length > 0) return;
          this.db.exec(SCHEMA);
          const put = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
          put.run('schema_version', String(SCHEMA_VERSION));
          put.run('created_at', String(Date.now()));
          put.run('created_by', 'tcpstate record');
          tables = ['meta'];
        })
        .immediate();
    }
    if (!tables.includes('meta')) {
      throw new StoreError(`${this.path}: an SQLite file, but not a tcpstate recording`);
    }
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
      | { value: string }
      | undefined;
    if (row?.value !== String(SCHEMA_VERSION)) {
      throw new StoreError(
        `${this.path}: recording schema version ${row?.value ?? '(none)'}, this tcpstate reads version ${SCHEMA_VERSION}`,
      );
    }
  }

  private tables(): Set<string> {
    return new Set(
      this.db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((r) => (r as { name: string }).name),
    );
  }

  private durationsHaveBound(): boolean {
    return (this.db.prepare('PRAGMA table_info(durations)').all() as Array<{ name: string }>).some(
      (c) => c.name === 'bound',
    );
  }

  /** A file written by an older tcpstate: add what this one writes (under the lease, in one transaction). */
  private migrate(): void {
    const tables = this.tables();
    const hasConnections = tables.has('connections');
    const hasBound = this.durationsHaveBound();
    const hasTransitions = tables.has('transitions');
    if (hasConnections && hasBound && hasTransitions) return;
    this.db.transaction(() => {
      if (!hasConnections) this.db.exec(MIGRATE_CONNECTIONS);
      if (!hasBound) this.db.exec(MIGRATE_DURATIONS_BOUND);
      if (!hasTransitions) this.db.exec(MIGRATE_TRANSITIONS);
    })();
  }

  /** The file has the kernel's transitions (written by this tcpstate, or migrated by a recorder). */
  private hasTransitions(): boolean {
    return this.tables().has('transitions');
  }

  private prepareWriters() {
    const db = this.db;
    return {
      snapshot: db.prepare(
        'INSERT INTO snapshots (at, resolution_ms, samples, source, total, total_max, kernel) VALUES (?, 0, 1, ?, ?, ?, ?)',
      ),
      transition: db.prepare(
        'INSERT INTO transitions (snapshot_id, from_state, to_state, count) VALUES (?, ?, ?, ?)',
      ),
      state: db.prepare(
        'INSERT INTO state_counts (snapshot_id, state, count, max, arrivals, departures) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      group: db.prepare(
        'INSERT OR REPLACE INTO group_counts (snapshot_id, kind, key, state, count, max) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      duration: db.prepare(
        `INSERT INTO durations (snapshot_id, state, service, bound, bucket, count) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET count = count + excluded.count`,
      ),
      putConnection: db.prepare(`INSERT OR REPLACE INTO connections ${STAY_WRITE}`),
      dropConnection: db.prepare('DELETE FROM connections WHERE conn = ?'),
      clearConnections: db.prepare('DELETE FROM connections'),
      finding: db.prepare('INSERT INTO findings (snapshot_id, rule, severity, title) VALUES (?, ?, ?, ?)'),
      openSpan: db.prepare(`INSERT INTO spans ${STAY_WRITE}`),
      closeSpan: db.prepare('UPDATE spans SET end_after = ?, end_by = ? WHERE id = ?'),
      heartbeat: db.prepare('UPDATE recorder_lock SET heartbeat_at = ? WHERE id = 1 AND pid = ?'),
    };
  }

  private writers() {
    if (!this.statements) throw new StoreError(`${this.path}: opened read-only`);
    return this.statements;
  }

  lastSnapshotAt(): number | undefined {
    const row = this.db.prepare('SELECT MAX(at) AS at FROM snapshots').get() as { at: number | null };
    return row.at ?? undefined;
  }

  /**
   * Seeds a tracker with the last look's connections, so a restarted recorder counts only what changed while it
   * was away as arrivals and departures, and open spans continue. A file from an older tcpstate has no such table:
   * then only the connections with open spans are known.
   */
  resume(tracker: ConnectionTracker): number {
    const lastAt = this.lastSnapshotAt();
    if (lastAt === undefined) return 0;
    const openSpans = this.db
      .prepare(
        `SELECT id, conn, state, inode, first_seen, start_after, start_by FROM spans WHERE end_by IS NULL`,
      )
      .all() as ConnectionDbRow[];
    const fromTable = this.db
      .prepare(
        'SELECT conn, state, inode, first_seen, start_after, start_by, service, process FROM connections',
      )
      .all() as ConnectionDbRow[];
    const rows = fromTable.length > 0 ? fromTable : openSpans;
    this.connectionsComplete = fromTable.length > 0;
    const seeds: SeedConnection[] = [];
    for (const r of rows) {
      const socket = socketFromKey(r.conn, toState(r.state, this.path), r.inode);
      if (!socket) continue;
      const seed: SeedConnection = {
        key: r.conn,
        state: socket.state,
        firstSeen: r.first_seen,
        stateSeenAt: r.start_by,
        socket,
      };
      if (r.start_after !== null) seed.stateAfter = r.start_after;
      if (r.service) seed.service = r.service;
      if (r.process) seed.process = r.process;
      seeds.push(seed);
    }
    const spanRowOf = new Map(openSpans.map((r) => [r.conn, r.id!]));
    for (const tracked of tracker.seed(seeds, lastAt)) {
      const id = spanRowOf.get(tracked.key);
      if (id !== undefined) this.openSpanRows.set(tracked.id, id);
    }
    return seeds.length;
  }

  append(write: SnapshotWrite): void {
    const w = this.writers();
    const { step } = write;
    const tx = this.db.transaction(() => {
      const total = TCP_STATES.reduce((n, s) => n + write.counts[s], 0);
      const id = Number(
        w.snapshot.run(write.at, write.source, total, total, write.kernel ? 1 : 0).lastInsertRowid,
      );
      // With the kernel trace, IN/OUT are the kernel's counts (short connections included), not the looks' diff.
      const flows = write.kernel ? kernelFlows(write.kernel.transitions) : step;
      for (const state of TCP_STATES) {
        const c = write.counts[state];
        const a = flows.arrivals[state];
        const d = flows.departures[state];
        if (c || a || d) w.state.run(id, state, c, c, a, d);
      }
      for (const t of write.kernel?.transitions ?? []) w.transition.run(id, t.from, t.to, t.count);
      // The stays the kernel timed, this look's and the previous one's (a change can reach us a drain after the
      // look that saw it): the looks' copies of these are not stored again.
      const timed = new Set(this.kernelTimedBefore);
      this.kernelTimedBefore = [];
      for (const k of write.kernel?.stays ?? []) {
        const key = stayKey(k.state, k.local, k.remote);
        timed.add(key);
        this.kernelTimedBefore.push(key);
      }
      for (const g of write.groups) w.group.run(id, g.kind, g.key, g.state, g.count, g.count);
      for (const f of write.findings) w.finding.run(id, f.rule, f.severity, f.title);

      // Stays that ended at this look: a histogram row, and the span row if the stay was long enough to have one.
      for (const event of step.events) {
        const stay = endedStay(event, write.at);
        if (stay === undefined) continue;
        // A stay the kernel timed is stored once, exactly (below), whatever the looks made of it: 'within', or
        // 'atLeast' when it began after tracing began but before the first look.
        const socket = event.connection.socket;
        const kernelSaw = timed.has(stayKey(stay.state, socket.local, socket.remote));
        if (!kernelSaw) {
          w.duration.run(id, stay.state, stay.service, stay.bound, bucketOf(stay.ms), 1);
        }
        const c = event.connection;
        const row = this.openSpanRows.get(c.id);
        if (row !== undefined) {
          const endAfter =
            event.kind === 'changed' ? c.transitions[c.transitions.length - 1]!.after : c.lastSeen;
          w.closeSpan.run(endAfter, write.at, row);
          this.openSpanRows.delete(c.id);
        }
      }
      for (const k of write.kernel?.stays ?? []) {
        w.duration.run(id, k.state, k.service, 'exact', bucketOf(k.ms), 1);
        if (k.ms < this.spanMinMs) continue;
        // Known to the microsecond: both bounds of each end are the same moment.
        const span = w.openSpan.run(
          k.conn,
          k.state,
          k.service,
          null,
          formatEndpoint(k.local.address, k.local.port),
          formatEndpoint(k.remote.address, k.remote.port),
          null,
          k.enteredAt,
          k.enteredAt,
          k.enteredAt,
        );
        w.closeSpan.run(k.leftAt, k.leftAt, Number(span.lastInsertRowid));
      }
      this.writeConnections(step, write.connections);
      for (const c of write.connections) {
        if (this.openSpanRows.has(c.id) || write.at - c.stateSeenAt < this.spanMinMs) continue;
        const result = w.openSpan.run(...stayValues(c));
        this.openSpanRows.set(c.id, Number(result.lastInsertRowid));
      }
      w.heartbeat.run(Date.now(), process.pid);
    });
    try {
      tx();
    } catch (error) {
      throw writeFailure(this.path, error);
    }
  }

  /** Keeps the connections table equal to this look's connections: the changes, or all of them the first time. */
  private writeConnections(step: SnapshotWrite['step'], connections: Iterable<TrackedConnection>): void {
    const w = this.writers();
    const put = (c: TrackedConnection) => w.putConnection.run(...stayValues(c));
    if (!this.connectionsComplete) {
      w.clearConnections.run();
      for (const c of connections) put(c);
      this.connectionsComplete = true;
      return;
    }
    // In event order: a reused 4-tuple closes the old connection before the new one opens under the same key.
    for (const event of step.events) {
      if (event.kind === 'closed') w.dropConnection.run(event.connection.key);
      else put(event.connection);
    }
  }

  maintain(now: number, options: MaintenanceOptions): void {
    try {
      this.maintainOrThrow(now, options);
    } catch (error) {
      throw writeFailure(this.path, error);
    }
  }

  private maintainOrThrow(now: number, options: MaintenanceOptions): void {
    this.writers();
    const db = this.db;
    if (options.retentionMs !== undefined) {
      const cutoff = now - options.retentionMs;
      db.transaction(() => {
        const old = 'SELECT id FROM snapshots WHERE at < ?';
        for (const table of ['state_counts', 'group_counts', 'durations', 'transitions', 'findings']) {
          db.prepare(`DELETE FROM ${table} WHERE snapshot_id IN (${old})`).run(cutoff);
        }
        db.prepare('DELETE FROM snapshots WHERE at < ?').run(cutoff);
        db.prepare('DELETE FROM spans WHERE end_by IS NOT NULL AND end_by < ?').run(cutoff);
      })();
    }
    if (options.downsampleAfterMs !== undefined && options.downsampleToMs !== undefined) {
      this.downsample(now - options.downsampleAfterMs, options.downsampleToMs);
    }
  }

  /** Merges raw looks before `cutoff` into rows `width` ms wide: averages, maxima, summed flows and durations. */
  private downsample(cutoff: number, width: number): void {
    const db = this.db;
    const lastBucketStart = Math.floor(cutoff / width) * width;
    db.transaction(() => {
      const buckets = db
        .prepare(
          `SELECT CAST(at / ? AS INTEGER) * ? AS b, COUNT(*) AS n FROM snapshots
           WHERE resolution_ms < ? AND at < ? GROUP BY b HAVING n > 1 OR MIN(resolution_ms) = 0`,
        )
        .all(width, width, width, lastBucketStart) as Array<{ b: number; n: number }>;
      for (const { b } of buckets) {
        const ids = (
          db
            .prepare('SELECT id FROM snapshots WHERE resolution_ms < ? AND at >= ? AND at < ?')
            .all(width, b, b + width) as Array<{ id: number }>
        ).map((r) => r.id);
        if (ids.length === 0) continue;
        const list = ids.join(',');
        const agg = db
          .prepare(
            `SELECT SUM(samples) AS samples, SUM(total * samples) AS weighted, MAX(total_max) AS total_max,
               MIN(source) AS source, MIN(kernel) AS kernel FROM snapshots WHERE id IN (${list})`,
          )
          .get() as { samples: number; weighted: number; total_max: number; source: string; kernel: number };
        const id = Number(
          db
            .prepare(
              'INSERT INTO snapshots (at, resolution_ms, samples, source, total, total_max, kernel) VALUES (?, ?, ?, ?, ?, ?, ?)',
            )
            .run(b, width, agg.samples, agg.source, agg.weighted / agg.samples, agg.total_max, agg.kernel)
            .lastInsertRowid,
        );
        // Averages weight each row by its looks; a state absent from a look counted zero there.
        db.prepare(
          `INSERT INTO state_counts (snapshot_id, state, count, max, arrivals, departures)
           SELECT ?, c.state, SUM(c.count * s.samples) / ?, MAX(c.max), SUM(c.arrivals), SUM(c.departures)
           FROM state_counts c JOIN snapshots s ON s.id = c.snapshot_id WHERE c.snapshot_id IN (${list})
           GROUP BY c.state`,
        ).run(id, agg.samples);
        db.prepare(
          `INSERT INTO group_counts (snapshot_id, kind, key, state, count, max)
           SELECT ?, g.kind, g.key, g.state, SUM(g.count * s.samples) / ?, MAX(g.max)
           FROM group_counts g JOIN snapshots s ON s.id = g.snapshot_id WHERE g.snapshot_id IN (${list})
           GROUP BY g.kind, g.key, g.state`,
        ).run(id, agg.samples);
        db.prepare(
          `INSERT INTO durations (snapshot_id, state, service, bound, bucket, count)
           SELECT ?, state, service, bound, bucket, SUM(count) FROM durations WHERE snapshot_id IN (${list})
           GROUP BY state, service, bound, bucket`,
        ).run(id);
        db.prepare(
          `INSERT INTO transitions (snapshot_id, from_state, to_state, count)
           SELECT ?, from_state, to_state, SUM(count) FROM transitions WHERE snapshot_id IN (${list})
           GROUP BY from_state, to_state`,
        ).run(id);
        db.prepare(
          `INSERT INTO findings (snapshot_id, rule, severity, title)
           SELECT DISTINCT ?, rule, severity, title FROM findings WHERE snapshot_id IN (${list})`,
        ).run(id);
        for (const table of ['state_counts', 'group_counts', 'durations', 'transitions', 'findings']) {
          db.prepare(`DELETE FROM ${table} WHERE snapshot_id IN (${list})`).run();
        }
        db.prepare(`DELETE FROM snapshots WHERE id IN (${list})`).run();
      }
    })();
  }

  snapshots(since = 0): StoredSnapshot[] {
    const rows = this.db
      .prepare('SELECT id, at, resolution_ms, samples, total FROM snapshots WHERE at >= ? ORDER BY at, id')
      .all(since) as Array<{ id: number; at: number; resolution_ms: number; samples: number; total: number }>;
    const byId = new Map<number, StoredSnapshot>();
    const out = rows.map((r) => {
      const s: StoredSnapshot = {
        id: r.id,
        at: r.at,
        resolutionMs: r.resolution_ms,
        samples: r.samples,
        total: r.total,
        counts: emptyCounts(),
        max: emptyCounts(),
        arrivals: emptyCounts(),
        departures: emptyCounts(),
      };
      byId.set(r.id, s);
      return s;
    });
    const counts = this.db
      .prepare(
        `SELECT c.snapshot_id AS id, c.state, c.count, c.max, c.arrivals, c.departures FROM state_counts c
         JOIN snapshots s ON s.id = c.snapshot_id WHERE s.at >= ?`,
      )
      .all(since) as Array<{
      id: number;
      state: string;
      count: number;
      max: number;
      arrivals: number;
      departures: number;
    }>;
    for (const c of counts) {
      const s = byId.get(c.id);
      if (!s) continue;
      const state = toState(c.state, this.path);
      s.counts[state] = c.count;
      s.max[state] = c.max;
      s.arrivals[state] = c.arrivals;
      s.departures[state] = c.departures;
    }
    return out;
  }

  groupSeries(since = 0): GroupSeriesPoint[] {
    const rows = this.db
      .prepare(
        `SELECT s.at, g.kind, g.key, g.state, g.count FROM group_counts g JOIN snapshots s ON s.id = g.snapshot_id
         WHERE s.at >= ? ORDER BY s.at`,
      )
      .all(since) as Array<{ at: number; kind: string; key: string; state: string; count: number }>;
    return rows.map((r) => ({
      at: r.at,
      kind: r.kind as StoredGroupKind,
      key: r.key,
      state: toState(r.state, this.path),
      count: r.count,
    }));
  }

  spans(since = 0): SpanRow[] {
    const rows = this.db
      .prepare(
        `SELECT ${STAY_READ}, end_after, end_by FROM spans WHERE end_by IS NULL OR end_by >= ? ORDER BY start_by`,
      )
      .all(since) as Array<StayDbRow & { end_after: number | null; end_by: number | null }>;
    return rows.map((r) => spanRow(r, this.path, r.end_after, r.end_by));
  }

  durations(since = 0): DurationRow[] {
    // A file from an older tcpstate has no bound: its rows were all counted as complete stays.
    const bound = this.durationsHaveBound() ? 'd.bound' : "'within'";
    const rows = this.db
      .prepare(
        `SELECT d.state, d.service, ${bound} AS bound, d.bucket, SUM(d.count) AS count FROM durations d
         JOIN snapshots s ON s.id = d.snapshot_id WHERE s.at >= ? GROUP BY d.state, d.service, 3, d.bucket`,
      )
      .all(since) as Array<{ state: string; service: string; bound: string; bucket: number; count: number }>;
    return rows.map((r) => ({
      ...r,
      state: toState(r.state, this.path),
      bound: toBound(r.bound, this.path),
    }));
  }

  transitions(since = 0): KernelTransition[] {
    if (!this.hasTransitions()) return [];
    const rows = this.db
      .prepare(
        `SELECT t.from_state AS f, t.to_state AS t, SUM(t.count) AS count FROM transitions t
         JOIN snapshots s ON s.id = t.snapshot_id WHERE s.at >= ? GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`,
      )
      .all(since) as Array<{ f: string; t: string; count: number }>;
    return rows.map((r) => ({ from: toState(r.f, this.path), to: toState(r.t, this.path), count: r.count }));
  }

  tracedLooks(since = 0): number {
    if (!this.hasTransitions()) return 0;
    const row = this.db
      .prepare('SELECT COALESCE(SUM(samples), 0) AS n FROM snapshots WHERE kernel = 1 AND at >= ?')
      .get(since) as { n: number };
    return row.n;
  }

  /**
   * The connections at the last look, each with its stay in its state so far (end bounds null: still open).
   * Empty for a file from an older tcpstate, which did not keep them.
   */
  openStays(): SpanRow[] {
    if (!this.tables().has('connections')) return [];
    const rows = this.db.prepare(`SELECT ${STAY_READ} FROM connections`).all() as StayDbRow[];
    return rows.map((r) => spanRow(r, this.path, null, null));
  }

  findings(since = 0): StoredFinding[] {
    const rows = this.db
      .prepare(
        `SELECT s.at, f.rule, f.severity, f.title FROM findings f JOIN snapshots s ON s.id = f.snapshot_id
         WHERE s.at >= ? ORDER BY s.at`,
      )
      .all(since) as StoredFinding[];
    return rows;
  }

  setMeta(key: string, value: string): void {
    this.writers();
    try {
      this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
    } catch (error) {
      throw writeFailure(this.path, error);
    }
  }

  meta(): Record<string, string> {
    const rows = this.db.prepare('SELECT key, value FROM meta').all() as Array<{
      key: string;
      value: string;
    }>;
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.write) {
      try {
        releaseRecorderLock(this.db);
        this.db.pragma('wal_checkpoint(TRUNCATE)');
        // Leave the file in rollback mode: a reader of a WAL file must create the WAL index beside it, which
        // another user (root's recording) or read-only media cannot. The next recorder turns WAL back on. A
        // reader still connected (serve --db) keeps it in WAL; do not wait for it.
        this.db.pragma('busy_timeout = 100');
        this.db.pragma('journal_mode = DELETE');
      } catch {
        // Closing anyway: a lease left behind is taken over by the next recorder.
      }
    }
    this.db.close();
    this.onClose?.();
  }
}

/** One stay's identity across the looks and the kernel: its state and both endpoints. */
function stayKey(state: TcpState, local: Endpoint, remote: Endpoint): string {
  return `${state}|${local.address}|${local.port ?? ''}|${remote.address}|${remote.port ?? ''}`;
}

/** Rebuilds the endpoints of a connection from its key (family|laddr|lport|raddr|rport[#n]). */
function socketFromKey(key: string, state: TcpState, inode: number | null): Socket | undefined {
  const parts = key.split('#')[0]!.split('|');
  if (parts.length !== 5) return undefined;
  const [family, la, lp, ra, rp] = parts as [string, string, string, string, string];
  if (family !== 'inet' && family !== 'inet6') return undefined;
  const port = (p: string) => (/^\d+$/.test(p) ? Number(p) : undefined);
  const socket: Socket = {
    protocol: 'tcp',
    family,
    state,
    local: { address: la, port: port(lp) },
    remote: { address: ra, port: port(rp) },
  };
  if (inode !== null) socket.inode = inode;
  return socket;
}
