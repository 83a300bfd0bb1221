import { TCP_STATES, type TcpState } from '../states/states.ts';
import { type TrackedAge, type TrackedConnection, trackedAge } from './tracker.ts';

/** Upper edges of the age buckets, in ms; the last bucket is open-ended. */
export const AGE_BUCKETS_MS: readonly number[] = [1_000, 10_000, 60_000, 600_000, 3_600_000, 86_400_000];
export const AGE_BUCKET_LABELS: readonly string[] = [
  '<1s',
  '1-10s',
  '10s-1m',
  '1-10m',
  '10m-1h',
  '1h-1d',
  '>1d',
];

export function bucketOf(ms: number): number {
  for (let i = 0; i < AGE_BUCKETS_MS.length; i++) if (ms < AGE_BUCKETS_MS[i]!) return i;
  return AGE_BUCKETS_MS.length;
}

export interface AgeDistribution {
  state: TcpState;
  count: number;
  /** Connections per bucket (AGE_BUCKET_LABELS), by their lower-bound age. */
  buckets: number[];
  /** How many of them were already in this state at the first look (their age is only a lower bound). */
  lowerBoundOnly: number;
  oldest?: { connection: TrackedConnection; age: TrackedAge };
}

/** Per state: how long its connections have sat in it, as a histogram plus the oldest one. */
export function ageDistribution(
  connections: Iterable<TrackedConnection>,
  now: number,
): Map<TcpState, AgeDistribution> {
  const out = new Map<TcpState, AgeDistribution>();
  for (const c of connections) {
    let d = out.get(c.state);
    if (!d) {
      d = { state: c.state, count: 0, buckets: AGE_BUCKET_LABELS.map(() => 0), lowerBoundOnly: 0 };
      out.set(c.state, d);
    }
    const age = trackedAge(c, now);
    d.count++;
    d.buckets[bucketOf(age.minMs)]!++;
    if (age.maxMs === undefined) d.lowerBoundOnly++;
    if (!d.oldest || age.minMs > d.oldest.age.minMs) d.oldest = { connection: c, age };
  }
  return new Map(TCP_STATES.filter((s) => out.has(s)).map((s) => [s, out.get(s)!]));
}

/** The n connections longest in their state, per state. */
export function oldestPerState(
  connections: Iterable<TrackedConnection>,
  now: number,
  perState: number,
  ageOf: (connection: TrackedConnection, now: number) => TrackedAge = trackedAge,
): Map<TcpState, Array<{ connection: TrackedConnection; age: TrackedAge }>> {
  const by = new Map<TcpState, Array<{ connection: TrackedConnection; age: TrackedAge }>>();
  for (const c of connections) {
    let list = by.get(c.state);
    if (!list) {
      list = [];
      by.set(c.state, list);
    }
    const item = { connection: c, age: ageOf(c, now) };
    // Keep only the top n: a small sorted insert beats sorting every socket at 100k.
    if (list.length < perState || item.age.minMs > list[list.length - 1]!.age.minMs) {
      let i = list.length;
      while (i > 0 && list[i - 1]!.age.minMs < item.age.minMs) i--;
      list.splice(i, 0, item);
      if (list.length > perState) list.pop();
    }
  }
  return by;
}

/** `45s`, `12m`, `3h05m`, `2d04h`: short, for screens. */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 10) return `${(ms / 1000).toFixed(1)}s`;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** An age as far as it is known: `≥12m00s` when only a lower bound exists, otherwise the lower bound. */
export function formatTrackedAge(age: TrackedAge): string {
  if (age.estimate) return `~${formatDuration(age.minMs)}`;
  return age.maxMs === undefined ? `≥${formatDuration(age.minMs)}` : formatDuration(age.minMs);
}
