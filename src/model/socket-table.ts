import type { TcpState } from '../states/states.ts';
import type { Family, ProcessRef, Snapshot, Socket } from './snapshot.ts';

/**
 * A snapshot's sockets read column by column: socket i's state, ports, addresses, queues, owners, without a
 * `Socket` object per socket. The summary, the groups and the diagnoses read sockets through this (analysis/
 * summary.ts `summarizeTable`, groups.ts `groupTable` and `listeningPortsOf`, diagnose/context.ts), so a source
 * that has its sockets in a compact form (the netlink reader's records) is counted and grouped in place, and only
 * the sockets a listing, a JSON line or a finding's example shows are built as objects (`socket(i)`).
 *
 * Every accessor answers what `socket(i)` would hold in that field (`remoteAddress(i)` is `socket(i).remote.address`
 * and so on), so an aggregation over a table equals the same aggregation over the objects: `ArrayTable` is the
 * same interface over an array of sockets (/proc, pasted text, filtered views), and the tests compare the two.
 *
 * How to use it (watch, serve, check, anything that counts):
 *
 *   const table = tableOf(snapshot);                  // the source's table, else one over snapshot.sockets
 *   const summary = summarizeTable(table);            // same as summarize(snapshot)
 *   const services = groupTable(table, 'service', listeningPortsOf(table));
 *   for (let i = 0; i < table.length; i++) if (table.state(i) === 'CLOSE_WAIT') shown.push(table.socket(i));
 *
 * Reading `snapshot.sockets` still works everywhere: for a table-backed snapshot it builds every object once, on
 * first use (so it costs what it did before the table existed). From then on `tableOf` answers over those objects,
 * so code that changes sockets after reading them is still seen by the aggregations.
 */
export interface SocketTable {
  readonly length: number;
  state(i: number): TcpState;
  family(i: number): Family;
  localPort(i: number): number | undefined;
  /** undefined for a wildcard peer (a listener's `*`). */
  remotePort(i: number): number | undefined;
  localAddress(i: number): string;
  remoteAddress(i: number): string;
  recvQ(i: number): number | undefined;
  sendQ(i: number): number | undefined;
  inode(i: number): number | undefined;
  /** Owners as `socket(i).processes`: absent when not looked up or unknown, [] for none. */
  processes(i: number): ProcessRef[] | undefined;
  /** Whether any socket has `processes` (owners were looked up and some are known). */
  hasProcesses(): boolean;
  cgroupId(i: number): number | undefined;
  cgroup(i: number): string | undefined;
  /**
   * Socket i as an object. A table over records builds a new one on every call (nothing is kept): build each at
   * most once per use, and keep what you build.
   */
  socket(i: number): Socket;
  /**
   * Optional: writes socket i as `JSON.stringify(socket(i))` would, byte for byte, straight from the source's own
   * form (no object built). `--json` and `--ndjson` use it where a table has one (render/snapshot-json.ts).
   */
  writeJson?(i: number, out: JsonOut): void;
}

/** Where a table writes JSON (render/json-bytes.ts JsonByteWriter): syntax, strings and numbers as JSON.stringify. */
export interface JsonOut {
  /** ASCII text that needs no escaping (punctuation, a key, a pre-made fragment). */
  raw(text: string): void;
  string(text: string): void;
  number(n: number): void;
  /** Any plain value, as JSON.stringify writes it. */
  value(value: unknown): void;
  /** Room for `bytes` more bytes from `pos` in the buffer returned, to format into directly; then move `pos` on. */
  reserve(bytes: number): Uint8Array;
  pos: number;
}

/** The table interface over an array of sockets (what every source other than netlink has). */
export class ArrayTable implements SocketTable {
  readonly sockets: readonly Socket[];
  constructor(sockets: readonly Socket[]) {
    this.sockets = sockets;
  }
  get length(): number {
    return this.sockets.length;
  }
  state(i: number): TcpState {
    return this.sockets[i]!.state;
  }
  family(i: number): Family {
    return this.sockets[i]!.family;
  }
  localPort(i: number): number | undefined {
    return this.sockets[i]!.local.port;
  }
  remotePort(i: number): number | undefined {
    return this.sockets[i]!.remote.port;
  }
  localAddress(i: number): string {
    return this.sockets[i]!.local.address;
  }
  remoteAddress(i: number): string {
    return this.sockets[i]!.remote.address;
  }
  recvQ(i: number): number | undefined {
    return this.sockets[i]!.recvQ;
  }
  sendQ(i: number): number | undefined {
    return this.sockets[i]!.sendQ;
  }
  inode(i: number): number | undefined {
    return this.sockets[i]!.inode;
  }
  processes(i: number): ProcessRef[] | undefined {
    return this.sockets[i]!.processes;
  }
  hasProcesses(): boolean {
    return this.sockets.some((s) => s.processes !== undefined);
  }
  cgroupId(i: number): number | undefined {
    return this.sockets[i]!.cgroupId;
  }
  cgroup(i: number): string | undefined {
    return this.sockets[i]!.cgroup;
  }
  socket(i: number): Socket {
    return this.sockets[i]!;
  }
}

/** Where a table-backed snapshot keeps its table (not enumerable: not copied, cloned to a worker or serialised). */
const TABLE = Symbol('tcpstate.socketTable');

