import type { Summary } from '../analysis/summary.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import type { KernelChangeFeed } from '../sources/trace/feed.ts';
import { monotonicMs } from '../sources/trace/session.ts';
import type { TcpState } from '../states/states.ts';
import { type AgeKind, KernelEntryTimes } from '../track/kernel-ages.ts';
import type { ObservedTransition } from '../track/transitions.ts';
import { type Look, type LookSockets, LookTaker, localSockets, type SnapshotInfo } from './look.ts';

/** Takes one snapshot. The server calls it from its sampling loop only, never per request. */
export type SnapshotProvider = () => Promise<Snapshot>;
/**
 * Takes one look somewhere else (the snapshot worker): the look's small results, and a handle to ask its sockets
 * for more. Used instead of a SnapshotProvider so 100k sockets never cross into the server's thread.
 */
export type LookProvider = () => Promise<{ look: Look; sockets: LookSockets }>;
/** Diagnoses a snapshot (src/diagnose's `diagnose(snapshot, options, previous)` fits). */
export type FindingsProvider = (
  snapshot: Snapshot,
  previous: Snapshot | undefined,
) => Finding[] | Promise<Finding[]>;

/** One tick of the loop: everything every endpoint serves until the next tick. */
export interface Sample {
  /** 1 for the first sample, then +1 per successful snapshot. */
  seq: number;
  /** The snapshot without its sockets (source, time, kernel context, warnings). */
  snapshot: SnapshotInfo;
  /** The sockets, asked through this (they may live in the snapshot worker). */
  sockets: LookSockets;
  summary: Summary;
  findings: Finding[];
  /** Changes since the previous sample (empty for the first). */
  transitions: ObservedTransition[];
  /** Per state, seconds its oldest connection has been in it: see oldestAgeKind for how it is known. */
  oldestAgeSeconds: Partial<Record<TcpState, number>>;
  /** The states whose oldest age is estimated from the socket's timers or tcp_info (serve's look). */
  oldestAgeEstimated: TcpState[];
  /** Per state, where its oldest age comes from: `exact` (the kernel trace saw the entry), `estimate` (timers,
   * tcp_info) or `bound` (the looks: a lower bound when it was already there when the server started). */
  oldestAgeKind: Partial<Record<TcpState, AgeKind>>;
  /** Seconds between the previous sample and this one (0 for the first). */
  elapsedSeconds: number;
  /** How long taking the snapshot (and diagnosing it) took. */
  durationSeconds: number;
  /** Per-sample memo for derived data and serialized responses (so 100 clients cost one serialization). */
  memo: Map<string, unknown>;
}

/** A point of the per-state time series the dashboard draws. */
export interface SeriesPoint {
  t: number;
  counts: Record<TcpState, number>;
}

export interface SamplerOptions {
  /** Takes snapshots in this thread; the sampler tracks and diagnoses them here. */
  snapshot?: SnapshotProvider;
  /** Or takes whole looks elsewhere (tracking and diagnoses included); `findings` is then not used. */
  look?: LookProvider;
  findings?: FindingsProvider;
  intervalMs: number;
  /** Points kept for the dashboard's charts (default 720 = one hour at 5 s). */
  historyLength?: number;
  /** State changes from the kernel (tcpstate trace's source): when given, each sample's transitions are the
   * kernel's changes since the previous sample (every step, short-lived connections included), not a diff. */
  kernel?: KernelChangeFeed;
}

export type SamplerEvent =
  | { type: 'sample'; sample: Sample }
  | { type: 'error'; message: string; at: number };

/**
 * The single sampling loop: one snapshot per interval, whatever the request load. Ticks never overlap: the next
 * one is scheduled after the previous finished, at the next multiple of the interval from the start.
 */
export class Sampler {
  readonly intervalMs: number;
  /** Snapshots taken so far (the load test checks this stays at one per interval). */
  snapshotCalls = 0;
  snapshotErrors = 0;
  lastError: { message: string; at: number; error: unknown } | undefined;
  current: Sample | undefined;
  readonly series: SeriesPoint[] = [];
  /** The same connection tracking as watch and record, so the dashboard's counts agree with theirs (used with a
   * SnapshotProvider; a LookProvider tracks where it takes the looks). */
  private readonly taker: LookTaker;
  private previousSnapshot: Snapshot | undefined;

  private readonly options: SamplerOptions;
  private readonly historyLength: number;
  private readonly listeners = new Set<(event: SamplerEvent) => void>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private startedAt = 0;
  private ticks = 0;

  /** Kernel changes since the last sample, by from>to. */
  private readonly kernelCounts = new Map<string, ObservedTransition>();

