/**
 * The one declaration of a tracked connection's record: every field with its type and initial value, in memory
 * order. From it come the offsets the hot code indexes the flat store with (D_*, I_*, CD_*, CI_* below), the
 * template a fresh record is copied from, and the copy `materialize` makes into the rich `Connection` and `Side`
 * objects handed over at a connection's end (whose accessors are generated from the same table, see conn.ts).
 *
 * A connection's record is two blocks of BLOCK bytes, one per side (side numbers 2c and 2c + 1, so the peer of
 * side s is s ^ 1 and a side's fields sit at s * BLOCK): the side fields at the same place in each block, the
 * connection's own fields in the room the two blocks share, a pair at a time (one in each block at the same
 * offset). Declaration order is memory order: the fields one packet touches come first, in the first cache lines.
 */

export type FieldKind = 'f64' | 'u32' | 'i32' | 'bool' | 'u8';

export interface Field {
  readonly name: string;
  /**
   * f64: a double; u32: an unsigned 32-bit integer (sequence numbers, address words: half a double's room, and
   * read back as the same number); i32: a 32-bit integer; bool: 0 or 1 in an i32; u8: bytes (with count).
   */
  readonly kind: FieldKind;
  /** What a fresh record holds. */
  readonly init: number;
  /** A fixed-size array of this many elements (state history, history letters). */
  readonly count?: number;
  /** Kept in the store only: not a property of the rich object handed over. */
  readonly internal?: true;
}

const NAN = Number.NaN;

/** The fields of one endpoint (both sides of a connection have all of them). */
export const SIDE_FIELDS = [
  // --- touched by every packet ---
  /** Address as four 32-bit words (IPv4 uses w3 only), unsigned so they compare with the segment's exactly. */
  { name: 'w0', kind: 'u32', init: 0 },
  { name: 'w1', kind: 'u32', init: 0 },
  { name: 'w2', kind: 'u32', init: 0 },
  { name: 'w3', kind: 'u32', init: 0 },
  /** Highest seq one past a segment, in absolute 32-bit space. */
  { name: 'lastSeq', kind: 'u32', init: 0 },
  { name: 'startSeq', kind: 'u32', init: 0 },
  { name: 'pkts', kind: 'f64', init: 0 },
  { name: 'ipBytes', kind: 'f64', init: 0 },
  /** Zeek's endpoint state (Z_* in conn.ts) and the one before it. */
  { name: 'z', kind: 'i32', init: 0 },
  { name: 'zPrev', kind: 'i32', init: 0 },
  { name: 'didClose', kind: 'bool', init: 0 },
  /** Current inferred RFC state as an index into TCP_STATES, -1 while nothing is known. */
  { name: 'rfc', kind: 'i32', init: -1 },
  { name: 'port', kind: 'i32', init: 0 },
  { name: 'sentFin', kind: 'bool', init: 0 },
  { name: 'finAcked', kind: 'bool', init: 0 },
  { name: 'acked', kind: 'bool', init: 0 },
  { name: 'hasIsn', kind: 'bool', init: 0 },
  /** The FIN has moved this side's state (it may not have, if sent before the handshake completed). */
  { name: 'finApplied', kind: 'bool', init: 0 },
  /** Entries in the state history (state, time). */
  { name: 'trLen', kind: 'i32', init: 0, internal: true },
  { name: '@conn', kind: 'i32', init: 0, count: 5 },
  { name: 'payloadBytes', kind: 'f64', init: 0 },
  /** Sequence numbers of the last SYN, FIN and RST seen in the history (Zeek's repeat letters). */
  { name: 'histLastSyn', kind: 'u32', init: 0 },
  { name: 'histLastFin', kind: 'u32', init: 0 },
  { name: 'histLastRst', kind: 'u32', init: 0 },
  /** Highest acknowledgement number this side has sent, valid when acked. */
  { name: 'ackNo', kind: 'u32', init: 0 },
  /** Sequence number the peer must acknowledge to cover our FIN; valid when sentFin. */
  { name: 'finAck', kind: 'u32', init: 0 },
  { name: '@conn', kind: 'f64', init: 0, count: 2 },
  // --- touched by handshakes, closes and timers ---
  /** Time of this side's first SYN (NaN if none). */
  { name: 'firstSynAt', kind: 'f64', init: NAN },
  /** First time this side's RST was seen (NaN if none). */
  { name: 'rstAt', kind: 'f64', init: NAN },
  /** This side's ISN (seq of its SYN), valid when hasIsn. */
  { name: 'isn', kind: 'u32', init: 0 },
  /** When this side entered TIME_WAIT (NaN if it did not). */
  { name: 'timeWaitAt', kind: 'f64', init: NAN },
  /** When that TIME_WAIT ends by its timer (known once the timer length was applied). */
  { name: 'timeWaitUntil', kind: 'f64', init: NAN },
  { name: '@conn', kind: 'f64', init: 0, count: 3 },
  /** Times and states of the first TR_INLINE state-history entries (more go to a list beside the store). */
  { name: 'trTime', kind: 'f64', init: 0, count: 8, internal: true },
  { name: 'trState', kind: 'u8', init: 0, count: 8, internal: true },
  // Each counter is followed by its threshold for Zeek's logarithmic history letters (zeek.ts relies on it).
  { name: 'rxmt', kind: 'i32', init: 0 },
  { name: 'rxmtThresh', kind: 'i32', init: 1 },
  { name: 'zeroWin', kind: 'i32', init: 0 },
  { name: 'zeroWinThresh', kind: 'i32', init: 1 },
  { name: 'badCsum', kind: 'i32', init: 0 },
  { name: 'badCsumThresh', kind: 'i32', init: 1 },
  { name: 'synCount', kind: 'i32', init: 0 },
  { name: 'finCount', kind: 'i32', init: 0 },
  { name: 'rstCount', kind: 'i32', init: 0 },
  { name: 'mss', kind: 'i32', init: 0 },
  { name: 'wscale', kind: 'i32', init: -1 },
  { name: 'sackPermitted', kind: 'bool', init: 0 },
  { name: 'timestamps', kind: 'bool', init: 0 },
  /** The initial state was assumed (LISTEN for a responder, ESTABLISHED mid-stream), not observed. */
  { name: 'assumedStart', kind: 'bool', init: 0 },
  { name: '@conn', kind: 'u8', init: 0, count: 16 },
] as const satisfies readonly Field[];

