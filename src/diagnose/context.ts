import { formatEndpoint } from '../analysis/address.ts';
import { listeningPortsOf, processLabel } from '../analysis/groups.ts';
import type { Evidence } from '../model/finding.ts';
import type { Snapshot, Socket } from '../model/snapshot.ts';
import { ArrayTable, type SocketTable, tableOf } from '../model/socket-table.ts';
import type { TcpState } from '../states/states.ts';
import { stateName } from '../states/states.ts';
import type { AgeOptions } from './age.ts';
import type { Thresholds } from './thresholds.ts';

const NONE = new Int32Array(0);

/** Ephemeral port ranges by OS when the source has no sysctl (IANA 49152-65535 for Windows, BSD and macOS). */
const DEFAULT_PORT_RANGE: Record<string, [number, number]> = {
  linux: [32768, 60999],
  windows: [49152, 65535],
  macos: [49152, 65535],
  freebsd: [10000, 65535],
};

/** What every rule reads: the snapshot, the previous one (for rates), thresholds and derived facts. */
export class RuleContext {
  readonly snapshot: Snapshot;
  readonly previous: Snapshot | undefined;
  readonly t: Thresholds;
  /** Seconds between the two snapshots; undefined without a previous snapshot. */
  readonly dtSec: number | undefined;
  readonly listening: Set<number>;
  private readonly previousKeys: Map<string, Socket> | undefined;
  /**
   * The sockets the rules judge (the whole table, or a filtered view of it), read as a table: rules count and
   * pick in place and build `Socket` objects only for the states and sockets they report on.
   */
  readonly table: SocketTable;

  constructor(snapshot: Snapshot, thresholds: Thresholds, previous?: Snapshot, within?: readonly Socket[]) {
    this.snapshot = snapshot;
    this.table = within ? new ArrayTable(within) : tableOf(snapshot);
    this.previous = previous;
    this.t = thresholds;
    this.dtSec = previous ? Math.max(0.001, (snapshot.takenAt - previous.takenAt) / 1000) : undefined;
    this.listening = listeningPortsOf(tableOf(snapshot));
    // Only sockets a rule can ask about are indexed (persisting CLOSE_WAIT / FIN_WAIT_2, queued ESTABLISHED): keying
    // all 100k sockets of a busy host cost ~0.5 s and most of a GC cycle, for lookups that can only miss.
    if (previous) {
      const before = tableOf(previous);
      const keys = new Map<string, Socket>();
      for (let i = 0; i < before.length; i++) {
        if (!trackedAt(before, i)) continue;
        const s = before.socket(i);
        keys.set(socketKey(s), s);
      }
      this.previousKeys = keys;
    }
  }

  /** The number of sockets being diagnosed. */
  get total(): number {
    return this.table.length;
  }

  private byState: Map<TcpState, Int32Array> | undefined;
  private built = new Map<TcpState, Socket[]>();

  /**
   * Indexes into `table` of the sockets in one state, in table order, bucketed once on first use (bucketByState:
   * linear, no sort).
   */
  indexesIn(state: TcpState): Readonly<Int32Array> {
    if (this.byState === undefined) this.byState = bucketByState(this.table);
    return this.byState.get(state) ?? NONE;
  }

  /** How many sockets are in one state (nothing built). */
  count(state: TcpState): number {
    return this.indexesIn(state).length;
  }

  /**
   * The sockets in one state, built once per state on first use. Rules ask this for the states they list sockets
   * of; for a state that may hold most of a big table (ESTABLISHED, TIME_WAIT) pick with `where` first.
   */
  inState(state: TcpState): readonly Socket[] {
    let list = this.built.get(state);
    if (list === undefined) {
      const table = this.table;
      list = Array.from(this.indexesIn(state), (i) => table.socket(i));
      this.built.set(state, list);
    }
    return list;
  }

  /** The sockets in one state that `keep` (which reads the table) accepts; only those are built. */
  where(state: TcpState, keep: (table: SocketTable, i: number) => boolean): Socket[] {
    const table = this.table;
    const out: Socket[] = [];
    for (const i of this.indexesIn(state)) if (keep(table, i)) out.push(table.socket(i));
    return out;
  }

  sysctl(name: string): string | undefined {
    return this.snapshot.kernel?.sysctls?.[name];
  }

