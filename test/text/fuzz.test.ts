import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTcpstateError } from '../../src/errors.ts';
import { MAX_WARNINGS } from '../../src/sources/text/collector.ts';
import { parseTextBytes } from '../../src/sources/text/index.ts';

const dir = join(import.meta.dirname, '../fixtures/netstat');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => readFileSync(join(dir, f)));

/** Parsing may only succeed (with warnings) or throw a TcpstateError; anything else is a bug. */
function parsesOrTypedError(bytes: Uint8Array): void {
  try {
    const s = parseTextBytes(bytes, { name: 'fuzz' });
    expect(s.warnings.length).toBeLessThanOrEqual(MAX_WARNINGS + 2);
    for (const socket of s.sockets) expect(typeof socket.state).toBe('string');
  } catch (error) {
    if (!isTcpstateError(error)) throw error;
  }
}

const mutation = fc.record({
  fixture: fc.nat({ max: fixtures.length - 1 }),
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }),
  cut: fc.option(fc.nat()),
});

describe('fuzzing the text parsers', () => {
  it('mutated fixtures (byte flips, truncation)', () => {
    fc.assert(
      fc.property(mutation, ({ fixture, flips, cut }) => {
        const original = fixtures[fixture]!;
        let bytes = Buffer.from(original);
        for (const [at, value] of flips) if (bytes.length) bytes[at % bytes.length] = value;
        if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
        parsesOrTypedError(bytes);
      }),
      { seed: 4242, numRuns: 400 },
    );
  });
  it('random bytes, NUL bytes, random lines', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => parsesOrTypedError(bytes)),
      { seed: 7, numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 80 }), { maxLength: 40 }),
        fc.nat({ max: fixtures.length - 1 }),
        (lines, f) => {
          const head = fixtures[f]!.subarray(0, 300).toString('utf8');
          parsesOrTypedError(Buffer.from(`${head}\n${lines.join('\n')}\0\n`));
        },
      ),
      { seed: 11, numRuns: 300 },
    );
  });
  it('a several-MB line and many garbage lines stay bounded', () => {
    const header = 'Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port\n';
    parsesOrTypedError(Buffer.from(`${header}tcp ESTAB 0 0 ${'9'.repeat(4_000_000)}:1 x:2\n`));
    parsesOrTypedError(Buffer.from(`${header}${'x '.repeat(3_000_000)}\n`));
    // One real row among them: with none, the input is not a listing at all (an error, see details.test.ts).
    const row = 'tcp ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000\n';
    const s = parseTextBytes(Buffer.from(header + row + 'junk line\n'.repeat(50_000)));
    expect(s.sockets).toHaveLength(1);
    expect(s.warnings.length).toBe(MAX_WARNINGS + 1);
    expect(() => parseTextBytes(Buffer.from(header + 'junk line\n'.repeat(50_000)))).toThrow(/line 2|:2: /);
  });
});
