/**
 * The record declaration (layout.ts) and the two ways a connection is read at its end: in place through the
 * tracker's view (what the pcap sinks use) and as the rich object built from a copy (what the library hands out).
 * Both are generated from the one field table, so they must agree field for field on every fixture capture.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EndedConnection } from '../../src/capture/ended.ts';
import * as L from '../../src/capture/layout.ts';
import {
  BLOCK,
  CONN_AT,
  CONN_FIELDS,
  type Field,
  SIDE_AT,
  SIDE_FIELDS,
  TEMPLATE,
} from '../../src/capture/layout.ts';
import { readCaptureFile } from '../../src/capture/pipeline.ts';
import { connectionRecord, zeekLine } from '../../src/capture/record.ts';
import { connState } from '../../src/capture/zeek.ts';

const SIZE = { f64: 8, u32: 4, i32: 4, bool: 4, u8: 1 } as const;

describe('record layout', () => {
  it('places every field without overlap inside the two blocks, aligned to its size', () => {
    const taken = new Map<number, string>();
    const claim = (name: string, at: number, f: Field) => {
      expect(at % SIZE[f.kind], name).toBe(0);
      for (let b = at; b < at + SIZE[f.kind] * (f.count ?? 1); b++) {
        expect(taken.get(b), `${name} at byte ${b}`).toBeUndefined();
        expect(b).toBeLessThan(2 * BLOCK);
        taken.set(b, name);
      }
    };
    const side = SIDE_AT as Record<string, number>;
    const conn = CONN_AT as Record<string, number>;
    for (const block of [0, 1]) {
      for (const f of SIDE_FIELDS as readonly Field[]) {
        if (f.name !== '@conn') claim(`${f.name}/${block}`, block * BLOCK + side[f.name]!, f);
      }
    }
    for (const f of CONN_FIELDS as readonly Field[]) claim(f.name, conn[f.name]!, f);
    // Blocks are whole cache lines, so a side's first lines are the same lines in both blocks.
    expect(BLOCK % 64).toBe(0);
    // The exported offsets the hot code indexes with are the declared places.
    expect(L.D_PKTS * 8).toBe(side.pkts);
    expect(L.I_RXMT_THRESH * 4).toBe(side.rxmtThresh);
    expect(L.CD_LAST * 8).toBe(conn.last);
    expect(L.CI_ID * 4).toBe(conn.id);
    expect(L.U_LAST_SEQ * 4).toBe(side.lastSeq);
    expect(L.B_TR).toBe(side.trState);
  });

  it('the template holds each field’s declared initial value, in both blocks', () => {
    const i32 = new Int32Array(TEMPLATE.buffer);
    for (const block of [0, 1]) {
      expect(TEMPLATE[(block * BLOCK) / 8 + L.D_FIRST_SYN_AT]).toBeNaN();
      expect(TEMPLATE[(block * BLOCK) / 8 + L.D_TIME_WAIT_UNTIL]).toBeNaN();
      expect(i32[(block * BLOCK) / 4 + L.I_RFC]).toBe(-1);
      expect(i32[(block * BLOCK) / 4 + L.I_WSCALE]).toBe(-1);
      expect(i32[(block * BLOCK) / 4 + L.I_RXMT_THRESH]).toBe(1);
      expect(TEMPLATE[(block * BLOCK) / 8 + L.D_PKTS]).toBe(0);
    }
    expect(TEMPLATE[L.CD_CLOSED_AT]).toBeNaN();
    expect(TEMPLATE[L.CD_RTT_SYN_TO_SYN_ACK]).toBeNaN();
    expect(TEMPLATE[L.CD_LAST]).toBe(0);
  });
});

const captures = [
  ...readdirSync(join(import.meta.dirname, '../fixtures/zeek'))
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .map((f) => join(import.meta.dirname, '../fixtures/zeek', f)),
  ...readdirSync(join(import.meta.dirname, '../fixtures/capture'))
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .map((f) => join(import.meta.dirname, '../fixtures/capture', f)),
];

describe('the view a connection is handed over through', () => {
  for (const file of captures) {
    for (const split of ['product', 'zeek'] as const) {
      it(`reads what the rich object copies: ${file.split('/').pop()} (${split})`, () => {
        let n = 0;
        readCaptureFile(file, {
          split,
          onEnded: (view: EndedConnection) => {
            // The view first (the rich object is built from the same slot afterwards, as the sinks may do).
            const fromView = { record: connectionRecord(view), zeek: zeekLine(view), state: connState(view) };
            const rich = view.connection();
            expect(fromView).toEqual({
              record: connectionRecord(rich),
              zeek: zeekLine(rich),
              state: connState(rich),
            });
            expect(view.connection()).toBe(rich);
            n++;
          },
        });
        expect(n).toBeGreaterThan(0);
      });
    }
  }
});
