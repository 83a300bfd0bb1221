/**
 * The recording's SQLite schema. Bump SCHEMA_VERSION on any incompatible change; a file with another version is
 * refused with a clear StoreError rather than misread.
 */
export const SCHEMA_VERSION = 1;

/**
 * What is known of one stay in a state: shared by the open connections (one row each) and the spans (a row per stay
 * worth naming), so a column added to one is added to both.
 */
const STAY_COLUMNS = `state TEXT NOT NULL,
  service TEXT,
  process TEXT,
  local TEXT NOT NULL,
  remote TEXT NOT NULL,
  inode INTEGER,
  first_seen INTEGER NOT NULL,
  start_after INTEGER,
  start_by INTEGER NOT NULL`;

/**
 * The last look's connections, kept up to date from each look's changes (a row per arrival or departure, not per
 * connection per look): a restarted recorder continues from this table instead of counting every open socket as
 * an arrival, and the report knows what was still open at the end, however short its stay.
 */
const CONNECTIONS_TABLE = `CREATE TABLE IF NOT EXISTS connections (
  conn TEXT PRIMARY KEY,
  ${STAY_COLUMNS}
) WITHOUT ROWID;`;

/** A histogram row of stays that ended: the durations table, and the one an older file's is migrated into. */
const DURATION_COLUMNS = `snapshot_id INTEGER NOT NULL,
  state TEXT NOT NULL,
  service TEXT NOT NULL,
  bound TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (snapshot_id, state, service, bound, bucket)`;

/**
 * Brings a version-1 file from an older tcpstate up to date when a recorder opens it (readers cope with either):
 * the connections table, and the bound of each duration row (all of the old ones were counted as complete).
 */
export const MIGRATE_DURATIONS_BOUND = `
CREATE TABLE durations_bound (
  ${DURATION_COLUMNS}
) WITHOUT ROWID;
INSERT INTO durations_bound SELECT snapshot_id, state, service, 'within', bucket, count FROM durations;
DROP TABLE durations;
ALTER TABLE durations_bound RENAME TO durations;
`;

export const MIGRATE_CONNECTIONS = CONNECTIONS_TABLE;

/**
 * Every state change the kernel trace reported between two looks, by FROM → TO (a few rows per look, however
 * many connections). Only looks with `snapshots.kernel = 1` have them; their state_counts arrivals and departures
 * are these counts, not the looks' diff.
 */
const TRANSITIONS_TABLE = `CREATE TABLE IF NOT EXISTS transitions (
  snapshot_id INTEGER NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (snapshot_id, from_state, to_state)
) WITHOUT ROWID;`;

/** A version-1 file from before the kernel trace was recorded: the transitions, and which looks had the trace. */
export const MIGRATE_TRANSITIONS = `${TRANSITIONS_TABLE}
ALTER TABLE snapshots ADD COLUMN kernel INTEGER NOT NULL DEFAULT 0;`;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

-- At most one recorder per file: the row names its pid, host and process start time, so a recorder killed
-- with SIGKILL (which cannot clean up) is recognised as gone and its lease taken over.
CREATE TABLE IF NOT EXISTS recorder_lock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  proc_start TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS snapshots (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  resolution_ms INTEGER NOT NULL DEFAULT 0,
  samples INTEGER NOT NULL DEFAULT 1,
  source TEXT NOT NULL,
  total REAL NOT NULL,
  total_max INTEGER NOT NULL,
  -- 1: the kernel trace ran through this look (its arrivals and departures are the kernel's counts)
  kernel INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS snapshots_at ON snapshots (at);

-- Only states with a non-zero count or flow are stored.
CREATE TABLE IF NOT EXISTS state_counts (
  snapshot_id INTEGER NOT NULL,
  state TEXT NOT NULL,
  count REAL NOT NULL,
  max INTEGER NOT NULL,
  arrivals INTEGER NOT NULL,
  departures INTEGER NOT NULL,
  PRIMARY KEY (snapshot_id, state)
) WITHOUT ROWID;

-- The top groups of each kind per look (service port, process, peer address).
CREATE TABLE IF NOT EXISTS group_counts (
  snapshot_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  state TEXT NOT NULL,
  count REAL NOT NULL,
  max INTEGER NOT NULL,
  PRIMARY KEY (snapshot_id, kind, key, state)
) WITHOUT ROWID;

-- Stays in a state that ended since the previous look, as a histogram per state, service and bound (exact, within
-- the looks' bounds, or only a lower bound: see src/track/stays.ts): churn costs a few rows per look, not one per
-- connection.
CREATE TABLE IF NOT EXISTS durations (
  ${DURATION_COLUMNS}
) WITHOUT ROWID;

-- Individual stays that lasted at least the span minimum (the stuck ones worth naming).
CREATE TABLE IF NOT EXISTS spans (
  id INTEGER PRIMARY KEY,
  conn TEXT NOT NULL,
  ${STAY_COLUMNS},
  end_after INTEGER,
  end_by INTEGER
);
CREATE INDEX IF NOT EXISTS spans_open ON spans (conn) WHERE end_by IS NULL;
CREATE INDEX IF NOT EXISTS spans_start ON spans (start_by);

${CONNECTIONS_TABLE}
${TRANSITIONS_TABLE}
CREATE TABLE IF NOT EXISTS findings (
  snapshot_id INTEGER NOT NULL,
  rule TEXT NOT NULL,
  severity TEXT NOT NULL,
  title TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_snapshot ON findings (snapshot_id);
`;
