/**
 * The live connections of the tracker, stored as fixed-layout records in one ArrayBuffer instead of objects.
 *
 * Why: a capture keeps ~100k connections alive at once (each stays until its TIME_WAIT is over), and as objects
 * (a connection, two endpoints, their number arrays and state histories: ~1.5 KB in eight objects) they survived
 * young-generation collections and were copied and traced again and again: a third of all the time went to the
 * garbage collector. Here a connection is a slot number and its two endpoints are side numbers `2 * slot` and
 * `2 * slot + 1` (the peer of side `s` is `s ^ 1`); their fields live at fixed offsets in the slot's record, as in
 * a C struct, and slots of ended connections are reused. The rich `Connection` object is built only when a
 * connection ends (`materialize`), and dies young unless the caller keeps it.
 */
import { type Anomaly, Connection, Side } from './conn.ts';

/*
 * Layout. Each side owns a block of SW doubles (448 bytes, seven cache lines); a connection is the two blocks of
 * its sides, one after the other, so everything about it is contiguous. The same memory is seen as doubles (D_*,
 * CD_*), as 32-bit integers (I_*, CI_*: an integer at double position p, half h is at 2p + h) and as bytes (the
 * history letters). The fields one packet touches come first (cache lines 0-2); state history and the rarely
 * used counters come last. The connection's own fields are spread over the two blocks' spare room: a CD_* or CI_*
 * offset counts from the start of the first block.
 */
const SW = 56;

// --- per side: doubles, at s * SD ---
export const D_W0 = 0;
export const D_W1 = 1;
export const D_W2 = 2;
export const D_W3 = 3;
/** Highest seq one past a segment, in absolute 32-bit space. */
export const D_LAST_SEQ = 4;
export const D_START_SEQ = 5;
export const D_PKTS = 6;
export const D_IP_BYTES = 7;
// double positions 8-15 hold integers (I_Z ... below)
export const D_PAYLOAD_BYTES = 16;
export const D_HIST_LAST_SYN = 17;
export const D_HIST_LAST_FIN = 18;
export const D_HIST_LAST_RST = 19;
/** Highest acknowledgement number this side has sent, valid when I_ACKED. */
export const D_ACK_NO = 20;
/** Sequence number the peer must acknowledge to cover our FIN; valid when I_SENT_FIN. */
export const D_FIN_ACK = 21;
// 22, 23: connection doubles
/** Time of this side's first SYN (NaN if none). */
export const D_FIRST_SYN_AT = 24;
/** First time this side's RST was seen (NaN if none). */
export const D_RST_AT = 25;
/** This side's ISN (seq of its SYN), valid when I_HAS_ISN. */
export const D_ISN = 26;
/** When this side entered TIME_WAIT (NaN if it did not). */
export const D_TIME_WAIT_AT = 27;
/** When that TIME_WAIT ends by its timer (known once the timer length was applied). */
export const D_TIME_WAIT_UNTIL = 28;
// 29, 30: connection doubles
/** Times of the first TR_INLINE state-history entries (positions 32-39). */
export const D_TR = 32;
const TR_INLINE = 8;

// --- per side: integers, at s * SI (positions 16-31 and 80-103 of the integer view) ---
/** Zeek's endpoint state (Z_* in conn.ts) and the one before it. */
export const I_Z = 16;
export const I_Z_PREV = 17;
export const I_DID_CLOSE = 18;
/** Current inferred RFC state as an index into TCP_STATES, -1 while nothing is known. */
export const I_RFC = 19;
export const I_PORT = 20;
export const I_SENT_FIN = 21;
export const I_FIN_ACKED = 22;
export const I_ACKED = 23;
export const I_HAS_ISN = 24;
/** The FIN has moved this side's state (it may not have, if sent before the handshake completed). */
export const I_FIN_APPLIED = 25;
/** Entries in the state history (state, time). */
export const I_TR_LEN = 26;
// 27-31: connection integers
/** States of the first TR_INLINE state-history entries. */
export const I_TR = 80;
// Each counter is followed by its threshold for Zeek's logarithmic history letters (zeek.ts relies on it).
export const I_RXMT = 88;
export const I_RXMT_THRESH = 89;
export const I_ZERO_WIN = 90;
export const I_ZERO_WIN_THRESH = 91;
export const I_BAD_CSUM = 92;
export const I_BAD_CSUM_THRESH = 93;
export const I_SYN_COUNT = 94;
export const I_FIN_COUNT = 95;
export const I_RST_COUNT = 96;
export const I_MSS = 97;
export const I_WSCALE = 98;
export const I_SACK = 99;
export const I_TIMESTAMPS = 100;
/** The initial state was assumed (LISTEN for a responder, ESTABLISHED mid-stream), not observed. */
export const I_ASSUMED_START = 101;

