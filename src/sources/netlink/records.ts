import { formatIpv6 } from '../../internal/address.ts';
import type { Endpoint, Family, Socket, SocketMemory, SocketTimer, TcpInfo } from '../../model/snapshot.ts';
import { stateFromLinuxCode, type TcpState } from '../../states/states.ts';

/**
 * The records the native reader (native/sock_diag.c) hands over: one fixed-size record per socket in one
 * ArrayBuffer, decoded here. Bump LAYOUT_VERSION with the C side.
 *
 *   0   struct inet_diag_msg as the kernel sent it (72 bytes): family u8, state u8, timer u8, retrans u8,
 *       sport be16 @4, dport be16 @6, src[16] @8, dst[16] @24, ifindex u32 @40, cookie u32[2] @44,
 *       expires u32 @52 (ms), rqueue u32 @56, wqueue u32 @60, uid u32 @64, inode u32 @68
 *   72  flags u32 (which attributes came), 76 tcp_info length u32, 80 cgroup id u64, 88 shutdown u8
 *   96  (extended records only) skmeminfo u32[10], 136 tcp_info (first 248 bytes)
 */
export const LAYOUT_VERSION = 1;
export const BASE_SIZE = 96;
export const FULL_SIZE = 384;
export const MEM_OFF = 96;
export const INFO_OFF = 136;

export const F_INFO = 1;
export const F_SKMEMINFO = 2;
export const F_CGROUP = 4;

/** idiag_ext bits: attributes asked for (1 << (INET_DIAG_x - 1)). */
export const EXT_INFO = 1 << 1;
export const EXT_SKMEMINFO = 1 << 6;

export const AF_INET = 2;
export const AF_INET6 = 10;

export const TIMER_KINDS: readonly SocketTimer['kind'][] = ['off', 'on', 'keepalive', 'timewait', 'persist'];

/** Kernel state number of each state; SYN_RECEIVED is also 12 (TCP_NEW_SYN_RECV, request sockets). */
const STATE_CODES: Record<TcpState, number[]> = {
  ESTABLISHED: [1],
  SYN_SENT: [2],
  SYN_RECEIVED: [3, 12],
  FIN_WAIT_1: [4],
  FIN_WAIT_2: [5],
  TIME_WAIT: [6],
  CLOSED: [7],
  CLOSE_WAIT: [8],
  LAST_ACK: [9],
  LISTEN: [10],
  CLOSING: [11],
};

/** Every state (`ss`'s SS_ALL). */
export const ALL_STATES_MASK = 0x1ffe;

/** The `idiag_states` mask that asks the kernel for just these states; undefined or empty means all. */
export function statesMask(states: Iterable<TcpState> | undefined): number {
  if (states === undefined) return ALL_STATES_MASK;
  let mask = 0;
  for (const s of states) for (const code of STATE_CODES[s]) mask |= 1 << code;
  return mask === 0 ? ALL_STATES_MASK : mask;
}

/** State of each kernel state number below 16 (the rest, and unknown ones, are read as CLOSED). */
export const STATE_BY_CODE: (TcpState | undefined)[] = [];
for (let code = 0; code < 16; code++) STATE_BY_CODE.push(stateFromLinuxCode(code));

/** One dump's records, read in place; `socket(i)` builds the model object only when asked. */
export class SockDiagRecords {
  readonly count: number;
  readonly stride: number;
  readonly bytes: Uint8Array;
  /** The same bytes as 32-bit words (host order, as the kernel wrote them). */
  readonly u32: Uint32Array;
  private readonly view: DataView;
  private readonly v4Names = new Map<number, string>();
  private readonly v6Names = new Map<
    number,
    { w0: number; w1: number; w2: number; w3: number; text: string }[]
  >();

  constructor(buffer: ArrayBuffer, stride: number) {
    if (stride !== BASE_SIZE && stride !== FULL_SIZE) throw new Error(`unknown record size ${stride}`);
    if (buffer.byteLength % stride !== 0)
      throw new Error(`records: ${buffer.byteLength} bytes is not a multiple of ${stride}`);
    this.stride = stride;
    this.count = buffer.byteLength / stride;
    this.bytes = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.view = new DataView(buffer);
  }

  /** Kernel state number (1 ESTABLISHED ... 10 LISTEN, 11 CLOSING, 12 NEW_SYN_RECV). */
  stateCode(i: number): number {
    return this.bytes[i * this.stride + 1]!;
  }

  state(i: number): TcpState {
    return STATE_BY_CODE[this.bytes[i * this.stride + 1]!] ?? 'CLOSED';
  }

  family(i: number): Family {
    return this.bytes[i * this.stride] === AF_INET6 ? 'inet6' : 'inet';
  }

  localPort(i: number): number {
    const o = i * this.stride;
    return (this.bytes[o + 4]! << 8) | this.bytes[o + 5]!;
  }

