/**
 * Exact entry times from the kernel for the connections a snapshot lists: each state change reported by the kernel
 * (src/track/kernel-trace.ts) records when its connection entered its new state, by 4-tuple, so a view that
 * follows snapshots (watch) can show an exact age instead of the "≥" bound of two looks. Pure: wall-clock times
 * come in with the changes.
 */
import type { Endpoint } from '../model/snapshot.ts';
import type { TcpState } from '../states/states.ts';
import type { StateChange } from './kernel-trace.ts';
import type { TrackedAge } from './tracker.ts';

function tupleKey(local: Endpoint, remote: Endpoint): string {
  return `${local.address}|${local.port ?? ''}|${remote.address}|${remote.port ?? ''}`;
}

export class KernelEntryTimes {
  private readonly entered = new Map<string, { state: TcpState; atWallMs: number }>();
  private readonly max: number;

  constructor(maxConnections = 1_000_000) {
    this.max = maxConnections;
  }

  /** Records the changes; `wallOffsetMs` turns their kernel monotonic times into wall-clock ms. */
  add(changes: readonly StateChange[], wallOffsetMs: number): void {
    for (const c of changes) {
      const key = tupleKey(c.local, c.remote);
      if (c.to === 'CLOSED' || c.to === 'LISTEN') this.entered.delete(key);
      else {
        this.entered.delete(key); // re-inserted last: the oldest entries go first when full
        this.entered.set(key, { state: c.to, atWallMs: c.atMs + wallOffsetMs });
        if (this.entered.size > this.max) {
          const oldest = this.entered.keys().next().value;
          if (oldest !== undefined) this.entered.delete(oldest);
        }
      }
    }
  }

  /** The exact age in `state` at `now` of the connection with these endpoints, when the kernel reported its entry. */
  age(local: Endpoint, remote: Endpoint, state: TcpState, now: number): TrackedAge | undefined {
    const e = this.entered.get(tupleKey(local, remote));
    if (e === undefined || e.state !== state) return undefined;
    const ms = Math.max(0, now - e.atWallMs);
    return { minMs: ms, maxMs: ms };
  }
}
