import { describe, expect, it } from 'vitest';
import { renderSequenceText } from '../../src/render/sequence/text.ts';
import { defaultRules } from '../../src/sim/network.ts';
import { runScenario } from '../../src/sim/run.ts';
import { SCENARIOS } from '../../src/sim/scenarios.ts';

describe('simulate --format ascii', () => {
  for (const { name } of SCENARIOS) {
    it(`${name}: the lifelines stay in their columns on every line, and it is ASCII`, () => {
      const { trace } = runScenario(name, 'rfc', { ...defaultRules(), loss: 0.1, seed: 4 });
      const text = renderSequenceText(trace, name, { ascii: true });
      expect(text).toMatch(/^[\x20-\x7e\n]*$/);
      const lines = text.split('\n').filter((l) => (l.match(/\|/g) ?? []).length >= 2);
      expect(lines.length).toBeGreaterThan(3);
      const columns = new Set(lines.map((l) => `${l.indexOf('|')}/${l.indexOf('|', l.indexOf('|') + 1)}`));
      expect([...columns], lines.join('\n')).toHaveLength(1);
    });
  }
});
