import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTextBytes } from '../../src/sources/text/index.ts';

const dir = join(import.meta.dirname, '../fixtures/netstat');
const expected = JSON.parse(readFileSync(join(import.meta.dirname, 'expected.json'), 'utf8')) as Record<
  string,
  {
    format: string;
    os?: string;
    states: Record<string, number>;
    skipped: Record<string, number>;
    warnings: number;
  }
>;
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.txt'));

describe('every netstat/ss/sockstat fixture parses to its hand-counted result', () => {
  it('every fixture has an expected entry (and every entry a fixture)', () => {
    const listed = Object.keys(expected).filter((k) => !k.startsWith('_'));
    expect(listed.sort()).toEqual([...fixtures].sort());
  });
  for (const file of fixtures) {
    it(file, () => {
      const want = expected[file];
      if (!want) throw new Error(`no expected entry for ${file}`);
      const snapshot = parseTextBytes(readFileSync(join(dir, file)), { name: file });
      const states: Record<string, number> = {};
      for (const s of snapshot.sockets) states[s.state] = (states[s.state] ?? 0) + 1;
      expect(states).toEqual(want.states);
      expect(snapshot.skipped ?? {}).toEqual(want.skipped);
      expect(snapshot.source.format).toBe(want.format);
      expect(snapshot.source.os).toBe(want.os);
      expect(snapshot.warnings.length).toBe(want.warnings);
      // Every socket points back at a line of the file that shows it.
      // Every socket points back at the line that shows it (the /proc reader is shared with the live source and keeps none).
      if (want.format !== 'linux-proc') for (const s of snapshot.sockets) expect(s.line).toBeGreaterThan(0);
    });
  }
});