// --- per connection: doubles, at c * CD (first block 22-23 and 29-30, second block SW + the same) ---
/** Last packet of any kind. */
export const CD_LAST = 22;
/** Zeek's last_time: stops advancing once both sides closed. */
export const CD_Z_LAST = 23;
export const CD_START = 29;
export const CD_SYN_ACK_AT = 30;
/** When the connection ended, set by a sweep before it is handed over. */
export const CD_END_AT = 31;
/** When the connection became fully closed (both FIN or a RST), NaN while not. */
export const CD_CLOSED_AT = SW + 22;
/** When the attempt timer fires (first SYN + attempt delay), NaN if not armed. */
export const CD_ATTEMPT_AT = SW + 23;
export const CD_RTT_SYN_TO_SYN_ACK = SW + 29;
export const CD_RTT_SYN_ACK_TO_ACK = SW + 30;

// --- per connection: integers, at c * CI (first block 27-31, second block 2 * SW + the same) ---
/** Why the connection ended (an index into the tracker's reasons), set by a sweep before it is handed over. */
export const CI_END_REASON = 27;
/** Which of the two sides is the originator (0 or 1); Zeek may flip it. */
export const CI_ORIG = 28;
export const CI_FAMILY = 29;
/** Zeek history letters already recorded (bits per direction, the responder's shifted by 16). */
export const CI_HIST_SEEN = 30;
export const CI_HIST_LEN = 31;
export const CI_ID = 2 * SW + 27;
export const CI_HASH = 2 * SW + 28;
export const CI_FLIPPED = 2 * SW + 29;
/** Anomaly kinds noted so far, one bit each (KIND_*). */
export const CI_KINDS = 2 * SW + 30;
/** 1 while the slot holds a live connection. */
export const CI_LIVE = 2 * SW + 31;

/** Zeek history letters kept inline (second block, double positions 52-53); more continue in a string. */
const HIST_INLINE = 16;
const HIST_AT = (SW + 52) * 8;
const HIST_CACHE_MAX = 4096;

const SD = SW;
const SI = 2 * SW;
const CD = 2 * SW;
const CI = 4 * SW;
const CH = 16 * SW;

/** What a fresh pair of side blocks holds (bit patterns copied as they are). */
const TEMPLATE: Float64Array = (() => {
  const d = new Float64Array(2 * SW);
  const i = new Int32Array(d.buffer);
  for (const s of [0, 1]) {
    for (const f of [D_FIRST_SYN_AT, D_RST_AT, D_TIME_WAIT_AT, D_TIME_WAIT_UNTIL]) d[s * SD + f] = Number.NaN;
    for (const f of [I_RXMT_THRESH, I_ZERO_WIN_THRESH, I_BAD_CSUM_THRESH]) i[s * SI + f] = 1;
    i[s * SI + I_WSCALE] = -1;
    i[s * SI + I_RFC] = -1;
  }
  for (const f of [
    CD_SYN_ACK_AT,
    CD_CLOSED_AT,
    CD_ATTEMPT_AT,
    CD_RTT_SYN_TO_SYN_ACK,
    CD_RTT_SYN_ACK_TO_ACK,
  ]) {
    d[f] = Number.NaN;
  }
  return d;
})();

/** Bits of CI_KINDS: the anomaly kinds the tracker asks about while a connection is live. */
const KIND_MIDSTREAM = 1;
const KIND_ONE_SIDED = 2;

export class FlowStore {
  /** The records, as doubles (D_*, CD_* offsets) and as 32-bit integers (I_*, CI_*), and as bytes (letters). */
  f64: Float64Array<ArrayBuffer>;
  i32: Int32Array<ArrayBuffer>;
  private bytes: Uint8Array<ArrayBuffer>;
  /** Anomalies noted while the connection is live, by slot. */
  readonly anomalies: Array<Anomaly[] | undefined> = [];
  /** State-history entries past the inline ones, by side: [state, time, ...]. */
  private readonly trMore = new Map<number, number[]>();
  /** History letters past the inline ones, by slot. */
  private readonly histMore = new Map<number, string>();
  /** Interned inline histories, by hash of their letters. */
  private readonly histCache = new Map<number, string>();
  private capacity = 0;
  private used = 0;
  private free: Int32Array;
  private freeCount = 0;
  private readonly scratch = new Uint32Array(4);

