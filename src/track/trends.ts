import { minOf } from '../internal/extent.ts';
import type { Severity } from '../model/finding.ts';
import type {
  DurationRow,
  GroupSeriesPoint,
  SpanRow,
  StoredFinding,
  StoredSnapshot,
} from '../model/recording.ts';
import { TCP_STATES, type TcpState } from '../states/states.ts';
import { AGE_BUCKET_LABELS, bucketOf } from './ages.ts';
import type { KernelTransition } from './kernel-stays.ts';

/**
 * A recording turned into what a person asks of it: how each state moved, when it peaked, what is leaking and how
 * fast, how long connections stay in each state, and which findings came and went. Pure: input is what the store
 * returns.
 */

export interface StateTrend {
  state: TcpState;
  /** [time, average count] per row of the recording. */
  series: Array<[number, number]>;
  first: number;
  last: number;
  min: number;
  peak: number;
  peakAt: number;
  average: number;
  /** Least-squares slope, connections per minute. */
  perMinute: number;
  arrivals: number;
  departures: number;
}

/** States where growth means sockets are not being closed (a leak), as opposed to more traffic. */
const STUCK_STATES: ReadonlySet<TcpState> = new Set([
  'CLOSE_WAIT',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'CLOSING',
  'LAST_ACK',
  'SYN_RECEIVED',
  'SYN_SENT',
]);

export interface Leak {
  state: TcpState;
  kind: 'leak' | 'growth';
  /** `service` port, `process`, or the whole host. */
  scope: 'service' | 'process' | 'host';
  key: string;
  /** Owning process(es) seen on the stuck connections of this service, when the recording has them. */
  processes: string[];
  perMinute: number;
  /** Fit of the straight line (R²): near 1 for a steady leak. */
  fit: number;
  from: { at: number; count: number };
  to: { at: number; count: number };
  title: string;
  /** The counts the leak was judged on: [time, count]. */
  series: Array<[number, number]>;
  /** The fitted straight line at the first and last point. */
  line: { startValue: number; endValue: number };
}

export interface TimeInState {
  state: TcpState;
  /** Complete stays (begun and ended in view, or exact) per AGE_BUCKET_LABELS bucket. */
  ended: number[];
  endedTotal: number;
  /** Of those, how many were exact (a transition source) rather than bounded by looks. */
  exactTotal: number;
  /**
   * Stays that ended but were already under way at the first look, per bucket of their lower bound: each lasted
   * at least that long. Never mixed into `ended` or the median.
   */
  atLeast: number[];
  atLeastTotal: number;
  /** Stays still under way at the end of the window, per bucket of their age so far (a lower bound). */
  open: number[];
  /** Median bucket label of complete stays; absent when none is complete. */
  median?: string;
  longest?: { ms: number; atLeast: boolean; span: SpanRow };
}

export interface FindingHistory {
  rule: string;
  severity: Severity;
  title: string;
  firstAt: number;
  lastAt: number;
  looks: number;
}

export interface Report {
  from: number;
  to: number;
  looks: number;
  rows: number;
  /** Median time between rows. */
  intervalMs: number;
  totals: Array<[number, number]>;
  states: StateTrend[];
  leaks: Leak[];
  timeInState: TimeInState[];
  /** Connections longest in a stuck-ish state at the end of the window. */
  stuck: Array<{ span: SpanRow; ageMs: number; atLeast: boolean }>;
  findings: FindingHistory[];
  /** The recording ran with the kernel trace: complete stays are exact (`record --trace`). */
  kernelTrace?: boolean;
  /**
   * What the kernel counted, when some looks were recorded with the trace: how many looks (their IN/OUT are the
   * kernel's) and every FROM → TO change between them, most frequent first.
   */
  kernel?: { looks: number; transitions: KernelTransition[]; lost?: number };
}

export interface ReportInput {
  snapshots: StoredSnapshot[];
  groups: GroupSeriesPoint[];
  spans: SpanRow[];
  durations: DurationRow[];
  findings: StoredFinding[];
  /**
   * The connections at the last look with their stays so far (SqliteStore.openStays()). Without it, only those
   * with a span (at least --span-min long) are known to be open at the end.
   */
  open?: SpanRow[];
  /** The kernel's transitions over the window (SqliteStore.transitions()), and how many looks had the trace. */
  transitions?: KernelTransition[];
  tracedLooks?: number;
}

export interface ReportOptions {
  /** Smallest growth reported as a leak, per minute (default 0.5). */
  minPerMinute?: number;
  /** Smallest net growth over the window (default 3 connections). */
  minGrowth?: number;
}

export function linearFit(points: ReadonlyArray<[number, number]>): {
  slope: number;
  intercept: number;
  r2: number;
} {
  const n = points.length;
  if (n < 2) return { slope: 0, intercept: points[0]?.[1] ?? 0, r2: 0 };
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  if (sxx === 0) return { slope: 0, intercept: my, r2: 0 };
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: my - slope * mx, r2 };
}

