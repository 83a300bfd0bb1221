import { formatEndpoint } from '../analysis/address.ts';
import { cgroupLabel } from '../analysis/cgroup-label.ts';
import { listeningPorts } from '../analysis/groups.ts';
import type { Snapshot, Socket } from '../model/snapshot.ts';
import type { TcpState } from '../states/states.ts';

/**
 * The numbers behind the bounded-cardinality metrics, computed once per snapshot. Every label set is capped:
 * the top N keys by count keep their own label and the rest fold into `other`, so a host with 60 000 peers
 * still exports a few dozen series (as Coroot's `~other` series does; node_exporter issue #2490 on unbounded labels).
 */
export interface Limits {
  /** Listening ports with their own label (default 20). */
  ports: number;
  /** Destinations with their own label for TIME_WAIT and ephemeral-port pressure (default 20). */
  destinations: number;
  /** Process names with their own label (default 20). */
  processes: number;
  /** Listeners whose accept queue is exported (default 50, largest queues first). */
  listeners: number;
  /** Cgroups (systemd units, containers) with their own label (default 20). */
  cgroups: number;
}

export const DEFAULT_LIMITS: Limits = {
  ports: 20,
  destinations: 20,
  processes: 20,
  listeners: 50,
  cgroups: 20,
};

export const OTHER = 'other';

export interface ListenerQueue {
  address: string;
  port: string;
  length: number;
  /** The accept backlog, where the source knows it (ss, netlink); /proc does not show it. */
  max?: number;
}

export interface Aggregates {
  byStateFamily: Map<string, number>; // `${state}|${family}`
  byStatePort: Map<string, number>; // `${state}|${port}` over sockets on a listening port
  byStateProcess: Map<string, number>; // `${state}|${process}`, only when processes were looked up
  /** `${state}|${cgroup}`, only when the source gives cgroups (netlink); the label as `--by cgroup` shows it. */
  byStateCgroup: Map<string, number>;
  receiveQueueBytes: Map<TcpState, number>;
  sendQueueBytes: Map<TcpState, number>;
  listeners: ListenerQueue[];
  timeWaitByDestination: Map<string, number>;
  /** Outbound sockets (any state but LISTEN) per destination, for ephemeral-port pressure. */
  outboundByDestination: Map<string, number>;
  ephemeralRange: { low: number; high: number; size: number; fromSysctl: boolean };
}

const DEFAULT_RANGE = { low: 32768, high: 60999 };

export function ephemeralRange(snapshot: Snapshot): Aggregates['ephemeralRange'] {
  const text = snapshot.kernel?.sysctls?.['net.ipv4.ip_local_port_range'];
  const m = text?.trim().match(/^(\d+)\s+(\d+)$/);
  if (m) {
    const low = Number(m[1]);
    const high = Number(m[2]);
    if (high >= low) return { low, high, size: high - low + 1, fromSysctl: true };
  }
  return { ...DEFAULT_RANGE, size: DEFAULT_RANGE.high - DEFAULT_RANGE.low + 1, fromSysctl: false };
}

/** Keeps the `limit` largest keys by total and maps the rest to `other`. */
export function topKeys(totals: Map<string, number>, limit: number): (key: string) => string {
  const kept = new Set(
    [...totals.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, limit)
      .map(([k]) => k),
  );
  return (key) => (kept.has(key) ? key : OTHER);
}

