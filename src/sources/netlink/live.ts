import { existsSync, statSync } from 'node:fs';
import { SourceError, UsageError } from '../../errors.ts';
import type { KernelContext, Snapshot, TcpInfo, Warning } from '../../model/snapshot.ts';
import { inTableOrder, tableBackedSnapshot } from '../../model/socket-table.ts';
import { TCP_STATES, type TcpState } from '../../states/states.ts';
import {
  cleanSysctl,
  GLOBAL_SYSCTLS,
  KERNEL_SYSCTLS,
  parseSnmpPairs,
  parseSockstat,
  readKernelCounters,
  readKernelRelease,
  readOwnSysctls,
  sysctlPath,
} from '../proc/kernel.ts';
import { netnsPath, ownNetnsInode } from '../proc/netns.ts';
import { ownersNote, readSocketOwners } from '../proc/processes.ts';
import { loadSockDiag } from './addon.ts';
import { CgroupPaths } from './cgroups.ts';
import { type DumpOptions, SockDiagReader } from './reader.ts';
import { SockDiagRecords } from './records.ts';
import { attachTableOwners, RecordTable } from './table.ts';

/** Where a netlink read looks: our namespace, or one given by an nsfs path (no process needed inside it). */
export interface NetlinkTarget {
  /** nsfs file to enter; undefined for our own namespace. */
  nsPath?: string;
  /** `netns:NAME`, `pid:1234` or `netlink`, for Snapshot.source.name and errors. */
  label: string;
}

function nsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** Resolves `--netns NAME` / `--ns-of PID` for the netlink reader: a path to enter, never a helper process. */
export function netlinkTarget(options: {
  netns?: string | undefined;
  nsOf?: number | undefined;
}): NetlinkTarget {
  if (options.netns !== undefined && options.nsOf !== undefined) {
    throw new UsageError('--netns and --ns-of choose the namespace two ways: give one of them');
  }
  let nsPath: string | undefined;
  let label = 'netlink';
  if (options.nsOf !== undefined) {
    const pid = options.nsOf;
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new UsageError(`--ns-of: not a process id: ${pid}`);
    label = `pid:${pid}`;
    if (!existsSync(`/proc/${pid}`)) throw new SourceError(`no process with pid ${pid}`, label);
    nsPath = `/proc/${pid}/ns/net`;
  } else if (options.netns !== undefined) {
    label = `netns:${options.netns}`;
    nsPath = netnsPath(options.netns);
  }
  if (nsPath === undefined) return { label };
  const inode = nsInode(nsPath);
  if (inode === undefined) throw new SourceError('cannot see the network namespace (root needed?)', label);
  return inode === ownNetnsInode() ? { label } : { nsPath, label };
}

export interface NetlinkSnapshotOptions {
  processes?: boolean | undefined;
  netns?: string | undefined;
  nsOf?: number | undefined;
  kernel?: boolean | undefined;
  /**
   * Ask the kernel for these states only (the `-s`/`-x` filter pushed down); the snapshot then holds only them and
   * the listeners, which say which ports are served here (a service's direction). Listeners cost the kernel nothing
   * much: they sit in their own small table, walked apart from the established one.
   */
  states?: ReadonlySet<TcpState> | undefined;
  /** tcp_info and socket memory on every socket (`-i`). */
  info?: boolean | undefined;
  /**
   * A port filter for the kernel to run on each socket (bytecode.ts `filterBytecode`): only the sockets it keeps,
   * and every listener (the context of the view: which ports are served here), are read. A superset of what the
   * view's filter keeps: the view still filters. Where the kernel refuses it, everything is read.
   */
  bytecode?: Uint8Array | undefined;
  /** A reader to reuse (watch, serve); otherwise one is opened and closed here. */
  reader?: SockDiagReader | undefined;
}

/** The kernel context of another namespace, read by the addon from inside it (no child process). */
function readKernelContextIn(nsPath: string, warnings: Warning[]): KernelContext {
  const load = loadSockDiag();
  const kernel: KernelContext = {};
  const perNs = KERNEL_SYSCTLS.filter((name) => !GLOBAL_SYSCTLS.has(name));
  const files = ['snmp', 'netstat', 'sockstat', 'sockstat6'].map((f) => `/proc/thread-self/net/${f}`);
  let texts: (string | null)[] = [];
  if ('addon' in load) {
    try {
      texts = load.addon.readFiles(nsPath, [...files, ...perNs.map(sysctlPath)]);
    } catch (error) {
      warnings.push({
        message: `kernel counters and sysctls of the namespace not read: ${(error as Error).message}`,
      });
    }
  }
  const [snmp, netstat, sockstat, sockstat6] = texts;
  if (snmp || netstat) kernel.counters = parseSnmpPairs(netstat ?? '', parseSnmpPairs(snmp ?? ''));
  if (sockstat || sockstat6) kernel.sockstat = parseSockstat(sockstat6 ?? '', parseSockstat(sockstat ?? ''));
  const sysctls: Record<string, string> = {};
  perNs.forEach((name, k) => {
    const text = texts[files.length + k];
    if (text) sysctls[name] = cleanSysctl(text);
  });
  Object.assign(sysctls, readOwnSysctls([...GLOBAL_SYSCTLS]));
  if (Object.keys(sysctls).length > 0) kernel.sysctls = sysctls;
  return kernel;
}

