/**
 * `--at end`: the time is known only once the capture is read, so the collector takes connections before it
 * knows it and keeps only the sides still open. What it shows must be what a collector that knew the time from
 * the start shows.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AtCollector } from '../../src/capture/at.ts';
import { readConnections } from '../../src/capture/pipeline.ts';

const dir = new URL('../fixtures/zeek/', import.meta.url).pathname;
const captures = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f));

describe('AtCollector with the time not known yet', () => {
  for (const name of captures) {
    it(`${name}: the same sockets as with the time known from the start`, () => {
      const late = new AtCollector();
      const { connections, result } = readConnections(`${dir}${name}`, {
        onConnection: (conn, stats) => late.add(conn, stats.last),
      });
      const end = result.tracker.last;
      const early = new AtCollector(end);
      for (const conn of connections) early.add(conn);
      late.setTime(end);
      expect(late.snapshot(name)).toEqual(early.snapshot(name));
    });
  }

  it('keeps nothing of the connections that closed before the end', () => {
    const late = new AtCollector();
    readConnections(`${dir}ssh-basic.pcap`, { onConnection: (conn, stats) => late.add(conn, stats.last) });
    late.setTime(Number.POSITIVE_INFINITY);
    expect(late.snapshot('x').sockets.filter((s) => s.state !== 'LISTEN')).toEqual([]);
  });
});
