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

/**
 * Decodes the record at byte `at` of `buf`. A caller decoding a whole chunk passes one `view` of it, so no
 * DataView is made per record.
 */
export function decodeRecord(
  buf: Uint8Array,
  at: number,
  view: DataView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
): TraceRecord {
  const family: Family = view.getUint16(at + 44, true) === 10 ? 'inet6' : 'inet';
  const pid = view.getUint32(at + 36, true);
  let comm = '';
  if (pid !== 0) {
    let end = at + 84;
    while (end < at + 100 && buf[end] !== 0) end++;
    comm = Buffer.from(buf.buffer, buf.byteOffset + at + 84, end - at - 84).toString('latin1');
  }
  return {
    atMs: (view.getUint32(at + 4, true) * 0x100000000 + view.getUint32(at, true)) / 1e6,
    cookie: u64Text(view, at + 8),
    skaddr:
      view.getUint32(at + 20, true).toString(16) +
      view
        .getUint32(at + 16, true)
        .toString(16)
        .padStart(8, '0'),
    ino: view.getUint32(at + 28, true) * 0x100000000 + view.getUint32(at + 24, true),
    netns: view.getUint32(at + 32, true),
    pid,
    kind: buf[at + 40] as number,
    oldState: buf[at + 41] as number,
    newState: buf[at + 42] as number,
    derived: ((buf[at + 43] as number) & 1) === 1,
    family,
    sport: view.getUint16(at + 46, true),
    dport: view.getUint16(at + 48, true),
    saddr: address(buf, at + 52, family),
    daddr: address(buf, at + 68, family),
    comm,
  };
}
