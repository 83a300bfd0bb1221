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
import type { ExactStay, KernelTransition } from '../track/kernel-stays.ts';
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
   * (stored as `exact`). The looks' own copy of a stay the kernel timed (same state and endpoints, ended at this
   * look or the one before) is then left out; the looks still bound the stays the kernel could not time (begun
   * before tracing began, or lost).
   */
  kernel?: {
    stays: ReadonlyArray<ExactStay & { service: string }>;
    /** Every state change the kernel reported since the previous look: the look's IN/OUT, exact. */
    transitions: readonly KernelTransition[];
  };
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
  /** The kernel-counted transitions (looks recorded with the trace), summed over the looks since `since`. */
  transitions(since?: number): KernelTransition[];
  /** How many looks since `since` were recorded with the kernel trace running (their IN/OUT are the kernel's). */
  tracedLooks(since?: number): number;
  /** The connections at the last look, with their stays so far. */
  openStays(): SpanRow[];
  findings(since?: number): StoredFinding[];
  meta(): Record<string, string>;
  /** Sets one key of the recording's metadata (e.g. `trace`: how stays were known). */
  setMeta(key: string, value: string): void;
  close(): void;
}
