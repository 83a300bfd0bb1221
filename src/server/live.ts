import type { Group } from '../analysis/groups.ts';
import type { Summary } from '../analysis/summary.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { TCP_STATES, type TcpState } from '../states/states.ts';
import { isFigureEdge } from '../states/transitions.ts';
import type { AgeKind } from '../track/kernel-ages.ts';
import { memo, type Sample, type Sampler } from './sampler.ts';

export const LIVE_SCHEMA = 'tcpstate.live/1';

export interface LiveTransition {
  from: TcpState;
  to: TcpState;
  /** Connections seen making this change between the last two snapshots. */
  count: number;
  /** count / seconds between the two snapshots. */
  perSecond: number;
  /** An arrow of the RFC diagram; false for a jump over states passed between two snapshots. */
  direct: boolean;
}

/** What the dashboard needs every interval: sent by `/api/summary` and pushed by `/api/events`. */
export interface LiveDocument {
  schema: typeof LIVE_SCHEMA;
  seq: number;
  takenAt: string;
  intervalSeconds: number;
  elapsedSeconds: number;
  snapshotDurationSeconds: number;
  source: Snapshot['source'];
  summary: Summary;
  transitions: LiveTransition[];
  /** Per state, seconds its oldest connection has been in it (how it is known: oldestAgeKind). */
  oldestAgeSeconds: Partial<Record<TcpState, number>>;
  /** The states whose oldest age is estimated from the socket's timers or tcp_info, not bounded by the looks. */
  oldestAgeEstimated: TcpState[];
  /** Per state: `exact` (the kernel trace saw the oldest connection enter it), `estimate` (its timers or tcp_info)
   * or `bound` (the looks: at least this old, since it was there when the server started). */
  oldestAgeKind: Partial<Record<TcpState, AgeKind>>;
  top: { ports: Group[]; peers: Group[]; processes?: Group[] };
  findings: Finding[];
  warnings: number;
  processNote?: string;
}

/** The live document of a sample: its top groups are asked of its sockets (in the worker), once per sample. */
export function liveDocument(sample: Sample, intervalSeconds: number, top = 10): Promise<LiveDocument> {
  return memo(sample, `live:${top}`, async () => {
    const snapshot = sample.snapshot;
    const seconds = sample.elapsedSeconds;
    const [ports, peers, processes] = await Promise.all([
      sample.sockets.groups('service', top),
      sample.sockets.groups('peer', top),
      snapshot.processesLookedUp ? sample.sockets.groups('process', top) : undefined,
    ]);
    const doc: LiveDocument = {
      schema: LIVE_SCHEMA,
      seq: sample.seq,
      takenAt: new Date(snapshot.takenAt).toISOString(),
      intervalSeconds,
      elapsedSeconds: seconds,
      snapshotDurationSeconds: sample.durationSeconds,
      source: snapshot.source,
      summary: sample.summary,
      transitions: sample.transitions.map((t) => ({
        ...t,
        perSecond: seconds > 0 ? t.count / seconds : 0,
        direct: isFigureEdge(t.from, t.to),
      })),
      oldestAgeSeconds: sample.oldestAgeSeconds,
      oldestAgeEstimated: sample.oldestAgeEstimated,
      oldestAgeKind: sample.oldestAgeKind,
      top: { ports, peers },
      findings: sample.findings,
      warnings: snapshot.warnings.length,
    };
    if (processes) doc.top.processes = processes;
    if (snapshot.processNote) doc.processNote = snapshot.processNote;
    return doc;
  });
}

/** Per-state time series in uPlot's column layout: `t` (Unix seconds) and one array per state. */
export function seriesDocument(
  sampler: Sampler,
  recorded = false,
): { t: number[]; states: Record<TcpState, number[]>; history?: string } {
  const t = sampler.series.map((p) => p.t / 1000);
  const states = Object.fromEntries(
    TCP_STATES.map((s) => [s, sampler.series.map((p) => p.counts[s])]),
  ) as Record<TcpState, number[]>;
  // Where the longer, recorded past is, when the server has a recording (`--db`): the dashboard draws it too.
  return recorded ? { t, states, history: '/api/history' } : { t, states };
}