  remotePort(i: number): number {
    const o = i * this.stride;
    return (this.bytes[o + 6]! << 8) | this.bytes[o + 7]!;
  }

  /** Receive queue; for LISTEN, the accept queue. */
  rqueue(i: number): number {
    return this.u32[(i * this.stride + 56) >> 2]!;
  }

  /** Send queue; for LISTEN, the accept backlog (sk_max_ack_backlog). */
  wqueue(i: number): number {
    return this.u32[(i * this.stride + 60) >> 2]!;
  }

  uid(i: number): number {
    return this.u32[(i * this.stride + 64) >> 2]!;
  }

  inode(i: number): number {
    return this.u32[(i * this.stride + 68) >> 2]!;
  }

  /** The socket cookie as `ss` prints it after `sk:` (hex). */
  cookie(i: number): string {
    const w = (i * this.stride + 44) >> 2;
    const lo = this.u32[w]!;
    const hi = this.u32[w + 1]!;
    return hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, '0');
  }

  flags(i: number): number {
    return this.u32[(i * this.stride + 72) >> 2]!;
  }

  /** cgroup v2 id, or 0 when the kernel did not send one (request and TIME_WAIT sockets have none). */
  cgroupId(i: number): number {
    if ((this.flags(i) & F_CGROUP) === 0) return 0;
    return this.u64(i * this.stride + 80);
  }

  hasCgroupId(i: number): boolean {
    return (this.flags(i) & F_CGROUP) !== 0;
  }

  /** A little-endian u64 at byte offset `o` as a number (rounded as Number(bigint) rounds), with no BigInt made. */
  private u64(o: number): number {
    const w = o >> 2;
    return this.u32[w + 1]! * 0x100000000 + this.u32[w]!;
  }

  /** Bytes of tcp_info the kernel sent (0 when absent). */
  infoLength(i: number): number {
    return (this.flags(i) & F_INFO) === 0 ? 0 : this.u32[(i * this.stride + 76) >> 2]!;
  }

  /** A u32 field of tcp_info at `offset`, or undefined when this socket has no tcp_info that long. */
  infoU32(i: number, offset: number): number | undefined {
    if (this.infoLength(i) < offset + 4) return undefined;
    return this.u32[(i * this.stride + INFO_OFF + offset) >> 2];
  }

  /** Milliseconds since data was last received / an ACK last received (the idle time of a CLOSE_WAIT). */
  lastDataRecvMs(i: number): number | undefined {
    return this.infoU32(i, 52);
  }

  lastAckRecvMs(i: number): number | undefined {
    return this.infoU32(i, 56);
  }

  /** The record's bytes (for SOCK_DESTROY). */
  record(i: number): Uint8Array {
    return this.bytes.subarray(i * this.stride, (i + 1) * this.stride);
  }

  address(i: number, local: boolean): string {
    const o = i * this.stride + (local ? 8 : 24);
    const b = this.bytes;
    if (b[i * this.stride] !== AF_INET6) {
      const key = this.u32[o >> 2]!;
      let name = this.v4Names.get(key);
      if (name === undefined) {
        name = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
        this.v4Names.set(key, name);
      }
      return name;
    }
    const w = o >> 2;
    const u = this.u32;
    // Keyed by a hash of the four words, checked word by word: no key string is built for an address seen before.
    const w0 = u[w]!;
    const w1 = u[w + 1]!;
    const w2 = u[w + 2]!;
    const w3 = u[w + 3]!;
    const hash = (Math.imul(w0 ^ Math.imul(w1, 0x9e3779b1), 31) ^ Math.imul(w2, 0x85ebca6b) ^ w3) | 0;
    let bucket = this.v6Names.get(hash);
    if (bucket !== undefined) {
      for (const e of bucket) if (e.w0 === w0 && e.w1 === w1 && e.w2 === w2 && e.w3 === w3) return e.text;
    } else {
      bucket = [];
      this.v6Names.set(hash, bucket);
    }
    const text = formatIpv6(Array.from(b.subarray(o, o + 16)));
    bucket.push({ w0, w1, w2, w3, text });
    return text;
  }

  timer(i: number): SocketTimer | undefined {
    const o = i * this.stride;
    const code = this.bytes[o + 2]!;
    if (code === 0) return undefined;
    return {
      kind: TIMER_KINDS[code] ?? 'unknown',
      expiresMs: this.u32[(o + 52) >> 2]!,
      retransmits: this.bytes[o + 3]!,
    };
  }

  tcpInfo(i: number): TcpInfo | undefined {
    const len = this.infoLength(i);
    if (len < 104) return undefined;
    const o = i * this.stride + INFO_OFF;
    const u = this.u32;
    const w = o >> 2;
    const ssthresh = u[w + 19]!;
    const info: TcpInfo = {
      rttMs: u[w + 17]! / 1000,
      rttVarMs: u[w + 18]! / 1000,
      rtoMs: u[w + 2]! / 1000,
      cwnd: u[w + 20]!,
      sndMss: u[w + 4]!,
      rcvMss: u[w + 5]!,
      pmtu: u[w + 15]!,
      retransmits: this.bytes[o + 2]!,
      totalRetrans: u[w + 25]!,
      unacked: u[w + 6]!,
      lost: u[w + 8]!,
      lastDataSentMs: u[w + 11]!,
      lastDataRecvMs: u[w + 13]!,
      lastAckRecvMs: u[w + 14]!,
    };
    // As ss: an "infinite" ssthresh (TCP_INFINITE_SSTHRESH) or none yet (0) is not shown.
    if (ssthresh > 0 && ssthresh < 0xffff) info.ssthresh = ssthresh;
    if (len >= 136) {
      info.bytesAcked = Number(this.view.getBigUint64(o + 120, true));
      info.bytesReceived = Number(this.view.getBigUint64(o + 128, true));
    }
    if (len >= 152) {
      const minRtt = u[w + 37]!;
      if (minRtt !== 0 && minRtt !== 0xffffffff) info.minRttMs = minRtt / 1000;
    }
    if (len >= 168) info.deliveryRate = Number(this.view.getBigUint64(o + 160, true));
    return info;
  }

  memory(i: number): SocketMemory | undefined {
    if ((this.flags(i) & F_SKMEMINFO) === 0) return undefined;
    const w = (i * this.stride + MEM_OFF) >> 2;
    const u = this.u32;
    return {
      rmemAlloc: u[w]!,
      rcvbuf: u[w + 1]!,
      wmemAlloc: u[w + 2]!,
      sndbuf: u[w + 3]!,
      fwdAlloc: u[w + 4]!,
      wmemQueued: u[w + 5]!,
      optmem: u[w + 6]!,
      backlog: u[w + 7]!,
      drops: u[w + 8]!,
    };
  }

  /**
   * The model's Socket for record i, with the same meaning /proc gives each field: a listener's peer is `*`, its
   * sendQ is the backlog (as `ss` shows it) and `backlog` is set; `retransmits` is icsk_retransmits.
   */
  socket(i: number, withDetails = false): Socket {
    const o = i * this.stride;
    const b = this.bytes;
    const u = this.u32;
    const stateCode = b[o + 1]!;
    const state = STATE_BY_CODE[stateCode] ?? 'CLOSED';
    const listen = stateCode === 10;
    const localPort = (b[o + 4]! << 8) | b[o + 5]!;
    const remotePort = (b[o + 6]! << 8) | b[o + 7]!;
    const local: Endpoint = { address: this.address(i, true), port: localPort };
    const remote: Endpoint =
      listen && remotePort === 0
        ? { address: '*', port: undefined }
        : { address: this.address(i, false), port: remotePort };
    const timerCode = b[o + 2]!;
    const idiagRetrans = b[o + 3]!;
    const flags = u[(o + 72) >> 2]!;
    const info = withDetails || (flags & F_INFO) !== 0 ? this.tcpInfo(i) : undefined;
    // idiag_retrans is icsk_retransmits only under the retransmit timer (probes_out under keepalive/persist).
    const retransmits = info !== undefined ? info.retransmits : timerCode === 1 ? idiagRetrans : 0;
    const wq = u[(o + 60) >> 2]!;
    const timer: SocketTimer | undefined =
      timerCode === 0
        ? undefined
        : {
            kind: TIMER_KINDS[timerCode] ?? 'unknown',
            expiresMs: u[(o + 52) >> 2]!,
            retransmits: idiagRetrans,
          };
    const lo = u[(o + 44) >> 2]!;
    const hi = u[(o + 48) >> 2]!;
    // One object literal with every key, in one order: adding keys later moves them out of the object's own slots,
    // which for 100k sockets costs more than the rest of the decoding. Absent values are undefined (JSON skips them;
    // nothing tests for a key's presence), hence the cast past exactOptionalPropertyTypes.
    const family: Family = b[o] === AF_INET6 ? 'inet6' : 'inet';
    const socket = {
      protocol: 'tcp' as const,
      family,
      state,
      local,
      remote,
      recvQ: u[(o + 56) >> 2]!,
      sendQ: wq,
      retransmits,
      uid: u[(o + 64) >> 2]!,
      inode: u[(o + 68) >> 2]!,
      backlog: listen ? wq : undefined,
      timer,
      extra:
        (timerCode === 2 || timerCode === 4) && idiagRetrans !== 0 ? { probes: idiagRetrans } : undefined,
      cookie: hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, '0'),
      tcpInfo: info,
      memory: (flags & F_SKMEMINFO) === 0 ? undefined : this.memory(i),
      cgroupId: (flags & F_CGROUP) === 0 ? undefined : this.u64(o + 80),
      cgroup: undefined as string | undefined,
    };
    return socket as Socket;
  }

  /** All sockets (for listings and JSON); views that only count read the records directly. */
  sockets(): Socket[] {
    const out: Socket[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.socket(i);
    return out;
  }
}
