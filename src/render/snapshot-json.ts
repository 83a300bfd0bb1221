import { type Group, type GroupKey, groupTable } from '../analysis/groups.ts';
import type { Summary } from '../analysis/summary.ts';
import type { SnapshotView } from '../analysis/view.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot, Socket } from '../model/snapshot.ts';
import { type JsonOut, type SocketTable, socketCount } from '../model/socket-table.ts';

/** Version of the `--json` document; bumped only on incompatible changes (docs/json.md). */
export const SNAPSHOT_SCHEMA = 'tcpstate.snapshot/1';

export interface SnapshotDocument {
  schema: typeof SNAPSHOT_SCHEMA;
  source: Snapshot['source'];
  takenAt: string;
  summary: Summary;
  groups: { service: Group[]; peer: Group[]; process?: Group[] } & Partial<Record<GroupKey, Group[]>>;
  findings?: Finding[];
  /**
   * Present when a filter applied: `view` when the findings were diagnosed on the sockets in view (the CLI),
   * `table` when they cover the whole table (the server's, diagnosed once per snapshot).
   */
  findingsCover?: 'view' | 'table';
  sockets: Socket[];
  kernel?: Snapshot['kernel'];
  skipped?: Snapshot['skipped'];
  processNote?: string;
  filtered?: { from: number; to: number };
  warnings: Snapshot['warnings'];
}

export interface SnapshotDocumentOptions {
  findings?: Finding[];
  findingsCover?: 'view' | 'table';
  top?: number;
  /** More groups (`--by cgroup` ...). */
  by?: readonly GroupKey[];
}

/** The stable `--json` document: an analysed view of a snapshot (summary, groups) with its findings. */
export function snapshotDocument(
  view: SnapshotView,
  options: SnapshotDocumentOptions = {},
): SnapshotDocument {
  return documentOf(view, options, view.sockets as Socket[]) as SnapshotDocument;
}

/**
 * The document without its `sockets`, every other key in its place: for writers that stream the sockets last, one
 * at a time from `view.table`, without building them all first.
 */
export function snapshotDocumentHead(
  view: SnapshotView,
  options: SnapshotDocumentOptions = {},
): Omit<SnapshotDocument, 'sockets'> {
  return documentOf(view, options, undefined);
}

function documentOf(
  view: SnapshotView,
  options: SnapshotDocumentOptions,
  sockets: Socket[] | undefined,
): Omit<SnapshotDocument, 'sockets'> & { sockets?: Socket[] } {
  const top = options.top ?? 10;
  const snapshot = view.snapshot;
  const doc: Omit<SnapshotDocument, 'sockets'> & { sockets?: Socket[] } = {
    schema: SNAPSHOT_SCHEMA,
    source: snapshot.source,
    takenAt: new Date(snapshot.takenAt).toISOString(),
    summary: view.summary,
    groups: {
      service: view.groups.service.slice(0, top),
      peer: view.groups.peer.slice(0, top),
    },
    ...(sockets !== undefined ? { sockets } : {}),
    warnings: snapshot.warnings,
  };
  if (snapshot.processesLookedUp && view.groups.process)
    doc.groups.process = view.groups.process.slice(0, top);
  for (const by of options.by ?? []) doc.groups[by] ??= groupTable(view.table, by).slice(0, top);
  if (options.findings) {
    doc.findings = options.findings;
    if (view.filtered) doc.findingsCover = options.findingsCover ?? 'view';
  }
  if (snapshot.kernel) doc.kernel = snapshot.kernel;
  if (snapshot.skipped) doc.skipped = snapshot.skipped;
  if (snapshot.processNote) doc.processNote = snapshot.processNote;
  if (view.filtered && view.table.length !== socketCount(snapshot)) {
    doc.filtered = { from: socketCount(snapshot), to: view.table.length };
  }
  return doc;
}

/**
 * Socket i of a table as one JSON value, `JSON.stringify(table.socket(i))` byte for byte: from the table's own writer
 * where it has one (the netlink records, no object built), else from the object.
 */
export function writeSocketJson(table: SocketTable, i: number, out: JsonOut): void {
  if (table.writeJson !== undefined) table.writeJson(i, out);
  else out.value(table.socket(i));
}
