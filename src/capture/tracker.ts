/**
 * The flow table: finds the connection a segment belongs to (or starts one), decides when a 4-tuple starts a new
 * connection (reuse after close or RST, timeouts), orients it (who opened), and runs the Zeek and RFC layers.
 * Finished connections are handed to `onConnection` and forgotten, so memory follows the live flows, not the
 * packets.
 */

import { finishAnomalies } from './anomalies.ts';
import { Connection, S, Side, Z_INACTIVE, Z_RESET, Z_SYN_ACK_SENT, Z_SYN_SENT } from './conn.ts';
import { type Segment, TCP_ACK, TCP_SYN } from './decode.ts';
import { cutTimeWait, type InferOptions, inferSegment, settle } from './infer.ts';
import { zeekPacket } from './zeek.ts';

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

const ZEEK_ATTEMPT = 5;
const ZEEK_CLOSE_DELAY = 5;
const ZEEK_LINGER = 5;
const ZEEK_INACTIVITY = 300;

export class Tracker {
  readonly options: Required<Omit<TrackerOptions, 'onConnection' | 'serverPorts'>>;
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
  private readonly table = new Map<number, Connection>();
  private readonly onConnection: (conn: Connection, stats: TrackerStats) => void;
  private nextSweep = Number.NEGATIVE_INFINITY;
  private readonly sweepEvery: number;
  private readonly zeekMode: boolean;

  constructor(options: TrackerOptions = {}) {
    this.options = {
      split: options.split ?? 'product',
      timeWait: options.timeWait ?? 60,
      idleTimeout: options.idleTimeout ?? 600,
      stuckAfter: options.stuckAfter ?? 10,
    };
    this.infer = { timeWait: this.options.timeWait };
    this.onConnection = options.onConnection ?? (() => {});
    this.serverPorts = options.serverPorts ?? LIKELY_SERVER_PORTS;
    this.zeekMode = this.options.split === 'zeek';
    // Sweeps only bound memory (expiry times come from each connection's own state), so they can be rare.
    this.sweepEvery = this.zeekMode ? 5 : 30;
  }

  /** Feeds one decoded TCP segment (in capture order). */
  segment(seg: Segment): void {
    const t = seg.ts;
    const stats = this.stats;
    stats.segments++;
    if (Number.isNaN(stats.first)) stats.first = t;
    if (!(t <= stats.last)) stats.last = t;
    if (t >= this.nextSweep) {
      this.sweep(t);
      this.nextSweep = t + this.sweepEvery;
    }
    const h = tupleHash(seg);
    let conn = this.table.get(h);
    let fromOrig = false;
    while (conn !== undefined) {
      const dir = matches(conn, seg);
      if (dir !== 0) {
        fromOrig = dir === 1;
        break;
      }
      conn = conn.next;
    }
    if (conn !== undefined) {
      // Product-mode timers are all longer than the linger time: a recently active connection cannot have ended.
      const ended = this.zeekMode || t - conn.last >= ZEEK_LINGER ? this.expiry(conn, t) : undefined;
      if (ended !== undefined) {
        this.end(conn, ended.reason, ended.at);
        conn = undefined;
      } else if (isReuse(conn, seg, fromOrig)) {
        cutTimeWait(conn, conn.orig, t);
        cutTimeWait(conn, conn.resp, t);
        this.end(conn, 'reuse', t);
        conn = undefined;
      }
    }
    if (conn === undefined) {
      conn = this.create(seg, h);
      fromOrig = matches(conn, seg) === 1;
    }
    const x = fromOrig ? conn.orig : conn.resp;
    conn.last = t;
    const attempt = this.options.split === 'zeek' ? ZEEK_ATTEMPT : Number.POSITIVE_INFINITY;
    // A segment with a bad checksum (only when checksums are enforced) is dropped, as the receiver would.
    if (!zeekPacket(conn, x, seg, attempt)) return;
    x.pkts++;
    x.ipBytes += seg.ipLen;
    x.payloadBytes += seg.payloadLen;
    const flags = seg.flags;
    if (flags & TCP_SYN) {
      if (x.synCount === 0 && !(flags & TCP_ACK)) x.firstSynAt = t;
      x.synCount++;
      if (seg.mss) x.mss = seg.mss;
      if (seg.wscale >= 0) x.wscale = seg.wscale;
      if (seg.sackPermitted) x.sackPermitted = true;
      if (seg.hasTimestamp) x.timestamps = true;
      if (flags & TCP_ACK && Number.isNaN(conn.synAckAt)) {
        conn.synAckAt = t;
        const y = x === conn.orig ? conn.resp : conn.orig;
        if (!Number.isNaN(y.firstSynAt) && y.synCount === 1) conn.rttSynToSynAck = t - y.firstSynAt;
      }
    }
    if (flags & 0x01) x.finCount++;
    if (flags & 0x04) x.rstCount++;
    // zeekPacket may have flipped the roles: ask again who sent it.
    const sender = x;
    const receiver = sender === conn.orig ? conn.resp : conn.orig;
    inferSegment(conn, sender, receiver, seg, this.infer);
  }

