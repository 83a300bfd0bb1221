/**
 * The binary records of `tcpstate-trace` (bpf/tcpstate.h: 104 bytes, little-endian), decoded one at a time into
 * the tracker's KernelEvent (src/track/kernel-trace.ts): the only decoder of the layout. Keep in step with the C
 * struct.
 */

import { formatIpv6 } from '../../internal/address.ts';
import type { Family } from '../../model/snapshot.ts';
import { type KernelEvent, KIND } from '../../track/kernel-trace.ts';

export const RECORD_SIZE = 104;

/** The record kinds: the kernel's facts (the tracker's KIND) and the loader's own control records. */
export const RecordKind = { ...KIND, stats: 100, ready: 101 } as const;

/** A decoded record is what the tracker reads: one shape, defined beside the code that gives it a meaning. */
export type TraceRecord = KernelEvent;

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