  constructor(capacity = 4096) {
    this.f64 = new Float64Array(0);
    this.i32 = new Int32Array(0);
    this.bytes = new Uint8Array(0);
    this.free = new Int32Array(0);
    try {
      this.grow(capacity);
    } catch (error) {
      // A large reservation can be refused (no overcommit, a tight ulimit): start small and grow as needed.
      if (!(error instanceof RangeError) || capacity <= 1024) throw error;
      this.grow(1024);
    }
  }

  /** A fresh slot for a connection first seen at t whose first segment went from `src` to `dst`. */
  alloc(
    id: number,
    family: 4 | 6,
    src: Uint32Array,
    sport: number,
    dst: Uint32Array,
    dport: number,
    t: number,
    hash: number,
  ): number {
    let c: number;
    if (this.freeCount > 0) c = this.free[--this.freeCount]!;
    else {
      // Growing copies every live record, so grow by four: a stream (size unknown) that reaches 131k live
      // connections copies ~85k records instead of ~260k. The room not yet used is address space, not memory.
      if (this.used === this.capacity) this.grow(this.capacity * 4);
      c = this.used++;
      // One entry per slot handed out, so reads never run past the list's end (each such read deoptimized).
      this.anomalies.push(undefined);
    }
    const sd = this.f64;
    const d = c * CD;
    sd.set(TEMPLATE, d);
    sd[d + D_W0] = src[0]!;
    sd[d + D_W1] = src[1]!;
    sd[d + D_W2] = src[2]!;
    sd[d + D_W3] = src[3]!;
    sd[d + SD + D_W0] = dst[0]!;
    sd[d + SD + D_W1] = dst[1]!;
    sd[d + SD + D_W2] = dst[2]!;
    sd[d + SD + D_W3] = dst[3]!;
    sd[d + CD_START] = t;
    sd[d + CD_LAST] = t;
    sd[d + CD_Z_LAST] = t;
    const si = this.i32;
    const i = c * CI;
    si[i + I_PORT] = sport;
    si[i + SI + I_PORT] = dport;
    si[i + CI_ID] = id;
    si[i + CI_FAMILY] = family;
    si[i + CI_HASH] = hash;
    si[i + CI_LIVE] = 1;
    return c;
  }

  /** Gives a slot back once its connection has been materialized. */
  release(c: number): void {
    this.i32[c * CI + CI_LIVE] = 0;
    this.anomalies[c] = undefined;
    if (this.i32[2 * c * SI + I_TR_LEN]! > TR_INLINE) this.trMore.delete(2 * c);
    if (this.i32[(2 * c + 1) * SI + I_TR_LEN]! > TR_INLINE) this.trMore.delete(2 * c + 1);
    if (this.i32[c * CI + CI_HIST_LEN]! > HIST_INLINE) this.histMore.delete(c);
    this.free[this.freeCount++] = c;
  }

  private grow(capacity: number): void {
    const next = new ArrayBuffer(capacity * CD * 8);
    new Float64Array(next).set(this.f64);
    this.f64 = new Float64Array(next);
    this.i32 = new Int32Array(next);
    this.bytes = new Uint8Array(next);
    const free = new Int32Array(capacity);
    free.set(this.free);
    this.free = free;
    this.capacity = capacity;
  }

  /** Slots handed out so far (live or free): live connections are the slots below this with CI_LIVE set. */
  slots(): number {
    return this.used;
  }

  // --- sides ---

  /** The originator's side number (Zeek may flip roles). */
  orig(c: number): number {
    return 2 * c + this.i32[c * CI + CI_ORIG]!;
  }

  /** Swaps originator and responder. */
  flip(c: number): void {
    const i = c * CI;
    const ci = this.i32;
    ci[i + CI_ORIG] = ci[i + CI_ORIG]! ^ 1;
    const seen = ci[i + CI_HIST_SEEN]!;
    ci[i + CI_HIST_SEEN] = (seen >>> 16) | (seen << 16);
    ci[i + CI_FLIPPED] = 1;
  }

  // --- state history of a side: [state, time] entries ---

  trLen(s: number): number {
    return this.i32[s * SI + I_TR_LEN]!;
  }

  trState(s: number, k: number): number {
    if (k < TR_INLINE) return this.i32[s * SI + I_TR + k]!;
    return this.trMore.get(s)![2 * (k - TR_INLINE)]!;
  }

  trTime(s: number, k: number): number {
    if (k < TR_INLINE) return this.f64[s * SD + D_TR + k]!;
    return this.trMore.get(s)![2 * (k - TR_INLINE) + 1]!;
  }

