import type { Snapshot, Socket } from '../model/snapshot.ts';
import { applyFilter, type FilterOptions } from './filter.ts';
import { type Group, groupBy, listeningPorts } from './groups.ts';
import { type SortKey, sortSockets } from './sort.ts';
import { type Summary, summarize } from './summary.ts';

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
  /** The sockets in view: filtered, then sorted. */
  sockets: readonly Socket[];
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
  const listening = listeningPorts(snapshot.sockets);
  const wantGroups = options.groups ?? true;
  const groups: SnapshotView['groups'] = wantGroups
    ? { service: groupBy(sockets, 'service', listening), peer: groupBy(sockets, 'peer') }
    : { service: [], peer: [] };
  if (wantGroups && (snapshot.processesLookedUp || sockets.some((s) => s.processes !== undefined)))
    groups.process = groupBy(sockets, 'process');
  return { snapshot, sockets, filtered, summary: summarize({ sockets }), listening, groups };
}
