import type { Socket } from '../model/snapshot.ts';
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
  const ports = new Set<number>();
  for (const s of sockets) if (s.state === 'LISTEN' && s.local.port !== undefined) ports.add(s.local.port);
  return ports;
}

export function processLabel(socket: Socket): string {
  if (socket.processes === undefined) return '(unknown)';
  if (socket.processes.length === 0) return '(no owner)';
  const first = socket.processes[0]!;
  const more = socket.processes.length > 1 ? ` +${socket.processes.length - 1}` : '';
  return `${first.command} (${first.pid})${more}`;
}

function keyOf(
  socket: Socket,
  by: GroupKey,
  listening: ReadonlySet<number>,
): { key: string; direction?: 'in' | 'out' } | undefined {
  switch (by) {
    case 'service': {
      const local = socket.local.port;
      if (local !== undefined && listening.has(local)) return { key: String(local), direction: 'in' };
      if (socket.remote.port === undefined) return undefined;
      return { key: String(socket.remote.port), direction: 'out' };
    }
    case 'local-port':
      return socket.local.port === undefined ? undefined : { key: String(socket.local.port) };
    case 'remote-port':
      return socket.remote.port === undefined ? undefined : { key: String(socket.remote.port) };
    case 'peer':
      return socket.state === 'LISTEN' || socket.remote.address === '*'
        ? undefined
        : { key: socket.remote.address };
    case 'destination':
      return socket.state === 'LISTEN' || socket.remote.port === undefined
        ? undefined
        : { key: formatEndpoint(socket.remote.address, socket.remote.port) };
    case 'process':
      return { key: processLabel(socket) };
    case 'cgroup':
      return {
        key:
          socket.cgroup !== undefined
            ? cgroupLabel(socket.cgroup)
            : socket.cgroupId !== undefined
              ? `cgroup ${socket.cgroupId}`
              : '(none)',
      };
  }
}

/**
 * Groups sockets and counts each group per state; sorted by total, largest first (ties by key). For `service`,
 * `listening` says which ports are served here; pass the whole table's when `sockets` is a filtered part of it
 * (`-s close-wait` removes the listeners, and every socket would look outbound).
 */
export function groupBy(
  sockets: readonly Socket[],
  by: GroupKey,
  listening: ReadonlySet<number> = by === 'service' ? listeningPorts(sockets) : new Set<number>(),
): Group[] {
  const groups = new Map<string, Group>();
  for (const socket of sockets) {
    const k = keyOf(socket, by, listening);
    if (!k) continue;
    const id = `${k.direction ?? ''}|${k.key}`;
    let group = groups.get(id);
    if (!group) {
      group = { key: k.key, total: 0, byState: emptyCounts() };
      if (k.direction) group.direction = k.direction;
      groups.set(id, group);
    }
    group.total++;
    group.byState[socket.state]++;
  }
  return [...groups.values()].sort(
    (a, b) => b.total - a.total || a.key.localeCompare(b.key, 'en', { numeric: true }),
  );
}

/** The states that appear in any of the groups, in canonical order, so tables show only useful columns. */
export function statesPresent(groups: readonly Group[], order: readonly TcpState[]): TcpState[] {
  return order.filter((state) => groups.some((g) => g.byState[state] > 0));
}
