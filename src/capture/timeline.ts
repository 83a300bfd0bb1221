/**
 * State counts over the capture, in bounded memory: samples at evenly spaced instants, stored as difference arrays
 * per state. When an interval falls beyond the last sample, the spacing doubles and the even samples are kept,
 * which a difference array allows exactly (entry i moves to ceil(i/2)). Drawing it is render/capture-timeline.ts's job.
 */
import { TCP_STATES, type TcpState } from '../states/states.ts';
import type { Connection, Side } from './conn.ts';

const SAMPLES = 1024;
/** States worth charting: everything but CLOSED. LISTEN is per listener, not per connection, so it is left out. */
export const TIMELINE_STATES = TCP_STATES.filter((s) => s !== 'CLOSED' && s !== 'LISTEN');

export class Timeline {
  private origin = Number.NaN;
  private width = 0.001;
  private readonly diff: Float64Array[] = TCP_STATES.map(() => new Float64Array(SAMPLES + 2));
  private end = Number.NaN;

  /** Adds a finished connection. `origin` is the capture's first packet time. */
  add(conn: Connection, origin: number): void {
    if (Number.isNaN(this.origin)) this.origin = origin;
    this.addSide(conn.orig);
    this.addSide(conn.resp);
  }

  setEnd(t: number): void {
    this.end = t;
  }

  private index(t: number): number {
    return Math.max(0, Math.ceil((t - this.origin) / this.width - 1e-9));
  }

  private grow(): void {
    this.width *= 2;
    for (const d of this.diff) {
      const copy = d.slice();
      d.fill(0);
      for (let i = 0; i < copy.length; i++) if (copy[i] !== 0) d[Math.ceil(i / 2)]! += copy[i]!;
    }
  }

  private addSide(side: Side): void {
    const tr = side.tr;
    for (let i = 0; i < tr.length; i += 2) {
      const state = tr[i]!;
      if (TCP_STATES[state] === 'CLOSED' || TCP_STATES[state] === 'LISTEN') continue;
      const from = tr[i + 1]!;
      const to = i + 3 < tr.length ? tr[i + 3]! : Number.POSITIVE_INFINITY;
      while (this.index(Number.isFinite(to) ? to : from) > SAMPLES) this.grow();
      const a = this.index(from);
      const d = this.diff[state]!;
      d[a]! += 1;
      if (Number.isFinite(to)) d[this.index(to)]! -= 1;
    }
  }

  /** Counts per state at each sample instant up to the capture end. */
  series(): { times: number[]; counts: Record<TcpState, number[]> } {
    while (!Number.isNaN(this.end) && this.index(this.end) > SAMPLES) this.grow();
    const n = Number.isNaN(this.end) ? SAMPLES : Math.min(SAMPLES, this.index(this.end) + 1);
    const times: number[] = [];
    for (let k = 0; k < n; k++) times.push(this.origin + k * this.width);
    const counts = {} as Record<TcpState, number[]>;
    TCP_STATES.forEach((s, i) => {
      let run = 0;
      const out: number[] = [];
      for (let k = 0; k < n; k++) {
        run += this.diff[i]![k]!;
        out.push(run);
      }
      counts[s] = out;
    });
    return { times, counts };
  }
}