  /** Ends every live connection (end of capture), oldest first. */
  finish(): void {
    const all: Connection[] = [];
    for (const head of this.table.values()) {
      for (let c: Connection | undefined = head; c !== undefined; c = c.next) all.push(c);
    }
    all.sort((a, b) => a.id - b.id);
    this.table.clear();
    for (const conn of all) this.emit(conn, 'end', this.stats.last);
    this.stats.live = 0;
  }

  /** Connections still in the table (for progress displays and tests). */
  liveConnections(): number {
    return this.stats.live;
  }

  private create(seg: Segment, h: number): Connection {
    const src = new Side(seg.family, seg.src, seg.sport);
    const dst = new Side(seg.family, seg.dst, seg.dport);
    const conn = new Connection(++this.stats.connections, seg.family, src, dst, seg.ts, h);
    // Orientation: a SYN's sender opened the connection; otherwise guess from the ports, as Zeek does.
    const synOnly = (seg.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    if (!synOnly) {
      const sServer = this.serverPorts.has(seg.sport);
      const dServer = this.serverPorts.has(seg.dport);
      const synAck = (seg.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
      if (sServer && (!dServer || (!synAck && seg.sport < seg.dport))) {
        conn.orig = dst;
        conn.resp = src;
        conn.history = '^';
        conn.flipped = true;
      }
    }
    conn.next = this.table.get(h);
    this.table.set(h, conn);
    const stats = this.stats;
    stats.live++;
    if (stats.live > stats.maxLive) stats.maxLive = stats.live;
    return conn;
  }

  /** When (and why) a connection ends by its timers, if it has by time `now`. */
  private expiry(conn: Connection, now: number): { reason: Connection['endReason']; at: number } | undefined {
    const o = conn.orig;
    const r = conn.resp;
    if (this.options.split === 'zeek') {
      if (now >= conn.attemptAt && (o.z === Z_SYN_SENT || o.z === Z_SYN_ACK_SENT) && r.z === Z_INACTIVE) {
        return { reason: 'attempt', at: conn.attemptAt };
      }
      if (now >= conn.closedAt + ZEEK_CLOSE_DELAY)
        return { reason: 'closed', at: conn.closedAt + ZEEK_CLOSE_DELAY };
      if (
        (o.didClose || r.didClose) &&
        now > conn.zLast + ZEEK_LINGER &&
        (o.z === Z_RESET || r.z === Z_RESET || o.z === Z_INACTIVE || r.z === Z_INACTIVE)
      ) {
        return { reason: 'closed', at: conn.zLast + ZEEK_LINGER };
      }
      if (now >= conn.zLast + ZEEK_INACTIVITY) return { reason: 'idle', at: conn.zLast + ZEEK_INACTIVITY };
      return undefined;
    }
    settle(o, now, this.infer);
    settle(r, now, this.infer);
    if (finished(o) && finished(r) && now > conn.last + ZEEK_LINGER) return { reason: 'closed', at: now };
    if ((o.didClose || r.didClose) && now > conn.last + this.options.timeWait + ZEEK_LINGER) {
      return { reason: 'closed', at: now };
    }
    if (now > conn.last + this.options.idleTimeout) return { reason: 'idle', at: now };
    return undefined;
  }

  private sweep(now: number): void {
    // Allocation-free: this runs over every live connection every few seconds of capture time.
    for (const head of this.table.values()) {
      let prev: Connection | undefined;
      let c: Connection | undefined = head;
      while (c !== undefined) {
        const next: Connection | undefined = c.next;
        const ended = this.zeekMode || now - c.last >= ZEEK_LINGER ? this.expiry(c, now) : undefined;
        if (ended === undefined) {
          prev = c;
        } else {
          if (prev === undefined) {
            if (next === undefined) this.table.delete(c.hash);
            else this.table.set(c.hash, next);
          } else prev.next = next;
          this.emit(c, ended.reason, ended.at);
        }
        c = next;
      }
    }
  }

  /** Removes a connection from the table and emits it. */
  private end(conn: Connection, reason: Connection['endReason'], at: number): void {
    const head = this.table.get(conn.hash);
    if (head === conn) {
      if (conn.next === undefined) this.table.delete(conn.hash);
      else this.table.set(conn.hash, conn.next);
    } else {
      for (let c = head; c !== undefined; c = c.next) {
        if (c.next === conn) {
          c.next = conn.next;
          break;
        }
      }
    }
    this.emit(conn, reason, at);
  }

  private emit(conn: Connection, reason: Connection['endReason'], at: number): void {
    conn.next = undefined;
    conn.endReason = reason;
    this.stats.live--;
    settle(conn.orig, at, this.infer);
    settle(conn.resp, at, this.infer);
    finishAnomalies(conn, at, this.options.stuckAfter);
    this.onConnection(conn, this.stats);
  }
}

/** The side has no connection socket (any more): never seen, closed, or only a listener. */
function finished(s: Side): boolean {
  return s.rfc < 0 || s.rfc === S.CLOSED || s.rfc === S.LISTEN;
}

/** Symmetric hash of the 4-tuple: both directions land in the same bucket. */
function tupleHash(seg: Segment): number {
  const s = seg.src;
  const d = seg.dst;
  const a = Math.imul(s[0]! ^ s[1]! ^ s[2]! ^ s[3]!, 0x9e3779b1) ^ Math.imul(seg.sport + 1, 0x85ebca6b);
  const b = Math.imul(d[0]! ^ d[1]! ^ d[2]! ^ d[3]!, 0x9e3779b1) ^ Math.imul(seg.dport + 1, 0x85ebca6b);
  const x = (a + b) | 0;
  return (x ^ (x >>> 15)) | 0;
}

function sameWords(a: Side, b: Uint32Array): boolean {
  return a.w3 === b[3] && a.w2 === b[2] && a.w1 === b[1] && a.w0 === b[0];
}

/** 1 if the segment goes orig → resp, -1 if resp → orig, 0 if it belongs to another connection. */
function matches(conn: Connection, seg: Segment): number {
  if (conn.family !== seg.family) return 0;
  const o = conn.orig;
  const r = conn.resp;
  if (o.port === seg.sport && r.port === seg.dport && sameWords(o, seg.src) && sameWords(r, seg.dst)) {
    return 1;
  }
  if (r.port === seg.sport && o.port === seg.dport && sameWords(r, seg.src) && sameWords(o, seg.dst)) {
    return -1;
  }
  return 0;
}

/** Zeek's IsReuse: a SYN (or a SYN-ACK on a half connection) with a new ISN, or any SYN once the old one closed. */
function isReuse(conn: Connection, seg: Segment, fromOrig: boolean): boolean {
  const flags = seg.flags;
  if (!(flags & TCP_SYN)) return false;
  let side = conn.orig;
  if (flags & TCP_ACK) {
    if (conn.orig.z !== Z_INACTIVE) return false;
    side = conn.resp;
  }
  const closed = conn.orig.didClose || conn.resp.didClose;
  if (!closed) {
    if (seg.seq === side.startSeq) return false;
    // SYN and SYN-ACK captured in reverse order.
    if (!(flags & TCP_ACK) && conn.orig.z === Z_SYN_ACK_SENT && conn.resp.z === Z_INACTIVE && !fromOrig) {
      return false;
    }
  }
  return true;
}
