/** JsonDocumentWriter against JSON.stringify(doc, null, 2) itself, on arbitrary JSON values. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonDocumentWriter } from '../../src/render/json-document.ts';

describe('JsonDocumentWriter', () => {
  it('fields, an array written item by item, more fields', () => {
    // Prefixed: integer-like keys would be ordered first by any JS object, which is not what is tested here.
    const key = fc.string({ maxLength: 6 }).map((k) => `k${k}`);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(key, fc.jsonValue()), { selector: (t) => t[0], maxLength: 4 }),
        fc.array(fc.jsonValue(), { maxLength: 6 }),
        fc.uniqueArray(fc.tuple(key, fc.jsonValue()), { selector: (t) => t[0], maxLength: 4 }),
        fc.integer({ min: 1, max: 200 }),
        (head, items, tail, flushAt) => {
          const used = new Set(head.map((h) => h[0]));
          const rest = tail.filter((t) => !used.has(t[0]) && t[0] !== 'list');
          const heads = head.filter((h) => h[0] !== 'list');
          let out = '';
          const w = new JsonDocumentWriter((text) => {
            out += text;
          }, flushAt);
          for (const [k, v] of heads) w.field(k, v);
          w.openArray('list');
          for (const v of items) w.item(v);
          w.closeArray();
          for (const [k, v] of rest) w.field(k, v);
          w.end();
          const doc: Record<string, unknown> = {};
          for (const [k, v] of heads) doc[k] = v;
          doc.list = items;
          for (const [k, v] of rest) doc[k] = v;
          expect(out).toBe(`${JSON.stringify(doc, null, 2)}\n`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('an undefined field is left out, as JSON.stringify does', () => {
    let out = '';
    const w = new JsonDocumentWriter((t) => {
      out += t;
    });
    w.field('a', 1);
    w.field('b', undefined);
    w.end();
    expect(out).toBe(`${JSON.stringify({ a: 1, b: undefined }, null, 2)}\n`);
  });
});