/**
 * The connection's own fields. Each goes, in order, into the next `@conn` room of the side declaration of its
 * kind: a room of count n holds 2n fields (n in each block), so hot connection fields sit beside hot side fields.
 */
export const CONN_FIELDS = [
  // in the i32 room of the first cache lines
  /** Why the connection ended (an index into the tracker's reasons), set before it is handed over. */
  { name: 'endReason', kind: 'i32', init: 0, internal: true },
  /** Which of the two sides is the originator (0 or 1); Zeek may flip it. */
  { name: 'orig', kind: 'i32', init: 0, internal: true },
  /** 4 or 6 (the rich objects carry it as their own field). */
  { name: 'family', kind: 'i32', init: 0, internal: true },
  /** Zeek history letters already recorded (bits per direction, the responder's shifted by 16). */
  { name: 'histSeen', kind: 'i32', init: 0 },
  { name: 'histLen', kind: 'i32', init: 0, internal: true },
  { name: 'id', kind: 'i32', init: 0 },
  { name: 'hash', kind: 'i32', init: 0 },
  { name: 'flipped', kind: 'bool', init: 0 },
  /** Anomaly kinds noted so far, one bit each (KIND_* in flows.ts). */
  { name: 'kinds', kind: 'i32', init: 0, internal: true },
  /** 1 while the slot holds a live connection. */
  { name: 'live', kind: 'i32', init: 0, internal: true },
  // doubles
  /** Last packet of any kind. */
  { name: 'last', kind: 'f64', init: 0 },
  /** Zeek's last_time: stops advancing once both sides closed. */
  { name: 'zLast', kind: 'f64', init: 0 },
  /** When the connection became fully closed (both FIN or a RST), NaN while not. */
  { name: 'closedAt', kind: 'f64', init: NAN },
  /** When the attempt timer fires (first SYN + attempt delay), NaN if not armed. */
  { name: 'attemptAt', kind: 'f64', init: NAN },
  { name: 'start', kind: 'f64', init: 0 },
  { name: 'synAckAt', kind: 'f64', init: NAN },
  /** SYN → SYN-ACK and SYN-ACK → ACK in seconds, at the capture point. */
  { name: 'rttSynToSynAck', kind: 'f64', init: NAN },
  { name: 'rttSynAckToAck', kind: 'f64', init: NAN },
  /** When the connection ended, set before it is handed over. */
  { name: 'endAt', kind: 'f64', init: 0, internal: true },
  /** Zeek history letters kept inline; more continue in a string beside the store. */
  { name: 'hist', kind: 'u8', init: 0, count: 16, internal: true },
] as const satisfies readonly Field[];

