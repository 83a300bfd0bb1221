import { listeningPortsOf, ownersLabel } from '../analysis/groups.ts';
import { emptyCounts, type StateCounts } from '../analysis/summary.ts';
import type { Snapshot, Socket } from '../model/snapshot.ts';
import { ArrayTable, type SocketTable, socketAt, tableOf } from '../model/socket-table.ts';
import type { TcpState } from '../states/states.ts';
import { connectionKey, isReuse } from './key.ts';

/**
 * Follows connections across a sequence of snapshots (live /proc, repeated native netstat, successive `--at`
 * snapshots of a capture: the source does not matter) and knows, per connection, since when it has been in its
 * state — as far as the looks allow. A state entered between two looks has an age between the two; a state the
 * connection already had at the first look has only a lower bound ("at least 12 min").
 */

export interface Transition {
  from: TcpState;
  to: TcpState;
  /** The last look that still showed `from`. */
  after: number;
  /** The first look that showed `to`. */
  by: number;
}

export interface TrackedConnection {
  /** Unique per tracker (a reused 4-tuple gets a new id). */
  id: number;
  key: string;
  /** The socket as last seen. */
  socket: Socket;
  /** Its local and remote ports as last seen, read without building `socket` (undefined for a wildcard). */
  readonly localPort: number | undefined;
  readonly remotePort: number | undefined;
  state: TcpState;
  /** The first look that showed this connection. */
  firstSeen: number;
  lastSeen: number;
  /** The first look that showed the current state: it entered the state at or before this. */
  stateSeenAt: number;
  /** The last look before that (it entered the state after this); undefined when it was in this state at the first look. */
  stateAfter?: number;
  /** Transitions seen, oldest first (the last MAX_TRANSITIONS). */
  transitions: Transition[];
  /** Service port (`8080`, inbound to a local listener, or the remote port outbound). */
  service?: string;
  /** `command (pid)` when the source named the process. */
  process?: string;
}

export type FlowEvent =
  | { kind: 'opened'; connection: TrackedConnection }
  | {
      kind: 'changed';
      connection: TrackedConnection;
      from: TcpState;
      /** When the stay in `from` began, as bounded as the connection's state age was. */
      fromSeenAt: number;
      fromAfter?: number;
    }
  | { kind: 'closed'; connection: TrackedConnection };

export interface TrackStep {
  at: number;
  /** The previous look; undefined for the first one (which then has no arrivals or departures). */
  previousAt?: number;
  counts: StateCounts;
  /** Connections that entered each state since the previous look (new ones and transitions). */
  arrivals: StateCounts;
  /** Connections that left each state since the previous look (transitions and disappearances). */
  departures: StateCounts;
  events: FlowEvent[];
}

/** What the store hands back to a restarted recorder so it can continue the open spans. */
export interface SeedConnection {
  key: string;
  state: TcpState;
  firstSeen: number;
  stateSeenAt: number;
  stateAfter?: number;
  socket: Socket;
  /** The labels it had (the table a restart continues from keeps them: no listener to infer from). */
  service?: string;
  process?: string;
}

const MAX_TRANSITIONS = 16;

/**
 * Where the sockets of one look are read: a table (counts, labels) and socket i as an object, built only when
 * someone asks for a connection's `socket` (the snapshot's own object if its `sockets` were built by then).
 */
interface LookSockets {
  table: SocketTable;
  socket(i: number): Socket;
}

/**
 * A tracked connection. Its `key` (the 4-tuple string the recorder stores) is built only when asked: connections
 * the kernel names by cookie are matched on the cookie, so a look of 100k unchanged sockets builds no key strings.
 * Likewise its `socket`: between reads it is where it lies in the last look (look + index), built on first read.
 */
