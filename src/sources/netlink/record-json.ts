import type { JsonOut } from '../../model/socket-table.ts';
import {
  AF_INET6,
  F_CGROUP,
  F_INFO,
  F_SKMEMINFO,
  INFO_OFF,
  MEM_OFF,
  STATE_BY_CODE,
  TIMER_KINDS,
} from './records.ts';
import type { RecordTable } from './table.ts';

/**
 * A netlink socket written as JSON straight from its dump record: `JSON.stringify(table.socket(i))` byte for byte,
 * without the object. `--json` at 100k sockets spent more on building each socket and walking it key by key than on
 * everything else it writes; here each field goes from the record's words to the output, the fixed parts as
 * pre-made text. Any change to what `SockDiagRecords.socket` or `RecordTable.socket` build must be made here too:
 * test/live/record-json.test.ts compares the two over random records, netlink-json.test.ts on the staged kernel.
 */
export function writeRecordJson(table: RecordTable, i: number, out: JsonOut): void {
  const records = table.records;
  const b = records.bytes;
  const u = records.u32;
  const o = i * records.stride;
  const w = o >> 2;
  // Everything but the cgroup path and the owners is bounded: addresses ≤ 45 bytes, numbers ≤ 24, tcp_info and
  // memory ≤ 900 with their keys. Those two, and tcp_info from the CLOSE_WAIT dump, ask for room of their own.
  let buf = out.reserve(2048);
  let p = out.pos;
  const code = b[o + 1]!;
  p = copy(buf, p, HEADS[(b[o] === AF_INET6 ? 16 : 0) + (code < 16 ? code : 0)]!);
  p = ascii(buf, p, records.address(i, true));
  p = copy(buf, p, PORT);
  p = uint(buf, p, (b[o + 4]! << 8) | b[o + 5]!);
  const remotePort = (b[o + 6]! << 8) | b[o + 7]!;
  const listen = code === 10;
  if (listen && remotePort === 0) {
    p = copy(buf, p, WILDCARD_REMOTE);
  } else {
    p = copy(buf, p, REMOTE);
    p = ascii(buf, p, records.address(i, false));
    p = copy(buf, p, PORT);
    p = uint(buf, p, remotePort);
    p = copy(buf, p, RECV_Q);
  }
  p = uint(buf, p, u[w + 14]!);
  const sendQ = u[w + 15]!;
  p = copy(buf, p, SEND_Q);
  p = uint(buf, p, sendQ);
  const timerCode = b[o + 2]!;
  const idiagRetrans = b[o + 3]!;
  const flags = u[w + 18]!;
  const infoLength = (flags & F_INFO) === 0 ? 0 : u[w + 19]!;
  // As SockDiagRecords.socket: tcp_info's icsk_retransmits when there is tcp_info, idiag_retrans under the
  // retransmit timer (it is probes_out under keepalive/persist), else 0.
  p = copy(buf, p, RETRANSMITS);
  p = uint(buf, p, infoLength >= 104 ? b[o + INFO_OFF + 2]! : timerCode === 1 ? idiagRetrans : 0);
  p = copy(buf, p, UID);
  p = uint(buf, p, u[w + 16]!);
  p = copy(buf, p, INODE);
  p = uint(buf, p, u[w + 17]!);
  if (listen) {
    p = copy(buf, p, BACKLOG);
    p = uint(buf, p, sendQ);
  }
  if (timerCode !== 0) {
    p = copy(buf, p, TIMER_HEADS[timerCode < 5 ? timerCode : 5]!);
    p = uint(buf, p, u[w + 13]!);
    p = copy(buf, p, TIMER_RETRANSMITS);
    p = uint(buf, p, idiagRetrans);
    buf[p++] = CLOSE;
    if ((timerCode === 2 || timerCode === 4) && idiagRetrans !== 0) {
      p = copy(buf, p, PROBES);
      p = uint(buf, p, idiagRetrans);
      buf[p++] = CLOSE;
    }
  }
  const lo = u[w + 11]!;
  const hi = u[w + 12]!;
  p = copy(buf, p, COOKIE);
  // As SockDiagRecords.cookie: the high word only when not 0, then the low word's eight digits.
  if (hi === 0) {
    p = hex(buf, p, lo, 1);
  } else {
    p = hex(buf, p, hi, 1);
    p = hex(buf, p, lo, 8);
  }
  buf[p++] = QUOTE;
  const later =
    code === 8 && table.closeWaitInfo !== undefined ? table.closeWaitInfo.get(records.cookie(i)) : undefined;
  if (later !== undefined) {
    out.pos = copy(buf, p, TCP_INFO);
    out.value(later);
    buf = out.reserve(1024);
    p = out.pos;
  } else if (infoLength >= 104) {
    p = writeTcpInfo(buf, p, u, b, o + INFO_OFF, infoLength);
  }
  if ((flags & F_SKMEMINFO) !== 0) {
    const m = (o + MEM_OFF) >> 2;
    for (let k = 0; k < MEMORY_KEYS.length; k++) {
      p = copy(buf, p, MEMORY_KEYS[k]!);
      p = uint(buf, p, u[m + k]!);
    }
    buf[p++] = CLOSE;
  }
  if ((flags & F_CGROUP) !== 0) {
    const id = u[w + 21]! * 0x100000000 + u[w + 20]!;
    p = copy(buf, p, CGROUP_ID);
    p = num(buf, p, id);
    const paths = table.cgroupPaths;
    const path = paths === undefined ? null : cgroupJson(paths, id);
    if (path !== null) {
      if (p + path.length + 1 > buf.length) {
        out.pos = p;
        buf = out.reserve(path.length + 1);
        p = out.pos;
      }
      p = copy(buf, p, path);
    }
  }
  if (table.owners !== undefined) {
    const processes = table.processes(i);
    if (processes !== undefined) {
      out.pos = copy(buf, p, PROCESSES);
      out.value(processes);
      buf = out.reserve(1);
      p = out.pos;
    }
  }
  buf[p++] = CLOSE;
  out.pos = p;
}