type SideName = Exclude<(typeof SIDE_FIELDS)[number]['name'], '@conn'>;
type ConnName = (typeof CONN_FIELDS)[number]['name'];

const SIZE: Record<FieldKind, number> = { f64: 8, u32: 4, i32: 4, bool: 4, u8: 1 };
/** The view a kind is read through; u32 shares the i32 rooms and indexing (same size, same stride). */
const storage = (kind: FieldKind): 'f64' | 'i32' | 'u8' => (kind === 'bool' || kind === 'u32' ? 'i32' : kind);

/** Byte offsets: of side fields within a block, of connection fields from the start of the first block. */
const sideAt = {} as Record<SideName, number>;
const connAt = {} as Record<ConnName, number>;
export const SIDE_AT: Readonly<Record<SideName, number>> = sideAt;
export const CONN_AT: Readonly<Record<ConnName, number>> = connAt;

/** Bytes per side block (a connection's record is two). */
export const BLOCK: number = (() => {
  const rooms: Record<'f64' | 'i32' | 'u8', number[]> = { f64: [], i32: [], u8: [] };
  let at = 0;
  for (const f of SIDE_FIELDS as readonly Field[]) {
    const size = SIZE[f.kind];
    at = Math.ceil(at / size) * size;
    const n = f.count ?? 1;
    if (f.name === '@conn') {
      for (let k = 0; k < n; k++) rooms[storage(f.kind)].push(at + k * size);
    } else {
      (sideAt as Record<string, number>)[f.name] = at;
    }
    at += n * size;
  }
  // Whole cache lines, so a side's first lines (what a packet touches) stay the same lines in both blocks.
  const block = Math.ceil(at / 64) * 64;
  // Fill the rooms: the first block's places, then the second's.
  const places: Record<'f64' | 'i32' | 'u8', number[]> = {
    f64: [...rooms.f64, ...rooms.f64.map((p) => p + block)],
    i32: [...rooms.i32, ...rooms.i32.map((p) => p + block)],
    u8: [...rooms.u8, ...rooms.u8.map((p) => p + block)],
  };
  for (const f of CONN_FIELDS as readonly Field[]) {
    const free = places[storage(f.kind)];
    const n = f.count ?? 1;
    const first = free[0];
    // An array takes consecutive places in one block.
    if (first === undefined || free.length < n || free[n - 1] !== first + (n - 1) * SIZE[f.kind]) {
      throw new Error(`record layout: no room for connection field ${f.name}`);
    }
    free.splice(0, n);
    (connAt as Record<string, number>)[f.name] = first;
  }
  return block;
})();

