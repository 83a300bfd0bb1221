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

/** Ports with a listener among a table's sockets. */
export function listeningPortsOf(table: SocketTable): Set<number> {
  const ports = new Set<number>();
  for (let i = 0; i < table.length; i++) {
    if (table.state(i) !== 'LISTEN') continue;
    const port = table.localPort(i);
    if (port !== undefined) ports.add(port);
  }
  return ports;
}

export function processLabel(socket: Socket): string {
  return ownersLabel(socket.processes);
}

function ownersLabel(processes: readonly ProcessRef[] | undefined): string {
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
  // One map, keyed by what tells groups apart; first-seen order is kept, as sort() is stable on equal keys.
  const groups = new Map<number | string, Group>();
  const n = table.length;
  const count = (id: number | string, i: number, label: () => string, direction?: 'in' | 'out') => {
    let group = groups.get(id);
    if (group === undefined) {
      group = { key: label(), total: 0, byState: emptyCounts() };
      if (direction) group.direction = direction;
      groups.set(id, group);
    }
    group.total++;
    group.byState[table.state(i)]++;
  };
  for (let i = 0; i < n; i++) {
    switch (by) {
      case 'service': {
        const local = table.localPort(i);
        if (local !== undefined && listening.has(local)) {
          count(local, i, () => String(local), 'in');
          break;
        }
        const remote = table.remotePort(i);
        if (remote !== undefined) count(OUT + remote, i, () => String(remote), 'out');
        break;
      }
      case 'local-port': {
        const port = table.localPort(i);
        if (port !== undefined) count(port, i, () => String(port));
        break;
      }
      case 'remote-port': {
        const port = table.remotePort(i);
        if (port !== undefined) count(port, i, () => String(port));
        break;
      }
      case 'peer': {
        const address = table.remoteAddress(i);
        if (table.state(i) !== 'LISTEN' && address !== '*') count(address, i, () => address);
        break;
      }
      case 'destination': {
        const port = table.remotePort(i);
        if (table.state(i) === 'LISTEN' || port === undefined) break;
        const key = formatEndpoint(table.remoteAddress(i), port);
        count(key, i, () => key);
        break;
      }
      case 'process': {
        const key = ownersLabel(table.processes(i));
        count(key, i, () => key);
        break;
      }
      case 'cgroup': {
        const path = table.cgroup(i);
        const id = table.cgroupId(i);
        const key = path !== undefined ? cgroupLabel(path) : id !== undefined ? `cgroup ${id}` : '(none)';
        count(key, i, () => key);
        break;
      }
    }
  }
  return [...groups.values()].sort(
    (a, b) => b.total - a.total || a.key.localeCompare(b.key, 'en', { numeric: true }),
  );
}

/** The states that appear in any of the groups, in canonical order, so tables show only useful columns. */
export function statesPresent(groups: readonly Group[], order: readonly TcpState[]): TcpState[] {
  return order.filter((state) => groups.some((g) => g.byState[state] > 0));
}
