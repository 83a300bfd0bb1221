import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonByteWriter } from '../../src/render/json-bytes.ts';

function write(value: unknown, size?: number): Buffer {
  const chunks: Buffer[] = [];
  const w = new JsonByteWriter((c) => {
    chunks.push(Buffer.from(c));
    return true; // copied: the writer may reuse its buffer
  }, size);
  w.value(value);
  w.flush();
  return Buffer.concat(chunks);
}

const expected = (value: unknown) => Buffer.from(JSON.stringify(value) ?? '', 'utf8');

describe('JsonByteWriter', () => {
  it('writes exactly the bytes of JSON.stringify for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(write(v).toString('utf8')).toBe(expected(v).toString('utf8'));
      }),
      { numRuns: 500 },
    );
  });

  it('encodes every UTF-16 string as JSON.stringify does: escapes, astral characters, lone surrogates', () => {
    const units = fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.integer({ min: 0, max: 0x1f }),
      fc.integer({ min: 0x80, max: 0xffff }),
      fc.integer({ min: 0xd800, max: 0xdfff }),
    );
    fc.assert(
      fc.property(fc.array(units, { maxLength: 40 }), (codes) => {
        const s = String.fromCharCode(...codes);
        expect(write(s).equals(expected(s))).toBe(true);
        expect(write({ [s]: s }).equals(expected({ [s]: s }))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('treats numbers, undefined, nested arrays and non-plain objects as JSON.stringify does', () => {
    const samples: unknown[] = [
      0,
      -0,
      7,
      2147483647,
      2147483648,
      -5,
      1.5,
      1e21,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      { a: undefined, b: () => 1, c: 1 },
      [undefined, () => 1, Symbol('x'), 2],
      { date: new Date(0), nested: { map: new Map(), arr: [[1], []] } },
      { toJSON: () => 'custom' },
      Object.create(null),
      { 2: 'b', 1: 'a', z: 0, y: 1 },
    ];
    for (const v of samples) expect(write(v).toString('utf8')).toBe(expected(v).toString('utf8'));
  });

  it('flushes across tiny buffers without losing or reordering a byte', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue(), { maxLength: 20 }),
        fc.integer({ min: 1, max: 64 }),
        (rows, size) => {
          const chunks: Buffer[] = [];
          const w = new JsonByteWriter((c) => {
            chunks.push(Buffer.from(c));
            return true; // copied: the writer may reuse its buffer
          }, size);
          for (const r of rows) {
            w.value(r);
            w.raw('\n');
          }
          w.flush();
          const want = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
          expect(Buffer.concat(chunks).toString('utf8')).toBe(want);
        },
      ),
      { numRuns: 300 },
    );
  });
});
