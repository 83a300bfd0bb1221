import type { ProcessRef, Socket } from '../model/snapshot.ts';
import { ArrayTable, type SocketTable } from '../model/socket-table.ts';
import type { TcpState } from '../states/states.ts';
import { formatEndpoint } from './address.ts';
import { cgroupLabel } from './cgroup-label.ts';
import { emptyCounts, type StateCounts } from './summary.ts';

/**
 * What sockets are grouped by:
 * - `service`: the port that names the service. A socket whose local port has a listener (or that is one) is
 *   inbound and belongs to that local port; any other socket is outbound and belongs to its remote port.
 * - `local-port`, `remote-port`: the raw ports.
 * - `peer`: the remote address (listeners and wildcards are left out).
 * - `process`: `command (pid)` of the owning process, `(no owner)` for inode-0 sockets, `(unknown)` when not looked up.
 * - `destination`: remote address and port, the unit of ephemeral-port pressure.
 * - `cgroup`: the socket's cgroup (netlink reader) as a systemd unit or container id; `(none)` for sockets without
 *   one (TIME_WAIT, request sockets), `(unknown)` when the source has no cgroups.
 */
export const GROUP_KEYS = [
  'service',
  'local-port',
  'remote-port',
  'peer',
  'process',
  'destination',
  'cgroup',
] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];

export interface Group {
  key: string;
  /** For `service`: whether the port is served here (`in`) or used as a client (`out`). */
  direction?: 'in' | 'out';
  total: number;
  byState: StateCounts;
}

export function listeningPorts(sockets: readonly Socket[]): Set<number> {
  return listeningPortsOf(new ArrayTable(sockets));
}

/** Listening ports already found per table: the view and the diagnoses both ask, for the same table. */
const listeningCache = new WeakMap<SocketTable, Set<number>>();

/** Ports with a listener among a table's sockets (do not change the set: it is shared per table). */
export function listeningPortsOf(table: SocketTable): Set<number> {
  if (!(table instanceof ArrayTable)) {
    const known = listeningCache.get(table);
    if (known !== undefined) return known;
  }
  const ports = new Set<number>();
  for (let i = 0; i < table.length; i++) {
    if (table.state(i) !== 'LISTEN') continue;
    const port = table.localPort(i);
    if (port !== undefined) ports.add(port);
  }
  // Not for arrays: their sockets may change between two calls (tableOf makes a new ArrayTable each time anyway).
  if (!(table instanceof ArrayTable)) listeningCache.set(table, ports);
  return ports;
}

export function processLabel(socket: Socket): string {
  return ownersLabel(socket.processes);
}

/** `processLabel` of a socket with these owners. */
export function ownersLabel(processes: readonly ProcessRef[] | undefined): string {
  if (processes === undefined) return '(unknown)';
  if (processes.length === 0) return '(no owner)';
  const first = processes[0]!;
  const more = processes.length > 1 ? ` +${processes.length - 1}` : '';
  return `${first.command} (${first.pid})${more}`;
}

/**
 * Groups sockets and counts each group per state; sorted by total, largest first (ties by key). For `service`,
 * `listening` says which ports are served here; pass the whole table's when `sockets` is a filtered part of it
 * (`-s close-wait` removes the listeners, and every socket would look outbound).
 */
export function groupBy(sockets: readonly Socket[], by: GroupKey, listening?: ReadonlySet<number>): Group[] {
  return groupTable(new ArrayTable(sockets), by, listening);
}

/** Out-bound services are keyed apart from in-bound ones on the same port. */
const OUT = 65536;

/** groupBy over a table: ports are keyed as numbers and label strings are made once per group, not per socket. */
export function groupTable(
  table: SocketTable,
  by: GroupKey,
  listening: ReadonlySet<number> = by === 'service' ? listeningPortsOf(table) : new Set<number>(),
): Group[] {
  // One map, keyed by what tells groups apart; first-seen order is kept, as sort() is stable on equal keys. The
  // label string is made when a group is first seen, not per socket.
  const groups = new Map<number | string, Group>();
  const n = table.length;
  for (let i = 0; i < n; i++) {
    let id: number | string | undefined;
    let direction: 'in' | 'out' | undefined;
    switch (by) {
      case 'service': {
        const local = table.localPort(i);
        if (local !== undefined && listening.has(local)) {
          id = local;
          direction = 'in';
        } else {
          const remote = table.remotePort(i);
          if (remote !== undefined) {
            id = OUT + remote;
            direction = 'out';
          }
        }
        break;
      }
      case 'local-port':
        id = table.localPort(i);
        break;
      case 'remote-port':
        id = table.remotePort(i);
        break;
      case 'peer': {
        const address = table.remoteAddress(i);
        if (address !== '*' && table.state(i) !== 'LISTEN') id = address;
        break;
      }
      case 'destination': {
        const port = table.remotePort(i);
        if (port !== undefined && table.state(i) !== 'LISTEN')
          id = formatEndpoint(table.remoteAddress(i), port);
        break;
      }
      case 'process':
        id = ownersLabel(table.processes(i));
        break;
      case 'cgroup': {
        const path = table.cgroup(i);
        const cgroupId = table.cgroupId(i);
        id =
          path !== undefined ? cgroupLabel(path) : cgroupId !== undefined ? `cgroup ${cgroupId}` : '(none)';
        break;
      }
    }
    if (id === undefined) continue;
    let group = groups.get(id);
    if (group === undefined) {
      group = {
        key: typeof id === 'string' ? id : String(id >= OUT ? id - OUT : id),
        total: 0,
        byState: emptyCounts(),
      };
      if (direction) group.direction = direction;
      groups.set(id, group);
    }
    group.total++;
    group.byState[table.state(i)]++;
  }
  return [...groups.values()].sort(
    (a, b) => b.total - a.total || a.key.localeCompare(b.key, 'en', { numeric: true }),
  );
}

/** The states that appear in any of the groups, in canonical order, so tables show only useful columns. */
export function statesPresent(groups: readonly Group[], order: readonly TcpState[]): TcpState[] {
  return order.filter((state) => groups.some((g) => g.byState[state] > 0));
}
