/**
 * Complete stays the kernel reported, for the recorder: each state change whose connection entered the state left
 * after tracing began carries the exact time spent in it (src/track/kernel-trace.ts), including connections that
 * open and close between two looks, which the snapshot diff never sees. Pure: wall-clock times come in with the
 * changes; the recorder drains the stays at each look.
 */
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

/** Stays kept between two looks at most; beyond this the oldest are dropped and counted (a churn storm). */
export const MAX_PENDING_STAYS = 200_000;

export class KernelStays {
  private pending: ExactStay[] = [];
  /** Stays dropped because too many were pending. */
  overflow = 0;
  private readonly max: number;

  constructor(max = MAX_PENDING_STAYS) {
    this.max = max;
  }

  /** Keeps the stays these changes ended; `wallOffsetMs` turns kernel monotonic ms into wall-clock ms. */
  add(changes: readonly StateChange[], wallOffsetMs: number): void {
    for (const c of changes) {
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