/** `,"cgroup":"…"` for each cgroup id, the path as JSON.stringify writes it, per map of paths (a look's). */
const cgroupTexts = new WeakMap<ReadonlyMap<number, string>, Map<number, Uint8Array | null>>();
/** The last answer: neighbouring sockets mostly share a cgroup (one process's). */
let last: { paths: ReadonlyMap<number, string>; id: number; text: Uint8Array | null } | undefined;

function cgroupJson(paths: ReadonlyMap<number, string>, id: number): Uint8Array | null {
  if (last !== undefined && last.paths === paths && last.id === id) return last.text;
  let texts = cgroupTexts.get(paths);
  if (texts === undefined) {
    texts = new Map();
    cgroupTexts.set(paths, texts);
  }
  let text = texts.get(id);
  if (text === undefined) {
    const path = paths.get(id);
    // JSON.stringify escapes lone surrogates, so its text is well-formed and encodes to UTF-8 as JsonByteWriter would.
    text = path === undefined ? null : Buffer.from(`,"cgroup":${JSON.stringify(path)}`, 'utf8');
    texts.set(id, text);
  }
  last = { paths, id, text };
  return text;
}

/** tcp_info as SockDiagRecords.tcpInfo builds it, key for key (at `at`, `length` bytes of it came). */
function writeTcpInfo(
  buf: Uint8Array,
  p: number,
  u: Uint32Array,
  b: Uint8Array,
  at: number,
  length: number,
): number {
  const w = at >> 2;
  for (let k = 0; k < INFO_FIELDS.length; k++) {
    const [key, word, scale] = INFO_FIELDS[k]!;
    p = copy(buf, p, key);
    p = num(buf, p, word < 0 ? b[at + 2]! : u[w + word]! / scale);
  }
  const ssthresh = u[w + 19]!;
  if (ssthresh > 0 && ssthresh < 0xffff) {
    p = ascii(buf, p, ',"ssthresh":');
    p = uint(buf, p, ssthresh);
  }
  // u64 fields: hi * 2^32 + lo rounds once, to nearest, as Number(bigint) does.
  if (length >= 136) {
    p = ascii(buf, p, ',"bytesAcked":');
    p = num(buf, p, u[w + 31]! * 0x100000000 + u[w + 30]!);
    p = ascii(buf, p, ',"bytesReceived":');
    p = num(buf, p, u[w + 33]! * 0x100000000 + u[w + 32]!);
  }
  if (length >= 152) {
    const minRtt = u[w + 37]!;
    if (minRtt !== 0 && minRtt !== 0xffffffff) {
      p = ascii(buf, p, ',"minRttMs":');
      p = num(buf, p, minRtt / 1000);
    }
  }
  if (length >= 168) {
    p = ascii(buf, p, ',"deliveryRate":');
    p = num(buf, p, u[w + 41]! * 0x100000000 + u[w + 40]!);
  }
  buf[p++] = CLOSE;
  return p;
}