function index(at: number, kind: 'f64' | 'i32', name: string, fields: readonly Field[]): number {
  const f = fields.find((x) => x.name === name)!;
  if (storage(f.kind) !== kind) throw new Error(`record layout: ${name} is ${f.kind}, not ${kind}`);
  return at / SIZE[kind];
}
const d = (name: SideName) => index(sideAt[name], 'f64', name, SIDE_FIELDS);
/** A u32 field's index in the store's Uint32Array view (the i32 view's stride: s * SIDE_INTS_STRIDE). */
const u = (name: SideName) => {
  if (SIDE_FIELDS.find((x) => x.name === name)!.kind !== 'u32')
    throw new Error(`record layout: ${name} is not u32`);
  return sideAt[name] / 4;
};
const i = (name: SideName) => index(sideAt[name], 'i32', name, SIDE_FIELDS);
const cd = (name: ConnName) => index(connAt[name], 'f64', name, CONN_FIELDS);
const ci = (name: ConnName) => index(connAt[name], 'i32', name, CONN_FIELDS);

/** Strides of a side (s * SD doubles, s * SI integers) and of a connection (c * CD, c * CI, c * CH bytes). */
export const SIDE_DOUBLES_STRIDE = BLOCK / 8;
export const SIDE_INTS_STRIDE = BLOCK / 4;
export const CONN_DOUBLES_STRIDE = (2 * BLOCK) / 8;
export const CONN_INTS_STRIDE = (2 * BLOCK) / 4;
export const CONN_BYTES_STRIDE = 2 * BLOCK;

// Offsets for the hot code (tracker, Zeek layer, inference), which indexes the typed arrays directly: D_*, I_* and
// U_* count doubles, integers and unsigned integers from a side's start (U_* with the integers' stride), CD_* and
// CI_* from its connection's.
export const U_W0 = u('w0');
export const U_W1 = u('w1');
export const U_W2 = u('w2');
export const U_W3 = u('w3');
export const U_LAST_SEQ = u('lastSeq');
export const U_START_SEQ = u('startSeq');
export const D_PKTS = d('pkts');
export const D_IP_BYTES = d('ipBytes');
export const D_PAYLOAD_BYTES = d('payloadBytes');
export const U_HIST_LAST_SYN = u('histLastSyn');
export const U_HIST_LAST_FIN = u('histLastFin');
export const U_HIST_LAST_RST = u('histLastRst');
export const U_ACK_NO = u('ackNo');
export const U_FIN_ACK = u('finAck');
export const D_FIRST_SYN_AT = d('firstSynAt');
export const D_RST_AT = d('rstAt');
export const U_ISN = u('isn');
export const D_TIME_WAIT_AT = d('timeWaitAt');
export const D_TIME_WAIT_UNTIL = d('timeWaitUntil');
export const D_TR = d('trTime');
export const I_Z = i('z');
export const I_Z_PREV = i('zPrev');
export const I_DID_CLOSE = i('didClose');
export const I_RFC = i('rfc');
export const I_PORT = i('port');
export const I_SENT_FIN = i('sentFin');
export const I_FIN_ACKED = i('finAcked');
export const I_ACKED = i('acked');
export const I_HAS_ISN = i('hasIsn');
export const I_FIN_APPLIED = i('finApplied');
export const I_TR_LEN = i('trLen');
/** Byte offset of the state-history states (one byte each) from the side's start (s * BLOCK). */
export const B_TR: number = sideAt.trState;
export const I_RXMT = i('rxmt');
export const I_RXMT_THRESH = i('rxmtThresh');
export const I_ZERO_WIN = i('zeroWin');
export const I_ZERO_WIN_THRESH = i('zeroWinThresh');
export const I_BAD_CSUM = i('badCsum');
export const I_BAD_CSUM_THRESH = i('badCsumThresh');
export const I_SYN_COUNT = i('synCount');
export const I_FIN_COUNT = i('finCount');
export const I_RST_COUNT = i('rstCount');
export const I_MSS = i('mss');
export const I_WSCALE = i('wscale');
export const I_SACK = i('sackPermitted');
export const I_TIMESTAMPS = i('timestamps');
export const I_ASSUMED_START = i('assumedStart');
export const CD_LAST = cd('last');
export const CD_Z_LAST = cd('zLast');
export const CD_START = cd('start');
export const CD_SYN_ACK_AT = cd('synAckAt');
export const CD_END_AT = cd('endAt');
export const CD_CLOSED_AT = cd('closedAt');
export const CD_ATTEMPT_AT = cd('attemptAt');
export const CD_RTT_SYN_TO_SYN_ACK = cd('rttSynToSynAck');
export const CD_RTT_SYN_ACK_TO_ACK = cd('rttSynAckToAck');
export const CI_END_REASON = ci('endReason');
export const CI_ORIG = ci('orig');
export const CI_FAMILY = ci('family');
export const CI_HIST_SEEN = ci('histSeen');
export const CI_HIST_LEN = ci('histLen');
export const CI_ID = ci('id');
export const CI_HASH = ci('hash');
export const CI_FLIPPED = ci('flipped');
export const CI_KINDS = ci('kinds');
export const CI_LIVE = ci('live');
/** Byte offset of the inline history letters from the connection's start. */
export const CH_HIST = connAt.hist;
/** State-history entries and history letters kept inline. */
export const TR_INLINE: number = (SIDE_FIELDS as readonly Field[]).find((f) => f.name === 'trTime')!.count!;
export const HIST_INLINE: number = (CONN_FIELDS as readonly Field[]).find((f) => f.name === 'hist')!.count!;