const MINUTE = 60_000;

export function buildReport(input: ReportInput, options: ReportOptions = {}): Report {
  const snaps = input.snapshots;
  const from = snaps[0]?.at ?? 0;
  const to = snaps[snaps.length - 1]?.at ?? 0;
  const gaps = snaps.slice(1).map((s, i) => s.at - snaps[i]!.at);
  gaps.sort((a, b) => a - b);
  const report: Report = {
    from,
    to,
    looks: snaps.reduce((n, s) => n + s.samples, 0),
    rows: snaps.length,
    intervalMs: gaps[Math.floor(gaps.length / 2)] ?? 0,
    totals: snaps.map((s) => [s.at, s.total]),
    states: stateTrends(snaps),
    leaks: [],
    timeInState: timeInState(input.durations, input.spans, openAtEnd(input), to),
    stuck: stuckAtEnd(openAtEnd(input), to),
    findings: findingHistory(input.findings),
  };
  if (input.tracedLooks) {
    report.kernelTrace = true;
    report.kernel = { looks: input.tracedLooks, transitions: input.transitions ?? [] };
  }
  report.leaks = detectLeaks(report.states, input.groups, input.spans, options);
  return report;
}

function stateTrends(snaps: readonly StoredSnapshot[]): StateTrend[] {
  const out: StateTrend[] = [];
  for (const state of TCP_STATES) {
    if (!snaps.some((s) => s.max[state] > 0 || s.departures[state] > 0)) continue;
    const series: Array<[number, number]> = snaps.map((s) => [s.at, s.counts[state]]);
    let peak = -1;
    let peakAt = 0;
    let min = Number.POSITIVE_INFINITY;
    let sum = 0;
    let arrivals = 0;
    let departures = 0;
    for (const s of snaps) {
      if (s.max[state] > peak) {
        peak = s.max[state];
        peakAt = s.at;
      }
      min = Math.min(min, s.counts[state]);
      sum += s.counts[state];
      arrivals += s.arrivals[state];
      departures += s.departures[state];
    }
    out.push({
      state,
      series,
      first: series[0]![1],
      last: series[series.length - 1]![1],
      min,
      peak,
      peakAt,
      average: sum / snaps.length,
      perMinute: linearFit(series.map(([t, v]) => [t / MINUTE, v])).slope,
      arrivals,
      departures,
    });
  }
  return out;
}

function detectLeaks(
  trends: readonly StateTrend[],
  groups: readonly GroupSeriesPoint[],
  spans: readonly SpanRow[],
  options: ReportOptions,
): Leak[] {
  const minRate = options.minPerMinute ?? 0.5;
  const minGrowth = options.minGrowth ?? 3;
  const leaks: Leak[] = [];
  const judge = (
    state: TcpState,
    scope: Leak['scope'],
    key: string,
    series: ReadonlyArray<[number, number]>,
  ): Leak | undefined => {
    if (series.length < 4 || (!STUCK_STATES.has(state) && state !== 'ESTABLISHED')) return undefined;
    const t0 = series[0]![0];
    const { slope, intercept, r2 } = linearFit(series.map(([t, v]) => [(t - t0) / MINUTE, v]));
    const first = series[0]!;
    const last = series[series.length - 1]!;
    const lowest = minOf(series.map(([, v]) => v));
    if (slope < minRate || r2 < 0.6 || last[1] - lowest < minGrowth) return undefined;
    return {
      state,
      kind: STUCK_STATES.has(state) ? 'leak' : 'growth',
      scope,
      key,
      processes: [],
      perMinute: slope,
      fit: r2,
      from: { at: first[0], count: first[1] },
      to: { at: last[0], count: last[1] },
      title: '',
      series: [...series],
      line: { startValue: intercept, endValue: intercept + (slope * (last[0] - t0)) / MINUTE },
    };
  };

  // Per service first: a leak is almost always one application's.
  const byGroup = new Map<string, Array<[number, number]>>();
  for (const p of groups) {
    if (p.kind !== 'service' && p.kind !== 'process') continue;
    const id = `${p.kind}\u0000${p.key}\u0000${p.state}`;
    let list = byGroup.get(id);
    if (!list) {
      list = [];
      byGroup.set(id, list);
    }
    list.push([p.at, p.count]);
  }
  const statesWithGroupLeak = new Set<TcpState>();
  for (const [id, series] of byGroup) {
    const [kind, key, state] = id.split('\u0000') as ['service' | 'process', string, TcpState];
    const leak = judge(state, kind, key, series);
    if (!leak) continue;
    if (kind === 'service') {
      const owners = new Map<string, number>();
      for (const s of spans) {
        if (s.state === state && s.service === key && s.process)
          owners.set(s.process, (owners.get(s.process) ?? 0) + 1);
      }
      leak.processes = [...owners.entries()].sort((a, b) => b[1] - a[1]).map(([p]) => p);
    }
    statesWithGroupLeak.add(state);
    leaks.push(leak);
  }
  for (const trend of trends) {
    if (statesWithGroupLeak.has(trend.state)) continue;
    const leak = judge(trend.state, 'host', 'all', trend.series);
    if (leak) leaks.push(leak);
  }
  // A process leak already named on a service leak of the same state says the same thing twice.
  const named = new Set(
    leaks.filter((l) => l.scope === 'service').flatMap((l) => l.processes.map((p) => `${l.state}\u0000${p}`)),
  );
  const kept = leaks.filter((l) => l.scope !== 'process' || !named.has(`${l.state}\u0000${l.key}`));
  for (const leak of kept) leak.title = leakTitle(leak);
  return kept.sort((a, b) => b.perMinute - a.perMinute);
}

