import { listeningPorts, processLabel } from '../analysis/groups.ts';
import { emptyCounts, type StateCounts } from '../analysis/summary.ts';
import type { Snapshot, Socket } from '../model/snapshot.ts';
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

export class ConnectionTracker {
  private connections = new Map<string, TrackedConnection>();
  private nextId = 1;
  private lastAt: number | undefined;

  /** The previous look, if any. */
  get lastSnapshotAt(): number | undefined {
    return this.lastAt;
  }

  get size(): number {
    return this.connections.size;
  }

  /** Connections known at the last look. */
  current(): IterableIterator<TrackedConnection> {
    return this.connections.values();
  }

  /** Starts from connections a previous run saw at `lastAt` (a restarted recorder). */
  seed(connections: readonly SeedConnection[], lastAt: number): TrackedConnection[] {
    const out: TrackedConnection[] = [];
    for (const c of connections) {
      const tracked: TrackedConnection = {
        id: this.nextId++,
        key: c.key,
        socket: c.socket,
        state: c.state,
        firstSeen: c.firstSeen,
        lastSeen: lastAt,
        stateSeenAt: c.stateSeenAt,
        transitions: [],
      };
      if (c.stateAfter !== undefined) tracked.stateAfter = c.stateAfter;
      labelFrom(tracked, c.socket, undefined);
      if (c.service !== undefined) tracked.service = c.service;
      if (c.process !== undefined) tracked.process = c.process;
      this.connections.set(c.key, tracked);
      out.push(tracked);
    }
    this.lastAt = lastAt;
    return out;
  }

  update(snapshot: Pick<Snapshot, 'takenAt' | 'sockets'>): TrackStep {
    const at = snapshot.takenAt;
    const previousAt = this.lastAt;
    const arrivals = emptyCounts();
    const departures = emptyCounts();
    const counts = emptyCounts();
    const events: FlowEvent[] = [];
    const listening = listeningPorts(snapshot.sockets);
    const next = new Map<string, TrackedConnection>();

    for (const socket of snapshot.sockets) {
      let key = connectionKey(socket);
      // Two sockets on one 4-tuple in one look: SO_REUSEPORT listeners (distinct inodes) or a duplicated line.
      if (next.has(key)) key = `${key}#${socket.inode ?? next.size}`;
      counts[socket.state]++;
      const old = this.connections.get(key);
      if (old && !isReuse(old.socket, socket)) {
        if (old.state !== socket.state) {
          departures[old.state]++;
          arrivals[socket.state]++;
          old.transitions.push({ from: old.state, to: socket.state, after: old.lastSeen, by: at });
          if (old.transitions.length > MAX_TRANSITIONS) old.transitions.shift();
          const event: FlowEvent = {
            kind: 'changed',
            connection: old,
            from: old.state,
            fromSeenAt: old.stateSeenAt,
          };
          if (old.stateAfter !== undefined) event.fromAfter = old.stateAfter;
          events.push(event);
          old.state = socket.state;
          old.stateSeenAt = at;
          old.stateAfter = old.lastSeen;
        }
        old.socket = socket;
        old.lastSeen = at;
        labelFrom(old, socket, listening);
        next.set(key, old);
        this.connections.delete(key);
        continue;
      }
      if (old) {
        // The 4-tuple was reused: the old connection ended between the looks.
        departures[old.state]++;
        events.push({ kind: 'closed', connection: old });
        this.connections.delete(key);
      }
      const fresh: TrackedConnection = {
        id: this.nextId++,
        key,
        socket,
        state: socket.state,
        firstSeen: at,
        lastSeen: at,
        stateSeenAt: at,
        transitions: [],
      };
      if (previousAt !== undefined) {
        fresh.stateAfter = previousAt;
        arrivals[socket.state]++;
        events.push({ kind: 'opened', connection: fresh });
      }
      labelFrom(fresh, socket, listening);
      next.set(key, fresh);
    }

    // What is left was not in this look: gone since the previous one.
    for (const gone of this.connections.values()) {
      departures[gone.state]++;
      events.push({ kind: 'closed', connection: gone });
    }
    this.connections = next;
    this.lastAt = at;
    const step: TrackStep = { at, counts, arrivals, departures, events };
    if (previousAt !== undefined) step.previousAt = previousAt;
    return step;
  }
}

function labelFrom(tracked: TrackedConnection, socket: Socket, listening: Set<number> | undefined): void {
  const service = serviceOf(socket, listening);
  if (service !== undefined) tracked.service = service;
  if (socket.processes !== undefined && socket.processes.length > 0) tracked.process = processLabel(socket);
}

/**
 * The service of a socket, as analysis/groups `service` sees it: the local port (`8080`) when it is served here,
 * otherwise the remote port used as a client (`→443`).
 */
export function serviceOf(socket: Socket, listening: Set<number> | undefined): string | undefined {
  const local = socket.local.port;
  if (local !== undefined && (socket.state === 'LISTEN' || listening?.has(local))) return String(local);
  if (socket.remote.port !== undefined) return `→${socket.remote.port}`;
  return local === undefined ? undefined : String(local);
}

/** How long a connection has been in its state at `now`: a lower bound, and an upper bound when one is known. */
export interface TrackedAge {
  minMs: number;
  /** Undefined when it was already in this state at the first look: only "at least minMs" is known. */
  maxMs?: number;
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
