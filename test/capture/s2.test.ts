/** The S2 case Zeek's test suite lacks, made in namespaces (test/fixtures/capture/PROVENANCE.md). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConnections } from '../../src/capture/pipeline.ts';
import { connState } from '../../src/capture/zeek.ts';

const pcap = join(import.meta.dirname, '../fixtures/capture/s2-half-close.pcap');

describe('S2: the originator closed, the responder never did', () => {
  for (const split of ['zeek', 'product'] as const) {
    it(`conn_state S2, history ShAdDaF, and the states ss showed (${split} split)`, () => {
      const { connections } = readConnections(pcap, { split });
      expect(connections).toHaveLength(1);
      const c = connections[0]!;
      expect([c.orig.address, c.orig.port, c.resp.address, c.resp.port]).toEqual([
        '10.77.15.1',
        38242,
        '10.77.15.2',
        7002,
      ]);
      expect(connState(c)).toBe('S2');
      expect(c.history).toBe('ShAdDaF');
      expect([c.orig.state, c.resp.state]).toEqual(['FIN_WAIT_2', 'CLOSE_WAIT']);
      expect(c.orig.history().map((h) => h.state)).toEqual([
        'CLOSED',
        'SYN_SENT',
        'ESTABLISHED',
        'FIN_WAIT_1',
        'FIN_WAIT_2',
      ]);
      expect(c.resp.history().map((h) => h.state)).toEqual([
        'LISTEN',
        'SYN_RECEIVED',
        'ESTABLISHED',
        'CLOSE_WAIT',
      ]);
    });
  }
});
