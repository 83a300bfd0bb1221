/**
 * The live connections of the tracker, stored as fixed-layout records in one ArrayBuffer instead of objects.
 *
 * Why: a capture keeps ~100k connections alive at once (each stays until its TIME_WAIT is over), and as objects
 * (a connection, two endpoints, their number arrays and state histories: ~1.5 KB in eight objects) they survived
 * young-generation collections and were copied and traced again and again: a third of all the time went to the
 * garbage collector. Here a connection is a slot number and its two endpoints are side numbers `2 * slot` and
 * `2 * slot + 1` (the peer of side `s` is `s ^ 1`); their fields live at fixed offsets in the slot's record, as in
 * a C struct, and slots of ended connections are reused. The fields, their types, initial values and places are
 * declared once, in layout.ts. The rich `Connection` object is built only when a connection ends
 * (`materialize`), and dies young unless the caller keeps it.
 */
import { type Anomaly, type Connection, newConnection, newSide, type Side } from './conn.ts';
import {
  B_TR,
  BLOCK,
  CONN_DOUBLES_STRIDE as CD,
  CD_LAST,
  CD_START,
  CD_Z_LAST,
  CONN_BYTES_STRIDE as CH,
  CH_HIST,
  CONN_INTS_STRIDE as CI,
  CI_FAMILY,
  CI_FLIPPED,
  CI_HASH,
  CI_HIST_LEN,
  CI_HIST_SEEN,
  CI_ID,
  CI_KINDS,
  CI_LIVE,
  CI_ORIG,
  CONN_RICH,
  D_TR,
  HIST_INLINE,
  I_PORT,
  I_TR_LEN,
  SIDE_DOUBLES_STRIDE as SD,
  SIDE_INTS_STRIDE as SI,
  SIDE_RICH,
  TEMPLATE,
  TR_INLINE,
  U_W0,
  U_W1,
  U_W2,
  U_W3,
} from './layout.ts';

const HIST_CACHE_MAX = 4096;

/** Bits of CI_KINDS: the anomaly kinds the tracker asks about while a connection is live. */
const KIND_MIDSTREAM = 1;
const KIND_ONE_SIDED = 2;

export class FlowStore {
  /**
   * The records, as doubles (D_*, CD_* offsets), as 32-bit integers (I_*, CI_*) and unsigned ones (U_*, with the
   * integers' stride), and as bytes (letters, state-history states).
   */
  f64: Float64Array<ArrayBuffer>;
  i32: Int32Array<ArrayBuffer>;
  u32: Uint32Array<ArrayBuffer>;
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

  constructor(capacity = 4096) {
    this.f64 = new Float64Array(0);
    this.i32 = new Int32Array(0);
    this.u32 = new Uint32Array(0);
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
    sd[d + CD_START] = t;
    sd[d + CD_LAST] = t;
    sd[d + CD_Z_LAST] = t;
    const si = this.i32;
    const i = c * CI;
    const su = this.u32;
    su[i + U_W0] = src[0]!;
    su[i + U_W1] = src[1]!;
    su[i + U_W2] = src[2]!;
    su[i + U_W3] = src[3]!;
    su[i + SI + U_W0] = dst[0]!;
    su[i + SI + U_W1] = dst[1]!;
    su[i + SI + U_W2] = dst[2]!;
    su[i + SI + U_W3] = dst[3]!;
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
    this.u32 = new Uint32Array(next);
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

  /** 4 or 6. */
  family(c: number): 4 | 6 {
    return this.i32[c * CI + CI_FAMILY] as 4 | 6;
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
    if (k < TR_INLINE) return this.bytes[s * BLOCK + B_TR + k]!;
    return this.trMore.get(s)![2 * (k - TR_INLINE)]!;
  }

  trTime(s: number, k: number): number {
    if (k < TR_INLINE) return this.f64[s * SD + D_TR + k]!;
    return this.trMore.get(s)![2 * (k - TR_INLINE) + 1]!;
  }

  trSetState(s: number, k: number, state: number): void {
    if (k < TR_INLINE) this.bytes[s * BLOCK + B_TR + k] = state;
    else this.trMore.get(s)![2 * (k - TR_INLINE)] = state;
  }

  trPush(s: number, state: number, t: number): void {
    const k = this.i32[s * SI + I_TR_LEN]!;
    if (k < TR_INLINE) {
      this.bytes[s * BLOCK + B_TR + k] = state;
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
    if (n < HIST_INLINE) this.bytes[c * CH + CH_HIST + n] = code;
    else this.histMore.set(c, (this.histMore.get(c) ?? '') + String.fromCharCode(code));
    this.i32[i] = n + 1;
  }

  /** The history is exactly this one letter. */
  histIs(c: number, code: number): boolean {
    return this.i32[c * CI + CI_HIST_LEN] === 1 && this.bytes[c * CH + CH_HIST] === code;
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
    const at = c * CH + CH_HIST;
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
    const family = this.i32[c * CI + CI_FAMILY] as 4 | 6;
    const conn = newConnection(
      family,
      this.side(o, family),
      this.side(o ^ 1, family),
      CONN_RICH.copy(this.f64, this.i32, c * CD, c * CI),
    );
    conn.history = this.history(c);
    conn.anomalies = this.anomalies[c];
    return conn;
  }

  private side(s: number, family: 4 | 6): Side {
    const side = newSide(family, SIDE_RICH.copy(this.f64, this.i32, s * SD, s * SI));
    const n = this.i32[s * SI + I_TR_LEN]!;
    for (let k = 0; k < n; k++) side.tr.push(this.trState(s, k), this.trTime(s, k));
    return side;
  }
}
