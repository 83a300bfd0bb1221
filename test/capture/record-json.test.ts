/**
 * The connection records of `pcap --ndjson` and `--json` are written by hand from the record's fields
 * (record-json.ts), not by JSON.stringify of an intermediate object. They must be byte for byte what
 * JSON.stringify makes of the record of the materialized Connection: on every connection of every fixture
 * capture, in both split modes, read in place (the view the sinks get) and from the rich object, and on strings
 * that need escaping.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectionLike } from '../../src/capture/conn.ts';
import type { EndedConnection } from '../../src/capture/ended.ts';
import { readCaptureFile, readConnections } from '../../src/capture/pipeline.ts';
import { connectionRecord, zeekLine } from '../../src/capture/record.ts';
import { connectionJson, connectionNdjson, time } from '../../src/capture/record-json.ts';
import { connState } from '../../src/capture/zeek.ts';
import { fixed6, writeZeekLine } from '../../src/capture/zeek-log.ts';
import { TextBytes } from '../../src/render/text-bytes.ts';

const dir = (name: string) => join(import.meta.dirname, '../fixtures', name);
const captures = ['zeek', 'capture'].flatMap((d) =>
  readdirSync(dir(d))
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .map((f) => join(dir(d), f)),
);

/** What the sinks wrote before: JSON.stringify of the record, an ndjson line and a --json array item. */
function expected(conn: ConnectionLike): { ndjson: string; json: string } {
  const record = connectionRecord(conn);
  return {
    ndjson: JSON.stringify({ type: 'connection', ...record }),
    json: JSON.stringify(record, null, 2).replaceAll('\n', '\n    '),
  };
}

function written(conn: ConnectionLike): { ndjson: string; json: string } {
  const state = connState(conn);
  return { ndjson: connectionNdjson(conn, state), json: connectionJson(conn, state, '    ') };
}

describe('connection records written from the fields', () => {
  it('finds fixtures', () => {
    expect(captures.length).toBeGreaterThan(10);
  });

  for (const file of captures) {
    for (const split of ['product', 'zeek'] as const) {
      it(`are JSON.stringify of the materialized connection: ${file.split('/').pop()} (${split})`, () => {
        let n = 0;
        readCaptureFile(file, {
          split,
          onEnded: (view: EndedConnection) => {
            const fromView = written(view);
            const zeekFromView = bytesOf((out) => writeZeekLine(out, view));
            const rich = view.connection();
            const want = expected(rich);
            expect(fromView).toEqual(want);
            expect(written(rich)).toEqual(want);
            // The Zeek line too, against record.ts's plain statement of it.
            expect(zeekFromView).toBe(`${zeekLine(rich)}\n`);
            expect(bytesOf((out) => writeZeekLine(out, rich))).toBe(`${zeekLine(rich)}\n`);
            n++;
          },
        });
        expect(n).toBeGreaterThan(0);
      });
    }
  }

  it('escape strings as JSON.stringify does, and write non-finite numbers as null', () => {
    const { connections } = readConnections(join(dir('capture'), 's2-half-close.pcap'));
    const conn = connections[0]!;
    conn.note({
      kind: 'unexpected-segment',
      at: Number.NaN,
      side: 'orig',
      message: 'quote " backslash \\ newline \n tab \t nul \u0000 é 😀 lone \ud800 end',
      value: Number.POSITIVE_INFINITY,
    });
    conn.note({ kind: 'reset', at: 1, message: '' });
    expect(written(conn)).toEqual(expected(conn));
  });
});

/** What a TextBytes writer makes of `write`, as text. */
function bytesOf(write: (out: TextBytes) => void): string {
  const chunks: Buffer[] = [];
  const out = new TextBytes((chunk) => {
    chunks.push(Buffer.from(chunk));
    return true;
  }, 64);
  write(out);
  out.flush();
  return Buffer.concat(chunks).toString('utf8');
}

describe('numbers written digit by digit', () => {
  // A fixed-seed generator, so a failure is reproducible.
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };

  it('times print as String(t): microsecond captures, nanosecond ones, computed and edge values', () => {
    const times: number[] = [0, -0, 0.5, 1, 1e-7, 123.000001, 2 ** 33, 2 ** 33 - 1e-6, 1e21, -1795571674.5];
    times.push(Number.NaN, Number.POSITIVE_INFINITY, Number.MIN_VALUE, Number.MAX_VALUE);
    for (let k = 0; k < 4000; k++) {
      const seconds = Math.floor(random() * 2 ** 33);
      const micros = Math.floor(random() * 1e6);
      times.push(seconds + micros / 1e6);
      times.push(seconds + Math.floor(random() * 1e9) / 1e9);
      times.push((seconds * 1e6 + micros) / 1e6);
      times.push(seconds + (micros - (micros % 1000)) / 1e6);
      times.push(random() * 10);
    }
    for (const t of times) {
      const json = JSON.stringify(t);
      expect(
        bytesOf((out) => time(out, t)),
        String(t),
      ).toBe(json);
    }
  });

  it('Zeek times print as t.toFixed(6)', () => {
    const times = [0, -0, 0.5, 1, 1e-7, 0.0000005, 123.000001, 2 ** 33, 2 ** 33 - 1e-6, 1e20, -3.25];
    for (let k = 0; k < 4000; k++) {
      const seconds = Math.floor(random() * 2 ** 33);
      times.push(seconds + Math.floor(random() * 1e6) / 1e6);
      times.push(seconds + Math.floor(random() * 1e9) / 1e9);
      times.push(random() * 10);
    }
    for (const t of times)
      expect(
        bytesOf((out) => fixed6(out, t)),
        String(t),
      ).toBe(t.toFixed(6));
  });

  it('whole and other numbers print as String(n)', () => {
    const numbers = [
      0,
      -0,
      7,
      10,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 + 5,
      2 ** 53 - 1,
      2 ** 53,
      2 ** 60,
      -5,
      0.25,
      1e21,
    ];
    for (let k = 0; k < 4000; k++) {
      numbers.push(Math.floor(random() * 2 ** (1 + Math.floor(random() * 53))));
    }
    for (const n of numbers)
      expect(
        bytesOf((out) => out.number(n)),
        String(n),
      ).toBe(String(n));
  });
});
