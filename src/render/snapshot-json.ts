import { type Group, groupBy } from '../analysis/groups.ts';
import { type Summary, summarize } from '../analysis/summary.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot, Socket } from '../model/snapshot.ts';

/** Version of the `--json` document; bumped only on incompatible changes (docs/json.md). */
export const SNAPSHOT_SCHEMA = 'tcpstate.snapshot/1';

export interface SnapshotDocument {
  schema: typeof SNAPSHOT_SCHEMA;
  source: Snapshot['source'];
  takenAt: string;
  summary: Summary;
  groups: { service: Group[]; peer: Group[]; process?: Group[] };
  findings?: Finding[];
  sockets: Socket[];
  kernel?: Snapshot['kernel'];
  skipped?: Snapshot['skipped'];
  processNote?: string;
  filtered?: { from: number; to: number };
  warnings: Snapshot['warnings'];
}

/** The stable `--json` document: the snapshot plus its summary, groups and findings. */
export function snapshotDocument(
  snapshot: Snapshot,
  options: { findings?: Finding[]; top?: number; unfilteredCount?: number } = {},
): SnapshotDocument {
  const top = options.top ?? 10;
  const doc: SnapshotDocument = {
    schema: SNAPSHOT_SCHEMA,
    source: snapshot.source,
    takenAt: new Date(snapshot.takenAt).toISOString(),
    summary: summarize(snapshot),
    groups: {
      service: groupBy(snapshot.sockets, 'service').slice(0, top),
      peer: groupBy(snapshot.sockets, 'peer').slice(0, top),
    },
    sockets: snapshot.sockets,
    warnings: snapshot.warnings,
  };
  if (snapshot.processesLookedUp) doc.groups.process = groupBy(snapshot.sockets, 'process').slice(0, top);
  if (options.findings) doc.findings = options.findings;
  if (snapshot.kernel) doc.kernel = snapshot.kernel;
  if (snapshot.skipped) doc.skipped = snapshot.skipped;
  if (snapshot.processNote) doc.processNote = snapshot.processNote;
  if (options.unfilteredCount !== undefined && options.unfilteredCount !== snapshot.sockets.length) {
    doc.filtered = { from: options.unfilteredCount, to: snapshot.sockets.length };
  }
  return doc;
}
