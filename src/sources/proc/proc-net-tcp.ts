import { formatIpv6 } from '../../internal/address.ts';
import { os } from '../../internal/platform.ts';
import type { Endpoint, Family, Socket, SocketTimer, Warning } from '../../model/snapshot.ts';
import { stateFromLinuxCode, type TcpState } from '../../states/states.ts';

/**
 * USER_HZ: /proc prints `tm->when` through jiffies_delta_to_clock_t(), i.e. in clock ticks of 1/100 s on every Linux
 * ABI (it is part of the user ABI, independent of the kernel's CONFIG_HZ). One tick is therefore 10 ms.
 */
const MS_PER_CLOCK_TICK = 10;

const TIMER_KINDS: readonly SocketTimer['kind'][] = ['off', 'on', 'keepalive', 'timewait', 'persist'];

/** Hex digit value of a byte, -1 for anything else. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

const SPACE = 32;
const TAB = 9;
const COLON = 58;
const NEWLINE = 10;
const CR = 13;

function ipv4FromWord(word: number, littleEndian: boolean): string {
  return littleEndian
    ? `${word & 0xff}.${(word >>> 8) & 0xff}.${(word >>> 16) & 0xff}.${word >>> 24}`
    : `${word >>> 24}.${(word >>> 16) & 0xff}.${(word >>> 8) & 0xff}.${word & 0xff}`;
}

function pushWordBytes(bytes: number[], word: number, littleEndian: boolean): void {
  if (littleEndian) bytes.push(word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24);
  else bytes.push(word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff);
}

/**
 * Decodes the hex address of /proc/net/tcp{,6}. The kernel prints each 32-bit word of the in-memory (network order)
 * address as a host-order integer, so on little-endian machines every 4-byte group is byte-reversed.
 */
export function decodeProcAddress(hex: string, littleEndian = os.littleEndian): string {
  if (hex.length === 8) return ipv4FromWord(Number.parseInt(hex, 16) >>> 0, littleEndian);
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    pushWordBytes(bytes, Number.parseInt(hex.slice(w * 8, w * 8 + 8), 16) >>> 0, littleEndian);
  }
  return formatIpv6(bytes);
}

export interface ProcNetTcpOptions {
  /** Added to line numbers in warnings (when the text is part of a larger input). */
  lineOffset?: number;
  /** Byte order of the machine that wrote the file; defaults to this machine's. */
  littleEndian?: boolean;
}

interface V6Entry {
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  text: string;
}

interface AddressCache {
  v4: Map<number, string>;
  /** Keyed by a hash of the four words, checked word by word: no string is built for an address seen before. */
  v6: Map<number, V6Entry[]>;
  littleEndian: boolean;
}

function ipv6Text(w0: number, w1: number, w2: number, w3: number, littleEndian: boolean): string {
  const bytes: number[] = [];
  pushWordBytes(bytes, w0, littleEndian);
  pushWordBytes(bytes, w1, littleEndian);
  pushWordBytes(bytes, w2, littleEndian);
  pushWordBytes(bytes, w3, littleEndian);
  return formatIpv6(bytes);
}

function v6Address(w0: number, w1: number, w2: number, w3: number, cache: AddressCache): string {
  const hash = (Math.imul(w0 ^ Math.imul(w1, 0x9e3779b1), 31) ^ Math.imul(w2, 0x85ebca6b) ^ w3) | 0;
  let bucket = cache.v6.get(hash);
  if (bucket !== undefined) {
    for (const e of bucket) if (e.w0 === w0 && e.w1 === w1 && e.w2 === w2 && e.w3 === w3) return e.text;
  } else {
    bucket = [];
    cache.v6.set(hash, bucket);
  }
  const text = ipv6Text(w0, w1, w2, w3, cache.littleEndian);
  bucket.push({ w0, w1, w2, w3, text });
  return text;
}

/**
 * Parses the bytes of /proc/net/tcp or /proc/net/tcp6 (the first line is the header). Lines it cannot read become
 * warnings, never exceptions. Remote `0.0.0.0:0` of a listener is reported as the wildcard `*`.
 *
 * Written for 100k-socket tables: one pass over the bytes, hex and decimal read by hand, address strings cached.
 */
export function parseProcNetTcpBytes(
  bytes: Uint8Array,
  family: Family,
  warnings: Warning[] = [],
  options: ProcNetTcpOptions = {},
): Socket[] {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parser = new ProcNetTcpParser(family, warnings, options);
  parser.feed(buf, 0, buf.length, true);
  return parser.sockets;
}

