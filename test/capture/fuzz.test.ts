/**
 * Fuzzing the reader, decoder and tracker: random bytes, and real captures (Zeek's pcap and pcapng traces) with
 * flipped bytes, cuts and random chunking. The only acceptable failure is a CaptureFormatError carrying a byte
 * offset inside the input; a cut file must report how many packets it read and where it stopped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CapturePipeline } from '../../src/capture/pipeline.ts';
import { CaptureReader } from '../../src/capture/reader.ts';
import { CaptureFormatError } from '../../src/errors.ts';

const dir = join(import.meta.dirname, '../fixtures/zeek');
const samples = ['pop3-basic.pcap', 'retransmit-timeout.pcapng', 'mixed-vlan-mpls.pcap', 'ftp-ipv6.pcap'].map(
  (f) => readFileSync(join(dir, f)),
);
const ngHead = readFileSync(join(dir, 'irc-dcc-send.pcapng')).subarray(0, 60_000);
samples.push(ngHead);

/** Runs the whole pipeline; returns the error if any, after checking its type. */
function feed(bytes: Uint8Array, chunk: number, split: 'product' | 'zeek' = 'product') {
  const p = new CapturePipeline('fuzz', { split, checksums: chunk % 2 === 0 });
  try {
    for (let i = 0; i < bytes.length; i += chunk) p.push(bytes.subarray(i, i + chunk));
    return { result: p.end() };
  } catch (error) {
    if (!(error instanceof CaptureFormatError)) throw error;
    expect(error.offset).toBeGreaterThanOrEqual(0);
    expect(error.offset).toBeLessThanOrEqual(bytes.length);
    expect(error.message).toMatch(/^fuzz: byte \d+: /);
    return { error };
  }
}

/** Packets in a pcap file, counted by walking record headers naively (the oracle for cut files). */
function pcapRecordsWithin(file: Uint8Array, length: number): number {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let pos = 24;
  let n = 0;
  while (pos + 16 <= length) {
    const caplen = v.getUint32(pos + 8, true);
    if (pos + 16 + caplen > length) break;
    pos += 16 + caplen;
    n++;
  }
  return n;
}

describe('fuzz', () => {
  it('random bytes: only CaptureFormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 700 }), (bytes, chunk) => {
        feed(bytes, chunk);
      }),
      { numRuns: 400 },
    );
  });

  it('random bytes behind a valid header: only CaptureFormatError or warnings', () => {
    const pcapHead = samples[0]!.subarray(0, 24);
    const ngHeadBlocks = samples[1]!.subarray(0, 100);
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.uint8Array({ maxLength: 2000 }),
        fc.integer({ min: 1, max: 300 }),
        (ng, tail, chunk) => {
          const head = ng ? ngHeadBlocks : pcapHead;
          const bytes = new Uint8Array(head.length + tail.length);
          bytes.set(head);
          bytes.set(tail, head.length);
          feed(bytes, chunk);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('real captures with flipped bytes, in random chunks, both split modes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: samples.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.boolean(),
        (which, flips, chunk, zeek) => {
          const bytes = Uint8Array.from(samples[which]!);
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          feed(bytes, chunk, zeek ? 'zeek' : 'product');
        },
      ),
      { numRuns: 120 },
    );
  });

  it('a cut pcap reads every complete record and says where it stopped', () => {
    const file = samples[0]!;
    fc.assert(
      fc.property(
        fc.integer({ min: 24, max: file.length }),
        fc.integer({ min: 1, max: 4096 }),
        (cut, chunk) => {
          const { result, error } = feed(file.subarray(0, cut), chunk);
          expect(error).toBeUndefined();
          expect(result!.reader.packets).toBe(pcapRecordsWithin(file, cut));
          if (result!.reader.truncatedAt !== undefined) {
            expect(result!.reader.truncatedAt).toBeLessThan(cut);
            expect(result!.warnings.some((w) => w.offset === result!.reader.truncatedAt)).toBe(true);
          } else {
            expect(result!.reader.bytesRead).toBe(cut);
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it('a cut pcapng stops at the last whole block, without an error', () => {
    const file = samples[1]!;
    const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
    // Block boundaries and packet blocks, walked naively.
    const ends: Array<{ end: number; packet: boolean }> = [];
    for (let pos = 0; pos < file.length; pos += v.getUint32(pos + 4, true)) {
      ends.push({ end: pos + v.getUint32(pos + 4, true), packet: v.getUint32(pos, true) === 6 });
    }
    expect(ends.filter((e) => e.packet)).toHaveLength(3);
    for (let cut = 28; cut <= file.length; cut += 7) {
      const { error, result } = feed(file.subarray(0, cut), 64);
      expect(error).toBeUndefined();
      const whole = ends.filter((e) => e.end <= cut);
      expect(result!.reader.bytesRead).toBe(whole.at(-1)?.end ?? 0);
      expect(result!.reader.packets).toBe(whole.filter((e) => e.packet).length);
      expect(result!.reader.truncatedAt === undefined).toBe(result!.reader.bytesRead === cut);
    }
  });

  it('names the byte offset of a corrupt pcapng block', () => {
    const bytes = Uint8Array.from(samples[1]!);
    // Second block (the interface description) starts right after the section header; break its length.
    const shbLen = new DataView(bytes.buffer).getUint32(4, true);
    new DataView(bytes.buffer).setUint32(shbLen + 4, 13, true);
    const reader = new CaptureReader('bad.pcapng', () => {});
    expect(() => reader.push(bytes)).toThrow(
      new RegExp(`^bad.pcapng: byte ${shbLen}: bad pcapng block length 13`),
    );
  });
});
