/**
 * Cost of following and recording connections, per look, at 1k, 10k and 100k sockets, with synthetic snapshots
 * (tracking and the store only: reading /proc is measured by bench/live.ts). Each look replaces 1% of the
 * connections and moves 1% to another state, like a busy server. CPU share is per-look cost / 5 s interval;
 * DB size per hour is bytes per look x 720 looks at 5 s.
 *   npx tsx bench/overtime.ts [--looks 20]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Snapshot, Socket } from '../src/model/snapshot.ts';
import type { TcpState } from '../src/states/states.ts';
import { buildSnapshotWrite } from '../src/store/snapshot-write.ts';
import { openSqliteStore } from '../src/store/sqlite-store.ts';
import { ConnectionTracker } from '../src/track/tracker.ts';

const looks = Number(process.argv[process.argv.indexOf('--looks') + 1]) || 20;
const STATES: TcpState[] = [
  'ESTABLISHED',
  'ESTABLISHED',
  'ESTABLISHED',
  'TIME_WAIT',
  'CLOSE_WAIT',
  'FIN_WAIT_2',
];

function makeSockets(n: number, generation: number): Socket[] {
  const out: Socket[] = [
    {
      protocol: 'tcp',
      family: 'inet',
      state: 'LISTEN',
      local: { address: '0.0.0.0', port: 8080 },
      remote: { address: '0.0.0.0', port: undefined },
    },
  ];
  for (let i = 0; i < n; i++) {
    // 1% of slots get a new connection each look; 1% change state.
    const replaced = i % 100 === generation % 100 ? generation : 0;
    const state = STATES[(i + (i % 100 === (generation + 50) % 100 ? generation : 0)) % STATES.length]!;
    out.push({
      protocol: 'tcp',
      family: 'inet',
      state,
      local: { address: '10.0.0.1', port: 8080 },
      remote: { address: `10.1.${(i >> 8) & 255}.${i & 255}`, port: 10_000 + ((i + replaced * 7) % 50_000) },
      inode: state === 'ESTABLISHED' || state === 'CLOSE_WAIT' ? 1000 + i : 0,
    });
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'tcpstate-bench-'));
console.log(`looks per scale: ${looks}; interval assumed 5 s`);
console.log(
  'sockets   track ms/look  store ms/look  CPU% @5s  RSS MB  DB KiB/look  DB MiB/hour  track ns/socket',
);
for (const n of [1_000, 10_000, 100_000]) {
  const db = join(dir, `b${n}.db`);
  const store = openSqliteStore(db, { write: true });
  const tracker = new ConnectionTracker();
  const snaps: Snapshot[] = [];
  const WARMUP = 8;
  for (let g = 0; g < looks + WARMUP; g++)
    snaps.push({
      source: { kind: 'proc', name: 'bench' },
      takenAt: g * 5000,
      sockets: makeSockets(n, g),
      warnings: [],
    });
  // The first looks are one-offs (the first look; then every long-lived connection passes --span-min 30 s and
  // gets its span row): leave them out of the steady-state figures.
  for (let g = 0; g < WARMUP; g++)
    store.append(buildSnapshotWrite(snaps[g]!, tracker.update(snaps[g]!), tracker, []));
  // Checkpoint through a second connection so the main file holds everything written so far.
  const side = new Database(db);
  side.pragma('wal_checkpoint(TRUNCATE)');
  side.close();
  const size0 = statSync(db).size;
  let track = 0;
  let write = 0;
  for (let g = WARMUP; g < WARMUP + looks; g++) {
    const t0 = process.hrtime.bigint();
    const step = tracker.update(snaps[g]!);
    const t1 = process.hrtime.bigint();
    store.append(buildSnapshotWrite(snaps[g]!, step, tracker, []));
    const t2 = process.hrtime.bigint();
    track += Number(t1 - t0) / 1e6;
    write += Number(t2 - t1) / 1e6;
  }
  store.close();
  const bytesPerLook = (statSync(db).size - size0) / looks;
  const trackMs = track / looks;
  const writeMs = write / looks;
  console.log(
    [
      String(n).padStart(7),
      trackMs.toFixed(2).padStart(14),
      writeMs.toFixed(2).padStart(14),
      (((trackMs + writeMs) / 5000) * 100).toFixed(2).padStart(9),
      (process.memoryUsage().rss / 2 ** 20).toFixed(0).padStart(7),
      (bytesPerLook / 1024).toFixed(1).padStart(12),
      ((bytesPerLook * 720) / 2 ** 20).toFixed(1).padStart(12),
      ((trackMs * 1e6) / n).toFixed(0).padStart(16),
    ].join(' '),
  );
}
rmSync(dir, { recursive: true, force: true });