/**
 * The same parser fed chunk by chunk, so reading the next chunk from the kernel (in libuv's thread pool) overlaps
 * parsing this one. `feed` parses the complete lines of `buf[start, end)` and returns where the unfinished last line
 * begins; the caller passes that remainder again, in front of the next chunk.
 */
export class ProcNetTcpParser {
  readonly sockets: Socket[] = [];
  private readonly family: Family;
  private readonly warnings: Warning[];
  private readonly lineOffset: number;
  private readonly cache: AddressCache;
  private lineNo = 0;

  constructor(family: Family, warnings: Warning[] = [], options: ProcNetTcpOptions = {}) {
    this.family = family;
    this.warnings = warnings;
    this.lineOffset = options.lineOffset ?? 0;
    this.cache = { v4: new Map(), v6: new Map(), littleEndian: options.littleEndian ?? os.littleEndian };
  }

  /** Parses the lines in `buf[start, end)`; with `last`, a final line without a newline too. Returns the bytes used. */
  feed(buf: Buffer, start: number, end: number, last = false): number {
    const { sockets, family, cache } = this;
    let lineStart = start;
    while (lineStart < end) {
      // Parse first, then look for the newline from where the parse stopped: one pass over the bytes. The parse
      // stops at a newline (it is neither a digit nor a blank), so a line never bleeds into the next.
      let p = lineStart;
      let socket: Socket | undefined;
      const header = this.lineNo === 0;
      if (header) {
        stoppedAt = p;
      } else {
        while (p < end && isSpace(buf[p]!)) p++;
        socket = parseLine(buf, p, end, family, cache);
      }
      let lineEnd = stoppedAt;
      while (lineEnd < end && buf[lineEnd] !== NEWLINE) lineEnd++;
      if (lineEnd >= end && !last) break; // unfinished: the caller passes it again with the next chunk
      this.lineNo++;
      const thisStart = lineStart;
      lineStart = lineEnd + 1;
      if (socket !== undefined) {
        sockets.push(socket);
        continue;
      }
      if (header) continue;
      const textEnd = lineEnd > thisStart && buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
      const text = buf.toString('utf8', thisStart, textEnd).trim();
      if (text === '') continue; // blank line
      this.warnings.push({
        line: this.lineOffset + this.lineNo,
        message: 'unreadable /proc/net/tcp line',
        text: text.slice(0, 200),
      });
    }
    return Math.min(lineStart, end) - start;
  }
}

/** Where the last `parseLine` stopped reading (the caller finds the line's end from there). */
let stoppedAt = 0;

/** The number the last scanHex/scanDec read. */
let value = 0;

/** Reads hex digits from `p`; returns where they end (`p` when there are none), the number in `value`. */
function scanHex(buf: Buffer, p: number, end: number): number {
  let v = 0;
  for (; p < end; p++) {
    const d = HEX[buf[p]!]!;
    if (d < 0) break;
    v = v * 16 + d;
  }
  value = v;
  return p;
}

/** Reads decimal digits from `p`; returns where they end, the number in `value`. */
function scanDec(buf: Buffer, p: number, end: number): number {
  let v = 0;
  for (; p < end; p++) {
    const c = buf[p]! - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
  }
  value = v;
  return p;
}

/** A hex field of 1 to 16 digits at `p`: where it ends, the number in `value`; -1 when there is none. */
function hexField(buf: Buffer, p: number, end: number): number {
  const q = scanHex(buf, p, end);
  return q === p || q - p > 16 ? -1 : q;
}