function readKernelContext(target: NetlinkTarget, warnings: Warning[]): KernelContext {
  let kernel: KernelContext;
  if (target.nsPath === undefined) {
    kernel = { ...readKernelCounters('/proc') };
    const sysctls = readOwnSysctls();
    if (Object.keys(sysctls).length > 0) kernel.sysctls = sysctls;
  } else {
    kernel = readKernelContextIn(target.nsPath, warnings);
  }
  const release = readKernelRelease();
  if (release !== undefined) kernel.release = release;
  return kernel;
}

/**
 * Up to this many CLOSE_WAIT sockets are asked for one by one (a hash lookup each, tens of microseconds for them all);
 * more, and one dump of that state is cheaper. A dump walks every socket of the host whatever it keeps: ~40 ms at
 * 300k sockets on the machine of docs/benchmarks.md, the cost of ~5,000 lookups there.
 */
export const CLOSE_WAIT_LOOKUP_MAX = 1000;

/**
 * tcp_info for the CLOSE_WAIT sockets only, so the close-wait rule and watch can estimate how long each has sat idle
 * from last_data_recv / last_ack_recv: a few are looked up by exact 4-tuple; many, in a second dump of that state.
 */
function addCloseWaitInfo(
  reader: SockDiagReader,
  records: SockDiagRecords,
  table: RecordTable,
  closeWait: number[],
): void {
  const found =
    closeWait.length <= CLOSE_WAIT_LOOKUP_MAX
      ? reader.lookupRecords(records, closeWait, { info: true })
      : undefined;
  const withInfo = found ?? reader.dump({ states: ['CLOSE_WAIT'], info: true });
  const byCookie = new Map<string, TcpInfo>();
  for (let i = 0; i < withInfo.count; i++) {
    // A lookup answers for the 4-tuple's socket now: keep it only while it is still in CLOSE_WAIT, as a dump would.
    if (withInfo.stateCode(i) !== 8) continue;
    const info = withInfo.tcpInfo(i);
    if (info !== undefined) byCookie.set(withInfo.cookie(i), info);
  }
  table.closeWaitInfo = byCookie;
}

const EINVAL = 22;

/**
 * The dump with a bytecode filter: every listener (a listeners-only dump walks only their small table), then the
 * other sockets the kernel's filter keeps, merged in the order one unfiltered dump gives (per family, listeners
 * first). Undefined when the kernel refuses the program, so the caller reads everything instead.
 */
function dumpFiltered(
  reader: SockDiagReader,
  dump: DumpOptions,
  bytecode: Uint8Array,
  warnings: Warning[],
): SockDiagRecords | undefined {
  const asked = dump.states === undefined || [...dump.states].length === 0 ? TCP_STATES : [...dump.states];
  const others = asked.filter((s) => s !== 'LISTEN');
  const listeners = reader.dump({ ...dump, states: ['LISTEN'] });
  if (others.length === 0) return listeners;
  let matched: SockDiagRecords;
  try {
    matched = reader.dump({ ...dump, states: others, bytecode });
  } catch (error) {
    if ((error as { cause?: { errno?: number } }).cause?.errno !== EINVAL) throw error;
    warnings.push({
      message: 'the kernel refused the port filter (bytecode); every socket was read instead',
    });
    return undefined;
  }
  return mergeByFamily(listeners, matched);
}

/** Records of `a` and `b` (each AF_INET first) as AF_INET of a, of b, then AF_INET6 of a, of b. */
function mergeByFamily(a: SockDiagRecords, b: SockDiagRecords): SockDiagRecords {
  const stride = a.stride;
  const firstV6 = (r: SockDiagRecords) => {
    let i = 0;
    while (i < r.count && r.family(i) === 'inet') i++;
    return i * stride;
  };
  const a4 = firstV6(a);
  const b4 = firstV6(b);
  const out = new Uint8Array(a.bytes.byteLength + b.bytes.byteLength);
  out.set(a.bytes.subarray(0, a4), 0);
  out.set(b.bytes.subarray(0, b4), a4);
  out.set(a.bytes.subarray(a4), a4 + b4);
  out.set(b.bytes.subarray(b4), a.bytes.byteLength + b4);
  return new SockDiagRecords(out.buffer, stride);
}

const cgroupPaths = new CgroupPaths();

/**
 * One pass over the dump for what comes after it: the cgroup ids to resolve (each once) and the sockets in CLOSE_WAIT
 * (their tcp_info is asked for next, when there are any).
 */