  sysctlNumber(name: string): number | undefined {
    const v = this.sysctl(name);
    if (v === undefined) return undefined;
    const n = Number(v.trim().split(/\s+/)[0]);
    return Number.isFinite(n) ? n : undefined;
  }

  counter(name: string): number | undefined {
    return this.snapshot.kernel?.counters?.[name];
  }

  /** Counter increase per second between the snapshots; undefined when either lacks it or it went backwards. */
  rate(name: string): number | undefined {
    const now = this.counter(name);
    const before = this.previous?.kernel?.counters?.[name];
    if (now === undefined || before === undefined || this.dtSec === undefined || now < before)
      return undefined;
    return (now - before) / this.dtSec;
  }

  delta(name: string): number | undefined {
    const now = this.counter(name);
    const before = this.previous?.kernel?.counters?.[name];
    if (now === undefined || before === undefined || now < before) return undefined;
    return now - before;
  }

  sockstat(name: string): number | undefined {
    return this.snapshot.kernel?.sockstat?.[name];
  }

  /** The socket was already there, in the same state, in the previous snapshot (CLOSE_WAIT, FIN_WAIT_2, queued). */
  persisted(socket: Socket): boolean {
    const before = this.previousKeys?.get(socketKey(socket));
    return before !== undefined && before.state === socket.state;
  }

  previousOf(socket: Socket): Socket | undefined {
    return this.previousKeys?.get(socketKey(socket));
  }

  /** The ephemeral port range and whether it was read or assumed from the OS default. */
  portRange(): { lo: number; hi: number; size: number; assumed: boolean } {
    const text = this.sysctl('net.ipv4.ip_local_port_range');
    const parts = text?.trim().split(/\s+/).map(Number);
    if (parts && parts.length === 2 && parts.every(Number.isFinite)) {
      const [lo, hi] = parts as [number, number];
      return { lo, hi, size: hi - lo + 1, assumed: false };
    }
    const [lo, hi] = DEFAULT_PORT_RANGE[this.snapshot.source.os ?? 'linux'] ?? DEFAULT_PORT_RANGE.linux!;
    return { lo, hi, size: hi - lo + 1, assumed: true };
  }

  /** Whether process owners are known for this snapshot. */
  get hasProcesses(): boolean {
    return tableOf(this.snapshot).hasProcesses();
  }

  /** What stateAge() needs: the OS (timer semantics) and tcp_fin_timeout. */
  get ageOptions(): AgeOptions {
    const fin = this.sysctlNumber('net.ipv4.tcp_fin_timeout');
    const linear = this.sysctlNumber('net.ipv4.tcp_syn_linear_timeouts');
    // A live source that read the sysctls but found no tcp_syn_linear_timeouts runs a kernel older than 6.5.
    const old =
      linear === undefined &&
      (this.snapshot.source.kind === 'proc' || this.snapshot.source.kind === 'netlink') &&
      this.sysctl('net.ipv4.tcp_syn_retries') !== undefined;
    const synLinear = linear ?? (old ? ('exponential' as const) : undefined);
    return {
      ...(synLinear !== undefined ? { synLinearTimeouts: synLinear } : {}),
      ...(this.snapshot.source.os !== undefined ? { os: this.snapshot.source.os } : {}),
      ...(fin !== undefined ? { finTimeoutSec: fin } : {}),
    };
  }

  get hasKernel(): boolean {
    return this.snapshot.kernel?.counters !== undefined;
  }
}

/**
 * Each state's socket indexes in ascending order (the order a stable sort by state would give): a counting pass,
 * then each state's indexes into a typed array of its exact size. Pushing 100k indexes into a growing JS array
 * cost ~8 ms a look; this costs ~1.
 */
export function bucketByState(table: SocketTable): Map<TcpState, Int32Array> {
  const n = table.length;
  const slots = new Uint8Array(n);
  const slotOf = new Map<TcpState, number>();
  const states: TcpState[] = [];
  const counts: number[] = [];
  // Sockets of one state come in runs (the kernel dumps listeners first, then by hash bucket): the map is asked
  // once per run, not once per socket.
  let runState: TcpState | undefined;
  let runSlot = 0;
  for (let i = 0; i < n; i++) {
    const st = table.state(i);
    if (st !== runState) {
      let slot = slotOf.get(st);
      if (slot === undefined) {
        slot = states.length;
        slotOf.set(st, slot);
        states.push(st);
        counts.push(0);
      }
      runState = st;
      runSlot = slot;
    }
    slots[i] = runSlot;
    counts[runSlot]!++;
  }
  const lists = counts.map((c) => new Int32Array(c));
  const filled = new Int32Array(counts.length);
  for (let i = 0; i < n; i++) {
    const slot = slots[i]!;
    lists[slot]![filled[slot]!++] = i;
  }
  const out = new Map<TcpState, Int32Array>();
  for (let k = 0; k < states.length; k++) out.set(states[k]!, lists[k]!);
  return out;
}

