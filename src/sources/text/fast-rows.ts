import type { Endpoint, Family, Socket } from '../../model/snapshot.ts';
import type { TcpState } from '../../states/states.ts';
import { Collector, intern, type ParseResult, stateOf, stateWord } from './collector.ts';
import { familyOf, normalizeLocal, normalizeRemote, type SplitOptions, splitEndpoint } from './endpoint.ts';
import { datagramKind, NETTOOLS_WIDTH } from './parsers/linux-netstat.ts';
import { netidKind } from './parsers/ss.ts';

/**
 * The plain rows of Linux `ss -tan` and `netstat -tan`, read straight from the bytes.
 *
 * These two are what people paste by the million lines, and the general parsers pay for their generality there:
 * the whole input decoded into one string, a string per line, a string per field. Here a row is scanned once as
 * bytes, numbers are read in place, and the fields that repeat (state words, endpoints: a listener's address on
 * every connection it accepted) are looked up by a hash of their bytes, so a string is made only the first time a
 * spelling is seen. What each field becomes is decided by the same functions the general parsers use.
 *
 * It reads only what it is sure of: the header lines, `tcp` rows with exactly the plain columns, and the netids or
 * protocols the general parsers count as skipped. Any other line (a continuation, `users:(...)`, a timer, a prompt,
 * a localized header, a stray CR, a byte outside ASCII) makes it give up, and the caller runs the general parser on
 * the whole input instead, so the result is always the one the general parser gives (a test checks that).
 */

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const MAX_TOKENS = 8;

const NETTOOLS_SPLIT: SplitOptions = { width: NETTOOLS_WIDTH };
const SS_SPLIT: SplitOptions = {};

export type FastFormat = 'linux-ss' | 'linux-netstat';

interface Cached<T> {
  bytes: Uint8Array;
  value: T;
}

const ENTRY_SLOTS = 1 << 13;

/**
 * Byte strings to values, direct-mapped by FNV-1a hash (a miss overwrites the slot), the bytes compared on a hit:
 * bounded, and cheap when everything misses.
 */
class ByteCache<T> {
  private readonly hashes = new Int32Array(ENTRY_SLOTS);
  private readonly entries: (Cached<T> | undefined)[] = new Array(ENTRY_SLOTS).fill(undefined);

  private get(buf: Buffer, start: number, end: number, hash: number): T | undefined {
    const slot = hash & (ENTRY_SLOTS - 1);
    if (this.hashes[slot] !== hash) return undefined;
    const e = this.entries[slot];
    if (e === undefined) return undefined;
    const bytes = e.bytes;
    const len = end - start;
    if (bytes.length !== len) return undefined;
    for (let i = 0; i < len; i++) if (bytes[i] !== buf[start + i]) return undefined;
    return e.value;
  }

  private set(buf: Buffer, start: number, end: number, hash: number, value: T): void {
    const slot = hash & (ENTRY_SLOTS - 1);
    this.hashes[slot] = hash;
    this.entries[slot] = { bytes: Uint8Array.prototype.slice.call(buf, start, end), value };
  }

  /** The value for these bytes: from the cache, or made from their text by `make` (with `arg`) and kept. */
  resolve<A>(
    buf: Buffer,
    start: number,
    end: number,
    seed: number,
    make: (raw: string, arg: A) => T,
    arg: A,
  ): T {
    const hash = hashBytes(buf, start, end, seed);
    let value = this.get(buf, start, end, hash);
    if (value === undefined) {
      value = make(text(buf, start, end), arg);
      this.set(buf, start, end, hash, value);
    }
    return value;
  }
}

function hashBytes(buf: Buffer, start: number, end: number, seed: number): number {
  let h = (0x811c9dc5 ^ seed) | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h;
}

function text(buf: Buffer, start: number, end: number): string {
  return buf.toString('latin1', start, end);
}

