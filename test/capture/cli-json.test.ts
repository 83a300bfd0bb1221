/**
 * `tcpstate pcap --json` writes one document, but a capture's connections are written into it as they end: the
 * whole document as one string passed V8's string limit (~512 MB) at ~240k connections and the command died,
 * and memory grew with the capture instead of with its live connections.
 */
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.ts';
import { conversation, frame, linktypeOf, pcap } from './synth.ts';

const RAW = { type: 'raw', linktype: 101 } as const;

/** 60 finished conversations at t0 (more than the 64 KB the writer batches), then one 200 s later: reading that
 * one ends the first 60 (their TIME_WAIT is over). */
function twoWaves(): { early: Uint8Array; late: Uint8Array; all: Uint8Array } {
  const t0 = 1_700_000_000;
  const pkts = (from: number, ports: number[]) =>
    ports.flatMap((p) => conversation(false, from, p).map((x) => ({ ts: x.ts, data: frame(RAW, x.ip) })));
  const first = pkts(
    t0,
    Array.from({ length: 60 }, (_, i) => 40000 + i),
  ).sort((a, b) => a.ts - b.ts);
  const second = pkts(t0 + 200, [41000]);
  const options = { little: true, nano: false, linktype: linktypeOf(RAW) };
  const all = pcap([...first, ...second], options);
  const early = pcap([...first, second[0]!], options);
  return { early, late: all.subarray(early.length), all };
}

describe('tcpstate pcap --json', () => {
  it('ended connections are written before the input ends', async () => {
    const { early, late } = twoWaves();
    const run = startCli(['pcap', '-', '--json']);
    run.child.stdin!.write(early);
    // The early connections must show up while stdin is still open.
    const deadline = Date.now() + 20_000;
    while (!run.out().includes('"id": 40') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(run.out()).toContain('"id": 40');
    run.child.stdin!.end(late);
    expect((await run.exited).code).toBe(0);
    expect(run.err()).toBe('');
    const doc = JSON.parse(run.out()) as {
      schema: string;
      packets: number;
      connections: Array<{ id: number; connState: string }>;
    };
    expect(doc.schema).toBe('tcpstate.capture/1');
    expect(doc.packets).toBe(61 * 8);
    expect(doc.connections.map((c) => c.id).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 61 }, (_, i) => i + 1),
    );
    expect(doc.connections.every((c) => c.connState === 'SF')).toBe(true);
  }, 30_000);
  it('--timeline ends at the capture end, as the summary and the SVG do, not 1024 samples on', () => {
    // Two conversations 3000 s apart: the timeline's spacing must grow to cover the whole capture, and its last
    // sample is the first at or after the last packet (the second conversation's client is then in TIME_WAIT).
    const t0 = 1_700_000_000;
    const pkts = [40000, 41000].flatMap((port, i) =>
      conversation(false, t0 + 3000 * i, port).map((x) => ({ ts: x.ts, data: frame(RAW, x.ip) })),
    );
    const input = Buffer.from(pcap(pkts, { little: true, nano: false, linktype: linktypeOf(RAW) }));
    const r = runCli(['pcap', '-', '--json', '--timeline'], { input });
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      first: number;
      last: number;
      timeline: { times: number[]; counts: Record<string, number[]> };
    };
    const { times, counts } = doc.timeline;
    const step = times[1]! - times[0]!;
    expect(times[0]).toBe(doc.first);
    // The last sample is the first instant at or after the last packet.
    expect(times.at(-1)!).toBeGreaterThanOrEqual(doc.last - 1e-6);
    expect(times.at(-1)!).toBeLessThan(doc.last + step);
    expect(counts.TIME_WAIT!.at(-1)).toBe(1);
    expect(Math.max(...counts.TIME_WAIT!)).toBe(1);
  }, 30_000);
});
