import type { StateCounts } from '../analysis/summary.ts';
import type { Severity } from '../model/finding.ts';
import type { TcpState } from '../states/states.ts';
import type { ConnectionTracker, TrackedConnection, TrackStep } from '../track/tracker.ts';

/** The kinds of group whose per-state counts are kept per snapshot (top N of each). */
export const STORED_GROUP_KINDS = ['service', 'process', 'peer'] as const;
export type StoredGroupKind = (typeof STORED_GROUP_KINDS)[number];

export interface GroupCountRow {
  kind: StoredGroupKind;
  key: string;
  state: TcpState;
  count: number;
}

export interface FindingRow {
  rule: string;
  severity: Severity;
  title: string;
}

/** One look, as the recorder writes it. */
export interface SnapshotWrite {
  at: number;
  source: string;
  counts: StateCounts;
  groups: GroupCountRow[];
  findings: FindingRow[];
  step: TrackStep;
  /** Connections known at this look (for spans that reach the minimum length). */
  connections: Iterable<TrackedConnection>;
}

/** One row of the time series: a raw look, or a downsampled bucket of looks. */
export interface StoredSnapshot {
  id: number;
  at: number;
  /** 0 for a raw look; the bucket width in ms for a downsampled row. */
  resolutionMs: number;
  /** Looks merged into this row. */
  samples: number;
  total: number;
  /** Average count per state over the row's looks (the count itself for a raw look). */
  counts: StateCounts;
  /** Highest count per state over the row's looks. */
  max: StateCounts;
  arrivals: StateCounts;
  departures: StateCounts;
}

export interface GroupSeriesPoint {
  at: number;
  kind: StoredGroupKind;
  key: string;
  state: TcpState;
  count: number;
}

/** A connection's stay in one state, as far as the looks bound it. */
export interface SpanRow {
  conn: string;
  state: TcpState;
  service: string | null;
  process: string | null;
  local: string;
  remote: string;
  firstSeen: number;
  /** Entered after this look; null when already in the state at the first look. */
  startAfter: number | null;
  startBy: number;
  /** Last look still in the state; null while open. */
  endAfter: number | null;
  /** First look no longer in it; null while open. */
  endBy: number | null;
}

export interface DurationRow {
  state: TcpState;
  service: string;
  /** Index into AGE_BUCKET_LABELS. */
  bucket: number;
  count: number;
}

export interface StoredFinding extends FindingRow {
  at: number;
}

export interface MaintenanceOptions {
  /** Drop everything older than this (ms). */
  retentionMs?: number;
  /** Merge raw looks older than this (ms) ... */
  downsampleAfterMs?: number;
  /** ... into buckets this wide (ms). */
  downsampleToMs?: number;
}

/** Where recordings go. The SQLite file is the implementation; the interface keeps record/report independent of it. */
export interface SnapshotStore {
  readonly path: string;
  /** The last look written, if any. */
  lastSnapshotAt(): number | undefined;
  /**
   * Seeds a tracker with the connections whose spans were still open at the last look, so a restarted recorder
   * continues them instead of starting over; returns how many.
   */
  resume(tracker: ConnectionTracker): number;
  /** Writes one look in one transaction. */
  append(write: SnapshotWrite): void;
  maintain(now: number, options: MaintenanceOptions): void;
  snapshots(since?: number): StoredSnapshot[];
  groupSeries(since?: number): GroupSeriesPoint[];
  spans(since?: number): SpanRow[];
  durations(since?: number): DurationRow[];
  findings(since?: number): StoredFinding[];
  meta(): Record<string, string>;
  close(): void;
}
