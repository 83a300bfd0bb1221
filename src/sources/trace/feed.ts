/**
 * `--trace auto|on|off` for the commands that look over time (serve, watch): a running trace session as a feed of
 * state changes, or the reason there is none (said once by the caller).
 */
import { SourceError, UsageError } from '../../errors.ts';
import type { StateChange } from '../../track/kernel-trace.ts';
import { traceUnavailable } from './kernel.ts';
import { namespaceInode, startTraceSession, type TraceSession } from './session.ts';

export type TraceMode = 'auto' | 'on' | 'off';
export const TRACE_MODES: readonly TraceMode[] = ['auto', 'on', 'off'];

/** What a consumer subscribes to: batches of changes as the kernel reports them. */
export interface KernelChangeFeed {
  subscribe(listener: (changes: readonly StateChange[]) => void): () => void;
  /** Changes the kernel could not hand over so far (ring buffer full). */
  readonly dropped: number;
  /** Called when the kernel drops changes: the new total and how many this time. */
  onDropped(listener: (total: number, added: number) => void): () => void;
  /** Kernel monotonic ms at which tracing began. */
  readonly startedAtMs: number;
  close(): Promise<void>;
}

export function parseTraceMode(value: string): TraceMode {
  if ((TRACE_MODES as readonly string[]).includes(value)) return value as TraceMode;
  throw new UsageError(`--trace: '${value}' is not one of ${TRACE_MODES.join(', ')}`);
}

/**
 * Starts the feed as `mode` asks: `on` fails with the reason when tracing cannot run; `auto` returns the reason
 * instead, for the caller to say once; `off` returns neither.
 */
export async function openKernelFeed(
  mode: TraceMode,
  scope: { netns?: string | undefined; nsOf?: number | undefined },
): Promise<{ feed?: KernelChangeFeed; unavailable?: string }> {
  if (mode === 'off') return {};
  try {
    namespaceInode({
      ...(scope.netns !== undefined ? { netns: scope.netns } : {}),
      ...(scope.nsOf !== undefined ? { nsOf: scope.nsOf } : {}),
    });
  } catch (error) {
    // A namespace that cannot be opened is the live source's error to report (once), not the trace's.
    if (mode === 'on') throw error;
    return {};
  }
  const why = traceUnavailable();
  if (why !== undefined) {
    if (mode === 'on') throw new SourceError(why, 'trace');
    return { unavailable: why };
  }
  const listeners = new Set<(changes: readonly StateChange[]) => void>();
  const dropListeners = new Set<(total: number, added: number) => void>();
  let session: TraceSession;
  try {
    session = await startTraceSession({
      ...(scope.netns !== undefined ? { netns: scope.netns } : {}),
      ...(scope.nsOf !== undefined ? { nsOf: scope.nsOf } : {}),
      onChanges(changes) {
        for (const l of listeners) l(changes);
      },
      onDropped(total, added) {
        for (const l of dropListeners) l(total, added);
      },
    });
  } catch (error) {
    if (mode === 'on') throw error;
    // A namespace that cannot be opened is the live source's error to report (once), not the trace's.
    if (error instanceof SourceError && error.source !== 'trace') return {};
    return { unavailable: error instanceof Error ? error.message : String(error) };
  }
  return {
    feed: {
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      get dropped() {
        return session.dropped;
      },
      onDropped(listener) {
        dropListeners.add(listener);
        return () => dropListeners.delete(listener);
      },
      startedAtMs: session.startedAtMs,
      close: () => session.stop(),
    },
  };
}