  trSetState(s: number, k: number, state: number): void {
    if (k < TR_INLINE) this.i32[s * SI + I_TR + k] = state;
    else this.trMore.get(s)![2 * (k - TR_INLINE)] = state;
  }

  trPush(s: number, state: number, t: number): void {
    const k = this.i32[s * SI + I_TR_LEN]!;
    if (k < TR_INLINE) {
      this.i32[s * SI + I_TR + k] = state;
      this.f64[s * SD + D_TR + k] = t;
    } else {
      let more = this.trMore.get(s);
      if (more === undefined) {
        more = [];
        this.trMore.set(s, more);
      }
      more.length = 2 * (k - TR_INLINE);
      more.push(state, t);
    }
    this.i32[s * SI + I_TR_LEN] = k + 1;
  }

  /** Drops entries past the first `length`. */
  trTruncate(s: number, length: number): void {
    this.i32[s * SI + I_TR_LEN] = length;
  }

  // --- Zeek history letters of a connection ---

  histAppend(c: number, code: number): void {
    const i = c * CI + CI_HIST_LEN;
    const n = this.i32[i]!;
    if (n < HIST_INLINE) this.bytes[c * CH + HIST_AT + n] = code;
    else this.histMore.set(c, (this.histMore.get(c) ?? '') + String.fromCharCode(code));
    this.i32[i] = n + 1;
  }

  /** The history is exactly this one letter. */
  histIs(c: number, code: number): boolean {
    return this.i32[c * CI + CI_HIST_LEN] === 1 && this.bytes[c * CH + HIST_AT] === code;
  }

  histClear(c: number): void {
    this.i32[c * CI + CI_HIST_LEN] = 0;
    this.histMore.delete(c);
  }

  history(c: number): string {
    const n = this.i32[c * CI + CI_HIST_LEN]!;
    const inline = this.inlineHistory(c, Math.min(n, HIST_INLINE));
    return n > HIST_INLINE ? inline + this.histMore.get(c)! : inline;
  }

  /**
   * The first n inline letters as a string. Most connections share a handful of histories ("ShADadFf"), so the
   * strings are interned by a hash of their letters instead of being built anew for every connection.
   */
  private inlineHistory(c: number, n: number): string {
    const hist = this.bytes;
    const at = c * CH + HIST_AT;
    let h = n;
    for (let k = 0; k < n; k++) h = Math.imul(h ^ hist[at + k]!, 0x01000193);
    const known = this.histCache.get(h);
    if (known !== undefined && known.length === n) {
      let same = true;
      for (let k = 0; k < n && same; k++) same = known.charCodeAt(k) === hist[at + k];
      if (same) return known;
    }
    let text = '';
    for (let k = 0; k < n; k++) text += String.fromCharCode(hist[at + k]!);
    if (this.histCache.size < HIST_CACHE_MAX) this.histCache.set(h, text);
    return text;
  }

  // --- anomalies ---

  note(c: number, anomaly: Anomaly): void {
    const list = this.anomalies[c];
    if (list === undefined) this.anomalies[c] = [anomaly];
    else list.push(anomaly);
    const kind = anomaly.kind;
    if (kind === 'midstream') this.i32[c * CI + CI_KINDS]! |= KIND_MIDSTREAM;
    else if (kind === 'one-sided') this.i32[c * CI + CI_KINDS]! |= KIND_ONE_SIDED;
  }

  /** Whether an anomaly of this kind was noted. */
  has(c: number, kind: 'midstream' | 'one-sided'): boolean {
    return (this.i32[c * CI + CI_KINDS]! & (kind === 'midstream' ? KIND_MIDSTREAM : KIND_ONE_SIDED)) !== 0;
  }

  /** Which end a side is, by the roles at this moment. */
  sideName(c: number, s: number): 'orig' | 'resp' {
    return s === this.orig(c) ? 'orig' : 'resp';
  }

  // --- the rich object, once the connection has ended ---

