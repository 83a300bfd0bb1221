/**
 * How `tcpstate pcap` tells a connection: counts read as English (one packet, not "1 packets"; "once", not
 * "1 time(s)") and the anomalies of a connection come in the order they happened.
 */

import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { readConnections } from '../../src/capture/pipeline.ts';
import { connectionRecord } from '../../src/capture/record.ts';
import { renderStory, renderSummary } from '../../src/render/capture-text.ts';

const plain = pc.createColors(false);

function story(fixture: string): { story: string; summary: string } {
  const path = new URL(`../fixtures/zeek/${fixture}`, import.meta.url).pathname;
  const { connections, result } = readConnections(path);
  const rec = connectionRecord(connections[0]!);
  const states = new Map([[rec.connState, 1]]);
  const anomalies = new Map(rec.anomalies.map((a) => [a.kind, 1]));
  return {
    story: renderStory(rec, connections[0]!.start, plain),
    summary: renderSummary(result, states, anomalies, plain),
  };
}

describe('pcap story', () => {
  it('a SYN then a RST reads "1 packet", "1 TCP connection", "once"', () => {
    // rst-syn-then-rst.pcap: one SYN and one RST from the originator, nothing back (Zeek: RSTOS0, history SR).
    const { story: text, summary } = story('rst-syn-then-rst.pcap');
    expect(summary).toMatch(/2 packets \(2 TCP\) over .*, 1 TCP connection$/m);
    expect(text).toMatch(/; 2 packets \/ 0 B from the originator, 0 \/ 0 B from the responder/);
    expect(text).toMatch(/SYN sent once, never answered/);
    expect(text).not.toMatch(/\(s\)/);
    expect(text).not.toMatch(/\b1 packets\b/);
  });

  it('the unanswered SYN comes before the RST that followed it', () => {
    const { story: text } = story('rst-syn-then-rst.pcap');
    const times = [...text.matchAll(/^ {4}! \+([0-9.]+)s /gm)].map((m) => Number(m[1]));
    expect(times.length).toBe(2);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('a lone RST reads "1 packet"', () => {
    // rst-single-rst.pcap holds one RST only: one packet from one side.
    const { story: text } = story('rst-single-rst.pcap');
    expect(text).toMatch(/; 1 packet \/ 0 B from the originator, 0 \/ 0 B from the responder/);
  });
});
