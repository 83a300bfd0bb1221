/**
 * Complete stays the kernel reported, for the recorder: each state change whose connection entered the state left
 * after tracing began carries the exact time spent in it (src/track/kernel-trace.ts), including connections that
 * open and close between two looks, which the snapshot diff never sees. Pure: wall-clock times come in with the
 * changes; the recorder drains the stays at each look.
 */
import { emptyCounts, type StateCounts } from '../analysis/summary.ts';
import type { Endpoint } from '../model/snapshot.ts';
import type { TcpState } from '../states/states.ts';
import type { StateChange } from './kernel-trace.ts';

export interface ExactStay {
  /** The kernel's connection id (socket cookie). */
  conn: string;
  state: TcpState;
  local: Endpoint;
  remote: Endpoint;
  /** Wall-clock ms of the entry into `state` and of the exit from it. */
  enteredAt: number;
  leftAt: number;
  ms: number;
}

/** A kernel-counted transition between two looks. */
export interface KernelTransition {
  from: TcpState;
  to: TcpState;
  count: number;
}

/** Stays kept between two looks at most; beyond this the oldest are dropped and counted (a churn storm). */
export const MAX_PENDING_STAYS = 200_000;

export class KernelStays {
  private pending: ExactStay[] = [];
  /** `FROM>TO` → changes since the last takeTransitions() (bounded: at most 13 × 13 keys). */
  private transitions = new Map<string, KernelTransition>();
  /** Stays dropped because too many were pending. */
  overflow = 0;
  private readonly max: number;

  constructor(max = MAX_PENDING_STAYS) {
    this.max = max;
  }

  /** Keeps the stays these changes ended; `wallOffsetMs` turns kernel monotonic ms into wall-clock ms. */
  add(changes: readonly StateChange[], wallOffsetMs: number): void {
    for (const c of changes) {
      const key = `${c.from}>${c.to}`;
      const t = this.transitions.get(key);
      if (t) t.count++;
      else this.transitions.set(key, { from: c.from, to: c.to, count: 1 });
      // No stay: entered before tracing began, or a new socket leaving CLOSED/LISTEN.
      if (c.stayMs === undefined || c.from === 'CLOSED' || c.from === 'LISTEN') continue;
      const leftAt = c.atMs + wallOffsetMs;
      if (this.pending.length >= this.max) {
        this.pending.shift();
        this.overflow++;
      }
      this.pending.push({
        conn: c.id,
        state: c.from,
        local: c.local,
        remote: c.remote,
        enteredAt: leftAt - c.stayMs,
        leftAt,
        ms: c.stayMs,
      });
    }
  }

  /** The transitions counted since the last call. */
  takeTransitions(): KernelTransition[] {
    const out = [...this.transitions.values()];
    this.transitions = new Map();
    return out;
  }

  /** The stays kept since the last call. */
  take(): ExactStay[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

/**
 * The service of a kernel stay, as the tracker names a socket's (track/tracker.ts serviceOf): the local port when
 * something listens on it here, otherwise the remote port used as a client.
 */
export function serviceOfTuple(local: Endpoint, remote: Endpoint, listening: ReadonlySet<number>): string {
  if (local.port !== undefined && listening.has(local.port)) return String(local.port);
  if (remote.port !== undefined) return `→${remote.port}`;
  return local.port === undefined ? '(none)' : String(local.port);
}

/**
 * Arrivals into and departures from each state, as the kernel counted them: what the looks' IN/OUT estimate by
 * diffing tables, exact. CLOSED is no state a socket is seen in (a new socket leaves it, a finished one enters it),
 * and an accepted connection's LISTEN → SYN_RECEIVED is the child's arrival: the listener does not leave LISTEN.
 */
export function kernelFlows(transitions: readonly KernelTransition[]): {
  arrivals: StateCounts;
  departures: StateCounts;
} {
  const arrivals = emptyCounts();
  const departures = emptyCounts();
  for (const t of transitions) {
    if (t.to !== 'CLOSED') arrivals[t.to] += t.count;
    if (t.from !== 'CLOSED' && !(t.from === 'LISTEN' && t.to === 'SYN_RECEIVED'))
      departures[t.from] += t.count;
  }
  return { arrivals, departures };
}
