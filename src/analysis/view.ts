import type { Snapshot, Socket } from '../model/snapshot.ts';
import { ArrayTable, type SocketTable, tableOf } from '../model/socket-table.ts';
import { applyFilter, type FilterOptions } from './filter.ts';
import { type Group, groupTable, listeningPortsOf } from './groups.ts';
import { type SortKey, sortSockets } from './sort.ts';
import { type Summary, summarizeTable } from './summary.ts';

/** What a view of a snapshot shows: which sockets (a filter) in which order. */
export interface ViewSpec {
  filter?: FilterOptions;
  sort?: SortKey;
}

/**
 * A snapshot analysed for one view, computed once and handed to every renderer (text, JSON, the server's API),
 * which only format it. Counts and groups cover the sockets in view; what needs the whole table (which ports
 * have a listener, hence a service's direction) is taken from the whole table.
 */
export interface SnapshotView {
  /** The whole snapshot, unfiltered. */
  snapshot: Snapshot;
  /**
   * The sockets in view: filtered, then sorted. For an unfiltered view of a table-backed snapshot this builds every
   * socket on first read: renderers that write one socket at a time read `table` instead.
   */
  readonly sockets: readonly Socket[];
  /** The same sockets as a table (socket i of the view is `table.socket(i)`). */
  table: SocketTable;
  /** Whether a filter applied (even one that kept every socket). */
  filtered: boolean;
  summary: Summary;
  /** Ports with a listener in the whole table: `in` services. */
  listening: ReadonlySet<number>;
  /** Every group of the sockets in view, largest first; renderers show the top few. */
  groups: { service: Group[]; peer: Group[]; process?: Group[] };
}

function hasFilter(filter: FilterOptions | undefined): filter is FilterOptions {
  return (
    filter !== undefined &&
    Boolean(
      filter.states?.length ||
        filter.exclude?.length ||
        filter.ports?.length ||
        filter.process ||
        filter.expression,
    )
  );
}

/** Filters, sorts, summarises and groups a snapshot for a view. Pure. */
export function viewOf(
  snapshot: Snapshot,
  spec: ViewSpec = {},
  options: { groups?: boolean } = {},
): SnapshotView {
  const filtered = hasFilter(spec.filter);
  if (!filtered && !spec.sort) {
    // The whole table in its own order: counted and grouped in place, sockets built only if a renderer asks.
    const table = tableOf(snapshot);
    return viewOfTable(snapshot, table, () => snapshot.sockets, false, options);
  }
  const kept = filtered ? applyFilter(snapshot.sockets, spec.filter as FilterOptions) : snapshot.sockets;
  return viewOfSockets(snapshot, spec.sort ? sortSockets(kept, spec.sort) : kept, filtered, options);
}

/** The same for sockets already chosen (the server filters with a prepared predicate). */
export function viewOfSockets(
  snapshot: Snapshot,
  sockets: readonly Socket[],
  filtered: boolean,
  options: { groups?: boolean } = {},
): SnapshotView {
  return viewOfTable(snapshot, new ArrayTable(sockets), () => sockets, filtered, options);
}

function viewOfTable(
  snapshot: Snapshot,
  table: SocketTable,
  sockets: () => readonly Socket[],
  filtered: boolean,
  options: { groups?: boolean },
): SnapshotView {
  const whole = tableOf(snapshot);
  const listening = listeningPortsOf(whole);
  const wantGroups = options.groups ?? true;
  const groups: SnapshotView['groups'] = wantGroups
    ? { service: groupTable(table, 'service', listening), peer: groupTable(table, 'peer') }
    : { service: [], peer: [] };
  if (wantGroups && (snapshot.processesLookedUp || table.hasProcesses()))
    groups.process = groupTable(table, 'process');
  return {
    snapshot,
    get sockets() {
      return sockets();
    },
    table,
    filtered,
    summary: summarizeTable(table),
    listening,
    groups,
  };
}
