/**
 * The tracker's storage: the open-addressing flow index against a Map model, and the column store's overflow
 * paths (state histories and Zeek histories longer than their inline room) and slot reuse.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowIndex } from '../../src/capture/flow-index.ts';
import { FlowStore } from '../../src/capture/flows.ts';

/** Every slot filed under `hash`, by probing as the tracker does. */
function probe(index: FlowIndex, hash: number): number[] {
  const found: number[] = [];
  for (let p = index.first(hash); ; p = index.next(p)) {
    const slot = index.slotAt(p, hash);
    if (slot === -1) return found;
    if (slot >= 0) found.push(slot);
  }
}

describe('FlowIndex', () => {
  it('finds exactly the live slots under each hash through adds, removes and resizes', () => {
    fc.assert(
      fc.property(
        // Few distinct hashes and a tiny table: long probe chains, wrap-around and collisions on every run.
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 }), fc.integer({ min: -8, max: 8 })), {
          maxLength: 60,
        }),
        (ops) => {
          const index = new FlowIndex(4);
          const model = new Map<number, number>();
          let nextSlot = 0;
          for (const [add, pick, hashSeed] of ops) {
            // Homes spread over the whole table, so chains also wrap around its end.
            const hash = Math.imul(hashSeed, 0x9e3779b1);
            if (add || model.size === 0) {
              const slot = nextSlot++;
              index.add(hash, slot);
              model.set(slot, hash);
            } else {
              const slots = [...model.keys()];
              const slot = slots[pick % slots.length]!;
              index.remove(model.get(slot)!, slot);
              model.delete(slot);
            }
            const hashes = new Set(model.values());
            hashes.add(hash);
            for (const h of hashes) {
              const want = [...model].filter(([, mh]) => mh === h).map(([s]) => s);
              expect(probe(index, h).sort((a, b) => a - b)).toEqual(want.sort((a, b) => a - b));
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a removal at the end of the table keeps the chains that wrapped around to its start', () => {
    const index = new FlowIndex(4); // 16 entries
    index.add(15, 1);
    index.add(16, 2); // home 0
    index.add(32, 3); // home 0, goes to 1
    index.remove(15, 1);
    expect(probe(index, 16)).toEqual([2]);
    expect(probe(index, 32)).toEqual([3]);
    expect(probe(index, 15)).toEqual([]);
  });

  it('removing a slot that is not there changes nothing', () => {
    const index = new FlowIndex(4);
    index.add(7, 1);
    index.remove(7, 2);
    index.remove(8, 1);
    expect(probe(index, 7)).toEqual([1]);
  });
});

const A = new Uint32Array([0, 0, 0, 0x0a000001]);
const B = new Uint32Array([0, 0, 0, 0x0a000002]);

describe('FlowStore', () => {
  it('keeps state histories and Zeek histories past their inline room', () => {
    const st = new FlowStore(2);
    const c = st.alloc(1, 4, A, 1000, B, 80, 5, 123);
    const s = st.orig(c);
    for (let k = 0; k < 13; k++) st.trPush(s, k % 11, 5 + k);
    st.trSetState(s, 10, 3);
    st.trTruncate(s, 12);
    st.trPush(s, 9, 99);
    const letters = 'ShADadTtTtTtTtTtTtWwFf';
    for (const ch of letters) st.histAppend(c, ch.charCodeAt(0));
    const conn = st.materialize(c);
    const want: number[] = [];
    for (let k = 0; k < 12; k++) want.push(k === 10 ? 3 : k % 11, 5 + k);
    want.push(9, 99);
    expect(conn.orig.tr).toEqual(want);
    expect(conn.history).toBe(letters);
    expect(conn.orig.address).toBe('10.0.0.1');
    expect(conn.resp.port).toBe(80);
    expect(conn.start).toBe(5);
  });

  it('a reused slot starts as fresh as a new one, however much its last connection held', () => {
    const fresh = new FlowStore(1);
    const expected = fresh.materialize(fresh.alloc(2, 4, A, 1000, B, 80, 7, 9));

    const st = new FlowStore(1);
    const c = st.alloc(1, 4, B, 2000, A, 443, 1, 5);
    const s = st.orig(c);
    for (let k = 0; k < 12; k++) st.trPush(s, 2, k);
    for (let k = 0; k < 30; k++) st.histAppend(c, 65);
    st.note(c, { kind: 'midstream', at: 1, message: 'x' });
    st.flip(c);
    st.i32.fill(7, 0, 40);
    st.release(c);
    const again = st.alloc(2, 4, A, 1000, B, 80, 7, 9);
    expect(again).toBe(c);
    expect(st.has(again, 'midstream')).toBe(false);
    expect(st.materialize(again)).toEqual(expected);
  });

  it('starts small when the reservation it was asked for is refused', () => {
    const st = new FlowStore(2 ** 40);
    const c = st.alloc(1, 4, A, 1, B, 2, 0, 0);
    expect(st.materialize(c).orig.port).toBe(1);
  });

  it('grows past its first capacity without losing what it holds', () => {
    const st = new FlowStore(2);
    const slots: number[] = [];
    for (let k = 0; k < 100; k++) {
      const c = st.alloc(k + 1, 4, A, 1000 + k, B, 80, k, k);
      st.histAppend(c, 83);
      st.trPush(st.orig(c), 1, k);
      slots.push(c);
    }
    for (const [k, c] of slots.entries()) {
      const conn = st.materialize(c);
      expect([conn.id, conn.orig.port, conn.history, conn.orig.tr]).toEqual([k + 1, 1000 + k, 'S', [1, k]]);
    }
  });
});
