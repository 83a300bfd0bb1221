import { os } from '../../internal/platform.ts';
import type { Endpoint, Family, Socket, SocketTimer, Warning } from '../../model/snapshot.ts';
import { stateFromLinuxCode } from '../../states/states.ts';

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

/** RFC 5952 text form; IPv4-mapped addresses (::ffff:a.b.c.d) are returned as plain IPv4. */
export function formatIpv6(bytes: readonly number[]): string {
  const isMapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return bytes.slice(12).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // Longest run of two or more zero groups becomes "::" (first one on ties).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

export interface ProcNetTcpOptions {
  /** Added to line numbers in warnings (when the text is part of a larger input). */
  lineOffset?: number;
  /** Byte order of the machine that wrote the file; defaults to this machine's. */
  littleEndian?: boolean;
}

/**
 * A cursor over one line of bytes. Every read returns -1 (or NaN) on malformed input so the caller can turn the
 * whole line into one warning; nothing here allocates except the address strings, which are cached per parse.
 */
class LineReader {
  buf: Buffer;
  pos = 0;
  end = 0;
  /** Digits consumed by the last hex()/dec() call. */
  digits = 0;
  /** High 32 bits of the last hex() value when it had more than 8 digits. */
  high = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  skipSpaces(): void {
    const buf = this.buf;
    let p = this.pos;
    while (p < this.end && (buf[p] === SPACE || buf[p] === TAB)) p++;
    this.pos = p;
  }

  /** Unsigned hex up to 16 digits; returns the low 32 bits (unsigned), the high part lands in `high`. */
  hex(): number {
    const buf = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    const start = p;
    while (p < this.end) {
      const d = HEX[buf[p]!]!;
      if (d < 0) break;
      hi = ((hi << 4) | (lo >>> 28)) >>> 0;
      lo = ((lo << 4) | d) >>> 0;
      p++;
    }
    this.digits = p - start;
    this.high = hi;
    this.pos = p;
    return this.digits === 0 || this.digits > 16 ? -1 : lo;
  }

  /** Unsigned decimal (inode, uid); -1 when there is none. */
  dec(): number {
    const buf = this.buf;
    let p = this.pos;
    let n = 0;
    const start = p;
    while (p < this.end) {
      const c = buf[p]! - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
      p++;
    }
    this.digits = p - start;
    this.pos = p;
    return this.digits === 0 ? -1 : n;
  }

  expect(byte: number): boolean {
    if (this.pos < this.end && this.buf[this.pos] === byte) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** True when the next byte ends the token (space or end of line). */
  atTokenEnd(): boolean {
    return this.pos >= this.end || this.buf[this.pos] === SPACE || this.buf[this.pos] === TAB;
  }
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

/** Eight hex digits known to be valid, as an unsigned 32-bit number. */
function hex8(buf: Buffer, at: number): number {
  let n = 0;
  for (let i = at; i < at + 8; i++) n = (n << 4) | HEX[buf[i]!]!;
  return n >>> 0;
}

/** Reads `HEXADDR:PORT`; returns undefined when malformed. */
function readEndpoint(r: LineReader, cache: AddressCache): Endpoint | undefined {
  const start = r.pos;
  const buf = r.buf;
  let p = start;
  while (p < r.end && HEX[buf[p]!]! >= 0) p++;
  const len = p - start;
  let address: string | undefined;
  if (len === 8) {
    const word = r.hex();
    address = cache.v4.get(word);
    if (address === undefined) {
      address = ipv4FromWord(word, cache.littleEndian);
      cache.v4.set(word, address);
    }
  } else if (len === 32) {
    const w0 = hex8(buf, start);
    const w1 = hex8(buf, start + 8);
    const w2 = hex8(buf, start + 16);
    const w3 = hex8(buf, start + 24);
    r.pos = p;
    address = v6Address(w0, w1, w2, w3, cache);
  } else {
    return undefined;
  }
  if (!r.expect(COLON)) return undefined;
  const port = r.hex();
  if (port < 0 || port > 0xffff || !r.atTokenEnd()) return undefined;
  return { address, port };
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
    const r = new LineReader(buf);
    const { sockets, family, cache } = this;
    let lineStart = start;
    while (lineStart < end) {
      let lineEnd = buf.indexOf(NEWLINE, lineStart);
      if (lineEnd < 0 || lineEnd >= end) {
        if (!last) break;
        lineEnd = end;
      }
      this.lineNo++;
      const thisStart = lineStart;
      r.pos = lineStart;
      r.end = lineEnd > lineStart && buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
      lineStart = lineEnd + 1;
      if (this.lineNo === 1) continue; // header
      r.skipSpaces();
      if (r.pos >= r.end) continue; // blank line
      const socket = readLine(r, family, cache);
      if (socket === undefined) {
        this.warnings.push({
          line: this.lineOffset + this.lineNo,
          message: 'unreadable /proc/net/tcp line',
          text: buf.toString('utf8', thisStart, r.end).trim().slice(0, 200),
        });
        continue;
      }
      sockets.push(socket);
    }
    return Math.min(lineStart, end) - start;
  }
}

function readLine(r: LineReader, family: Family, cache: AddressCache): Socket | undefined {
  // "  46: " slot number
  if (r.dec() < 0 || !r.expect(COLON)) return undefined;
  r.skipSpaces();
  const local = readEndpoint(r, cache);
  if (local === undefined) return undefined;
  r.skipSpaces();
  let remote = readEndpoint(r, cache);
  if (remote === undefined) return undefined;
  r.skipSpaces();
  const code = r.hex();
  const state = code < 0 || !r.atTokenEnd() ? undefined : stateFromLinuxCode(code);
  if (state === undefined) return undefined;
  r.skipSpaces();
  const sendQ = r.hex();
  if (sendQ < 0 || !r.expect(COLON)) return undefined;
  const recvQ = r.hex();
  if (recvQ < 0) return undefined;
  r.skipSpaces();
  const timerCode = r.hex();
  if (timerCode < 0 || !r.expect(COLON)) return undefined;
  let ticks = r.hex();
  if (ticks < 0) return undefined;
  if (r.digits > 8) {
    // A negative long printed with %08lX (older kernels, overdue timer): 16 hex digits of two's complement.
    ticks =
      r.high >= 0x80000000 ? (r.high - 0x100000000) * 0x100000000 + ticks : r.high * 0x100000000 + ticks;
  } else {
    ticks |= 0;
  }
  r.skipSpaces();
  const retransmits = r.hex();
  if (retransmits < 0) return undefined;
  r.skipSpaces();
  const uid = r.dec();
  if (uid < 0) return undefined;
  r.skipSpaces();
  // `timeout`: icsk_probes_out (unanswered zero-window or keepalive probes); printed with %8d.
  const negative = r.expect(45);
  const probes = r.dec();
  if (probes < 0) return undefined;
  r.skipSpaces();
  const inode = r.dec();
  if (inode < 0 || !r.atTokenEnd()) return undefined;
  if (state === 'LISTEN' && remote.port === 0) remote = { address: '*', port: undefined };
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
  if (timerCode !== 0) {
    socket.timer = {
      kind: TIMER_KINDS[timerCode] ?? 'unknown',
      expiresMs: ticks * MS_PER_CLOCK_TICK,
      retransmits,
    };
  }
  if (probes !== 0 && !negative) socket.extra = { probes };
  // refcount, then the socket's kernel address (%pK: zeros when the kernel hides pointers from us).
  r.skipSpaces();
  if (r.dec() >= 0) {
    r.skipSpaces();
    const start = r.pos;
    let nonZero = false;
    const buf = r.buf;
    while (r.pos < r.end && HEX[buf[r.pos]!]! >= 0) {
      if (buf[r.pos] !== 48) nonZero = true;
      r.pos++;
    }
    if (nonZero && r.atTokenEnd()) socket.cookie = buf.toString('latin1', start, r.pos);
  }
  return socket;
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