function scanRecords(records: SockDiagRecords): { cgroups: Set<number>; closeWait: number[] } {
  const cgroups = new Set<number>();
  const closeWait: number[] = [];
  let last = -1;
  for (let i = 0; i < records.count; i++) {
    if (records.stateCode(i) === 8) closeWait.push(i);
    if (!records.hasCgroupId(i)) continue;
    const id = records.cgroupId(i);
    // Neighbouring sockets mostly share a cgroup (one process's): skip the set for a repeat.
    if (id !== last) cgroups.add(id);
    last = id;
  }
  return { cgroups, closeWait };
}

/** `-p` over the table: owners of the dump's inodes from this host's /proc, with the note attachProcesses gives. */
function addProcesses(snapshot: Snapshot, table: RecordTable): void {
  const wanted = new Set<number>();
  for (let i = 0; i < table.length; i++) {
    const inode = table.inode(i);
    if (inode) wanted.add(inode);
  }
  const owners = readSocketOwners('/proc', wanted);
  const unknown = attachTableOwners(table, owners);
  snapshot.processesLookedUp = true;
  const note = ownersNote(owners, unknown);
  if (note !== undefined) snapshot.processNote = note;
}

/** The records of each netlink snapshot, turned into cookie numbers when the tracker first asks (one-shot views never do). */
const cookiesOf = new WeakMap<Snapshot, SockDiagRecords | Float64Array>();

/** Each record's socket cookie as a number (exact below 2^53: the kernel counts cookies up from 1 per boot). */
function cookieNumbers(records: SockDiagRecords): Float64Array {
  const u32 = new Uint32Array(records.bytes.buffer, records.bytes.byteOffset, records.bytes.byteLength >> 2);
  const ids = new Float64Array(records.count);
  const step = records.stride >> 2;
  for (let i = 0, w = 11; i < records.count; i++, w += step) ids[i] = u32[w + 1]! * 0x1_0000_0000 + u32[w]!;
  return ids;
}

/**
 * The socket cookies of a netlink snapshot as numbers, one per socket in `snapshot.sockets` order, for the tracker
 * (`ConnectionTracker.update(snapshot, ids)`): undefined for other readers or once `sockets` was replaced.
 */
export function snapshotCookies(snapshot: Snapshot): Float64Array | undefined {
  const known = cookiesOf.get(snapshot);
  if (known === undefined || !inTableOrder(snapshot)) return undefined;
  if (known instanceof Float64Array) return known;
  const ids = cookieNumbers(known);
  cookiesOf.set(snapshot, ids);
  return ids;
}

/** A snapshot whose sockets are still records: counts and groups read them in place, `sockets` are built on use. */
export interface NetlinkRead {
  snapshot: Snapshot;
  records: SockDiagRecords;
}

/**
 * The live snapshot over NETLINK_SOCK_DIAG: what /proc gives, with the listeners' backlogs from the same dump (no
 * `ss` child), cgroup ids and cookies on every socket, tcp_info with `info`, and the state filter done by the kernel.
 * The snapshot is table-backed (model/socket-table.ts): `tableOf(snapshot)` reads the records in place, and
 * `snapshot.sockets` builds the objects on first read.
 */
export function readNetlinkSnapshot(options: NetlinkSnapshotOptions = {}): Snapshot {
  return readNetlink(options).snapshot;
}

export function readNetlink(options: NetlinkSnapshotOptions = {}): NetlinkRead {
  const target = netlinkTarget(options);
  const reader = options.reader ?? SockDiagReader.open({ nsPath: target.nsPath, label: target.label });
  try {
    const warnings: Warning[] = [];
    const takenAt = Date.now();
    const states =
      options.states === undefined || options.states.size === 0 || options.states.has('LISTEN')
        ? options.states
        : new Set([...options.states, 'LISTEN' as const]);
    const dump: DumpOptions = { states, info: options.info, memory: options.info };
    const records =
      (options.bytecode && dumpFiltered(reader, dump, options.bytecode, warnings)) || reader.dump(dump);
    const table = new RecordTable(records);
    const scan = scanRecords(records);
    if (!options.info && scan.closeWait.length > 0) addCloseWaitInfo(reader, records, table, scan.closeWait);
    if (scan.cgroups.size > 0) table.cgroupPaths = cgroupPaths.resolve(scan.cgroups);
    const snapshot = tableBackedSnapshot(
      { source: { kind: 'netlink', name: target.label, os: 'linux' }, takenAt },
      table,
      warnings,
    );
    cookiesOf.set(snapshot, records);
    if (options.processes) addProcesses(snapshot, table);
    if (options.kernel !== false) snapshot.kernel = readKernelContext(target, warnings);
    return { snapshot, records };
  } finally {
    if (options.reader === undefined) reader.close();
  }
}