  constructor(options: SamplerOptions) {
    this.options = options;
    this.intervalMs = options.intervalMs;
    this.historyLength = options.historyLength ?? 720;
    // Looks taken here get the kernel's exact entry times too (a LookProvider gets them where it takes the looks).
    const entries = options.kernel && !options.look ? new KernelEntryTimes() : undefined;
    this.taker = new LookTaker(entries);
    const wallOffsetMs = Date.now() - monotonicMs();
    options.kernel?.subscribe((changes) => {
      entries?.add(changes, wallOffsetMs);
      for (const c of changes) {
        const key = `${c.from}>${c.to}`;
        const t = this.kernelCounts.get(key);
        if (t) t.count++;
        else this.kernelCounts.set(key, { from: c.from, to: c.to, count: 1 });
      }
    });
  }

  /** Where the transitions come from: `kernel` (every change) or `snapshots` (diffs of consecutive looks). */
  get transitionSource(): 'kernel' | 'snapshots' {
    return this.options.kernel ? 'kernel' : 'snapshots';
  }

  private takeKernelCounts(): ObservedTransition[] {
    const out = [...this.kernelCounts.values()];
    this.kernelCounts.clear();
    return out;
  }

  /** Takes the first sample (so the server never answers with nothing), then keeps sampling. */
  async start(): Promise<void> {
    this.running = true;
    this.startedAt = Date.now();
    await this.tick();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  subscribe(listener: (event: SamplerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  private schedule(): void {
    if (!this.running) return;
    this.ticks++;
    const due = this.startedAt + this.ticks * this.intervalMs;
    const wait = Math.max(0, due - Date.now());
    // If a tick overran whole intervals, skip them instead of bursting to catch up.
    if (wait === 0) this.ticks = Math.floor((Date.now() - this.startedAt) / this.intervalMs);
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, wait);
    this.timer.unref?.();
  }

  /** One tick; public so tests can drive the loop without timers. */
  async tick(): Promise<Sample | undefined> {
    const began = performance.now();
    this.snapshotCalls++;
    let look: Look;
    let sockets: LookSockets;
    try {
      ({ look, sockets } = await this.takeLook());
    } catch (error) {
      this.snapshotErrors++;
      const message = error instanceof Error ? error.message : String(error);
      this.lastError = { message, at: Date.now(), error };
      this.emit({ type: 'error', message, at: this.lastError.at });
      return undefined;
    }
    const previous = this.current;
    const snapshot = look.snapshot;
    const sample: Sample = {
      seq: (previous?.seq ?? 0) + 1,
      snapshot,
      sockets,
      summary: look.summary,
      findings: look.findings,
      transitions: this.options.kernel ? this.takeKernelCounts() : look.transitions,
      oldestAgeSeconds: {},
      oldestAgeEstimated: look.oldestEstimated,
      oldestAgeKind: look.oldestKind,
      elapsedSeconds: previous ? Math.max(0, (snapshot.takenAt - previous.snapshot.takenAt) / 1000) : 0,
      durationSeconds: (performance.now() - began) / 1000,
      memo: new Map(),
    };
    for (const [state, since] of Object.entries(look.oldestSince)) {
      // To the ms: kernel entry times carry a µs fraction that would print as 3.45734521484375.
      sample.oldestAgeSeconds[state as TcpState] = Math.max(0, Math.round(snapshot.takenAt - since) / 1000);
    }
    this.current = sample;
    this.lastError = undefined;
    this.series.push({ t: snapshot.takenAt, counts: sample.summary.byState });
    if (this.series.length > this.historyLength)
      this.series.splice(0, this.series.length - this.historyLength);
    this.emit({ type: 'sample', sample });
    return sample;
  }

  private async takeLook(): Promise<{ look: Look; sockets: LookSockets }> {
    if (this.options.look) return this.options.look();
    if (!this.options.snapshot) throw new Error('Sampler: give a snapshot or a look provider');
    const snapshot = await this.options.snapshot();
    const findings = this.options.findings
      ? await this.options.findings(snapshot, this.previousSnapshot)
      : [];
    this.previousSnapshot = snapshot;
    return { look: this.taker.take(snapshot, findings), sockets: localSockets(snapshot, findings) };
  }

  private emit(event: SamplerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber (a closed SSE stream) must not stop the loop or the other subscribers.
      }
    }
  }
}

const MEMO_LIMIT = 64;

/** Memoizes a value derived from a sample, computed once per sample however many requests ask. */
export function memo<T>(sample: Sample, key: string, compute: () => T): T {
  if (sample.memo.has(key)) return sample.memo.get(key) as T;
  const value = compute();
  // Bounded: distinct query strings are client-controlled, so only the first few per sample are kept.
  if (sample.memo.size < MEMO_LIMIT) sample.memo.set(key, value);
  return value;
}