  materialize(c: number): Connection {
    const o = this.orig(c);
    const orig = this.side(o);
    const resp = this.side(o ^ 1);
    const d = c * CD;
    const cd = this.f64;
    const i = c * CI;
    const ci = this.i32;
    const conn = new Connection(
      ci[i + CI_ID]!,
      ci[i + CI_FAMILY] as 4 | 6,
      orig,
      resp,
      cd[d + CD_START]!,
      ci[i + CI_HASH]!,
    );
    conn.last = cd[d + CD_LAST]!;
    conn.zLast = cd[d + CD_Z_LAST]!;
    conn.attemptAt = cd[d + CD_ATTEMPT_AT]!;
    conn.closedAt = cd[d + CD_CLOSED_AT]!;
    conn.rttSynToSynAck = cd[d + CD_RTT_SYN_TO_SYN_ACK]!;
    conn.rttSynAckToAck = cd[d + CD_RTT_SYN_ACK_TO_ACK]!;
    conn.synAckAt = cd[d + CD_SYN_ACK_AT]!;
    conn.history = this.history(c);
    conn.histSeen = ci[i + CI_HIST_SEEN]! >>> 0;
    conn.flipped = ci[i + CI_FLIPPED] === 1;
    conn.anomalies = this.anomalies[c];
    return conn;
  }

  private side(s: number): Side {
    const d = s * SD;
    const sd = this.f64;
    const i = s * SI;
    const si = this.i32;
    const w = this.scratch;
    w[0] = sd[d + D_W0]!;
    w[1] = sd[d + D_W1]!;
    w[2] = sd[d + D_W2]!;
    w[3] = sd[d + D_W3]!;
    const side = new Side(this.i32[(s >> 1) * CI + CI_FAMILY] as 4 | 6, w, si[i + I_PORT]!);
    side.startSeq = sd[d + D_START_SEQ]!;
    side.lastSeq = sd[d + D_LAST_SEQ]!;
    side.histLastSyn = sd[d + D_HIST_LAST_SYN]!;
    side.histLastFin = sd[d + D_HIST_LAST_FIN]!;
    side.histLastRst = sd[d + D_HIST_LAST_RST]!;
    side.firstSynAt = sd[d + D_FIRST_SYN_AT]!;
    side.rstAt = sd[d + D_RST_AT]!;
    side.isn = sd[d + D_ISN]!;
    side.finAck = sd[d + D_FIN_ACK]!;
    side.ackNo = sd[d + D_ACK_NO]!;
    side.timeWaitAt = sd[d + D_TIME_WAIT_AT]!;
    side.timeWaitUntil = sd[d + D_TIME_WAIT_UNTIL]!;
    side.pkts = small(sd[d + D_PKTS]!);
    side.ipBytes = small(sd[d + D_IP_BYTES]!);
    side.payloadBytes = small(sd[d + D_PAYLOAD_BYTES]!);
    side.z = si[i + I_Z]!;
    side.zPrev = si[i + I_Z_PREV]!;
    side.didClose = si[i + I_DID_CLOSE] === 1;
    side.rxmt = si[i + I_RXMT]!;
    side.rxmtThresh = si[i + I_RXMT_THRESH]!;
    side.zeroWin = si[i + I_ZERO_WIN]!;
    side.zeroWinThresh = si[i + I_ZERO_WIN_THRESH]!;
    side.badCsum = si[i + I_BAD_CSUM]!;
    side.badCsumThresh = si[i + I_BAD_CSUM_THRESH]!;
    side.synCount = si[i + I_SYN_COUNT]!;
    side.finCount = si[i + I_FIN_COUNT]!;
    side.rstCount = si[i + I_RST_COUNT]!;
    side.mss = si[i + I_MSS]!;
    side.wscale = si[i + I_WSCALE]!;
    side.sackPermitted = si[i + I_SACK] === 1;
    side.timestamps = si[i + I_TIMESTAMPS] === 1;
    side.rfc = si[i + I_RFC]!;
    side.assumedStart = si[i + I_ASSUMED_START] === 1;
    side.hasIsn = si[i + I_HAS_ISN] === 1;
    side.sentFin = si[i + I_SENT_FIN] === 1;
    side.finApplied = si[i + I_FIN_APPLIED] === 1;
    side.finAcked = si[i + I_FIN_ACKED] === 1;
    side.acked = si[i + I_ACKED] === 1;
    const n = si[i + I_TR_LEN]!;
    for (let k = 0; k < n; k++) side.tr.push(this.trState(s, k), this.trTime(s, k));
    return side;
  }
}

/**
 * A count read back from the doubles, as a small integer when it is one: stored as a double, the field would
 * change representation and every object would carry a separately allocated box for it.
 */
function small(v: number): number {
  return v <= 0x3fffffff ? v | 0 : v;
}

/** Offsets of a side's and a connection's fields, for the hot code that indexes the arrays directly. */
export const SIDE_DOUBLES_STRIDE = SD;
export const SIDE_INTS_STRIDE = SI;
export const CONN_DOUBLES_STRIDE = CD;
export const CONN_INTS_STRIDE = CI;