interface Backing {
  table: SocketTable;
  built: Socket[] | undefined;
  /** `sockets` was assigned: it no longer follows the table's order. */
  replaced: boolean;
}

type Backed = Snapshot & { [TABLE]?: Backing };

/**
 * Makes a snapshot whose sockets are `table`: `snapshot.sockets` is built from it on first read (and can be
 * assigned), `tableOf(snapshot)` answers from the table until then. The `sockets` property keeps its place among
 * the snapshot's keys, so JSON and structured clones of the snapshot are what they were.
 */
export function tableBackedSnapshot(
  head: Omit<Snapshot, 'sockets' | 'warnings'>,
  table: SocketTable,
  warnings: Snapshot['warnings'],
): Snapshot {
  const backing: Backing = { table, built: undefined, replaced: false };
  const snapshot = {
    ...head,
    get sockets(): Socket[] {
      if (backing.built === undefined) {
        const out: Socket[] = new Array(table.length);
        for (let i = 0; i < table.length; i++) out[i] = table.socket(i);
        backing.built = out;
      }
      return backing.built;
    },
    set sockets(value: Socket[]) {
      backing.built = value;
      backing.replaced = true;
    },
    warnings,
  } as Backed;
  Object.defineProperty(snapshot, TABLE, { value: backing, enumerable: false });
  return snapshot;
}

/** The snapshot's sockets as a table: the source's own until `sockets` has been read, else one over the array. */
export function tableOf(snapshot: { readonly sockets: readonly Socket[] }): SocketTable {
  const backing = (snapshot as Partial<Backed>)[TABLE];
  if (backing !== undefined && backing.built === undefined) return backing.table;
  return new ArrayTable(snapshot.sockets);
}

/**
 * Whether `snapshot.sockets` is (or, once read, will be) socket i = table record i for the table the snapshot was
 * made with: false for snapshots without a table and once `sockets` was assigned.
 */
export function inTableOrder(snapshot: Snapshot): boolean {
  const backing = (snapshot as Backed)[TABLE];
  return backing !== undefined && !backing.replaced;
}

/**
 * Socket i of the snapshot, as `snapshot.sockets[i]` is or will be: the object already built when `sockets` was read
 * (the same object), else a new one from the table (also once `sockets` was assigned: socket i is the table's).
 */
export function socketAt(snapshot: Snapshot, i: number): Socket {
  const backing = (snapshot as Backed)[TABLE];
  if (backing === undefined) return snapshot.sockets[i]!;
  return backing.built !== undefined && !backing.replaced ? backing.built[i]! : backing.table.socket(i);
}

/** The snapshot without its sockets, without building them (destructuring `sockets` away would read it). */
export function snapshotWithoutSockets(snapshot: Snapshot): Omit<Snapshot, 'sockets'> {
  const fields = snapshot as unknown as Record<string, unknown>;
  const info: Record<string, unknown> = {};
  for (const key of Object.keys(snapshot)) if (key !== 'sockets') info[key] = fields[key];
  return info as Omit<Snapshot, 'sockets'>;
}

/** How many sockets the snapshot holds, without building them. */
export function socketCount(snapshot: Snapshot): number {
  return tableOf(snapshot).length;
}

/**
 * Some rows of a table, read in place (a filtered look: watch's `-f close-wait` or `:8080`): row j is `base` row
 * `rows[j]`, so counting and grouping the rows a filter keeps builds no socket object either.
 */
export class RowsTable implements SocketTable {
  readonly base: SocketTable;
  readonly rows: readonly number[];
  constructor(base: SocketTable, rows: readonly number[]) {
    this.base = base;
    this.rows = rows;
  }
  /** The rows of `table` that `keep` accepts (it reads the table: nothing built). */
  static where(table: SocketTable, keep: (table: SocketTable, i: number) => boolean): RowsTable {
    const rows: number[] = [];
    for (let i = 0; i < table.length; i++) if (keep(table, i)) rows.push(i);
    return new RowsTable(table, rows);
  }
  get length(): number {
    return this.rows.length;
  }
  state(i: number): TcpState {
    return this.base.state(this.rows[i]!);
  }
  family(i: number): Family {
    return this.base.family(this.rows[i]!);
  }
  localPort(i: number): number | undefined {
    return this.base.localPort(this.rows[i]!);
  }
  remotePort(i: number): number | undefined {
    return this.base.remotePort(this.rows[i]!);
  }
  localAddress(i: number): string {
    return this.base.localAddress(this.rows[i]!);
  }
  remoteAddress(i: number): string {
    return this.base.remoteAddress(this.rows[i]!);
  }
  recvQ(i: number): number | undefined {
    return this.base.recvQ(this.rows[i]!);
  }
  sendQ(i: number): number | undefined {
    return this.base.sendQ(this.rows[i]!);
  }
  inode(i: number): number | undefined {
    return this.base.inode(this.rows[i]!);
  }
  processes(i: number): ProcessRef[] | undefined {
    return this.base.processes(this.rows[i]!);
  }
  hasProcesses(): boolean {
    return this.rows.some((r) => this.base.processes(r) !== undefined);
  }
  cgroupId(i: number): number | undefined {
    return this.base.cgroupId(this.rows[i]!);
  }
  cgroup(i: number): string | undefined {
    return this.base.cgroup(this.rows[i]!);
  }
  socket(i: number): Socket {
    return this.base.socket(this.rows[i]!);
  }
}