export function formatRate(perMinute: number): string {
  if (perMinute >= 10) return `${Math.round(perMinute)}/min`;
  if (perMinute >= 1) return `${perMinute.toFixed(1)}/min`;
  return `${(perMinute * 60).toFixed(1)}/h`;
}

function leakTitle(leak: Leak): string {
  const where =
    leak.scope === 'host'
      ? 'on this host'
      : leak.scope === 'process'
        ? `for process ${leak.key}`
        : `${leak.processes.length ? `for process ${leak.processes.slice(0, 2).join(', ')} ` : ''}${leak.key.startsWith('→') ? `to port ${leak.key.slice(1)}` : `on port ${leak.key}`}`;
  return `${leak.state} growing ${formatRate(leak.perMinute)} ${where} (${Math.round(leak.from.count)} → ${Math.round(leak.to.count)})`;
}

/** What was still open at the end: the last look's table when the recording has one, else the open spans. */
function openAtEnd(input: ReportInput): SpanRow[] {
  if (input.open !== undefined && input.open.length > 0) return input.open;
  return input.spans.filter((s) => s.endBy === null);
}

function timeInState(
  durations: readonly DurationRow[],
  spans: readonly SpanRow[],
  open: readonly SpanRow[],
  end: number,
): TimeInState[] {
  const by = new Map<TcpState, TimeInState>();
  const get = (state: TcpState) => {
    let t = by.get(state);
    if (!t) {
      t = {
        state,
        ended: AGE_BUCKET_LABELS.map(() => 0),
        endedTotal: 0,
        exactTotal: 0,
        atLeast: AGE_BUCKET_LABELS.map(() => 0),
        atLeastTotal: 0,
        open: AGE_BUCKET_LABELS.map(() => 0),
      };
      by.set(state, t);
    }
    return t;
  };
  for (const d of durations) {
    const t = get(d.state);
    if (d.bound === 'atLeast') {
      t.atLeast[d.bucket] = (t.atLeast[d.bucket] ?? 0) + d.count;
      t.atLeastTotal += d.count;
      continue;
    }
    t.ended[d.bucket] = (t.ended[d.bucket] ?? 0) + d.count;
    t.endedTotal += d.count;
    if (d.bound === 'exact') t.exactTotal += d.count;
  }
  const longest = (t: TimeInState, s: SpanRow) => {
    const ms = (s.endAfter ?? end) - s.startBy;
    const atLeast = s.startAfter === null || s.endBy === null;
    if (!t.longest || ms > t.longest.ms) t.longest = { ms, atLeast, span: s };
  };
  for (const s of open) {
    const t = get(s.state);
    const i = bucketOf(end - s.startBy);
    t.open[i] = (t.open[i] ?? 0) + 1;
    longest(t, s);
  }
  for (const s of spans) if (s.endBy !== null) longest(get(s.state), s);
  for (const t of by.values()) {
    let seen = 0;
    for (let i = 0; i < t.ended.length; i++) {
      seen += t.ended[i]!;
      if (seen * 2 >= t.endedTotal && t.endedTotal > 0) {
        t.median = AGE_BUCKET_LABELS[i]!;
        break;
      }
    }
  }
  return TCP_STATES.filter((s) => by.has(s)).map((s) => by.get(s)!);
}

function stuckAtEnd(open: readonly SpanRow[], end: number): Report['stuck'] {
  return open
    .filter((s) => s.state !== 'LISTEN' && s.state !== 'ESTABLISHED')
    .map((span) => ({ span, ageMs: end - span.startBy, atLeast: span.startAfter === null }))
    .sort((a, b) => b.ageMs - a.ageMs)
    .slice(0, 10);
}

function findingHistory(findings: readonly StoredFinding[]): FindingHistory[] {
  const by = new Map<string, FindingHistory>();
  for (const f of findings) {
    const id = `${f.rule}\u0000${f.severity}`;
    const h = by.get(id);
    if (!h)
      by.set(id, {
        rule: f.rule,
        severity: f.severity,
        title: f.title,
        firstAt: f.at,
        lastAt: f.at,
        looks: 1,
      });
    else {
      h.lastAt = f.at;
      h.title = f.title;
      h.looks++;
    }
  }
  return [...by.values()].sort((a, b) => a.firstAt - b.firstAt);
}