class Tracked implements TrackedConnection {
  id: number;
  #socket: Socket | undefined;
  #from: LookSockets | undefined;
  #index = 0;
  state: TcpState;
  firstSeen: number;
  lastSeen: number;
  stateSeenAt: number;
  stateAfter?: number;
  transitions: Transition[] = [];
  service?: string;
  process?: string;
  /** The tracker's look that last showed it. */
  look = 0;
  #key: string | undefined;
  /** The service as a number (local port served here, or -remote port): `service` is rebuilt only when it moves. */
  #serviceCode = Number.NaN;

  constructor(id: number, key: string | undefined, socket: Socket | undefined, state: TcpState, at: number) {
    this.id = id;
    this.#key = key;
    this.#socket = socket;
    this.state = state;
    this.firstSeen = at;
    this.lastSeen = at;
    this.stateSeenAt = at;
  }

  get socket(): Socket {
    if (this.#socket === undefined) this.#socket = this.#from!.socket(this.#index);
    return this.#socket;
  }

  set socket(socket: Socket) {
    this.#socket = socket;
    this.#from = undefined;
  }

  get localPort(): number | undefined {
    return this.#socket !== undefined ? this.#socket.local.port : this.#from!.table.localPort(this.#index);
  }

  get remotePort(): number | undefined {
    return this.#socket !== undefined ? this.#socket.remote.port : this.#from!.table.remotePort(this.#index);
  }

  /** Now socket i of this look (`built` when the caller has the object already). */
  at(from: LookSockets, i: number, built: Socket | undefined): void {
    this.#from = from;
    this.#index = i;
    this.#socket = built;
  }

  /** Keeps the socket as an object, so a connection that ended does not hold its last look's table. */
  settle(): void {
    if (this.#from !== undefined) this.socket = this.socket;
  }

  get key(): string {
    if (this.#key === undefined) this.#key = connectionKey(this.socket);
    return this.#key;
  }

  set key(key: string) {
    this.#key = key;
  }

  label(socket: Socket, listening: Set<number> | undefined): void {
    this.labelOf(socket.state, socket.local.port, socket.remote.port, socket.processes, listening);
  }

  labelAt(table: SocketTable, i: number, listening: Set<number>): void {
    this.labelOf(table.state(i), table.localPort(i), table.remotePort(i), table.processes(i), listening);
  }

  private labelOf(
    state: TcpState,
    local: number | undefined,
    remote: number | undefined,
    processes: Socket['processes'],
    listening: Set<number> | undefined,
  ): void {
    const code =
      local !== undefined && (state === 'LISTEN' || listening?.has(local))
        ? local
        : remote !== undefined
          ? -remote - 1
          : local === undefined
            ? Number.NaN
            : local;
    if (code !== this.#serviceCode || this.service === undefined) {
      this.#serviceCode = code;
      const service = serviceFrom(state, local, remote, listening);
      if (service !== undefined) this.service = service;
    }
    if (processes !== undefined && processes.length > 0) this.process = ownersLabel(processes);
  }
}

export class ConnectionTracker {
  /** Connections the source named by socket cookie (netlink), by cookie. */
  private byCookie = new Map<string | number, Tracked>();
  /** Connections without a cookie (/proc, netstat, seeded from a recording), by 4-tuple key. */
  private byKey = new Map<string, Tracked>();
  private nextId = 1;
  private lastAt: number | undefined;
  /** Looks taken; each connection remembers the last one that showed it. */
  private looks = 0;
  /**
   * The previous look's ids and the connection at each index: a socket at the same index under the same id as last
   * look (the kernel dumps an unchanged table in the same order) is found without a map lookup.
   */
  private lastIds: ArrayLike<number> | undefined;
  private lastOrder: (Tracked | undefined)[] = [];
  /** The previous look's listening ports: while they stay the same, a connection's labels move only with its state. */
  private lastListening: Set<number> | undefined;

  /** The previous look, if any. */
  get lastSnapshotAt(): number | undefined {
    return this.lastAt;
  }

  get size(): number {
    return this.byCookie.size + this.byKey.size;
  }

  /** Connections known at the last look. */
  *current(): IterableIterator<TrackedConnection> {
    yield* this.byCookie.values();
    yield* this.byKey.values();
  }

  /** Starts from connections a previous run saw at `lastAt` (a restarted recorder). */
  seed(connections: readonly SeedConnection[], lastAt: number): TrackedConnection[] {
    const out: TrackedConnection[] = [];
    for (const c of connections) {
      const tracked = new Tracked(this.nextId++, c.key, c.socket, c.socket.state, c.firstSeen);
      tracked.state = c.state;
      tracked.lastSeen = lastAt;
      tracked.stateSeenAt = c.stateSeenAt;
      if (c.stateAfter !== undefined) tracked.stateAfter = c.stateAfter;
      tracked.label(c.socket, undefined);
      if (c.service !== undefined) tracked.service = c.service;
      if (c.process !== undefined) tracked.process = c.process;
      this.byKey.set(c.key, tracked);
      out.push(tracked);
    }
    this.lastAt = lastAt;
    return out;
  }

  /**
   * Takes the next look. `ids`, when given, names each socket (same index as `snapshot.sockets`) for its life: the
   * kernel's socket cookie (see `snapshotCookies` in sources/netlink/live.ts), matched as a number, which at 100k
   * sockets is several times cheaper than building and hashing 4-tuple strings. Without ids a socket's `cookie`
   * string is used where it has one, else its 4-tuple.
   */
  update(snapshot: Pick<Snapshot, 'takenAt' | 'sockets'>, ids?: ArrayLike<number>): TrackStep {
    const at = snapshot.takenAt;
    const previousAt = this.lastAt;
    const look = ++this.looks;
    const arrivals = emptyCounts();
    const departures = emptyCounts();
    const counts = emptyCounts();
    const events: FlowEvent[] = [];
    // With cookies the look is read from the snapshot's table (netlink records): no socket object is built for a
    // connection that was already known, until someone reads its `socket`.
    const from: LookSockets =
      ids === undefined
        ? arrayLook(snapshot.sockets)
        : { table: tableOf(snapshot as Snapshot), socket: (i) => socketAt(snapshot as Snapshot, i) };
    const table = from.table;
    const listening = listeningPortsOf(table);
    // Labels read the state, the ports (fixed for a cookie's or a 4-tuple's life), the listening ports and the owners:
    // with the same listeners and no owners, a connection that kept its state keeps its labels.
    const sameLabels = !table.hasProcesses() && sameSet(listening, this.lastListening);
    const lastIds = ids !== undefined && this.lastIds !== undefined ? this.lastIds : undefined;
    const lastOrder = this.lastOrder;
    const order: (Tracked | undefined)[] = ids !== undefined ? new Array(table.length) : [];
    const byCookie = this.byCookie;
    const nextByKey = new Map<string, Tracked>();
    /** Keys given out in this look, so two sockets on one 4-tuple stay two connections. */
    const keysThisLook = new Set<string>();
    /** Sockets with a cookie not seen before: matched by 4-tuple below (a request socket becoming established). */
    const unmatched: number[] = [];
    let matched = 0;
    if (ids !== undefined && ids.length !== table.length) throw new Error('tracker: one id per socket');

    const moveTo = (old: Tracked, i: number, socket: Socket | undefined) => {
      const state = table.state(i);
      const moved = old.state !== state;
      if (moved) {
        departures[old.state]++;
        arrivals[state]++;
        old.transitions.push({ from: old.state, to: state, after: old.lastSeen, by: at });
        if (old.transitions.length > MAX_TRANSITIONS) old.transitions.shift();
        const event: FlowEvent = {
          kind: 'changed',
          connection: old,
          from: old.state,
          fromSeenAt: old.stateSeenAt,
        };
        if (old.stateAfter !== undefined) event.fromAfter = old.stateAfter;
        events.push(event);
        old.state = state;
        old.stateSeenAt = at;
        old.stateAfter = old.lastSeen;
      }
      old.at(from, i, socket);
      old.lastSeen = at;
      old.look = look;
      if (moved || !sameLabels) old.labelAt(table, i, listening);
    };
    const fresh = (i: number, socket: Socket | undefined, key: string | undefined): Tracked => {
      const state = table.state(i);
      const tracked = new Tracked(this.nextId++, key, undefined, state, at);
      tracked.at(from, i, socket);
      tracked.look = look;
      if (previousAt !== undefined) {
        tracked.stateAfter = previousAt;
        arrivals[state]++;
        events.push({ kind: 'opened', connection: tracked });
      }
      tracked.labelAt(table, i, listening);
      return tracked;
    };
    const closed = (gone: Tracked) => {
      gone.settle();
      departures[gone.state]++;
      events.push({ kind: 'closed', connection: gone });
    };
    /** A 4-tuple key unique in this look (listeners sharing one with SO_REUSEPORT get `#inode`). */
    const uniqueKey = (i: number, key: string) => {
      const unique = keysThisLook.has(key) ? `${key}#${table.inode(i) ?? keysThisLook.size}` : key;
      keysThisLook.add(unique);
      return unique;
    };

    for (let i = 0; i < table.length; i++) {
      const state = table.state(i);
      counts[state]++;
      const cookie = ids === undefined ? from.socket(i).cookie : ids[i];
      if (cookie !== undefined) {
        const same =
          lastIds !== undefined && i < lastIds.length && lastIds[i] === cookie ? lastOrder[i] : undefined;
        const old = same !== undefined && same.look !== look ? same : byCookie.get(cookie);
        if (old !== undefined && old.look !== look) {
          if (ids !== undefined) order[i] = old;
          // The kernel's cookie names one socket for its life (a TIME_WAIT socket keeps its parent's).
          moveTo(old, i, undefined);
          matched++;
          // Listeners keep the key they were given, so a reused-port twin cannot take it.
          if (state === 'LISTEN') keysThisLook.add(old.key);
        } else unmatched.push(i);
        continue;
      }
      const socket = from.socket(i);
      const key = uniqueKey(i, connectionKey(socket));
      const old = this.byKey.get(key);
      this.byKey.delete(key);
      if (old && !isReuse(old.socket, socket)) {
        moveTo(old, i, socket);
        nextByKey.set(key, old);
        continue;
      }
      // The 4-tuple was reused: the old connection ended between the looks.
      if (old) closed(old);
      nextByKey.set(key, fresh(i, socket, key));
    }

    // Cookies not in this look: gone, unless a new cookie on the same 4-tuple continues them (below).
    const left = new Map<string, Tracked>();
    const gone: Tracked[] = [];
    if (byCookie.size > matched) {
      for (const [cookie, old] of byCookie) {
        if (old.look === look) continue;
        byCookie.delete(cookie);
        if (unmatched.length > 0 && !left.has(old.key)) left.set(old.key, old);
        else gone.push(old);
      }
    }
    // New cookies: the same connection under a new socket (a request socket accepted, a recording's connection
    // seen for the first time over netlink) when a connection that left on the same 4-tuple can continue into it.
    if (unmatched.length > 0) {
      for (const [key, old] of this.byKey) {
        if (!left.has(key)) {
          left.set(key, old);
          this.byKey.delete(key);
        }
      }
      for (const i of unmatched) {
        const listener = table.state(i) === 'LISTEN';
        // With nothing left to continue (the first look), only listeners need their key (and their object) now.
        const socket = left.size > 0 || listener ? from.socket(i) : undefined;
        const cookie = (ids === undefined ? from.socket(i).cookie : ids[i])!;
        const key = socket !== undefined ? connectionKey(socket) : undefined;
        const old = key === undefined ? undefined : left.get(key);
        if (old !== undefined) left.delete(key!);
        if (old !== undefined && !isReuse(old.socket, socket!)) {
          moveTo(old, i, socket);
          byCookie.set(cookie, old);
          if (ids !== undefined) order[i] = old;
          continue;
        }
        if (old !== undefined) closed(old);
        // Listeners get their key now (unique in the look); other keys are built when asked.
        const tracked = fresh(i, socket, listener ? uniqueKey(i, key!) : undefined);
        if (ids !== undefined) order[i] = tracked;
        // A cookie listed twice in one look (it cannot be, but a bad source must not lose a socket).
        byCookie.set(byCookie.get(cookie)?.look === look ? `${cookie}#${i}` : cookie, tracked);
      }
    }
    for (const old of left.values()) closed(old);
    for (const old of gone) closed(old);

    // What is left was not in this look: gone since the previous one.
    for (const old of this.byKey.values()) closed(old);
    this.byKey = nextByKey;
    this.lastAt = at;
    // A copy: a caller may hand the next look's ids in the same array.
    this.lastIds = ids === undefined ? undefined : new Float64Array(ids);
    this.lastOrder = order;
    this.lastListening = listening;
    const step: TrackStep = { at, counts, arrivals, departures, events };
    if (previousAt !== undefined) step.previousAt = previousAt;
    return step;
  }
}

function sameSet(a: ReadonlySet<number>, b: ReadonlySet<number> | undefined): boolean {
  if (b === undefined || a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** A look over an array of sockets: every socket is already an object. */
function arrayLook(sockets: readonly Socket[]): LookSockets {
  return { table: new ArrayTable(sockets), socket: (i) => sockets[i]! };
}

/**
 * The service of a socket, as analysis/groups `service` sees it: the local port (`8080`) when it is served here,
 * otherwise the remote port used as a client (`→443`).
 */
export function serviceOf(socket: Socket, listening: Set<number> | undefined): string | undefined {
  return serviceFrom(socket.state, socket.local.port, socket.remote.port, listening);
}

function serviceFrom(
  state: TcpState,
  local: number | undefined,
  remote: number | undefined,
  listening: Set<number> | undefined,
): string | undefined {
  if (local !== undefined && (state === 'LISTEN' || listening?.has(local))) return String(local);
  if (remote !== undefined) return `→${remote}`;
  return local === undefined ? undefined : String(local);
}

/** How long a connection has been in its state at `now`: a lower bound, and an upper bound when one is known. */
export interface TrackedAge {
  minMs: number;
  /** Undefined when it was already in this state at the first look: only "at least minMs" is known. */
  maxMs?: number;
  /** Read back from the socket's timers or tcp_info (track/kernel-ages.ts estimatedAge): likely, not bounded. */
  estimate?: boolean;
}

export function trackedAge(connection: TrackedConnection, now: number): TrackedAge {
  const age: TrackedAge = { minMs: Math.max(0, now - connection.stateSeenAt) };
  if (connection.stateAfter !== undefined) age.maxMs = Math.max(0, now - connection.stateAfter);
  return age;
}

/** Events of one step counted per group and state: arrivals into and departures out of each state. */
export function flowByGroup(
  events: readonly FlowEvent[],
  by: 'service' | 'process',
): Map<string, { arrivals: StateCounts; departures: StateCounts }> {
  const out = new Map<string, { arrivals: StateCounts; departures: StateCounts }>();
  const entry = (key: string) => {
    let e = out.get(key);
    if (!e) {
      e = { arrivals: emptyCounts(), departures: emptyCounts() };
      out.set(key, e);
    }
    return e;
  };
  for (const event of events) {
    const key = event.connection[by] ?? '(unknown)';
    const e = entry(key);
    if (event.kind === 'opened') e.arrivals[event.connection.state]++;
    else if (event.kind === 'closed') e.departures[event.connection.state]++;
    else {
      e.departures[event.from]++;
      e.arrivals[event.connection.state]++;
    }
  }
  return out;
}
