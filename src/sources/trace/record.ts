/**
 * The binary records of `tcpstate-trace` (bpf/tcpstate.h: 104 bytes, little-endian), decoded one at a time into
 * plain values. Keep in step with the C struct.
 */

import { formatIpv6 } from '../../internal/address.ts';
import type { Family } from '../../model/snapshot.ts';

export const RECORD_SIZE = 104;

export const RecordKind = {
  setState: 1,
  toTimeWait: 2,
  twSubstate: 3,
  twExpire: 4,
  twKill: 5,
  twRearm: 6,
  stats: 100,
  ready: 101,
} as const;

export interface TraceRecord {
  kind: number;
  /** CLOCK_MONOTONIC nanoseconds, as a double of milliseconds (µs stay exact for 100+ days of uptime). */
  atMs: number;
  /** Socket cookie as decimal text; '0' when the kernel never gave the socket one. */
  cookie: string;
  /** Kernel address of the socket (or mini-socket), hex. */
  skaddr: string;
  ino: number;
  netns: number;
  pid: number;
  comm: string;
  /** Linux TCP state numbers (include/net/tcp_states.h). */
  oldState: number;
  newState: number;
  /** The moment was derived from a timer's expiry (jiffy precision), not read from the clock. */
  derived: boolean;
  family: Family;
  sport: number;
  dport: number;
  saddr: string;
  daddr: string;
}

function ipv4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

function address(b: Uint8Array, at: number, family: Family): string {
  if (family === 'inet') return ipv4(b, at);
  return formatIpv6(Array.from(b.subarray(at, at + 16)));
}

/** A u64 as decimal text without BigInt for the common case (below 2^53). */
function u64Text(view: DataView, at: number): string {
  const lo = view.getUint32(at, true);
  const hi = view.getUint32(at + 4, true);
  if (hi < 0x200000) return String(hi * 0x100000000 + lo);
  return view.getBigUint64(at, true).toString();
}

export function decodeRecord(buf: Uint8Array, at: number): TraceRecord {
  const view = new DataView(buf.buffer, buf.byteOffset + at, RECORD_SIZE);
  const family: Family = view.getUint16(44, true) === 10 ? 'inet6' : 'inet';
  const pid = view.getUint32(36, true);
  let comm = '';
  if (pid !== 0) {
    let end = at + 84;
    while (end < at + 100 && buf[end] !== 0) end++;
    comm = Buffer.from(buf.buffer, buf.byteOffset + at + 84, end - at - 84).toString('latin1');
  }
  return {
    atMs: (view.getUint32(4, true) * 0x100000000 + view.getUint32(0, true)) / 1e6,
    cookie: u64Text(view, 8),
    skaddr: view.getUint32(20, true).toString(16) + view.getUint32(16, true).toString(16).padStart(8, '0'),
    ino: view.getUint32(28, true) * 0x100000000 + view.getUint32(24, true),
    netns: view.getUint32(32, true),
    pid,
    kind: view.getUint8(40),
    oldState: view.getUint8(41),
    newState: view.getUint8(42),
    derived: (view.getUint8(43) & 1) === 1,
    family,
    sport: view.getUint16(46, true),
    dport: view.getUint16(48, true),
    saddr: address(buf, at + 52, family),
    daddr: address(buf, at + 68, family),
    comm,
  };
}