/** The sockets whose earlier self a rule may look up: see persisted() and previousOf(). */
function trackedAt(table: SocketTable, i: number): boolean {
  const state = table.state(i);
  return (
    state === 'CLOSE_WAIT' ||
    state === 'FIN_WAIT_2' ||
    (state === 'ESTABLISHED' && ((table.recvQ(i) ?? 0) > 0 || (table.sendQ(i) ?? 0) > 0))
  );
}

/** Connection identity across snapshots: 4-tuple plus inode where there is one. */
export function socketKey(s: Socket): string {
  return `${s.local.address}|${s.local.port}|${s.remote.address}|${s.remote.port}|${s.inode ?? ''}`;
}

export function describeSocket(s: Socket): string {
  const extra: string[] = [];
  if (s.recvQ) extra.push(`Recv-Q ${s.recvQ}`);
  if (s.sendQ) extra.push(`Send-Q ${s.sendQ}`);
  if (s.timer && s.timer.kind !== 'off') extra.push(`timer ${s.timer.kind}`);
  if (s.processes?.length) extra.push(processLabel(s));
  return `${formatEndpoint(s.local.address, s.local.port)} -> ${formatEndpoint(s.remote.address, s.remote.port)} ${stateName(s.state)}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

/** Counts of a key over sockets, largest first, as evidence `top` entries. */
export function topBy<T>(
  sockets: Iterable<T>,
  kind: NonNullable<Evidence['top']>[number]['kind'],
  key: (s: T) => string | undefined,
  n = 5,
): NonNullable<Evidence['top']> {
  const counts = new Map<string, number>();
  for (const s of sockets) {
    const k = key(s);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([k, count]) => ({ kind, key: k, count }));
}

export function groupSockets<K>(
  sockets: readonly Socket[],
  key: (s: Socket) => K | undefined,
): Map<K, Socket[]> {
  const map = new Map<K, Socket[]>();
  for (const s of sockets) {
    const k = key(s);
    if (k === undefined) continue;
    const list = map.get(k);
    if (list) list.push(s);
    else map.set(k, [s]);
  }
  return map;
}

/** An owner label from ownerLabel (or a rule's `port N` / `this host`), in Chinese. */
export function ownerZh(owner: string): string {
  if (owner === 'this host') return '本机';
  const port = /^port (\d+)$/.exec(owner);
  if (port) return `端口 ${port[1]}`;
  const pid = /^pid (\d+)(.*)$/.exec(owner);
  if (pid) return `进程 ${pid[1]}${pid[2]}`;
  return owner;
}

/** Who owns a socket, for titles: `java (812)`, or `pid 812` when the source printed a PID without a name. */
export function ownerLabel(s: Socket): string {
  const first = s.processes?.[0];
  if (first && first.command === '')
    return `pid ${first.pid}${s.processes!.length > 1 ? ` +${s.processes!.length - 1}` : ''}`;
  return processLabel(s);
}

/** Sockets whose owner is known only by PID (Windows `netstat -ano`): the names are missing, not guessed. */
export function namelessOwners(sockets: readonly Socket[]): boolean {
  return sockets.some((s) => s.processes?.some((p) => p.command === ''));
}

/** A printed address that names no one: a wildcard, or a state histogram that listed counts without peers. */
export function knownAddress(address: string): boolean {
  return address !== '' && address !== '*' && address !== '?' && address !== '0.0.0.0' && address !== '::';
}

/** The remote address, or undefined when the source did not name one (such sockets only count host-wide). */
export const peerKey = (s: Socket) => (knownAddress(s.remote.address) ? s.remote.address : undefined);
export const destinationKey = (s: Socket) => formatEndpoint(s.remote.address, s.remote.port);