/** A decimal field of at least one digit at `p`: where it ends, the number in `value`; -1 when there is none. */
function decField(buf: Buffer, p: number, end: number): number {
  const q = scanDec(buf, p, end);
  return q === p ? -1 : q;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** True when `c` (or the end of the input) ends a token. */
function endsToken(buf: Buffer, p: number, end: number): boolean {
  if (p >= end) return true;
  const c = buf[p]!;
  return c === SPACE || c === TAB || c === NEWLINE || c === CR;
}

function endpoint(address: string, port: number | undefined): Endpoint {
  return { address, port };
}

/**
 * Parses one line starting at `p` (after leading blanks), reading at most up to `end`; sets `stoppedAt`. Returns
 * undefined when the line is malformed.
 *
 * One function with its loops written out, rather than a cursor object with small methods: a snapshot is a single
 * pass over 100k lines by a process that has just started, so most of it runs before the JIT has warmed up, and
 * there every call and property load counts. The line's fields, from the kernel's get_tcp4_sock():
 * `sl: local rem st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode refcnt sk ...`.
 */
function parseLine(
  buf: Buffer,
  p: number,
  end: number,
  family: Family,
  cache: AddressCache,
): Socket | undefined {
  let n = 0;
  stoppedAt = p;
  // "  46:" slot number
  p = decField(buf, p, end);
  if (p < 0 || p >= end || buf[p] !== COLON) return undefined;
  p++;
  while (p < end && isSpace(buf[p]!)) p++;

  // local and remote HEXADDR:PORT
  let local: Endpoint | undefined;
  let remote: Endpoint | undefined;
  for (let side = 0; side < 2; side++) {
    for (n = p; p < end && HEX[buf[p]!]! >= 0; p++);
    let address: string | undefined;
    if (p - n === 8) {
      let word = 0;
      for (let i = n; i < p; i++) word = (word << 4) | HEX[buf[i]!]!;
      word >>>= 0;
      address = cache.v4.get(word);
      if (address === undefined) {
        address = ipv4FromWord(word, cache.littleEndian);
        cache.v4.set(word, address);
      }
    } else if (p - n === 32) {
      let w0 = 0;
      let w1 = 0;
      let w2 = 0;
      let w3 = 0;
      for (let i = 0; i < 8; i++) {
        w0 = (w0 << 4) | HEX[buf[n + i]!]!;
        w1 = (w1 << 4) | HEX[buf[n + 8 + i]!]!;
        w2 = (w2 << 4) | HEX[buf[n + 16 + i]!]!;
        w3 = (w3 << 4) | HEX[buf[n + 24 + i]!]!;
      }
      address = v6Address(w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0, cache);
    } else {
      return undefined;
    }
    if (p >= end || buf[p] !== COLON) return undefined;
    p++;
    p = hexField(buf, p, end);
    if (p < 0 || value > 0xffff || !endsToken(buf, p, end)) return undefined;
    if (side === 0) local = endpoint(address, value);
    else remote = endpoint(address, value);
    while (p < end && isSpace(buf[p]!)) p++;
  }

  // st
  p = hexField(buf, p, end);
  if (p < 0 || !endsToken(buf, p, end)) return undefined;
  const state = stateFromLinuxCode(value);
  if (state === undefined) return undefined;
  while (p < end && isSpace(buf[p]!)) p++;

  // tx_queue:rx_queue
  p = hexField(buf, p, end);
  if (p < 0 || p >= end || buf[p] !== COLON) return undefined;
  const sendQ = value;
  p = hexField(buf, p + 1, end);
  if (p < 0) return undefined;
  const recvQ = value;
  while (p < end && isSpace(buf[p]!)) p++;

  // tr:tm->when
  p = hexField(buf, p, end);
  if (p < 0 || p >= end || buf[p] !== COLON) return undefined;
  const timerCode = value;
  p++;
  let hi = 0;
  let lo = 0;
  for (n = p; p < end && HEX[buf[p]!]! >= 0; p++) {
    hi = ((hi << 4) | (lo >>> 28)) >>> 0;
    lo = ((lo << 4) | HEX[buf[p]!]!) >>> 0;
  }
  if (p === n || p - n > 16) return undefined;
  // More than 8 digits: a negative long printed with %08lX (older kernels, overdue timer), two's complement.
  const ticks =
    p - n <= 8 ? lo | 0 : hi >= 0x80000000 ? (hi - 0x100000000) * 0x100000000 + lo : hi * 0x100000000 + lo;
  while (p < end && isSpace(buf[p]!)) p++;

  // retrnsmt
  p = hexField(buf, p, end);
  if (p < 0) return undefined;
  const retransmits = value;
  while (p < end && isSpace(buf[p]!)) p++;

  // uid, decimal
  p = decField(buf, p, end);
  if (p < 0) return undefined;
  const uid = value;
  while (p < end && isSpace(buf[p]!)) p++;

  // timeout: icsk_probes_out (unanswered zero-window or keepalive probes), printed with %8d.
  const negative = p < end && buf[p] === 45;
  if (negative) p++;
  p = decField(buf, p, end);
  if (p < 0) return undefined;
  const probes = value;
  while (p < end && isSpace(buf[p]!)) p++;

  // inode
  p = decField(buf, p, end);
  if (p < 0 || !endsToken(buf, p, end)) return undefined;
  const inode = value;

  if (state === 'LISTEN' && remote!.port === 0) remote = endpoint('*', undefined);
  const timer: SocketTimer | undefined =
    timerCode === 0
      ? undefined
      : { kind: TIMER_KINDS[timerCode] ?? 'unknown', expiresMs: ticks * MS_PER_CLOCK_TICK, retransmits };
  stoppedAt = p;

  // refcount, then the socket's kernel address (%pK: zeros when the kernel hides pointers from us).
  let cookie: string | undefined;
  while (p < end && isSpace(buf[p]!)) p++;
  for (n = p; p < end && isDigit(buf[p]!); p++);
  if (p > n) {
    while (p < end && isSpace(buf[p]!)) p++;
    let nonZero = false;
    for (n = p; p < end && HEX[buf[p]!]! >= 0; p++) if (buf[p] !== 48) nonZero = true;
    stoppedAt = p;
    if (nonZero && endsToken(buf, p, end)) cookie = latin1(buf, n, p);
  }
  const probing = probes !== 0 && !negative;
  return makeSocket(
    family,
    state,
    local!,
    remote!,
    recvQ,
    sendQ,
    retransmits,
    uid,
    inode,
    timer,
    cookie,
    probing ? probes : 0,
  );
}

/**
 * Builds the socket with all its fields in one object literal: adding a property to an object after it is made
 * moves it out of the object's own slots into a separate array, which for 100k sockets costs more than the rest
 * of the parse. Key order is the same in every shape (base fields, timer, extra, cookie).
 */
function makeSocket(
  family: Family,
  state: TcpState,
  local: Endpoint,
  remote: Endpoint,
  recvQ: number,
  sendQ: number,
  retransmits: number,
  uid: number,
  inode: number,
  timer: SocketTimer | undefined,
  cookie: string | undefined,
  probes: number,
): Socket {
  if (probes !== 0) {
    // Rare (sockets probing a zero window or a dead keepalive peer): the general, slower shape.
    const socket: Socket = {
      protocol: 'tcp',
      family,
      state,
      local,
      remote,
      recvQ,
      sendQ,
      retransmits,
      uid,
      inode,
    };
    if (timer !== undefined) socket.timer = timer;
    socket.extra = { probes };
    if (cookie !== undefined) socket.cookie = cookie;
    return socket;
  }
  if (timer === undefined) {
    return cookie === undefined
      ? { protocol: 'tcp', family, state, local, remote, recvQ, sendQ, retransmits, uid, inode }
      : { protocol: 'tcp', family, state, local, remote, recvQ, sendQ, retransmits, uid, inode, cookie };
  }
  return cookie === undefined
    ? { protocol: 'tcp', family, state, local, remote, recvQ, sendQ, retransmits, uid, inode, timer }
    : { protocol: 'tcp', family, state, local, remote, recvQ, sendQ, retransmits, uid, inode, timer, cookie };
}

/**
 * Short ASCII text of bytes. `Buffer#toString` crosses into C++ on every call, which for 100k sixteen-character
 * socket addresses costs more than building them here.
 */
function latin1(buf: Buffer, from: number, to: number): string {
  if (to - from !== 16) return buf.toString('latin1', from, to);
  return String.fromCharCode(
    buf[from]!,
    buf[from + 1]!,
    buf[from + 2]!,
    buf[from + 3]!,
    buf[from + 4]!,
    buf[from + 5]!,
    buf[from + 6]!,
    buf[from + 7]!,
    buf[from + 8]!,
    buf[from + 9]!,
    buf[from + 10]!,
    buf[from + 11]!,
    buf[from + 12]!,
    buf[from + 13]!,
    buf[from + 14]!,
    buf[from + 15]!,
  );
}

/**
 * Parses the text of /proc/net/tcp or /proc/net/tcp6. Lines it cannot read become warnings, never exceptions.
 * Remote `0.0.0.0:0` of a listener is reported as the wildcard `*`.
 */
export function parseProcNetTcp(
  text: string,
  family: Family,
  warnings: Warning[] = [],
  lineOffset = 0,
): Socket[] {
  return parseProcNetTcpBytes(Buffer.from(text, 'utf8'), family, warnings, { lineOffset });
}
