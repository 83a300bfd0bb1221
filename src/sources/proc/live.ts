import { SourceError } from '../../errors.ts';
import type { KernelContext, Snapshot, Socket, Warning } from '../../model/snapshot.ts';
import { dropDuplicateRows } from './duplicates.ts';
import {
  cleanSysctl,
  GLOBAL_SYSCTLS,
  KERNEL_SYSCTLS,
  readKernelCounters,
  readKernelRelease,
  readOwnSysctls,
  sysctlPath,
} from './kernel.ts';
import { attachBacklogs, startListenBacklogs } from './listen-backlog.ts';
import { execInNetns, type NetnsTarget, openNetns } from './netns.ts';
import { attachSnapshotProcesses } from './processes.ts';
import { readProcNetTcpFiles } from './read-file.ts';

export interface LiveOptions {
  /** Root of the proc filesystem to read: `/proc` or `/proc/<pid>` for another process's network namespace. */
  procRoot?: string;
}

/** Reads the TCP sockets of one namespace (the one `procRoot` shows) from /proc/net/tcp and /proc/net/tcp6. */
export async function readProcSocketTable(procRoot: string, warnings: Warning[]): Promise<Socket[]> {
  const w6: Warning[] = [];
  let v4: Socket[] | undefined;
  let v6: Socket[] | undefined;
  try {
    [v4, v6] = readProcNetTcpFiles([
      { path: `${procRoot}/net/tcp`, family: 'inet', warnings },
      { path: `${procRoot}/net/tcp6`, family: 'inet6', warnings: w6 },
    ]);
  } catch (error) {
    throw new SourceError(`cannot read: ${(error as Error).message}`, `${procRoot}/net/tcp`, error);
  }
  if (v4 === undefined && v6 === undefined) {
    throw new SourceError(
      'no /proc/net/tcp here: live mode needs Linux (use `tcpstate analyze` for pasted text)',
      procRoot,
    );
  }
  for (const w of w6) warnings.push({ ...w, message: w.message.replace('/proc/net/tcp', '/proc/net/tcp6') });
  const sockets = v4 ?? [];
  if (v6 !== undefined) for (const s of v6) sockets.push(s);
  dropDuplicateRows(sockets);
  return sockets;
}

/** Reads this host's (or a namespace's) TCP sockets from /proc/net/tcp and /proc/net/tcp6, nothing else. */
export async function readProcSockets(options: LiveOptions = {}): Promise<Snapshot> {
  const root = options.procRoot ?? '/proc';
  const warnings: Warning[] = [];
  const takenAt = Date.now();
  const sockets = await readProcSocketTable(root, warnings);
  return {
    source: { kind: 'proc', name: `${root}/net/tcp`, os: 'linux' },
    takenAt,
    sockets,
    warnings,
  };
}

export interface LiveSnapshotOptions {
  /** Attribute sockets to processes through /proc/<pid>/fd (`-p`). */
  processes?: boolean | undefined;
  /** Read the named network namespace (`ip netns` name) instead of ours. */
  netns?: string | undefined;
  /** Read the network namespace of this process (a container's) instead of ours. */
  nsOf?: number | undefined;
  /** Read kernel counters, sockstat and sysctls (default true). */
  kernel?: boolean | undefined;
  /** Ask `ss` for the listeners' accept backlogs, which /proc does not show (default true). */
  backlog?: boolean | undefined;
}

/**
 * Sysctls of the target namespace. /proc/sys/net always shows the *reader's* namespace, so for another namespace we
 * read them from inside it (`nsenter --net=... grep`); global ones (tcp_max_orphans) are absent there and the host's
 * value is the one that applies.
 */
function readSysctls(target: NetnsTarget, warnings: Warning[]): Record<string, string> {
  if (target.nsPath === undefined) return readOwnSysctls();
  const sysctls: Record<string, string> = {};
  const perNs = KERNEL_SYSCTLS.filter((name) => !GLOBAL_SYSCTLS.has(name));
  let out: string | undefined;
  try {
    out = execInNetns(target, 'grep', ['-sH', '', ...perNs.map(sysctlPath)]);
  } catch (error) {
    // grep exits non-zero when a file is missing (an older kernel) but still prints the others.
    out = (error as { stdout?: string }).stdout;
    if (!out) {
      const why = (error as Error).message.split('\n')[0];
      warnings.push({
        message: `sysctls of ${target.label} not read (entering a namespace needs root): ${why}`,
      });
    }
  }
  const byPath = new Map(perNs.map((name) => [sysctlPath(name), name]));
  for (const line of (out ?? '').split('\n')) {
    const colon = line.indexOf(':');
    const name = byPath.get(line.slice(0, colon));
    if (name !== undefined) sysctls[name] = cleanSysctl(line.slice(colon + 1));
  }
  Object.assign(sysctls, readOwnSysctls([...GLOBAL_SYSCTLS]));
  return sysctls;
}

function readKernelContext(target: NetnsTarget, warnings: Warning[]): KernelContext {
  const kernel: KernelContext = { ...readKernelCounters(target.procRoot) };
  const sysctls = readSysctls(target, warnings);
  if (Object.keys(sysctls).length > 0) kernel.sysctls = sysctls;
  const release = readKernelRelease();
  if (release !== undefined) kernel.release = release;
  return kernel;
}

/**
 * The full live snapshot: sockets with listener backlogs, optionally their processes, and the kernel context,
 * for our network namespace or another one (`netns`, `nsOf`).
 */
export async function readLiveSnapshot(options: LiveSnapshotOptions = {}): Promise<Snapshot> {
  const target = await openNetns({
    ...(options.netns === undefined ? {} : { netns: options.netns }),
    ...(options.nsOf === undefined ? {} : { nsOf: options.nsOf }),
  });
  try {
    const warnings: Warning[] = [];
    const takenAt = Date.now();
    // Nearly every host has listeners: ask ss for their backlogs now, so it runs while we read the table.
    const backlogsPending = options.backlog !== false ? startListenBacklogs(target) : undefined;
    const sockets = await readProcSocketTable(target.procRoot, warnings);
    const snapshot: Snapshot = {
      source: { kind: 'proc', name: target.label, os: 'linux' },
      takenAt,
      sockets,
      warnings,
    };
    if (options.processes) attachSnapshotProcesses(snapshot);
    if (options.kernel !== false) snapshot.kernel = readKernelContext(target, warnings);
    // Collected last: ss has had the whole read to finish.
    const backlogs = await backlogsPending;
    if (backlogsPending !== undefined && sockets.some((s) => s.state === 'LISTEN')) {
      if (backlogs === undefined) {
        warnings.push({ message: 'listen backlogs unknown: `ss` (iproute2) could not be run' });
      }
      attachBacklogs(sockets, backlogs);
    }
    return snapshot;
  } finally {
    target.close();
  }
}