function add<K>(map: Map<K, number>, key: K, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

function processName(socket: Socket): string {
  const first = socket.processes?.[0];
  // Sockets nobody owns are the kernel's: TIME_WAIT, request sockets, orphans.
  return first ? first.command : 'kernel';
}

/** The cgroup label of `--by cgroup` (analysis/groups.ts); `kernel` for sockets without one (TIME_WAIT, request). */
const cgroupLabels = new Map<string, string>();

function cgroupName(socket: Socket): string {
  if (socket.cgroup !== undefined) {
    // Many sockets share a few paths: name each path once (bounded: paths come and go with containers).
    let label = cgroupLabels.get(socket.cgroup);
    if (label === undefined) {
      if (cgroupLabels.size >= 10_000) cgroupLabels.clear();
      label = cgroupLabel(socket.cgroup);
      cgroupLabels.set(socket.cgroup, label);
    }
    return label;
  }
  return socket.cgroupId !== undefined ? `cgroup ${socket.cgroupId}` : 'kernel';
}

function foldTotals(raw: Map<string, number>, limit: number): Map<string, number> {
  const totals = new Map<string, number>();
  for (const [key, n] of raw) add(totals, key.slice(key.indexOf('|') + 1), n);
  const label = topKeys(totals, limit);
  const out = new Map<string, number>();
  for (const [key, n] of raw) {
    const bar = key.indexOf('|');
    add(out, `${key.slice(0, bar)}|${label(key.slice(bar + 1))}`, n);
  }
  return out;
}

export function aggregate(snapshot: Snapshot, limits: Limits = DEFAULT_LIMITS): Aggregates {
  const listening = listeningPorts(snapshot.sockets);
  const byStateFamily = new Map<string, number>();
  const rawPort = new Map<string, number>();
  const rawProcess = new Map<string, number>();
  const rawCgroup = new Map<string, number>();
  let cgroups = false;
  const receiveQueueBytes = new Map<TcpState, number>();
  const sendQueueBytes = new Map<TcpState, number>();
  const rawTimeWait = new Map<string, number>();
  const rawOutbound = new Map<string, number>();
  const listeners: ListenerQueue[] = [];

  for (const s of snapshot.sockets) {
    add(byStateFamily, `${s.state}|${s.family}`);
    const local = s.local.port;
    if (local !== undefined && listening.has(local)) add(rawPort, `${s.state}|${local}`);
    if (snapshot.processesLookedUp) add(rawProcess, `${s.state}|${processName(s)}`);
    if (s.cgroupId !== undefined) cgroups = true;
    add(rawCgroup, `${s.state}|${cgroupName(s)}`);
    if (s.state === 'LISTEN') {
      const queue: ListenerQueue = {
        address: s.local.address,
        port: String(s.local.port ?? '*'),
        length: s.recvQ ?? 0,
      };
      const max = s.backlog ?? (s.sendQ !== undefined && s.sendQ > 0 ? s.sendQ : undefined);
      if (max !== undefined) queue.max = max;
      listeners.push(queue);
      continue;
    }
    add(receiveQueueBytes, s.state, s.recvQ ?? 0);
    add(sendQueueBytes, s.state, s.sendQ ?? 0);
    // Outbound = the local port is not a service port here, so it came from the ephemeral range.
    if (s.remote.port !== undefined && (local === undefined || !listening.has(local))) {
      const destination = formatEndpoint(s.remote.address, s.remote.port);
      add(rawOutbound, destination);
      if (s.state === 'TIME_WAIT') add(rawTimeWait, destination);
    }
  }

  const fold = (raw: Map<string, number>, limit: number) => {
    const label = topKeys(raw, limit);
    const out = new Map<string, number>();
    for (const [k, n] of raw) add(out, label(k), n);
    return out;
  };

  // A SO_REUSEPORT group is several listeners on one address and port, each with its own queue: add them up.
  const merged = new Map<string, ListenerQueue>();
  for (const l of listeners) {
    const key = `${l.address}|${l.port}`;
    const into = merged.get(key);
    if (!into) {
      merged.set(key, { ...l });
      continue;
    }
    into.length += l.length;
    if (into.max !== undefined && l.max !== undefined) into.max += l.max;
    else delete into.max;
  }
  const uniqueListeners = [...merged.values()].sort(
    (a, b) => b.length - a.length || Number(a.port) - Number(b.port) || a.address.localeCompare(b.address),
  );

  return {
    byStateFamily,
    byStatePort: foldTotals(rawPort, limits.ports),
    byStateProcess: foldTotals(rawProcess, limits.processes),
    byStateCgroup: cgroups ? foldTotals(rawCgroup, limits.cgroups) : new Map(),
    receiveQueueBytes,
    sendQueueBytes,
    listeners: uniqueListeners.slice(0, limits.listeners),
    timeWaitByDestination: fold(rawTimeWait, limits.destinations),
    outboundByDestination: fold(rawOutbound, limits.destinations),
    ephemeralRange: ephemeralRange(snapshot),
  };
}
