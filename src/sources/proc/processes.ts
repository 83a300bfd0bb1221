import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { ProcessRef, Snapshot, Socket } from '../../model/snapshot.ts';

export interface SocketOwners {
  /** Socket inode → the processes (one entry per file descriptor) holding it. */
  byInode: Map<number, ProcessRef[]>;
  /** Processes inspected. */
  processes: number;
  /** Pids whose fd table we were not allowed to read (another user's process, without root). */
  denied: number[];
}

/** ENOENT/ESRCH: the process or fd went away while we read it, which is normal on a live system. */
function vanished(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** `socket:[12345]` → 12345, anything else → -1. Hand-rolled: this runs once per open fd on the machine. */
function socketInode(link: string): number {
  if (link.length < 10 || link.charCodeAt(0) !== 115 /* s */ || !link.startsWith('socket:[')) return -1;
  let n = 0;
  for (let i = 8; i < link.length - 1; i++) {
    const c = link.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

function readCommand(procRoot: string, pid: number): string {
  try {
    return readFileSync(`${procRoot}/${pid}/comm`, 'utf8').replace(/\n$/, '');
  } catch {
    return '?';
  }
}

/**
 * Maps socket inodes to processes the way `ss -p` and psutil do: every `/proc/<pid>/fd/*` link that reads
 * `socket:[N]`. Only inodes in `wanted` are kept (when given), so UDP/unix sockets cost a readlink and nothing more.
 * `procRoot` is the proc mount whose pids to walk (always the host's /proc: pids are not per network namespace).
 */
export function readSocketOwners(procRoot = '/proc', wanted?: ReadonlySet<number>): SocketOwners {
  const byInode = new Map<number, ProcessRef[]>();
  const denied: number[] = [];
  let processes = 0;
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return { byInode, processes, denied };
  }
  for (const entry of entries) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(entry);
    const fdDir = `${procRoot}/${entry}/fd/`;
    let fds: string[];
    try {
      fds = readdirSync(fdDir);
    } catch (error) {
      if (!vanished(error)) denied.push(pid);
      continue;
    }
    processes++;
    let command: string | undefined;
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(fdDir + fd);
      } catch {
        continue; // closed since readdir
      }
      const inode = socketInode(link);
      if (inode < 0 || (wanted !== undefined && !wanted.has(inode))) continue;
      command ??= readCommand(procRoot, pid);
      const ref: ProcessRef = { pid, command, fd: Number(fd) };
      const list = byInode.get(inode);
      if (list === undefined) byInode.set(inode, [ref]);
      else list.push(ref);
    }
  }
  return { byInode, processes, denied };
}

/**
 * Attributes sockets to processes: `processes` becomes the owners found, `[]` when the socket has no owning file
 * (inode 0: TIME_WAIT, request sockets, orphans) or nobody we could see holds it and nothing was hidden from us,
 * and stays absent (unknown) when some processes could not be read. Returns the note to show, if any.
 */
export function attachProcesses(sockets: Socket[], owners: SocketOwners): string | undefined {
  const hidden = owners.denied.length > 0;
  let unknown = 0;
  for (const socket of sockets) {
    const inode = socket.inode;
    if (inode === undefined) continue;
    const found = inode === 0 ? undefined : owners.byInode.get(inode);
    if (found !== undefined) socket.processes = found;
    else if (inode === 0 || !hidden) socket.processes = [];
    else unknown++;
  }
  return ownersNote(owners, unknown);
}

/** The note `-p` shows when some processes could not be read (`unknown`: sockets whose owner is not known). */
export function ownersNote(owners: SocketOwners, unknown: number): string | undefined {
  if (owners.denied.length === 0) return undefined;
  const who = process.getuid?.() === 0 ? '' : ' (not root)';
  return (
    `${owners.denied.length} of ${owners.denied.length + owners.processes} processes could not be inspected${who}; ` +
    (unknown === 1 ? 'the owner of 1 socket is unknown' : `the owners of ${unknown} sockets are unknown`)
  );
}

/** `-p` for a live snapshot, whichever reader made it: owners of the snapshot's inodes from this host's /proc. */
export function attachSnapshotProcesses(snapshot: Snapshot): void {
  const wanted = new Set<number>();
  for (const s of snapshot.sockets) if (s.inode) wanted.add(s.inode);
  const note = attachProcesses(snapshot.sockets, readSocketOwners('/proc', wanted));
  snapshot.processesLookedUp = true;
  if (note !== undefined) snapshot.processNote = note;
}
