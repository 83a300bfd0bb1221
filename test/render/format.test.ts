/**
 * Number formatting for people. formatCount writes the thousands separators itself: the first toLocaleString()
 * call loads ICU's locale data, ~15 ms of every command's start-up. Intl is the reference it must agree with.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCount, plural, times } from '../../src/render/format.ts';

describe('formatCount', () => {
  it('integers read as en-US toLocaleString() prints them', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.integer({ min: -999_999, max: 999_999 })),
        (n) => {
          expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
        },
      ),
      { numRuns: 2000 },
    );
    for (const n of [0, -0, 999, 1000, 1_000_000, -1000, Number.MAX_SAFE_INTEGER]) {
      expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
    }
  });

  it('non-integers still go through Intl', () => {
    for (const n of [0.5, 1234.5678, -1e-7, Number.NaN, Number.POSITIVE_INFINITY, 1e21]) {
      expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
    }
  });
});

describe('plural and times', () => {
  it('singular only for exactly one', () => {
    expect(plural(1, 'packet')).toBe('1 packet');
    expect(plural(0, 'packet')).toBe('0 packets');
    expect(plural(12345, 'packet')).toBe('12,345 packets');
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
    expect([1, 2, 3].map(times)).toEqual(['once', 'twice', '3 times']);
  });
});
