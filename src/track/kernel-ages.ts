/**
 * Exact entry times from the kernel for the connections a snapshot lists: each state change reported by the kernel
 * (src/track/kernel-trace.ts) records when its connection entered its new state, by 4-tuple, so a view that
 * follows snapshots (watch) can show an exact age instead of the "≥" bound of two looks. Pure: wall-clock times
 * come in with the changes.
 */
import { type AgeOptions, stateAge } from '../diagnose/age.ts';
import type { Endpoint, Socket } from '../model/snapshot.ts';
import type { TcpState } from '../states/states.ts';
import type { StateChange } from './kernel-trace.ts';
import { type TrackedAge, type TrackedConnection, trackedAge } from './tracker.ts';

/** What an entry time needs of a change (serve hands only this to its snapshot worker). */
export type EntryChange = Pick<StateChange, 'atMs' | 'to' | 'local' | 'remote'>;

/** Where an age comes from: the kernel's entry time, the socket's timers or tcp_info, or the looks' bounds. */
export type AgeKind = 'exact' | 'estimate' | 'bound';

function tupleKey(local: Endpoint, remote: Endpoint): string {
  return `${local.address}|${local.port ?? ''}|${remote.address}|${remote.port ?? ''}`;
}

/** A connection's two ports as one number: what a look can read of every socket without building it. */
function portPair(local: number | undefined, remote: number | undefined): number {
  return (local ?? 0) * 65_536 + (remote ?? 0);
}

export class KernelEntryTimes {
  private readonly entered = new Map<string, { state: TcpState; atWallMs: number; pair: number }>();
  /** Entries per port pair: a connection whose ports no entry has needs no endpoint strings (no socket built). */
  private readonly pairs = new Map<number, number>();
  private readonly max: number;

  constructor(maxConnections = 1_000_000) {
    this.max = maxConnections;
  }

  /** Records the changes; `wallOffsetMs` turns their kernel monotonic times into wall-clock ms. */
  add(changes: readonly EntryChange[], wallOffsetMs: number): void {
    for (const c of changes) {
      const key = tupleKey(c.local, c.remote);
      this.forget(key); // re-inserted last: the oldest entries go first when full
      if (c.to === 'CLOSED' || c.to === 'LISTEN') continue;
      const pair = portPair(c.local.port, c.remote.port);
      this.entered.set(key, { state: c.to, atWallMs: c.atMs + wallOffsetMs, pair });
      this.pairs.set(pair, (this.pairs.get(pair) ?? 0) + 1);
      if (this.entered.size > this.max) {
        const oldest = this.entered.keys().next().value;
        if (oldest !== undefined) this.forget(oldest);
      }
    }
  }

  private forget(key: string): void {
    const e = this.entered.get(key);
    if (e === undefined) return;
    this.entered.delete(key);
    const n = this.pairs.get(e.pair)!;
    if (n > 1) this.pairs.set(e.pair, n - 1);
    else this.pairs.delete(e.pair);
  }

  /** Whether the kernel reported an entry for some connection on these ports (else `age` is undefined for it). */
  mayKnow(localPort: number | undefined, remotePort: number | undefined): boolean {
    return this.pairs.size > 0 && this.pairs.has(portPair(localPort, remotePort));
  }

  /** The exact age in `state` at `now` of the connection with these endpoints, when the kernel reported its entry. */
  age(local: Endpoint, remote: Endpoint, state: TcpState, now: number): TrackedAge | undefined {
    // Asked for every connection of every look: build no key while the kernel has reported nothing.
    if (this.entered.size === 0) return undefined;
    const e = this.entered.get(tupleKey(local, remote));
    if (e === undefined || e.state !== state) return undefined;
    const ms = Math.max(0, now - e.atWallMs);
    return { minMs: ms, maxMs: ms };
  }
}

/** How far a kernel age may fall outside the looks' bounds: a look's time is when its dump began, not each row's. */
const LOOK_SLACK_MS = 1000;

/**
 * The age to show: the kernel's when the looks agree with it, else the looks' bounds. The looks bound the entry
 * independently (after the last look that saw another state, by the first look that saw this one), so a kernel
 * age outside them is one a lost change made wrong (the socket's earlier stay, or another connection on the same
 * endpoints): the next look puts it right.
 */