/** A whole token of decimal digits (at most 15, as the general parsers' `int`), or -1. */
function decimal(buf: Buffer, start: number, end: number): number {
  if (end - start === 0 || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

function equals(buf: Buffer, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[start + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** Tokens the last tokenizeLine found (also those past MAX_TOKENS, which it does not record). */
let tokenCount = 0;

/**
 * Finds the tokens of the line at `p` (start and end of each, up to MAX_TOKENS) and returns where it ends (its LF,
 * or the end of the input); -1 for a byte the fast reader does not take: outside ASCII, a control byte, a lone CR.
 * Its own small function so the JIT optimizes this loop, where all the bytes go, early and on its own.
 */
function tokenizeLine(buf: Buffer, p: number, length: number, starts: Int32Array, ends: Int32Array): number {
  let n = 0;
  let start = -1;
  let q = p;
  for (; q < length; q++) {
    const c = buf[q]!;
    if (c > SPACE) {
      if (c > 126) return -1;
      if (start < 0) start = q;
      continue;
    }
    if (c === LF) break;
    if (c === CR) {
      // CRLF ends the line here; a lone CR splits lines differently.
      if (q + 1 >= length || buf[q + 1] !== LF) return -1;
    } else if (c !== SPACE && c !== TAB) {
      return -1;
    }
    if (start >= 0) {
      if (n < MAX_TOKENS) {
        starts[n] = start;
        ends[n] = q;
      }
      n++;
      start = -1;
    }
  }
  if (start >= 0) {
    if (n < MAX_TOKENS) {
      starts[n] = start;
      ends[n] = q;
    }
    n++;
  }
  tokenCount = n;
  return q;
}

/**
 * Endpoints shared by the rows that print them (read-only, as everywhere): a listener's address repeats on every
 * connection it accepted, a busy peer on every connection to it. Direct-mapped caches (a slot per hash, a miss
 * overwrites): a listing of a million distinct peers must not pay for a map that only ever misses, nor grow one.
 */
const ENDPOINT_SLOTS = 1 << 13;
const ADDRESS_SLOTS = 1 << 12;

class Ipv4Cache {
  private readonly epIp = new Int32Array(ENDPOINT_SLOTS);
  private readonly epPort = new Int32Array(ENDPOINT_SLOTS).fill(-1);
  private readonly endpoints: (Endpoint | undefined)[] = new Array(ENDPOINT_SLOTS).fill(undefined);
  private readonly addrIp = new Int32Array(ADDRESS_SLOTS);
  private readonly addresses: (string | undefined)[] = new Array(ADDRESS_SLOTS).fill(undefined);

  /** The endpoint for `ip:port`; `text` makes the address string when it is not cached. */
  get(ip: number, port: number, buf: Buffer, start: number, end: number): Endpoint {
    const slot = (Math.imul(ip ^ Math.imul(port, 0x85ebca6b), 0x9e3779b1) >>> 19) & (ENDPOINT_SLOTS - 1);
    if (this.epIp[slot] === ip && this.epPort[slot] === port) return this.endpoints[slot]!;
    const aslot = Math.imul(ip, 0x9e3779b1) >>> 20;
    let address = this.addresses[aslot];
    if (address === undefined || this.addrIp[aslot] !== ip) {
      address = buf.toString('latin1', start, end);
      this.addresses[aslot] = address;
      this.addrIp[aslot] = ip;
    }
    const endpoint: Endpoint = { address, port };
    this.epIp[slot] = ip;
    this.epPort[slot] = port;
    this.endpoints[slot] = endpoint;
    return endpoint;
  }
}

/**
 * `a.b.c.d:port` read from the bytes, for the common case only: four decimal octets without leading zeros, a
 * decimal port up to 65535. Anything else (IPv6, `*`, a service name, a cut token) returns undefined and goes
 * through the general endpoint reader, as does a port-0 wildcard (`0.0.0.0:0` means "no peer").
 */
function ipv4Endpoint(buf: Buffer, start: number, end: number, cache: Ipv4Cache): Endpoint | undefined {
  let p = start;
  let ip = 0;
  for (let octet = 0; octet < 4; octet++) {
    const from = p;
    let v = 0;
    while (p < end) {
      const c = buf[p]! - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      p++;
    }
    const digits = p - from;
    if (digits === 0 || digits > 3 || v > 255 || (digits > 1 && buf[from] === 48)) return undefined;
    ip = (ip << 8) | v | 0;
    if (p >= end || buf[p] !== (octet < 3 ? 46 : 58)) return undefined; // '.' or ':'
    p++;
  }
  const colon = p - 1;
  const from = p;
  let port = 0;
  while (p < end) {
    const c = buf[p]! - 48;
    if (c < 0 || c > 9) return undefined;
    port = port * 10 + c;
    p++;
  }
  if (p === from || p - from > 5 || port > 65535 || (ip === 0 && port === 0)) return undefined;
  return cache.get(ip, port, buf, start, colon);
}

interface LocalEnd {
  family: Family;
  endpoint: Endpoint;
}

/**
 * Parses `buf` as `format` if every line is one it is sure of; undefined means "use the general parser". Line
 * numbers count LF-terminated lines as the general parser's line split does (CRLF allowed, a lone CR is not).
 */
export function parseFastRows(buf: Buffer, format: FastFormat): ParseResult | undefined {
  const ss = format === 'linux-ss';
  const split = ss ? SS_SPLIT : NETTOOLS_SPLIT;
  const out = new Collector();
  const states = new ByteCache<{ state: TcpState | undefined; raw: string }>();
  const locals = new ByteCache<LocalEnd>();
  const remotes = new ByteCache<Endpoint>();
  // Made once per input (not per row), so resolving a cached token allocates nothing.
  const makeState = ss
    ? (raw: string) => stateWord(raw)
    : (raw: string) => ({ state: stateOf(raw), raw: intern(raw) });
  const makeLocal = (raw: string, hint: string | undefined): LocalEnd => {
    const endpoint = splitEndpoint(raw, 'colon', split);
    const family = familyOf(endpoint, hint);
    return { family, endpoint: normalizeLocal(endpoint, family) };
  };
  const makeRemote = (raw: string) => normalizeRemote(splitEndpoint(raw, 'colon', split));
  const endpoints = new Ipv4Cache();
  const starts = new Int32Array(MAX_TOKENS);
  const ends = new Int32Array(MAX_TOKENS);
  const length = buf.length;
  let lineNo = 0;
  let p = 0;
  while (p < length) {
    lineNo++;
    // Tokens of this line, and its end.
    const q = tokenizeLine(buf, p, length, starts, ends);
    if (q < 0) return undefined;
    const n = tokenCount;
    const lineStart = p;
    p = q + 1;
    if (n === 0) continue;
    if (buf[lineStart] === SPACE || buf[lineStart] === TAB) return undefined;

    const s0 = starts[0]!;
    const e0 = ends[0]!;
    let k: number;
    let hint: string | undefined;
    if (ss) {
      if (equals(buf, s0, e0, 'Netid') || equals(buf, s0, e0, 'State') || equals(buf, s0, e0, 'Recv-Q'))
        continue;
      const c0 = buf[s0]!;
      k = 0;
      if (c0 >= 97 && c0 <= 122) {
        // Most rows say tcp: compared in place, without making a string.
        const netid = equals(buf, s0, e0, 'tcp') ? 'tcp' : netidKind(text(buf, s0, e0));
        if (netid === undefined) return undefined;
        if (netid !== 'tcp') {
          out.skip(netid);
          continue;
        }
        k = 1;
      }
      // The state column: a row without one (`ss state X`) is the general parser's business.
      if (n !== k + 5 || decimal(buf, starts[k]!, ends[k]!) >= 0) return undefined;
    } else {
      if (equals(buf, s0, e0, 'Proto')) {
        // Columns beyond the state (-e, -p, -o) are the general parser's business.
        for (let t = 1; t < Math.min(n, MAX_TOKENS); t++)
          if (equals(buf, starts[t]!, ends[t]!, 'User')) return undefined;
        continue;
      }
      if (equals(buf, s0, e0, 'Active')) {
        const title = text(buf, lineStart, q);
        if (!/^Active Internet connections\b/.test(title)) return undefined;
        continue;
      }
      if (equals(buf, s0, e0, 'tcp')) hint = 'tcp';
      else if (equals(buf, s0, e0, 'tcp6')) hint = 'tcp6';
      else {
        const datagram = datagramKind(text(buf, s0, e0));
        if (datagram === undefined) return undefined;
        out.skip(datagram);
        continue;
      }
      if (n !== 6) return undefined;
      k = 0;
    }

    // ss: [tcp] STATE Recv-Q Send-Q Local Peer; netstat: tcp Recv-Q Send-Q Local Foreign STATE.
    const stateAt = ss ? k : 5;
    const numbersAt = ss ? k + 1 : 1;
    const word = states.resolve(buf, starts[stateAt]!, ends[stateAt]!, 0, makeState, undefined);
    const state = word.state;
    if (state === undefined) return undefined;
    const recvQ = decimal(buf, starts[numbersAt]!, ends[numbersAt]!);
    const sendQ = decimal(buf, starts[numbersAt + 1]!, ends[numbersAt + 1]!);
    if (recvQ < 0 || sendQ < 0) return undefined;

    const sLocal = starts[numbersAt + 2]!;
    const eLocal = ends[numbersAt + 2]!;
    let family: Family;
    let localEnd = ipv4Endpoint(buf, sLocal, eLocal, endpoints);
    if (localEnd !== undefined) {
      // What familyOf says for a dotted quad: IPv4, unless net-tools listed it as tcp6.
      family = hint === 'tcp6' ? 'inet6' : 'inet';
    } else {
      // The family depends on the line's protocol hint too: it is part of the key (the seed).
      const seed = hint === 'tcp6' ? 6 : hint === 'tcp' ? 4 : 0;
      const local = locals.resolve(buf, sLocal, eLocal, seed, makeLocal, hint);
      family = local.family;
      localEnd = local.endpoint;
    }
    const sRemote = starts[numbersAt + 3]!;
    const eRemote = ends[numbersAt + 3]!;
    const remote =
      ipv4Endpoint(buf, sRemote, eRemote, endpoints) ??
      remotes.resolve(buf, sRemote, eRemote, 0, makeRemote, undefined);

    // The same fields, in the same order, as the general parsers write them.
    const socket: Socket = !ss
      ? {
          protocol: 'tcp',
          family,
          state,
          local: localEnd,
          remote,
          recvQ,
          sendQ,
          rawState: word.raw,
          line: lineNo,
        }
      : state === 'LISTEN'
        ? {
            protocol: 'tcp',
            family,
            state,
            local: localEnd,
            remote,
            recvQ,
            sendQ,
            line: lineNo,
            rawState: word.raw,
            backlog: sendQ,
          }
        : {
            protocol: 'tcp',
            family,
            state,
            local: localEnd,
            remote,
            recvQ,
            sendQ,
            line: lineNo,
            rawState: word.raw,
          };
    out.sockets.push(socket);
  }
  return out.result('linux');
}
