/**
 * A running kernel trace as state changes: the tracer's records through the tracker (src/track/kernel-trace.ts),
 * kept to one network namespace (or all), with owners resolved from inodes where the kernel did not name them.
 * Used by `tcpstate trace` and by the live source of watch, record and serve.
 */
import { statSync } from 'node:fs';
import { SourceError } from '../../errors.ts';
import { type KernelEvent, KernelTracker, type StateChange } from '../../track/kernel-trace.ts';
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

function namespaceInode(options: TraceSessionOptions): number | undefined {
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

/** CLOCK_MONOTONIC now, in ms (the kernel's bpf_ktime_get_ns clock). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export async function startTraceSession(options: TraceSessionOptions): Promise<TraceSession> {
  const netns = namespaceInode(options) ?? (options.allNamespaces ? undefined : ownNetnsInode());
  const tracker = new KernelTracker();
  const owners = new OwnerResolver();
  let flushTimer: NodeJS.Timeout | undefined;

  const deliver = (changes: StateChange[]) => {
    if (changes.length === 0) return;
    // Owners the kernel did not name: one walk of /proc for every inode still unknown in this batch.
    const missing: number[] = [];
    for (const c of changes) if (c.owner === undefined && c.inode !== 0) missing.push(c.inode);
    if (missing.length > 0) {
      owners.resolve(missing);
      for (const c of changes) {
        if (c.owner !== undefined || c.inode === 0) continue;
        const owner = owners.get(c.inode);
        if (owner !== undefined) {
          c.owner = owner;
          tracker.setOwner(c.id, owner);
        }
      }
    }
    options.onChanges(changes);
  };

  const handle: KernelTraceHandle = startKernelTrace({
    onRecords(records) {
      const out: StateChange[] = [];
      for (const r of records) {
        if (netns !== undefined && r.netns !== netns) continue;
        tracker.push(r as KernelEvent, out);
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
  });
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
