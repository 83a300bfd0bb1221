import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.ts';
import { processStartTime } from '../../src/store/lock.ts';
import { buildSnapshotWrite } from '../../src/store/snapshot-write.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import { ConnectionTracker } from '../../src/track/tracker.ts';
import { listener, recordingFiles, snap, sock } from '../helpers/recording.ts';

const file = recordingFiles('store');

/** Records looks where CLOSE_WAIT grows by `perLook` every look. */
function recordLeak(path: string, looks: number, stepMs: number, perLook: number, spanMinMs = 0) {
  const store = openSqliteStore(path, { write: true, spanMinMs });
  const tracker = new ConnectionTracker();
  for (let i = 0; i < looks; i++) {
    const sockets = [listener];
    for (let k = 0; k < (i + 1) * perLook; k++) sockets.push(sock(10_000 + k, 'CLOSE_WAIT'));
    sockets.push(sock(20_000 + i, 'ESTABLISHED'));
    const s = snap(i * stepMs, sockets);
    const step = tracker.update(s);
    store.append(buildSnapshotWrite(s, step, tracker, []));
  }
  return store;
}

describe('SqliteStore', () => {
  it('writes counts, groups, spans and durations and reads them back', () => {
    const path = file();
    const store = recordLeak(path, 5, 1000, 2);
    const snaps = store.snapshots();
    expect(snaps.map((s) => s.counts.CLOSE_WAIT)).toEqual([2, 4, 6, 8, 10]);
    expect(snaps.map((s) => s.total)).toEqual([4, 6, 8, 10, 12]);
    expect(snaps[1]!.arrivals.CLOSE_WAIT).toBe(2);
    // One ESTABLISHED per look, each replaced by the next: 4 departures, each stay < 1 s by the looks' bounds.
    expect(snaps.reduce((a, s) => a + s.departures.ESTABLISHED, 0)).toBe(4);
    const durations = store.durations();
    expect(durations.filter((d) => d.state === 'ESTABLISHED').reduce((a, d) => a + d.count, 0)).toBe(4);
    const groups = store
      .groupSeries()
      .filter((g) => g.kind === 'service' && g.key === '8080' && g.state === 'CLOSE_WAIT');
    expect(groups.map((g) => g.count)).toEqual([2, 4, 6, 8, 10]);
    const open = store.spans().filter((s) => s.state === 'CLOSE_WAIT' && s.endBy === null);
    expect(open.length).toBe(10);
    expect(store.meta().schema_version).toBe('1');
    store.close();
  });

  it('a restarted recorder continues open spans instead of starting over', () => {
    const path = file();
    recordLeak(path, 3, 1000, 1).close();
    const store = openSqliteStore(path, { write: true, spanMinMs: 0 });
    const tracker = new ConnectionTracker();
    expect(store.resume(tracker)).toBe(5); // 3 CLOSE_WAIT, the listener, the last ESTABLISHED
    const s = snap(10_000, [listener, sock(10_000, 'CLOSE_WAIT'), sock(10_001, 'CLOSE_WAIT')]);
    store.append(buildSnapshotWrite(s, tracker.update(s), tracker, []));
    const spans = store.spans();
    const first = spans.find((x) => x.remote === '10.0.0.2:10000')!;
    expect(first.startBy).toBe(0); // not reset to the restart
    expect(first.endBy).toBeNull();
    const gone = spans.find((x) => x.remote === '10.0.0.2:10002')!;
    expect(gone.endAfter).toBe(2000);
    expect(gone.endBy).toBe(10_000);
    store.close();
  });

  it('downsampling keeps the average and the peak; retention drops old rows', () => {
    const path = file();
    const store = recordLeak(path, 120, 1000, 1); // 2 minutes, CLOSE_WAIT 1..120
    store.maintain(180_001, { downsampleAfterMs: 1, downsampleToMs: 60_000 });
    const rows = store.snapshots();
    expect(rows.length).toBe(2);
    expect(rows[0]!.samples).toBe(60);
    expect(rows[0]!.counts.CLOSE_WAIT).toBeCloseTo(30.5, 5);
    expect(rows[0]!.max.CLOSE_WAIT).toBe(60);
    expect(rows[1]!.max.CLOSE_WAIT).toBe(120);
    expect(rows[0]!.departures.ESTABLISHED + rows[1]!.departures.ESTABLISHED).toBe(119);
    store.maintain(100_000, { retentionMs: 50_000 });
    expect(store.snapshots().map((r) => r.at)).toEqual([60_000]);
    store.close();
  });

  it('refuses files that are not recordings, and other schema versions, with a StoreError', () => {
    const junk = file();
    writeFileSync(
      junk,
      'this is not sqlite at all, just some text that is long enough to look like a header..',
    );
    expect(() => openSqliteStore(junk)).toThrow(StoreError);
    expect(() => openSqliteStore(junk, { write: true })).toThrow(/not a tcpstate recording|not a database/);
    const other = file();
    new Database(other).exec('CREATE TABLE t (x)');
    expect(() => openSqliteStore(other)).toThrow(/not a tcpstate recording/);
    const old = file();
    recordLeak(old, 1, 1000, 1).close();
    new Database(old).prepare("UPDATE meta SET value = '0' WHERE key = 'schema_version'").run();
    expect(() => openSqliteStore(old)).toThrow(/schema version 0/);
    expect(() => openSqliteStore(file())).toThrow(/no such recording/);
  });

  it('a second writer in another process is refused while the first holds the lease', () => {
    const path = file();
    const first = openSqliteStore(path, { write: true });
    // The same process may reopen (pid matches); a different live pid may not: fake one with pid 1 (init, alive).
    first.close();
    const db = new Database(path);
    const procStart = processStartTime(1);
    db.prepare(
      'INSERT INTO recorder_lock (id, pid, host, proc_start, started_at, heartbeat_at) VALUES (1, 1, ?, ?, 0, 0)',
    ).run(hostname(), procStart);
    db.close();
    expect(() => openSqliteStore(path, { write: true })).toThrow(/another tcpstate record \(pid 1 /);
    // A lease whose process is gone (or whose pid was reused: other start time) is taken over.
    const db2 = new Database(path);
    db2.prepare("UPDATE recorder_lock SET proc_start = '1'").run();
    db2.close();
    openSqliteStore(path, { write: true }).close();
  });
});
