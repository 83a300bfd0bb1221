import type { StoredFinding, StoredSnapshot } from '../model/recording.ts';
import type { SqliteStore } from '../store/sqlite-store.ts';
import type { HistoryProvider, HistoryQuery } from './app.ts';

export const HISTORY_SCHEMA = 'tcpstate.history/1';
/** Points returned at most; longer ranges are thinned evenly (and say so). */
export const MAX_HISTORY_POINTS = 2000;

export interface HistoryDocument {
  schema: typeof HISTORY_SCHEMA;
  db: string;
  from: string | null;
  to: string | null;
  /** Per-state counts over time: raw looks, or downsampled rows (average in `counts`, peak in `max`). */
  points: Array<Pick<StoredSnapshot, 'at' | 'resolutionMs' | 'samples' | 'total' | 'counts' | 'max'>>;
  findings: StoredFinding[];
  /** Present when the range held more rows than MAX_HISTORY_POINTS. */
  thinned?: { rows: number; returned: number };
}

/** `/api/history` from a recording made by `tcpstate record` (opened read-only; a recorder may keep writing). */
export function storeHistory(store: Pick<SqliteStore, 'path' | 'snapshots' | 'findings'>): HistoryProvider {
  return (query: HistoryQuery): HistoryDocument => {
    const from = query.from ?? 0;
    const to = query.to ?? Number.POSITIVE_INFINITY;
    const rows = store.snapshots(from).filter((r) => r.at <= to);
    let points = rows;
    if (rows.length > MAX_HISTORY_POINTS) {
      const step = rows.length / MAX_HISTORY_POINTS;
      points = Array.from({ length: MAX_HISTORY_POINTS }, (_, i) => rows[Math.floor(i * step)]!);
    }
    const doc: HistoryDocument = {
      schema: HISTORY_SCHEMA,
      db: store.path,
      from: query.from === undefined ? null : new Date(query.from).toISOString(),
      to: query.to === undefined ? null : new Date(query.to).toISOString(),
      points: points.map(({ at, resolutionMs, samples, total, counts, max }) => ({
        at,
        resolutionMs,
        samples,
        total,
        counts,
        max,
      })),
      findings: store.findings(from).filter((f) => f.at <= to),
    };
    if (points !== rows) doc.thinned = { rows: rows.length, returned: points.length };
    return doc;
  };
}
