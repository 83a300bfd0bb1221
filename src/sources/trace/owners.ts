/**
 * The process holding a traced socket, from its inode through the process map (`/proc/<pid>/fd`), as `ss -p` does.
 * The kernel program already names the task when one holds the socket's lock in a system call on it; this finds
 * the rest (an accepted socket first seen with a file, a socket only ever touched in softirq). Scans are batched and
 * batched: one walk of /proc answers every inode asked for (the caller decides how often to walk).
 */
import type { Owner } from '../../track/kernel-trace.ts';
import { readSocketOwners } from '../proc/processes.ts';

export class OwnerResolver {
  private readonly known = new Map<number, Owner | null>();
  private lastScan = Number.NEGATIVE_INFINITY;
  private readonly minIntervalMs: number;
  private readonly maxCached: number;

  constructor(minIntervalMs = 0, maxCached = 200_000) {
    this.minIntervalMs = minIntervalMs;
    this.maxCached = maxCached;
  }

  /** The owner of an inode if already known; undefined when not (yet). */
  get(inode: number): Owner | undefined {
    return this.known.get(inode) ?? undefined;
  }

  /** Walks /proc once for the inodes not yet known (at most every minIntervalMs). */
  resolve(inodes: Iterable<number>, nowMs = performance.now()): void {
    const wanted = new Set<number>();
    for (const inode of inodes) if (inode !== 0 && !this.known.has(inode)) wanted.add(inode);
    if (wanted.size === 0 || nowMs - this.lastScan < this.minIntervalMs) return;
    this.lastScan = nowMs;
    const owners = readSocketOwners('/proc', wanted);
    if (this.known.size + wanted.size > this.maxCached) this.known.clear();
    for (const inode of wanted) {
      const refs = owners.byInode.get(inode);
      const first = refs?.[0];
      // null: looked for and gone (closed before we looked); not asked again.
      this.known.set(inode, first === undefined ? null : { pid: first.pid, command: first.command });
    }
  }
}