if (
  I_RXMT_THRESH !== I_RXMT + 1 ||
  I_ZERO_WIN_THRESH !== I_ZERO_WIN + 1 ||
  I_BAD_CSUM_THRESH !== I_BAD_CSUM + 1
) {
  throw new Error('record layout: a counter must be followed by its threshold');
}

/** What a fresh record (both blocks) holds: copied as it is into a slot when a connection starts. */
export const TEMPLATE: Float64Array = (() => {
  const t = new Float64Array(CONN_DOUBLES_STRIDE);
  const ti = new Int32Array(t.buffer);
  const tb = new Uint8Array(t.buffer);
  const put = (at: number, f: Field) => {
    for (let k = 0; k < (f.count ?? 1); k++) {
      if (f.kind === 'f64') t[at / 8 + k] = f.init;
      else if (f.kind === 'u8') tb[at + k] = f.init;
      else ti[at / 4 + k] = f.init;
    }
  };
  for (const f of SIDE_FIELDS as readonly Field[]) {
    if (f.name === '@conn') continue;
    put(sideAt[f.name as SideName], f);
    put(BLOCK + sideAt[f.name as SideName], f);
  }
  for (const f of CONN_FIELDS as readonly Field[]) put(connAt[f.name as ConnName], f);
  return t;
})();

/**
 * The fields the rich objects carry, each with where `materialize` copies it from: `doubles[k]` and `ints[k]` are
 * positions (in doubles or integers) from the side's or the connection's start; the value lands at `slot[k]` in
 * the object's array of numbers (see conn.ts).
 */
export interface RichLayout {
  readonly names: readonly string[];
  readonly bools: ReadonlySet<string>;
  readonly doubleFrom: Int32Array;
  readonly doubleTo: Int32Array;
  readonly intFrom: Int32Array;
  readonly intTo: Int32Array;
  /**
   * Copies the fields from a record into a new number array: straight-line code generated from the table once at
   * load time (a loop over the index arrays above measured ~8 % slower in all, see docs/benchmarks.md).
   */
  readonly copy: (f64: Float64Array, i32: Int32Array, d: number, i: number) => number[];
}

