import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTextBytes } from '../../src/sources/text/index.ts';

// Parsing must be linear in the input: one long token (a 400 KB process name, a line of `x`) used to be quadratic
// through regexes that rescanned the rest of a word from each of its characters.

const dir = join(import.meta.dirname, '../fixtures/netstat');
const heads = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => {
    // The header and the first rows: enough for detection to pick the format's parser.
    const lines = readFileSync(join(dir, f), 'latin1').split('\n').slice(0, 8);
    return { name: f, head: lines.slice(0, -2).join('\n'), row: lines[lines.length - 2] ?? '' };
  });

function parseMs(bytes: Buffer): number {
  const t = performance.now();
  try {
    parseTextBytes(bytes, { name: 'long-token' });
  } catch {
    // A typed error is a fine answer to garbage; the time is what is checked here.
  }
  return performance.now() - t;
}

const PLACES = [
  'after the row',
  'glued to the row',
  'its own line',
  'indented line',
  'before the row',
] as const;

function input(head: string, row: string, token: string, place: (typeof PLACES)[number]): Buffer {
  const body =
    place === 'after the row'
      ? `${row} ${token}`
      : place === 'glued to the row'
        ? row + token
        : place === 'its own line'
          ? `${row}\n${token}`
          : place === 'indented line'
            ? `${row}\n    ${token}`
            : `${token} ${row}`;
  return Buffer.from(`${head}\n${body}\n`, 'latin1');
}

/**
 * Time for an 80 KB token against a 10 KB one: about 8 when linear, 64 when quadratic. The bound leaves room for a
 * loaded machine (each side is the best of a few runs, and a miss is measured again before it fails). The sizes are
 * small enough that a quadratic parser fails in seconds instead of hanging the suite; the 400 KB repros of the
 * issue run after this check.
 */
function ratioWithinLinear(make: (n: number) => Buffer): { small: number; large: number } {
  const measure = () => {
    const small = Math.min(parseMs(make(10_000)), parseMs(make(10_000)), parseMs(make(10_000)));
    const large = Math.min(parseMs(make(80_000)), parseMs(make(80_000)));
    return { small, large };
  };
  const first = measure();
  if (first.large <= 24 * first.small + 100) return first;
  return measure();
}

// Pieces a token is made of: the punctuation and keywords the parsers' patterns look for.
const PIECES = [
  'x',
  'a:',
  'users:((',
  'timer:(',
  'uid:',
  ' (',
  '0/',
  '1.',
  '((',
  '"',
  ':1',
  '[',
  '::',
  '%',
  '-',
  'pid=',
  '/',
  '.',
  '1',
  '*.',
  ',',
  ')',
  'on (0.00/0/0)',
];

describe('parsing time is linear in one long token', () => {
  it('an ss row followed by 400 KB of x (was > 60 s)', () => {
    const head = 'State Recv-Q Send-Q Local Address:Port Peer Address:Port Process';
    const make = (n: number) =>
      Buffer.from(`${head}\nESTAB 0 0 127.0.0.1:22 127.0.0.1:5000 ${'x'.repeat(n)}\n`, 'latin1');
    const { small, large } = ratioWithinLinear(make);
    expect(large).toBeLessThanOrEqual(24 * small + 100);
    const s = parseTextBytes(make(400_000));
    expect(s.sockets).toHaveLength(1);
  });

  it('a netstat -p row with a 400 KB program name (90 KB took 4.2 s)', () => {
    const head =
      'Active Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name     Timer';
    const make = (n: number) =>
      Buffer.from(
        `${head}\ntcp        0      0 127.0.0.1:22            127.0.0.1:5000          ESTABLISHED 123/${'x'.repeat(n)}\n`,
        'latin1',
      );
    const { small, large } = ratioWithinLinear(make);
    expect(large).toBeLessThanOrEqual(24 * small + 100);
    const s = parseTextBytes(make(400_000));
    expect(s.sockets[0]?.processes?.[0]?.command).toHaveLength(400_000);
  });

  it('the netstat timer is still read after a long program name', () => {
    const head =
      'Active Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name     Timer';
    const s = parseTextBytes(
      Buffer.from(
        `${head}\ntcp        0      0 127.0.0.1:22            127.0.0.1:5000          ESTABLISHED 123/${'y'.repeat(1000)} keepalive (7170.35/0/0)\n`,
      ),
    );
    expect(s.sockets[0]?.timer).toEqual({ kind: 'keepalive', expiresMs: 7_170_350, retransmits: 0 });
    expect(s.sockets[0]?.processes?.[0]?.command).toBe('y'.repeat(1000));
  });

  it('property: any format, any piece repeated to 400 KB, anywhere on a row', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: heads.length - 1 }),
        fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(...PLACES),
        (h, pieces, place) => {
          const { head, row } = heads[h]!;
          const unit = pieces.join('');
          const make = (n: number) => input(head, row, unit.repeat(Math.ceil(n / unit.length)), place);
          const { small, large } = ratioWithinLinear(make);
          expect(large, `${heads[h]!.name}, ${JSON.stringify(unit)} ${place}`).toBeLessThanOrEqual(
            24 * small + 100,
          );
        },
      ),
      { seed: 1616, numRuns: 80, endOnFailure: true },
    );
  }, 240_000);
});