/** tcp_info's always-present fields in SockDiagRecords.tcpInfo's order: key, u32 word (-1: the retransmits byte), divisor. */
const INFO_FIELDS: [Uint8Array, number, number][] = (
  [
    ['rttMs', 17, 1000],
    ['rttVarMs', 18, 1000],
    ['rtoMs', 2, 1000],
    ['cwnd', 20, 1],
    ['sndMss', 4, 1],
    ['rcvMss', 5, 1],
    ['pmtu', 15, 1],
    ['retransmits', -1, 1],
    ['totalRetrans', 25, 1],
    ['unacked', 6, 1],
    ['lost', 8, 1],
    ['lastDataSentMs', 11, 1],
    ['lastDataRecvMs', 13, 1],
    ['lastAckRecvMs', 14, 1],
  ] as const
).map(([key, word, scale], k) => [encode(`${k === 0 ? ',"tcpInfo":{' : ','}"${key}":`), word, scale]);

const QUOTE = 0x22;
const CLOSE = 0x7d;
const DIGITS = '0123456789abcdef';

function encode(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
  return bytes;
}

function copy(buf: Uint8Array, p: number, bytes: Uint8Array): number {
  buf.set(bytes, p);
  return p + bytes.length;
}

/** ASCII text that needs no escaping (an address, a number's text). */
function ascii(buf: Uint8Array, p: number, text: string): number {
  for (let k = 0; k < text.length; k++) buf[p++] = text.charCodeAt(k);
  return p;
}

/** A non-negative integer below 2^32, in decimal. */
function uint(buf: Uint8Array, p: number, n: number): number {
  if (n < 10) {
    buf[p++] = 48 + n;
    return p;
  }
  let digits = 1;
  for (let m = n; m >= 10; m = (m - (m % 10)) / 10) digits++;
  let q = p + digits;
  for (let m = n; q > p; m = (m - (m % 10)) / 10) buf[--q] = 48 + (m % 10);
  return p + digits;
}

/** Any number as JSON.stringify writes it. */
function num(buf: Uint8Array, p: number, n: number): number {
  return n >= 0 && n <= 0xffffffff && Number.isInteger(n) ? uint(buf, p, n) : ascii(buf, p, String(n));
}

/** `n` (a u32) in lower-case hex, at least `width` digits (zero-padded), as Number.toString(16) and padStart. */
function hex(buf: Uint8Array, p: number, n: number, width: number): number {
  let digits = 1;
  for (let m = n >>> 4; m !== 0; m >>>= 4) digits++;
  if (digits < width) digits = width;
  for (let k = digits - 1, m = n; k >= 0; k--, m >>>= 4) buf[p + k] = DIGITS.charCodeAt(m & 15);
  return p + digits;
}

/**
 * `{"protocol":"tcp","family":…,"state":…,"local":{"address":"` for each family (inet, then inet6) and state number
 * below 16 (any other is read as CLOSED, as number 0 is).
 */
const HEADS: Uint8Array[] = [];
for (const family of ['inet', 'inet6']) {
  for (let code = 0; code < 16; code++) {
    const state = STATE_BY_CODE[code] ?? 'CLOSED';
    HEADS.push(encode(`{"protocol":"tcp","family":"${family}","state":"${state}","local":{"address":"`));
  }
}

/** `,"timer":{"kind":…,"expiresMs":` for each timer number up to 5 (5 and above are unknown). */
const TIMER_HEADS: Uint8Array[] = [];
for (let code = 0; code <= 5; code++) {
  TIMER_HEADS.push(encode(`,"timer":{"kind":"${TIMER_KINDS[code] ?? 'unknown'}","expiresMs":`));
}

const PORT = encode('","port":');
const REMOTE = encode('},"remote":{"address":"');
const WILDCARD_REMOTE = encode('},"remote":{"address":"*"},"recvQ":');
const RECV_Q = encode('},"recvQ":');
const SEND_Q = encode(',"sendQ":');
const RETRANSMITS = encode(',"retransmits":');
const UID = encode(',"uid":');
const INODE = encode(',"inode":');
const BACKLOG = encode(',"backlog":');
const TIMER_RETRANSMITS = encode(',"retransmits":');
const PROBES = encode(',"extra":{"probes":');
const COOKIE = encode(',"cookie":"');
const TCP_INFO = encode(',"tcpInfo":');
const CGROUP_ID = encode(',"cgroupId":');
const PROCESSES = encode(',"processes":');

/** SocketMemory's keys in SockDiagRecords.memory's order, with what goes before each. */
const MEMORY_KEYS = [
  'rmemAlloc',
  'rcvbuf',
  'wmemAlloc',
  'sndbuf',
  'fwdAlloc',
  'wmemQueued',
  'optmem',
  'backlog',
  'drops',
].map((key, k) => encode(`${k === 0 ? ',"memory":{' : ','}"${key}":`));
