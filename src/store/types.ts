import type { StateCounts } from '../analysis/summary.ts';
import type {
  DurationRow,
  FindingRow,
  GroupCountRow,
  GroupSeriesPoint,
  SpanRow,
  StoredFinding,
  StoredSnapshot,
} from '../model/recording.ts';
import type { ExactStay } from '../track/kernel-stays.ts';
import type { ConnectionTracker, TrackedConnection, TrackStep } from '../track/tracker.ts';

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
  /**
   * Present when the kernel trace ran through this look: the complete stays it reported since the previous look
   * (stored as `exact`). The looks' own `within` stays begun after `since` (wall ms at which tracing began) are
   * then left out, since the kernel saw each of them exactly; older ones (a resumed recording) are kept.
   */
  kernel?: { since: number; stays: ReadonlyArray<ExactStay & { service: string }> };
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
   * Seeds a tracker with the last look's connections, so a restarted recorder continues them (and their open spans)
   * instead of counting each as an arrival; returns how many.
   */
  resume(tracker: ConnectionTracker): number;
  /** Writes one look in one transaction. */
  append(write: SnapshotWrite): void;
  maintain(now: number, options: MaintenanceOptions): void;
  snapshots(since?: number): StoredSnapshot[];
  groupSeries(since?: number): GroupSeriesPoint[];
  spans(since?: number): SpanRow[];
  durations(since?: number): DurationRow[];
  /** The connections at the last look, with their stays so far. */
  openStays(): SpanRow[];
  findings(since?: number): StoredFinding[];
  meta(): Record<string, string>;
  /** Sets one key of the recording's metadata (e.g. `trace`: how stays were known). */
  setMeta(key: string, value: string): void;
  close(): void;
}