export function bestAge(
  kernel: TrackedAge | undefined,
  looks: TrackedAge,
  estimate?: TrackedAge,
): TrackedAge {
  const agrees = (age: TrackedAge) =>
    age.minMs >= looks.minMs - LOOK_SLACK_MS &&
    (looks.maxMs === undefined || age.minMs <= looks.maxMs + LOOK_SLACK_MS);
  if (kernel !== undefined && agrees(kernel)) return kernel;
  if (estimate !== undefined && agrees(estimate)) return estimate;
  return looks;
}

/** The states whose socket can tell its own age (estimatedAge): a TIME_WAIT or orphan FIN_WAIT_2 timer, CLOSE_WAIT's tcp_info. */
export const SELF_AGED_STATES: ReadonlySet<TcpState> = new Set<TcpState>([
  'TIME_WAIT',
  'FIN_WAIT_2',
  'CLOSE_WAIT',
]);

/**
 * For a socket in its state since before tracing began, the best estimate of its age that the socket itself gives,
 * at `now` from a look at `lookAt`; marked `estimate`:
 * - TIME_WAIT (and an orphan FIN_WAIT_2): its timer was armed for 60 s (tcp_fin_timeout) when the state began, so
 *   the age is that length minus what is left, to the jiffy (diagnose/age.ts stateAge);
 * - CLOSE_WAIT, from tcp_info: the peer's FIN came with an ACK, so the time since the last ACK received
 *   (last_ack_recv) is the age when nothing came after it (a later ACK only makes it smaller: a lower bound), and
 *   the FIN came after the last data, so last_data_recv bounds it above.
 * Undefined where the socket says nothing.
 */
export function estimatedAge(
  socket: Socket,
  lookAt: number,
  now: number,
  options: AgeOptions = {},
): TrackedAge | undefined {
  const since = Math.max(0, now - lookAt);
  if (socket.timer?.kind === 'timewait') {
    const age = stateAge(socket, options);
    if (age?.kind === 'exact') {
      const ms = age.seconds * 1000 + since;
      return { minMs: ms, maxMs: ms, estimate: true };
    }
  }
  const info = socket.tcpInfo;
  if (socket.state === 'CLOSE_WAIT' && info !== undefined) {
    const maxMs = Math.max(info.lastAckRecvMs, info.lastDataRecvMs) + since;
    return { minMs: info.lastAckRecvMs + since, maxMs, estimate: true };
  }
  return undefined;
}

/** What `connectionAge` needs besides the connection: the kernel's entry times and the look's context. */
export interface AgeSources {
  /** Entry times from the kernel trace, when one runs. */
  entries?: KernelEntryTimes | undefined;
  /** When the look that last showed the connections was taken (their timers and tcp_info are from then). */
  lookAt: number;
  /** The look's OS and tcp_fin_timeout, for a timer's age. */
  options?: AgeOptions;
}

/**
 * A tracked connection's best age at `now` and where it comes from (watch's oldest list and serve's oldest ages):
 * the kernel's entry time (exact), else the socket's own timers or tcp_info (an estimate, for a socket older than
 * the trace or without one), else the looks' bounds; each only where the looks agree (bestAge). The socket object
 * is built only for a connection whose ports the kernel reported or whose state can tell its own age: a look of
 * 100k unchanged sockets builds none.
 */
export function connectionAge(
  c: TrackedConnection,
  now: number,
  sources: AgeSources,
): { age: TrackedAge; kind: AgeKind } {
  const looks = trackedAge(c, now);
  const entries = sources.entries;
  const kernel =
    entries?.mayKnow(c.localPort, c.remotePort) === true
      ? entries.age(c.socket.local, c.socket.remote, c.state, now)
      : undefined;
  const estimate = SELF_AGED_STATES.has(c.state)
    ? estimatedAge(c.socket, sources.lookAt, now, sources.options)
    : undefined;
  const age = bestAge(kernel, looks, estimate);
  return { age, kind: age === looks ? 'bound' : age === kernel ? 'exact' : 'estimate' };
}
