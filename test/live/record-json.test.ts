/**
 * The netlink table's JSON writer (a socket written straight from its dump record) against JSON.stringify of the
 * Socket object the same record builds, over records of random bytes: every family, state code (known or not),
 * timer, flag, tcp_info length, u32 and u64 extreme, and owners, cgroup paths and CLOSE_WAIT tcp_info from after
 * the dump, with strings that need escaping. The staged-kernel version is netlink-json.test.ts.
 */

import { describe, expect, it } from 'vitest';
import type { ProcessRef, TcpInfo } from '../../src/model/snapshot.ts';
import { JsonByteWriter } from '../../src/render/json-bytes.ts';
import { writeSocketJson } from '../../src/render/snapshot-json.ts';
import {
  BASE_SIZE,
  F_CGROUP,
  F_INFO,
  F_SKMEMINFO,
  FULL_SIZE,
  SockDiagRecords,
} from '../../src/sources/netlink/records.ts';
import { RecordTable } from '../../src/sources/netlink/table.ts';

/** A seeded PRNG (mulberry32), so a failure names a record that can be made again. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD = [
  '"',
  '\\',
  '\n',
  '\t',
  '\u0001',
  '\u001f',
  '\u007f',
  'é',
  '☃',
  '😀',
  '\ud800',
  '\udc00x',
  '/',
  '\u2028',
];

function oddString(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 12);
  for (let k = 0; k < n; k++)
    s += r() < 0.5 ? ODD[Math.floor(r() * ODD.length)] : String.fromCharCode(32 + Math.floor(r() * 95));
  return s;
}

function records(seed: number, stride: number, count: number): SockDiagRecords {
  const r = rng(seed);
  const bytes = new Uint8Array(stride * count);
  for (let k = 0; k < bytes.length; k++) bytes[k] = Math.floor(r() * 256);
  const u32 = new Uint32Array(bytes.buffer);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  for (let i = 0; i < count; i++) {
    const o = i * stride;
    bytes[o] = r() < 0.5 ? 2 : 10;
    bytes[o + 1] = pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 11, 12, 13, 15]);
    bytes[o + 2] = pick([0, 0, 1, 2, 3, 4, 5, 9]);
    bytes[o + 3] = pick([0, 0, 1, 7, 255]);
    if (r() < 0.3) {
      bytes[o + 6] = 0;
      bytes[o + 7] = 0;
    }
    // Addresses: the same few again and again (the name caches), v4-mapped, all zeros, or random.
    for (const at of [8, 24]) {
      const kind = pick(['repeat', 'mapped', 'zero', 'random', 'loop6']);
      if (kind === 'repeat') bytes.set(bytes.subarray(at, at + 16), o + at);
      else if (kind === 'zero') bytes.fill(0, o + at, o + at + 16);
      else if (kind === 'mapped') {
        bytes.fill(0, o + at, o + at + 10);
        bytes[o + at + 10] = 0xff;
        bytes[o + at + 11] = 0xff;
      } else if (kind === 'loop6') {
        bytes.fill(0, o + at, o + at + 15);
        bytes[o + at + 15] = 1;
      }
    }
    const w = o >> 2;
    if (r() < 0.3) u32[w + 12] = 0; // cookie's high word
    for (const field of [13, 14, 15, 16, 17]) {
      const v = pick(['keep', 'zero', 'max', 'small', 'sign']);
      if (v === 'zero') u32[w + field] = 0;
      else if (v === 'max') u32[w + field] = 0xffffffff;
      else if (v === 'small') u32[w + field] = Math.floor(r() * 100);
      else if (v === 'sign') u32[w + field] = 0x80000000;
    }
    u32[w + 18] = Math.floor(r() * 8) & (F_INFO | F_SKMEMINFO | F_CGROUP);
    if (stride === BASE_SIZE) u32[w + 18]! &= F_CGROUP;
    u32[w + 19] = pick([0, 50, 104, 120, 136, 152, 160, 168, 232, 248]);
    if (r() < 0.3) u32[w + 21] = 0; // cgroup id's high word
    if (stride === FULL_SIZE) {
      const info = w + 34;
      u32[info + 19] = pick([0, 0xffff, 0x7fffffff, 0xfffffffe, 5, u32[info + 19]!]); // ssthresh
      u32[info + 37] = pick([0, 0xffffffff, 1234, u32[info + 37]!]); // min_rtt
      if (r() < 0.5) u32[info + 31] = 0; // bytes_acked's high word
      if (r() < 0.3) u32[info + 41] = 0x001fffff; // delivery_rate near 2^53
    }
  }
  return new SockDiagRecords(bytes.buffer, stride);
}

function written(table: RecordTable, i: number): string {
  const chunks: Buffer[] = [];
  const w = new JsonByteWriter((chunk) => {
    chunks.push(Buffer.from(chunk));
    return true;
  }, 64);
  writeSocketJson(table, i, w);
  w.flush();
  return Buffer.concat(chunks).toString('utf8');
}

describe('a netlink socket written as JSON from its record', () => {
  for (const stride of [BASE_SIZE, FULL_SIZE]) {
    for (const extras of ['none', 'after the dump'] as const) {
      it(`is JSON.stringify of its Socket (${stride}-byte records, owners/cgroups/CLOSE_WAIT info: ${extras})`, () => {
        for (let seed = 1; seed <= 8; seed++) {
          const recs = records(seed * 7919 + stride, stride, 400);
          const table = new RecordTable(recs);
          if (extras === 'after the dump') {
            const r = rng(seed);
            const paths = new Map<number, string>();
            const owners = new Map<number, ProcessRef[]>();
            const info = new Map<string, TcpInfo>();
            for (let i = 0; i < recs.count; i++) {
              if (recs.hasCgroupId(i) && r() < 0.8) paths.set(recs.cgroupId(i), `/${oddString(r)}`);
              if (r() < 0.7) {
                owners.set(
                  recs.inode(i),
                  Array.from({ length: Math.floor(r() * 3) }, (_, k) => ({
                    pid: Math.floor(r() * 4e6),
                    command: oddString(r),
                    ...(k === 1 ? {} : { fd: Math.floor(r() * 1e5) }),
                  })),
                );
              }
              if (recs.state(i) === 'CLOSE_WAIT' && r() < 0.7)
                info.set(recs.cookie(i), { ...records(seed, FULL_SIZE, 1).tcpInfo(0)!, rttMs: r() * 10 });
            }
            table.cgroupPaths = paths;
            table.owners = { byInode: owners, hidden: seed % 2 === 0 };
            table.closeWaitInfo = info;
          }
          for (let i = 0; i < recs.count; i++) {
            expect(written(table, i), `seed ${seed} record ${i}`).toBe(JSON.stringify(table.socket(i)));
          }
        }
      });
    }
  }
});