function rich(fields: readonly Field[], at: Record<string, number>): RichLayout {
  const exposed = fields.filter(
    (f) => f.name !== '@conn' && f.internal === undefined && f.count === undefined,
  );
  const names = exposed.map((f) => f.name);
  const dbl = exposed.filter((f) => f.kind === 'f64');
  const int = exposed.filter((f) => f.kind === 'i32' || f.kind === 'bool' || f.kind === 'u32');
  // 0.5 keeps V8's element kind at doubles from the start, so no copied value changes the array's shape.
  const blank = names.map(() => 0.5);
  const body = [
    'const v = blank.slice();',
    ...dbl.map((f) => `v[${names.indexOf(f.name)}] = f64[d + ${at[f.name]! / 8}];`),
    ...int.map(
      (f) => `v[${names.indexOf(f.name)}] = i32[i + ${at[f.name]! / 4}]${f.kind === 'u32' ? ' >>> 0' : ''};`,
    ),
    'return v;',
  ].join('\n');
  const copy = new Function('blank', `return function copy(f64, i32, d, i) {\n${body}\n};`)(
    blank,
  ) as RichLayout['copy'];
  return {
    names,
    bools: new Set(exposed.filter((f) => f.kind === 'bool').map((f) => f.name)),
    doubleFrom: Int32Array.from(dbl, (f) => at[f.name]! / 8),
    doubleTo: Int32Array.from(dbl, (f) => names.indexOf(f.name)),
    intFrom: Int32Array.from(int, (f) => at[f.name]! / 4),
    intTo: Int32Array.from(int, (f) => names.indexOf(f.name)),
    copy,
  };
}

export const SIDE_RICH: RichLayout = rich(SIDE_FIELDS, sideAt);
export const CONN_RICH: RichLayout = rich(CONN_FIELDS, connAt);

type Exposed<F> = F extends
  | { readonly internal: true }
  | { readonly count: number }
  | { readonly name: '@conn' }
  ? never
  : F;
type ValueOf<K> = K extends 'bool' ? boolean : number;
/** The rich side's fields copied from the record, as the table declares them. */
export type SideFields = {
  readonly [F in Exposed<(typeof SIDE_FIELDS)[number]> as F['name']]: ValueOf<F['kind']>;
};
/** The rich connection's fields copied from the record. */
export type ConnFields = {
  readonly [F in Exposed<(typeof CONN_FIELDS)[number]> as F['name']]: ValueOf<F['kind']>;
};

/**
 * Defines on `proto` a getter per field of `layout`, reading the object's number array `v` (booleans as v === 1).
 * Generated once at load time, so the rich classes name no field the table does not declare.
 */
export function defineAccessors(proto: object, layout: RichLayout): void {
  layout.names.forEach((name, k) => {
    const get = layout.bools.has(name)
      ? function (this: { v: number[] }) {
          return this.v[k] === 1;
        }
      : function (this: { v: number[] }) {
          return this.v[k];
        };
    Object.defineProperty(proto, name, { get, enumerable: false, configurable: false });
  });
}

/**
 * Defines on `proto` a getter per exposed field, reading in place from a flow store: `this.st.f64[this.d + k]` or
 * `this.st.i32[this.i + k]`, where d and i are where the side's (or the connection's) doubles and integers start.
 * For the flyweight views of ended.ts, which hand a connection over without copying it.
 */
export function defineViewAccessors(proto: object, fields: readonly Field[], of: 'side' | 'conn'): void {
  const at = (of === 'side' ? sideAt : connAt) as Record<string, number>;
  type View = { st: { f64: Float64Array; i32: Int32Array }; d: number; i: number };
  for (const f of fields) {
    if (f.name === '@conn' || f.internal !== undefined || f.count !== undefined) continue;
    let get: (this: View) => number | boolean;
    if (f.kind === 'f64') {
      const k = at[f.name]! / 8;
      get = function (this: View) {
        return this.st.f64[this.d + k]!;
      };
    } else {
      const k = at[f.name]! / 4;
      get =
        f.kind === 'bool'
          ? function (this: View) {
              return this.st.i32[this.i + k] === 1;
            }
          : f.kind === 'u32'
            ? function (this: View) {
                return this.st.i32[this.i + k]! >>> 0;
              }
            : function (this: View) {
                return this.st.i32[this.i + k]!;
              };
    }
    Object.defineProperty(proto, f.name, { get, enumerable: false, configurable: false });
  }
}
