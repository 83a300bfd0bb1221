/**
 * What a trace adds up to: changes by FROM → TO, time-in-state percentiles from completed stays, and how many
 * connections lived less than a second. Memory is bounded: each state keeps at most `sampleSize` stays (a uniform
 * reservoir beyond that), so percentiles stay exact up to that many stays and estimates after.
 */
import { TCP_STATES, type TcpState } from '../states/states.ts';
import type { StateChange } from './kernel-trace.ts';

export interface StayStats {
  state: TcpState;
  /** Completed stays seen (entered after tracing began, then left). */
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** True when more stays were seen than kept: the percentiles are from a uniform sample. */
  sampled: boolean;
}

export interface TraceSummary {
  /** Time traced, ms: from tracing ready to its end when the caller says (summary(tracedMs)), else from the first
   * change to the last. */
  spanMs: number;
  changes: number;
  /** `FROM → TO` counts, most frequent first. */
  transitions: { from: TcpState; to: TcpState; count: number }[];
  stays: StayStats[];
  /** Connections whose whole life (SYN to close or TIME_WAIT) was seen. */
  connections: number;
  /** Of those, how many lived less than one second. */
  shortLived: number;
  /** Changes the kernel could not hand over (the ring buffer was full). */
  dropped: number;
}

const STATE_INDEX = Object.fromEntries(TCP_STATES.map((s, i) => [s, i])) as Record<TcpState, number>;

interface Reservoir {
  values: number[];
  seen: number;
  max: number;
}

/** Deterministic generator for the reservoir (the core has no ambient randomness). */
function nextRandom(state: { s: number }): number {
  state.s = (state.s * 1103515245 + 12345) >>> 0;
  return state.s / 2 ** 32;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export class TraceSummarizer {
  private readonly pairs = new Map<number, { from: TcpState; to: TcpState; count: number }>();
  private readonly stays = new Map<TcpState, Reservoir>();
  private readonly random = { s: 12345 };
  private firstMs: number | undefined;
  private lastMs: number | undefined;
  private changes = 0;
  private connections = 0;
  private shortLived = 0;
  dropped = 0;

  private readonly sampleSize: number;

  constructor(sampleSize = 100_000) {
    this.sampleSize = sampleSize;
  }

  add(change: StateChange): void {
    this.changes++;
    this.firstMs ??= change.atMs;
    this.lastMs = change.atMs;
    // Keyed by both states' indexes: no string built per change.
    const key = STATE_INDEX[change.from] * 16 + STATE_INDEX[change.to];
    const pair = this.pairs.get(key);
    if (pair) pair.count++;
    else this.pairs.set(key, { from: change.from, to: change.to, count: 1 });
    if (change.stayMs !== undefined) this.addStay(change.from, change.stayMs);
    if (change.lifeMs !== undefined) {
      this.connections++;
      if (change.lifeMs < 1000) this.shortLived++;
    }
  }

  private addStay(state: TcpState, ms: number): void {
    let r = this.stays.get(state);
    if (r === undefined) {
      r = { values: [], seen: 0, max: 0 };
      this.stays.set(state, r);
    }
    r.seen++;
    if (ms > r.max) r.max = ms;
    if (r.values.length < this.sampleSize) r.values.push(ms);
    else {
      const slot = Math.floor(nextRandom(this.random) * r.seen);
      if (slot < this.sampleSize) r.values[slot] = ms;
    }
  }

  /** `tracedMs`: how long tracing ran; without it the span is from the first change seen to the last. */
  summary(tracedMs?: number): TraceSummary {
    const stays: StayStats[] = [];
    for (const [state, r] of this.stays) {
      const sorted = [...r.values].sort((a, b) => a - b);
      stays.push({
        state,
        count: r.seen,
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        max: r.max,
        sampled: r.seen > r.values.length,
      });
    }
    stays.sort((a, b) => b.count - a.count);
    return {
      spanMs:
        tracedMs ??
        (this.firstMs === undefined || this.lastMs === undefined ? 0 : this.lastMs - this.firstMs),
      changes: this.changes,
      transitions: [...this.pairs.values()].sort((a, b) => b.count - a.count),
      stays,
      connections: this.connections,
      shortLived: this.shortLived,
      dropped: this.dropped,
    };
  }
}
