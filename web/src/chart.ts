/** Connections per state over time, drawn with uPlot (canvas; fast with thousands of points). */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { stateName, TCP_STATES, type TcpState } from '../../src/states/states.ts';

/** One colour per state, readable on both the light and the dark background. */
export const STATE_COLORS: Record<TcpState, string> = {
  LISTEN: '#6b7280',
  SYN_SENT: '#0ea5e9',
  SYN_RECEIVED: '#6366f1',
  ESTABLISHED: '#16a34a',
  FIN_WAIT_1: '#f59e0b',
  FIN_WAIT_2: '#d97706',
  CLOSE_WAIT: '#dc2626',
  CLOSING: '#db2777',
  LAST_ACK: '#9333ea',
  TIME_WAIT: '#0d9488',
  CLOSED: '#a3a3a3',
};

export interface Series {
  t: number[];
  /** Counts per state; null where nothing was seen (a gap in the line). */
  states: Record<TcpState, Array<number | null>>;
  /** Set when the server has a recording (`serve --db`): where to fetch the longer past. */
  history?: string;
}

/** A row of `/api/history` (tcpstate.history/1): the time in ms, the count (or average) per state. */
export interface HistoryPoint {
  at: number;
  counts: Partial<Record<TcpState, number>>;
}

/**
 * The recorded past in front of the live series: only the points older than the first live one. Where nothing was
 * recorded between the last recorded point and the first live one (the recorder stopped, or the recording ends
 * before the server started), the lines break: a null point in between, rather than a straight ramp that draws
 * counts nobody saw.
 */
export function withHistory(series: Series, points: readonly HistoryPoint[]): Series {
  const first = series.t[0] ?? Number.POSITIVE_INFINITY;
  const older = points.filter((p) => p.at / 1000 < first);
  const t = older.map((p) => p.at / 1000);
  const states = Object.fromEntries(
    TCP_STATES.map((s) => [s, older.map((p): number | null => p.counts[s] ?? 0)]),
  ) as Series['states'];
  const last = t[t.length - 1];
  if (
    last !== undefined &&
    Number.isFinite(first) &&
    first - last > 3 * Math.max(typicalStep(t), typicalStep(series.t))
  ) {
    t.push((last + first) / 2);
    for (const s of TCP_STATES) states[s].push(null);
  }
  return {
    t: [...t, ...series.t],
    states: Object.fromEntries(
      TCP_STATES.map((s) => [s, [...states[s], ...series.states[s]]]),
    ) as Series['states'],
  };
}

/** The median time between consecutive points (seconds); 1 when there are too few to tell. */
function typicalStep(t: readonly number[]): number {
  const steps = t
    .slice(1)
    .map((v, i) => v - t[i]!)
    .filter((d) => d > 0)
    .sort((a, b) => a - b);
  return steps[Math.floor(steps.length / 2)] ?? 1;
}

const MAX_POINTS = 720;

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export class StateChart {
  private plot: uPlot | undefined;
  private readonly container: HTMLElement;
  private data: Series = {
    t: [],
    states: Object.fromEntries(TCP_STATES.map((s) => [s, []])) as unknown as Series['states'],
  };
  private readonly observer: ResizeObserver;
  /** Points kept: the last MAX_POINTS, or as many as a recorded history brought. */
  private limit = MAX_POINTS;

  constructor(container: HTMLElement) {
    this.container = container;
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(container);
  }

  private size() {
    const width = Math.max(260, this.container.clientWidth);
    return { width, height: width < 500 ? 220 : 280 };
  }

  private aligned(): uPlot.AlignedData {
    return [this.data.t, ...TCP_STATES.map((s) => this.data.states[s])];
  }

  /** (Re)creates the plot, e.g. after a theme change; states never seen above zero start hidden. */
  build(): void {
    this.plot?.destroy();
    const axis = {
      stroke: cssVar('--muted'),
      grid: { stroke: cssVar('--grid'), width: 1 },
      ticks: { stroke: cssVar('--grid') },
    };
    const seen = (s: TcpState) => this.data.states[s].some((n) => n !== null && n > 0);
    this.plot = new uPlot(
      {
        ...this.size(),
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [axis, { ...axis, size: 60 }],
        series: [
          {},
          ...TCP_STATES.map((s) => ({
            label: stateName(s, 'rfc'),
            stroke: STATE_COLORS[s],
            width: 2,
            show: seen(s) || s === 'ESTABLISHED',
            points: { show: false },
          })),
        ],
      },
      this.aligned(),
      this.container,
    );
  }

  setSeries(series: Series): void {
    this.data = series;
    this.limit = Math.max(MAX_POINTS, series.t.length);
    this.container.dataset.points = String(series.t.length);
    this.container.dataset.first = String(series.t[0] ?? '');
    this.container.dataset.gaps = String(series.states.ESTABLISHED.filter((n) => n === null).length);
    this.build();
  }

  /** Appends one sample; keeps the last MAX_POINTS. */
  push(t: number, counts: Record<TcpState, number>): void {
    if (this.data.t.length && t <= this.data.t[this.data.t.length - 1]!) return;
    this.data.t.push(t);
    for (const s of TCP_STATES) this.data.states[s].push(counts[s]);
    this.container.dataset.points = String(this.data.t.length);
    if (this.data.t.length > this.limit) {
      this.data.t.shift();
      for (const s of TCP_STATES) this.data.states[s].shift();
    }
    if (!this.plot) {
      this.build();
      return;
    }
    // A state that becomes non-zero for the first time is switched on.
    TCP_STATES.forEach((s, i) => {
      if (counts[s] > 0 && !this.plot!.series[i + 1]!.show) this.plot!.setSeries(i + 1, { show: true });
    });
    this.plot.setData(this.aligned());
  }

  private resize(): void {
    this.plot?.setSize(this.size());
  }
}
