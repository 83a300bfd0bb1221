import type { TcpState } from '../states/states.ts';
import type { Severity } from './finding.ts';

/**
 * The rows of a recording, as the store returns them and the trend analysis (`track/trends.ts`) reads them. They
 * live in the model so that track and store both depend on it rather than on each other.
 */

type StateCounts = Record<TcpState, number>;

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

/**
 * How well a stay in a state is known. Looks only bound a stay: it began between two looks and ended between two
 * others (`within`, counted at the middle of what the looks allow); a stay under way at the first look has no
 * known start, only a lower bound (`atLeast`), as does one still under way at the last look. A source that sees
 * the transitions themselves (the kernel's tcp:inet_sock_set_state tracepoint) knows a stay to the microsecond:
 * `exact`. The three are kept apart so a lower bound is never bucketed or averaged as a complete stay.
 */
export type StayBound = 'exact' | 'within' | 'atLeast';

export const STAY_BOUNDS: readonly StayBound[] = ['exact', 'within', 'atLeast'];

export interface DurationRow {
  state: TcpState;
  service: string;
  /** How well the stays of this row are known. */
  bound: StayBound;
  /** Index into AGE_BUCKET_LABELS. */
  bucket: number;
  count: number;
}

export interface StoredFinding extends FindingRow {
  at: number;
}
