/**
 * A running kernel trace as state changes: the tracer's records through the tracker (src/track/kernel-trace.ts),
 * kept to one network namespace (or all), with owners resolved from inodes where the kernel did not name them.
 * Used by `tcpstate trace` and by the live source of watch, record and serve.
 */
import { statSync } from 'node:fs';
import { SourceError } from '../../errors.ts';
import { KernelTracker, type StateChange } from '../../track/kernel-trace.ts';
import { netnsPath, ownNetnsInode } from '../proc/netns.ts';
import { type KernelTraceHandle, startKernelTrace } from './kernel.ts';
import { OwnerResolver } from './owners.ts';

export interface TraceSessionOptions {
  /** Keep changes of this namespace (an `ip netns` name). */
  netns?: string;
  /** Keep changes of the namespace of this process. */
  nsOf?: number;
  /** Keep every namespace's changes. */
  allNamespaces?: boolean;
  /** A batch of changes, in kernel order. */
  onChanges(changes: StateChange[]): void;
  /** The kernel dropped records (ring buffer full): `added` changes were lost, `total` so far. */
  onDropped?(total: number, added: number): void;
  onError?(error: SourceError): void;
}

export interface TraceSession {
  /** ms from spawning the tracer to every probe attached. */
  startupMs: number;
  /** Kernel monotonic ms at which tracing began (changes before it were not seen). */
  startedAtMs: number;
  /** The namespace kept (nsfs inode), undefined for all. */
  netns: number | undefined;
  readonly dropped: number;
  stop(): Promise<void>;
  done: Promise<void>;
}

export function namespaceInode(
  options: Pick<TraceSessionOptions, 'netns' | 'nsOf' | 'allNamespaces'>,
): number | undefined {
  if (options.allNamespaces) return undefined;
  const path =
    options.netns !== undefined
      ? netnsPath(options.netns)
      : options.nsOf !== undefined
        ? `/proc/${options.nsOf}/ns/net`
        : '/proc/self/ns/net';
  try {
    return statSync(path).ino;
  } catch {
    const label = options.netns !== undefined ? `netns:${options.netns}` : `pid ${options.nsOf}`;
    throw new SourceError('cannot open its network namespace', label);
  }
}

/** An owner still unnamed this long after its socket was seen is looked up in /proc ... */
const WALK_AFTER_MS = 500;
/** ... by one walk at most this often. */
const WALK_EVERY_MS = 2000;

/** CLOCK_MONOTONIC now, in ms (the kernel's bpf_ktime_get_ns clock). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export async function startTraceSession(options: TraceSessionOptions): Promise<TraceSession> {
  const netns = namespaceInode(options) ?? (options.allNamespaces ? undefined : ownNetnsInode());
  const tracker = new KernelTracker();
  const owners = new OwnerResolver();
  let flushTimer: NodeJS.Timeout | undefined;

  // Sockets with a file but no owner named yet (an accepted socket touched only in softirq so far). Most are
  // named by the kernel program at their owner's next system call on them (close, shutdown); a walk of /proc,
  // which costs tens of milliseconds on a busy machine, is only for those still unnamed after a moment.
  const unnamed = new Map<number, { id: string; since: number }>();
  let lastWalk = Number.NEGATIVE_INFINITY;
  const deliver = (changes: StateChange[]) => {
    if (changes.length === 0) return;
    const now = performance.now();
    for (const c of changes) {
      if (c.owner !== undefined) unnamed.delete(c.inode);
      else if (c.inode !== 0 && !unnamed.has(c.inode)) {
        const known = owners.get(c.inode);
        if (known !== undefined) {
          c.owner = known;
          tracker.setOwner(c.id, known);
        } else unnamed.set(c.inode, { id: c.id, since: now });
      }
      if (c.to === 'CLOSED' || c.to === 'TIME_WAIT') unnamed.delete(c.inode);
    }
    if (unnamed.size > 0 && now - lastWalk >= WALK_EVERY_MS) {
      const due: number[] = [];
      for (const [inode, u] of unnamed) if (now - u.since >= WALK_AFTER_MS) due.push(inode);
      if (due.length > 0) {
        lastWalk = now;
        owners.resolve(due, now);
        for (const inode of due) {
          const owner = owners.get(inode);
          const u = unnamed.get(inode);
          if (owner !== undefined && u !== undefined) tracker.setOwner(u.id, owner);
          unnamed.delete(inode);
        }
      }
    }
    options.onChanges(changes);
  };

  const handle: KernelTraceHandle = startKernelTrace(
    {
      onRecords(records) {
        const out: StateChange[] = [];
        for (const r of records) {
          if (netns !== undefined && r.netns !== netns) continue;
          tracker.push(r, out);
        }
        deliver(out);
        // A mini-socket removal is final only when nothing re-arms it within a moment: look again shortly.
        if (flushTimer === undefined) {
          flushTimer = setTimeout(() => {
            flushTimer = undefined;
            deliver(tracker.flush(monotonicMs()));
          }, 10);
        }
      },
      onDropped: (total, added) => options.onDropped?.(total, added),
      onError: (error) => options.onError?.(error),
    },
    netns === undefined ? {} : { netns },
  );
  const startupMs = await handle.ready;
  return {
    startupMs,
    startedAtMs: monotonicMs(),
    netns,
    get dropped() {
      return handle.stats.dropped;
    },
    done: handle.done,
    async stop() {
      await handle.stop();
      if (flushTimer !== undefined) clearTimeout(flushTimer);
      flushTimer = undefined;
      deliver(tracker.flush(Number.POSITIVE_INFINITY));
    },
  };
}
