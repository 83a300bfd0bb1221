import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';

// node:child_process (and the stream stack under it) is loaded when a helper process is first needed: the netlink
// reader of the main view never starts one.
let childProcess: typeof import('node:child_process') | undefined;
function cp(): typeof import('node:child_process') {
  childProcess ??= createRequire(import.meta.url)(
    'node:child_process',
  ) as typeof import('node:child_process');
  return childProcess;
}

import { existsSync, readdirSync, statSync } from 'node:fs';
import { SourceError, UsageError } from '../../errors.ts';

/** Where named network namespaces live (`ip netns add NAME` bind-mounts them here). */
export const NETNS_DIR = '/run/netns';

/** A network namespace to read: its /proc/net through some process in it, and the nsfs file to enter it. */
export interface NetnsTarget {
  /** `/proc` (our own namespace) or `/proc/<pid>` of a process inside the namespace. */
  procRoot: string;
  /** The nsfs file to enter with nsenter for what only the reader's namespace shows (/proc/sys, netlink); undefined = ours. */
  nsPath?: string;
  /** For Snapshot.source.name: `netns:NAME`, `pid:1234`, or `/proc/net/tcp`. */
  label: string;
  /** Stops the helper process started to look into a namespace with no process in it. */
  close(): void;
}

function nsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** The inode of our own network namespace (nsfs), to tell whether a target is in fact where we already are. */
export function ownNetnsInode(): number | undefined {
  return nsInode('/proc/self/ns/net');
}

/** A pid whose network namespace is the one with this nsfs inode, or undefined when no process lives there. */
export function findPidInNetns(inode: number, procRoot = '/proc'): number | undefined {
  for (const entry of readdirSync(procRoot)) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    if (nsInode(`${procRoot}/${entry}/ns/net`) === inode) return Number(entry);
  }
  return undefined;
}

/** The path of a named namespace, checking the name as `ip netns` does (no slashes, not `.`/`..`). */
export function netnsPath(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/')) {
    throw new UsageError(`--netns: not a namespace name: ${JSON.stringify(name)}`);
  }
  for (const dir of [NETNS_DIR, '/var/run/netns']) {
    const path = `${dir}/${name}`;
    if (existsSync(path)) return path;
  }
  let known: string[] = [];
  try {
    known = readdirSync(NETNS_DIR);
  } catch {
    // no namespaces at all
  }
  const list =
    known.length > 0 ? `known: ${known.slice(0, 10).join(', ')}` : 'there are none (`ip netns list`)';
  throw new SourceError(`no network namespace named ${JSON.stringify(name)}; ${list}`, `netns:${name}`);
}

/** Starts `nsenter --net=PATH sleep` so its /proc/<pid>/net shows a namespace that has no process of its own. */
async function helperIn(nsPath: string, inode: number, label: string): Promise<ChildProcess> {
  const child = cp().spawn('nsenter', [`--net=${nsPath}`, '--', 'sleep', '120'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let failed: Error | undefined;
  let exited = false;
  child.on('error', (error) => {
    failed = error;
  });
  child.on('exit', () => {
    exited = true;
  });
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    if (failed !== undefined) {
      throw new SourceError(`cannot enter the namespace: nsenter: ${failed.message}`, label, failed);
    }
    if (exited) {
      const why = stderr.trim() || 'nsenter exited';
      throw new SourceError(`cannot enter the namespace (root needed): ${why}`, label);
    }
    if (child.pid !== undefined && nsInode(`/proc/${child.pid}/ns/net`) === inode) return child;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  child.kill('SIGKILL');
  throw new SourceError('timed out entering the namespace', label);
}

/**
 * Resolves `--netns NAME` or `--ns-of PID` (or neither: our own namespace) to something we can read.
 * A named namespace is read through a process already living in it, or a short-lived helper we start there.
 */
export async function openNetns(options: { netns?: string; nsOf?: number }): Promise<NetnsTarget> {
  const none = () => undefined;
  if (options.netns !== undefined && options.nsOf !== undefined) {
    throw new UsageError('--netns and --ns-of choose the namespace two ways: give one of them');
  }
  if (options.nsOf !== undefined) {
    const pid = options.nsOf;
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new UsageError(`--ns-of: not a process id: ${pid}`);
    const label = `pid:${pid}`;
    if (!existsSync(`/proc/${pid}`)) throw new SourceError(`no process with pid ${pid}`, label);
    const inode = nsInode(`/proc/${pid}/ns/net`);
    if (inode === undefined) {
      throw new SourceError(`cannot see the network namespace of pid ${pid} (root needed?)`, label);
    }
    const own = inode === ownNetnsInode();
    return own
      ? { procRoot: `/proc/${pid}`, label, close: none }
      : { procRoot: `/proc/${pid}`, nsPath: `/proc/${pid}/ns/net`, label, close: none };
  }
  if (options.netns !== undefined) {
    const nsPath = netnsPath(options.netns);
    const label = `netns:${options.netns}`;
    const inode = nsInode(nsPath);
    if (inode === undefined) throw new SourceError('cannot open the namespace file', label);
    if (inode === ownNetnsInode()) return { procRoot: '/proc', label, close: none };
    const pid = findPidInNetns(inode);
    if (pid !== undefined) return { procRoot: `/proc/${pid}`, nsPath, label, close: none };
    const child = await helperIn(nsPath, inode, label);
    return {
      procRoot: `/proc/${child.pid}`,
      nsPath,
      label,
      close: () => {
        child.kill('SIGKILL');
      },
    };
  }
  return { procRoot: '/proc', label: '/proc/net/tcp', close: none };
}

function netnsCommand(
  target: Pick<NetnsTarget, 'nsPath'>,
  command: string,
  args: string[],
): [string, string[]] {
  return target.nsPath === undefined
    ? [command, args]
    : ['nsenter', [`--net=${target.nsPath}`, '--', command, ...args]];
}

/**
 * Starts a command inside the target namespace without waiting for it: it runs on another core while we read
 * /proc. Resolves to its stdout, rejects when it cannot run or fails.
 */
export function execInNetnsAsync(
  target: Pick<NetnsTarget, 'nsPath'>,
  command: string,
  args: string[],
): Promise<string> {
  const [file, argv] = netnsCommand(target, command, args);
  return new Promise((resolve, reject) => {
    cp().execFile(file, argv, { encoding: 'utf8', timeout: 10_000, maxBuffer: 64 << 20 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

/** Runs a command inside the target namespace (or here, for our own) and returns its stdout. */
export function execInNetns(target: Pick<NetnsTarget, 'nsPath'>, command: string, args: string[]): string {
  const [file, argv] = netnsCommand(target, command, args);
  return cp().execFileSync(file, argv, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 10_000,
    maxBuffer: 64 << 20,
  });
}
