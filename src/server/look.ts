import { type Group, type GroupKey, groupTable } from '../analysis/groups.ts';
import { sortSockets } from '../analysis/sort.ts';
import { type Summary, summarize } from '../analysis/summary.ts';
import { viewOfSockets } from '../analysis/view.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { snapshotWithoutSockets, tableOf } from '../model/socket-table.ts';
import { snapshotDocument } from '../render/snapshot-json.ts';
import { snapshotCookies } from '../sources/live.ts';
import { TCP_STATES, type TcpState } from '../states/states.ts';
import { type AgeKind, connectionAge, type KernelEntryTimes } from '../track/kernel-ages.ts';
import { ConnectionTracker } from '../track/tracker.ts';
import { type ObservedTransition, stepTransitions } from '../track/transitions.ts';
import { type Aggregates, aggregate, type Limits } from './aggregates.ts';
import { snapshotQuery } from './query.ts';

/** A snapshot without its sockets: what the server's thread keeps of each look (the sockets stay where taken). */
export type SnapshotInfo = Omit<Snapshot, 'sockets'>;

/**
 * What every look gives the server, computed where the snapshot was taken (the snapshot worker): small, whatever
 * the socket count, so handing it to the server's thread costs nothing next to the look itself.
 */
export interface Look {
  snapshot: SnapshotInfo;
  summary: Summary;
  findings: Finding[];
  /** Changes since the previous look, from the tracker (empty for the first). */
  transitions: ObservedTransition[];
  /** Per state, since when (ms) its oldest connection has been in it: from the looks, or estimated from the
   * socket's timers and tcp_info where the looks only give a lower bound (track/kernel-ages.ts estimatedAge). */
  oldestSince: Partial<Record<TcpState, number>>;
  /** The states whose oldest age is such an estimate. */
  oldestEstimated: TcpState[];
  /** Per state, where its oldest age comes from: `exact` (the kernel trace saw the entry), `estimate` (timers,
   * tcp_info) or `bound` (the looks: at least this old, when it was already there at the first look). */
  oldestKind: Partial<Record<TcpState, AgeKind>>;
}

/**
 * What endpoints ask of a look's sockets, computed on demand where the sockets are and only then: a server nobody
 * asks builds no groups, no metric aggregates and no JSON, and never copies 100k sockets between threads.
 */
export interface LookSockets {
  /** The `/api/snapshot` document for this request URL (its query string: state, port, sort, top, limit...). */
  query(url: string): Promise<string>;
  aggregates(limits: Limits): Promise<Aggregates>;
  /** The first `top` groups by this key. */
  groups(by: GroupKey, top: number): Promise<Group[]>;
}

/** Turns snapshots into looks: follows connections across them and keeps the previous one for the diagnoses. */
export class LookTaker {
  readonly tracker = new ConnectionTracker();
  /** Entry times from the kernel trace, when serve runs one: exact ages for the sockets it saw change state. */
  private readonly entries: KernelEntryTimes | undefined;

  constructor(entries?: KernelEntryTimes) {
    this.entries = entries;
  }

  take(snapshot: Snapshot, findings: Finding[]): Look {
    const step = this.tracker.update(snapshot, snapshotCookies(snapshot));
    return {
      snapshot: snapshotWithoutSockets(snapshot),
      summary: summarize(snapshot),
      findings,
      transitions: stepTransitions(step),
      ...this.oldest(snapshot),
    };
  }

  private oldest(snapshot: Snapshot): Pick<Look, 'oldestSince' | 'oldestEstimated' | 'oldestKind'> {
    const at = snapshot.takenAt;
    const fin = Number(snapshot.kernel?.sysctls?.['net.ipv4.tcp_fin_timeout']?.trim() ?? Number.NaN);
    const options = {
      ...(snapshot.source.os !== undefined ? { os: snapshot.source.os } : {}),
      ...(Number.isFinite(fin) ? { finTimeoutSec: fin } : {}),
    };
    const found: Partial<Record<TcpState, number>> = {};
    const kinds: Partial<Record<TcpState, AgeKind>> = {};
    const sources = { entries: this.entries, lookAt: at, options };
    for (const c of this.tracker.current()) {
      // The same ages as watch's oldest list: a socket object only where the kernel or the socket can say more.
      const { age, kind } = connectionAge(c, at, sources);
      const entered = at - age.minMs;
      if (entered >= (found[c.state] ?? Number.POSITIVE_INFINITY)) continue;
      found[c.state] = entered;
      kinds[c.state] = kind;
    }
    // In the states' order, whatever order the tracker holds its connections in.
    const since: Partial<Record<TcpState, number>> = {};
    const kind: Partial<Record<TcpState, AgeKind>> = {};
    for (const state of TCP_STATES) {
      const f = found[state];
      const k = kinds[state];
      if (f === undefined || k === undefined) continue;
      since[state] = f;
      kind[state] = k;
    }
    const estimated = TCP_STATES.filter((s) => kind[s] === 'estimate');
    return { oldestSince: since, oldestEstimated: estimated, oldestKind: kind };
  }
}

/** The `/api/snapshot` answer: the snapshot filtered like the CLI, as `tcpstate --json` writes it. */
export function snapshotQueryText(snapshot: Snapshot, findings: Finding[], url: string): string {
  const query = snapshotQuery(new URL(url));
  let matched = snapshot.sockets.filter(query.predicate);
  if (query.sort) matched = sortSockets(matched, query.sort);
  const view = viewOfSockets(snapshot, matched, query.filtered);
  // The look's findings were diagnosed once, over the whole table: the document says so under a filter.
  const doc = snapshotDocument(view, { findings, findingsCover: 'table', top: query.top });
  doc.sockets = matched.slice(0, query.limit);
  const out =
    matched.length > query.limit
      ? { ...doc, truncated: { returned: query.limit, matched: matched.length } }
      : doc;
  return JSON.stringify(out);
}

/** Answers for one snapshot, memoized (the same question from 100 clients is computed once). */
export class SnapshotAnswers {
  private readonly memo = new Map<string, unknown>();
  readonly snapshot: Snapshot;
  readonly findings: Finding[];

  constructor(snapshot: Snapshot, findings: Finding[]) {
    this.snapshot = snapshot;
    this.findings = findings;
  }

  private once<T>(key: string, compute: () => T): T {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const value = compute();
    // Bounded: query strings are client-controlled.
    if (this.memo.size < 64) this.memo.set(key, value);
    return value;
  }

  query(url: string): string {
    const u = new URL(url);
    return this.once(`query:${u.search}`, () => snapshotQueryText(this.snapshot, this.findings, url));
  }

  aggregates(limits: Limits): Aggregates {
    return this.once(`aggregates:${JSON.stringify(limits)}`, () => aggregate(this.snapshot, limits));
  }

  groups(by: GroupKey, top: number): Group[] {
    // From the table: the dashboard's top groups of a netlink look build no socket object.
    return this.once(`groups:${by}`, () => groupTable(tableOf(this.snapshot), by)).slice(0, top);
  }
}

/** LookSockets over a snapshot in this thread (tests, library users with their own snapshot provider). */
export function localSockets(snapshot: Snapshot, findings: Finding[]): LookSockets {
  const answers = new SnapshotAnswers(snapshot, findings);
  return {
    query: async (url) => answers.query(url),
    aggregates: async (limits) => answers.aggregates(limits),
    groups: async (by, top) => answers.groups(by, top),
  };
}
