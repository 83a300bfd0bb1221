/**
 * The flow table: finds the connection a segment belongs to (or starts one), decides when a 4-tuple starts a new
 * connection (reuse after close or RST, timeouts), orients it (who opened), and runs the Zeek and RFC layers.
 * Finished connections are handed to `onConnection` and forgotten, so memory follows the live flows, not the
 * packets.
 */

import { finishAnomalies } from './anomalies.ts';
import { type Connection, S, Z_INACTIVE, Z_RESET, Z_SYN_ACK_SENT, Z_SYN_SENT } from './conn.ts';
import { type DecodedSegment, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './decode.ts';
import { type EndedConnection, endedView } from './ended.ts';
import { FlowIndex } from './flow-index.ts';
import { FlowStore } from './flows.ts';
import { cutTimeWait, type InferOptions, inferSegment, inTimeWait, noteAck, settle } from './infer.ts';
import {
  CONN_DOUBLES_STRIDE as CD,
  CD_ATTEMPT_AT,
  CD_CLOSED_AT,
  CD_END_AT,
  CD_LAST,
  CD_RTT_SYN_TO_SYN_ACK,
  CD_SYN_ACK_AT,
  CD_Z_LAST,
  CONN_INTS_STRIDE as CI,
  CI_END_REASON,
  CI_FAMILY,
  CI_HASH,
  CI_ID,
  CI_LIVE,
  D_FIRST_SYN_AT,
  D_IP_BYTES,
  D_PAYLOAD_BYTES,
  D_PKTS,
  I_DID_CLOSE,
  I_FIN_COUNT,
  I_MSS,
  I_PORT,
  I_RFC,
  I_RST_COUNT,
  I_SACK,
  I_SYN_COUNT,
  I_TIMESTAMPS,
  I_WSCALE,
  I_Z,
  SIDE_DOUBLES_STRIDE as SD,
  SIDE_INTS_STRIDE as SI,
  U_START_SEQ,
  U_W0,
  U_W1,
  U_W2,
  U_W3,
} from './layout.ts';
import { flipRoles, zeekEstablished, zeekPacket } from './zeek.ts';

/**
 * How a 4-tuple is cut into connections. `zeek` emulates Zeek's timers (5 s attempt, 5 s close delay, 5 min
 * inactivity) so records line up with a Zeek conn.log; `product` keeps a connection until its TIME_WAIT is over
 * (so a retransmitted FIN or the next SYN can measure it) or it has been idle for `idleTimeout`.
 */
export type SplitMode = 'product' | 'zeek';

export interface TrackerOptions {
  split?: SplitMode;
  /** TIME_WAIT length assumed for endpoints, seconds (Linux 60). */
  timeWait?: number;
  /** A connection idle this long is ended (product mode), seconds. */
  idleTimeout?: number;
  /** Half-closed (CLOSE_WAIT / FIN_WAIT_2) longer than this is reported as stuck, seconds. */
  stuckAfter?: number;
  /**
   * Ports taken as server ports when a connection is picked up without its SYN (Zeek's likely_server_ports; it
   * depends on the analyzers Zeek loaded: empty for `zeek -b`).
   */
  serverPorts?: ReadonlySet<number>;
  /** Called with every finished connection, in the order they end. */
  onConnection?: (conn: Connection, stats: TrackerStats) => void;
  /**
   * Called with every finished connection as an in-place view of the store (before onConnection, when both are
   * given): valid only during the call; `conn.connection()` builds the rich object if the caller keeps it. Reading
   * the fields a sink needs from the view saves building two objects and copying ~100 numbers per connection.
   */
  onEnded?: (conn: EndedConnection, stats: TrackerStats) => void;
  /**
   * Connections that end are queued instead of handed over at once, until emitPending() is called: a reader
   * that waits for a slow output between chunks can then also wait between batches of a sweep's connections
   * (a sweep can end tens of thousands at once). The order they are handed over in is the same.
   */
  deferEmit?: boolean;
  /**
   * Size of the capture in bytes, when known: the store of live connections is sized for it up front (address
   * space only; memory is used as connections arrive), since growing it later copies every live connection.
   */
  captureBytes?: number;
}

/** Ports Zeek's analyzers register (likely_server_ports); a midstream packet *from* one is from the server. */
export const LIKELY_SERVER_PORTS: ReadonlySet<number> = new Set([
  21, 22, 23, 25, 53, 80, 88, 110, 111, 135, 139, 143, 389, 443, 445, 465, 502, 587, 636, 993, 995, 1080,
  1433, 1521, 1883, 2049, 3128, 3306, 3389, 5060, 5222, 5432, 5672, 5900, 6379, 6666, 6667, 6668, 6669, 8000,
  8080, 8443, 8888, 9200, 11211, 27017,
]);

export interface TrackerStats {
  segments: number;
  connections: number;
  live: number;
  maxLive: number;
  first: number;
  last: number;
}

const REASONS: ReadonlyArray<Connection['endReason']> = ['end', 'reuse', 'closed', 'idle', 'attempt'];

const ZEEK_CLOSE_DELAY = 5;
const ZEEK_LINGER = 5;
const ZEEK_INACTIVITY = 300;

/** Every connection has at least one packet of at least ~80 bytes on file (record header + headers). */
const MIN_BYTES_PER_CONNECTION = 80;
/** The most slots reserved up front (~235 MB of address space); past it the store grows. */
const MAX_INITIAL_CAPACITY = 1 << 18;

function initialCapacity(captureBytes: number | undefined): number {
  if (captureBytes === undefined) return 4096;
  return Math.max(1024, Math.min(MAX_INITIAL_CAPACITY, Math.ceil(captureBytes / MIN_BYTES_PER_CONNECTION)));
}

export class Tracker {
  readonly options: Required<
    Omit<TrackerOptions, 'onConnection' | 'onEnded' | 'serverPorts' | 'captureBytes' | 'deferEmit'>
  >;
  private readonly serverPorts: ReadonlySet<number>;
  readonly infer: InferOptions;
  readonly stats: TrackerStats = {
    segments: 0,
    connections: 0,
    live: 0,
    maxLive: 0,
    first: Number.NaN,
    last: Number.NaN,
  };
  private readonly flows: FlowStore;
  private readonly index: FlowIndex;
  private readonly onConnection: ((conn: Connection, stats: TrackerStats) => void) | undefined;
  private readonly onEnded: ((conn: EndedConnection, stats: TrackerStats) => void) | undefined;
  /** The view ended connections are handed over through (re-pointed for each). */
  private readonly view: EndedConnection;
  private nextSweep = Number.NEGATIVE_INFINITY;
  private readonly sweepEvery: number;
  private readonly zeekMode: boolean;
  /** Set by expiry(): why and when the connection it returned true for ended. */
  private endReason: Connection['endReason'] = 'end';
  private endAt = 0;
  /** Scratch for sweep(): the slots of the connections that ended. */
  private readonly sweepEnded: number[] = [];
  private readonly deferEmit: boolean;
  /** With deferEmit: slots of ended connections not handed over yet, in order, from pendingHead on. */
  private pendingEnds: number[] = [];
  private pendingHead = 0;

  constructor(options: TrackerOptions = {}) {
    this.options = {
      split: options.split ?? 'product',
      timeWait: options.timeWait ?? 60,
      idleTimeout: options.idleTimeout ?? 600,
      stuckAfter: options.stuckAfter ?? 10,
    };
    this.infer = { timeWait: this.options.timeWait };
    this.onConnection = options.onConnection;
    this.onEnded = options.onEnded;
    this.serverPorts = options.serverPorts ?? LIKELY_SERVER_PORTS;
    this.zeekMode = this.options.split === 'zeek';
    this.deferEmit = options.deferEmit ?? false;
    this.flows = new FlowStore(initialCapacity(options.captureBytes));
    // Sized like the store: growing it rehashes every live connection into fresh memory, several times over.
    this.index = new FlowIndex(
      options.captureBytes === undefined ? undefined : initialCapacity(options.captureBytes),
    );
    this.view = endedView(this.flows);
    // Sweeps only bound memory (expiry times come from each connection's own state), so they can be rare.
    this.sweepEvery = this.zeekMode ? 5 : 30;
  }

  /** Feeds one decoded TCP segment (in capture order). */
  segment(seg: DecodedSegment): void {
    const t = seg.ts;
    const stats = this.stats;
    stats.segments++;
    if (Number.isNaN(stats.first)) stats.first = t;
    if (!(t <= stats.last)) stats.last = t;
    if (t >= this.nextSweep) {
      this.sweep(t);
      this.nextSweep = t + this.sweepEvery;
    }
    const st = this.flows;
    const h = tupleHash(seg);
    const index = this.index;
    let c = -1;
    let fromOrig = false;
    for (let p = index.first(h); ; p = index.next(p)) {
      const slot = index.slotAt(p, h);
      if (slot === -1) break;
      if (slot >= 0) {
        const dir = matches(st, slot, seg);
        if (dir !== 0) {
          c = slot;
          fromOrig = dir === 1;
          break;
        }
      }
    }
    if (c >= 0) {
      // Product-mode timers are all longer than the linger time: a recently active connection cannot have ended.
      if ((this.zeekMode || t - st.f64[c * CD + CD_LAST]! >= ZEEK_LINGER) && this.expiry(c, t)) {
        this.end(c, this.endReason, this.endAt);
        c = -1;
      } else if (isReuse(st, c, seg, fromOrig)) {
        const o = st.orig(c);
        cutTimeWait(st, c, o, t);
        cutTimeWait(st, c, o ^ 1, t);
        this.end(c, 'reuse', t);
        c = -1;
      }
    }
    if (c < 0) {
      c = this.create(seg, h);
      fromOrig = matches(st, c, seg) === 1;
    }
    // The sender's side number stays the sender's even if zeekPacket flips the roles.
    const x = fromOrig ? st.orig(c) : st.orig(c) ^ 1;
    const cdi = c * CD;
    st.f64[cdi + CD_LAST] = t;
    // Data or a bare ACK between two established ends: the short way (header prediction, see zeekEstablished).
    if (zeekEstablished(st, c, x, seg)) {
      count(st, x, seg);
      noteAck(st, x, seg);
      return;
    }
    // A segment with a bad checksum (only when checksums are enforced) is dropped, as the receiver would.
    if (!zeekPacket(st, c, x, seg, this.zeekMode)) return;
    count(st, x, seg);
    const sd = st.f64;
    const si = st.i32;
    const xd = x * SD;
    const xi = x * SI;
    const flags = seg.flags;
    if (flags & TCP_SYN) {
      if (si[xi + I_SYN_COUNT] === 0 && !(flags & TCP_ACK)) sd[xd + D_FIRST_SYN_AT] = t;
      si[xi + I_SYN_COUNT]! += 1;
      if (seg.mss) si[xi + I_MSS] = seg.mss;
      if (seg.wscale >= 0) si[xi + I_WSCALE] = seg.wscale;
      if (seg.sackPermitted) si[xi + I_SACK] = 1;
      if (seg.hasTimestamp) si[xi + I_TIMESTAMPS] = 1;
      if (flags & TCP_ACK && Number.isNaN(st.f64[cdi + CD_SYN_ACK_AT])) {
        st.f64[cdi + CD_SYN_ACK_AT] = t;
        const yd = (x ^ 1) * SD;
        const firstSynAt = sd[yd + D_FIRST_SYN_AT]!;
        if (!Number.isNaN(firstSynAt) && si[(x ^ 1) * SI + I_SYN_COUNT] === 1) {
          st.f64[cdi + CD_RTT_SYN_TO_SYN_ACK] = t - firstSynAt;
        }
      }
    }
    if (flags & TCP_FIN) si[xi + I_FIN_COUNT]! += 1;
    if (flags & TCP_RST) si[xi + I_RST_COUNT]! += 1;
    inferSegment(st, c, x, x ^ 1, seg, this.infer);
  }

  /** Ends every live connection (end of capture), oldest first. */
  finish(): void {
    const st = this.flows;
    const all: number[] = [];
    const n = st.slots();
    for (let c = 0; c < n; c++) if (st.i32[c * CI + CI_LIVE] === 1) all.push(c);
    byId(st, all);
    this.index.clear();
    const last = this.stats.last;
    for (let k = 0; k < all.length; k++) this.ended(all[k]!, 'end', last);
    this.stats.live = 0;
  }

  /** With deferEmit: hands over up to `max` queued connections, in order; says whether any are left. */
  emitPending(max = Number.POSITIVE_INFINITY): boolean {
    const st = this.flows;
    const queue = this.pendingEnds;
    let k = this.pendingHead;
    for (let n = 0; n < max && k < queue.length; n++, k++) {
      const c = queue[k]!;
      this.emit(c, REASONS[st.i32[c * CI + CI_END_REASON]!]!, st.f64[c * CD + CD_END_AT]!);
    }
    if (k === queue.length) {
      queue.length = 0;
      k = 0;
    }
    this.pendingHead = k;
    return k < queue.length;
  }

  /** Connections still in the table (for progress displays and tests). */
  liveConnections(): number {
    return this.stats.live;
  }

  private create(seg: DecodedSegment, h: number): number {
    const st = this.flows;
    const c = st.alloc(
      ++this.stats.connections,
      seg.family,
      seg.src,
      seg.sport,
      seg.dst,
      seg.dport,
      seg.ts,
      h,
    );
    // Orientation: a SYN's sender opened the connection; otherwise guess from the ports, as Zeek does.
    const synOnly = (seg.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    if (!synOnly) {
      const sServer = this.serverPorts.has(seg.sport);
      const dServer = this.serverPorts.has(seg.dport);
      const synAck = (seg.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
      if (sServer && (!dServer || (!synAck && seg.sport < seg.dport))) {
        flipRoles(st, c);
      }
    }
    this.index.add(h, c);
    const stats = this.stats;
    stats.live++;
    if (stats.live > stats.maxLive) stats.maxLive = stats.live;
    return c;
  }

  /** Whether a connection has ended by its timers by time `now`; if so, endReason and endAt say why and when. */
  private expiry(c: number, now: number): boolean {
    const st = this.flows;
    const si = st.i32;
    const o = st.orig(c);
    const r = o ^ 1;
    const oz = si[o * SI + I_Z]!;
    const rz = si[r * SI + I_Z]!;
    const oClosed = si[o * SI + I_DID_CLOSE] === 1;
    const rClosed = si[r * SI + I_DID_CLOSE] === 1;
    const cd = st.f64;
    const d = c * CD;
    if (this.zeekMode) {
      const attemptAt = cd[d + CD_ATTEMPT_AT]!;
      const closedAt = cd[d + CD_CLOSED_AT]!;
      const zLast = cd[d + CD_Z_LAST]!;
      if (now >= attemptAt && (oz === Z_SYN_SENT || oz === Z_SYN_ACK_SENT) && rz === Z_INACTIVE) {
        return this.ending('attempt', attemptAt);
      }
      if (now >= closedAt + ZEEK_CLOSE_DELAY) return this.ending('closed', closedAt + ZEEK_CLOSE_DELAY);
      if (
        (oClosed || rClosed) &&
        now > zLast + ZEEK_LINGER &&
        (oz === Z_RESET || rz === Z_RESET || oz === Z_INACTIVE || rz === Z_INACTIVE)
      ) {
        return this.ending('closed', zLast + ZEEK_LINGER);
      }
      if (now >= zLast + ZEEK_INACTIVITY) return this.ending('idle', zLast + ZEEK_INACTIVITY);
      return false;
    }
    if (inTimeWait(st, o)) settle(st, o, now, this.infer);
    if (inTimeWait(st, r)) settle(st, r, now, this.infer);
    const last = cd[d + CD_LAST]!;
    if (finished(st, o) && finished(st, r) && now > last + ZEEK_LINGER) return this.ending('closed', now);
    if ((oClosed || rClosed) && now > last + this.options.timeWait + ZEEK_LINGER)
      return this.ending('closed', now);
    if (now > last + this.options.idleTimeout) return this.ending('idle', now);
    return false;
  }

  private ending(reason: Connection['endReason'], at: number): true {
    this.endReason = reason;
    this.endAt = at;
    return true;
  }

  private sweep(now: number): void {
    // This visits every live connection every few seconds of capture time: a linear walk over the slots (memory
    // order), then the ended ones go out oldest first. Why and when each ended waits in its own record, so the
    // scratch list holds only slot numbers (small integers).
    const st = this.flows;
    const ended = this.sweepEnded;
    ended.length = 0;
    const n = st.slots();
    for (let c = 0; c < n; c++) {
      if (st.i32[c * CI + CI_LIVE] !== 1) continue;
      if (!this.zeekMode && now - st.f64[c * CD + CD_LAST]! < ZEEK_LINGER) continue;
      if (this.expiry(c, now)) {
        st.i32[c * CI + CI_END_REASON] = REASONS.indexOf(this.endReason);
        st.f64[c * CD + CD_END_AT] = this.endAt;
        ended.push(c);
      }
    }
    if (ended.length === 0) return;
    byId(st, ended);
    for (let k = 0; k < ended.length; k++) {
      const c = ended[k]!;
      this.end(c, REASONS[st.i32[c * CI + CI_END_REASON]!]!, st.f64[c * CD + CD_END_AT]!);
    }
  }

  /** Removes a connection from the table and emits it. */
  private end(c: number, reason: Connection['endReason'], at: number): void {
    this.index.remove(this.flows.i32[c * CI + CI_HASH]!, c);
    this.stats.live--;
    this.ended(c, reason, at);
  }

  /** Emits an ended connection now, or queues it (deferEmit). No packet reaches it once it is out of the index. */
  private ended(c: number, reason: Connection['endReason'], at: number): void {
    if (!this.deferEmit) {
      this.emit(c, reason, at);
      return;
    }
    const st = this.flows;
    // Not live any more (sweeps and finish() skip it), but its slot is released only once it is handed over.
    st.i32[c * CI + CI_LIVE] = 0;
    st.i32[c * CI + CI_END_REASON] = REASONS.indexOf(reason);
    st.f64[c * CD + CD_END_AT] = at;
    this.pendingEnds.push(c);
  }

  private emit(c: number, reason: Connection['endReason'], at: number): void {
    const st = this.flows;
    const o = st.orig(c);
    if (inTimeWait(st, o)) settle(st, o, at, this.infer);
    if (inTimeWait(st, o ^ 1)) settle(st, o ^ 1, at, this.infer);
    const view = this.view;
    view.at(c, reason);
    finishAnomalies(view, at, this.options.stuckAfter);
    this.onEnded?.(view, this.stats);
    if (this.onConnection !== undefined) this.onConnection(view.connection(), this.stats);
    st.release(c);
  }
}

/** Slot numbers below this fit next to an id in one double (ids stay below 2^31). */
const SLOT_BITS = 2 ** 22;

/**
 * Sorts slots by their connections' ids (oldest first). A comparator reading each id from its record took a cache
 * miss per comparison; here each slot is packed with its id into one number and the packed numbers are sorted as
 * plain doubles.
 */
function byId(st: FlowStore, slots: number[]): void {
  const keys = new Float64Array(slots.length);
  for (let k = 0; k < slots.length; k++) {
    const c = slots[k]!;
    if (c >= SLOT_BITS) {
      slots.sort((a, b) => st.i32[a * CI + CI_ID]! - st.i32[b * CI + CI_ID]!);
      return;
    }
    keys[k] = st.i32[c * CI + CI_ID]! * SLOT_BITS + c;
  }
  keys.sort();
  for (let k = 0; k < keys.length; k++) slots[k] = keys[k]! % SLOT_BITS;
}

/** Counts a segment sent by side x. */
function count(st: FlowStore, x: number, seg: DecodedSegment): void {
  const sd = st.f64;
  const xd = x * SD;
  sd[xd + D_PKTS]! += 1;
  sd[xd + D_IP_BYTES]! += seg.ipLen;
  sd[xd + D_PAYLOAD_BYTES]! += seg.payloadLen;
}

/** The side has no connection socket (any more): never seen, closed, or only a listener. */
function finished(st: FlowStore, s: number): boolean {
  const rfc = st.i32[s * SI + I_RFC]!;
  return rfc < 0 || rfc === S.CLOSED || rfc === S.LISTEN;
}

/** Symmetric hash of the 4-tuple: both directions land in the same bucket. */
function tupleHash(seg: DecodedSegment): number {
  const s = seg.src;
  const d = seg.dst;
  const a = Math.imul(s[0]! ^ s[1]! ^ s[2]! ^ s[3]!, 0x9e3779b1) ^ Math.imul(seg.sport + 1, 0x85ebca6b);
  const b = Math.imul(d[0]! ^ d[1]! ^ d[2]! ^ d[3]!, 0x9e3779b1) ^ Math.imul(seg.dport + 1, 0x85ebca6b);
  const x = (a + b) | 0;
  return (x ^ (x >>> 15)) | 0;
}

/** 1 if the segment goes orig → resp, -1 if resp → orig, 0 if it belongs to another connection. */
function matches(st: FlowStore, c: number, seg: DecodedSegment): number {
  if (st.i32[c * CI + CI_FAMILY] !== seg.family) return 0;
  const o = st.orig(c);
  const r = o ^ 1;
  const si = st.i32;
  const op = si[o * SI + I_PORT];
  const rp = si[r * SI + I_PORT];
  if (op === seg.sport && rp === seg.dport && sameWords(st, o, seg.src) && sameWords(st, r, seg.dst))
    return 1;
  if (rp === seg.sport && op === seg.dport && sameWords(st, r, seg.src) && sameWords(st, o, seg.dst))
    return -1;
  return 0;
}

function sameWords(st: FlowStore, s: number, w: Uint32Array): boolean {
  const su = st.u32;
  const i = s * SI;
  return su[i + U_W3] === w[3] && su[i + U_W2] === w[2] && su[i + U_W1] === w[1] && su[i + U_W0] === w[0];
}

/** Zeek's IsReuse: a SYN (or a SYN-ACK on a half connection) with a new ISN, or any SYN once the old one closed. */
function isReuse(st: FlowStore, c: number, seg: DecodedSegment, fromOrig: boolean): boolean {
  const flags = seg.flags;
  if (!(flags & TCP_SYN)) return false;
  const si = st.i32;
  const o = st.orig(c);
  const r = o ^ 1;
  const oz = si[o * SI + I_Z];
  let side = o;
  if (flags & TCP_ACK) {
    if (oz !== Z_INACTIVE) return false;
    side = r;
  }
  const closed = si[o * SI + I_DID_CLOSE] === 1 || si[r * SI + I_DID_CLOSE] === 1;
  if (!closed) {
    if (seg.seq === st.u32[side * SI + U_START_SEQ]) return false;
    // SYN and SYN-ACK captured in reverse order.
    if (!(flags & TCP_ACK) && oz === Z_SYN_ACK_SENT && si[r * SI + I_Z] === Z_INACTIVE && !fromOrig) {
      return false;
    }
  }
  return true;
}
