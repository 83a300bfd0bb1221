/**
 * The reader and decoder over every container and link layer we claim, built byte by byte (synth.ts): the same
 * conversation must come out the same way from each, with the right timestamps.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/capture/conn.ts';
import { DecodedSegment, decodePacket, emptyDecodeStats } from '../../src/capture/decode.ts';
import { CapturePipeline, readCaptureStream, readConnections } from '../../src/capture/pipeline.ts';
import { CaptureReader, type RawPacket } from '../../src/capture/reader.ts';
import { connState } from '../../src/capture/zeek.ts';
import { CaptureFormatError } from '../../src/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { hasCommand } from '../helpers/netns.ts';
import { conversation, frame, ipTcp, type Link, linktypeOf, type Pkt, pcap, pcapng } from './synth.ts';

function run(bytes: Uint8Array, chunk = bytes.length) {
  const connections: Connection[] = [];
  const pipeline = new CapturePipeline('test', { onConnection: (c) => connections.push(c) });
  for (let i = 0; i < bytes.length; i += chunk) pipeline.push(bytes.subarray(i, i + chunk));
  const result = pipeline.end();
  return { connections, result };
}

function expectConversation(connections: Connection[], t0: number, v6 = false) {
  expect(connections).toHaveLength(1);
  const c = connections[0]!;
  expect(connState(c)).toBe('SF');
  expect(c.history).toBe('ShADdFf');
  expect(c.orig.address).toBe(v6 ? 'fd00::1' : '10.0.0.1');
  expect(c.resp.port).toBe(80);
  expect(c.start).toBeCloseTo(t0, 6);
  expect(c.last - c.start).toBeCloseTo(0.007, 6);
  expect(c.orig.payloadBytes).toBe(100);
  expect(c.resp.payloadBytes).toBe(300);
  expect([c.orig.mss, c.orig.wscale, c.orig.sackPermitted, c.orig.timestamps]).toEqual([1460, 7, true, true]);
  expect([c.orig.state, c.resp.state]).toEqual(['TIME_WAIT', 'CLOSED']);
}

const T0 = 1_700_000_000.25;
const links: Array<[string, Link]> = [
  ['Ethernet', { type: 'ether' }],
  ['802.1Q VLAN', { type: 'ether', tags: [0x8100] }],
  ['QinQ (802.1ad + 802.1Q)', { type: 'ether', tags: [0x88a8, 0x8100] }],
  ['MPLS, two labels', { type: 'ether', mpls: 2 }],
  ['VLAN + PPPoE', { type: 'ether', tags: [0x8100], pppoe: true }],
  ['Linux SLL', { type: 'sll' }],
  ['Linux SLL2', { type: 'sll2' }],
  ['BSD null, little-endian AF', { type: 'null', little: true }],
  ['BSD null, big-endian AF', { type: 'null', little: false }],
  ['OpenBSD loop', { type: 'loop' }],
  ['raw IP (101)', { type: 'raw', linktype: 101 }],
  ['raw IP (12)', { type: 'raw', linktype: 12 }],
];

describe('pcap: all four magics', () => {
  for (const little of [true, false]) {
    for (const nano of [false, true]) {
      it(`${little ? 'little' : 'big'}-endian, ${nano ? 'nanosecond' : 'microsecond'}`, () => {
        const pkts = conversation().map((p) => ({ ts: p.ts, data: frame({ type: 'ether' }, p.ip) }));
        expectConversation(run(pcap(pkts, { little, nano, linktype: 1 })).connections, T0);
      });
    }
  }
});

describe('link layers (IPv4 and IPv6)', () => {
  for (const [name, link] of links) {
    for (const v6 of [false, true]) {
      if (link.type === 'raw' && link.linktype === 228 && v6) continue;
      it(`${name}, ${v6 ? 'IPv6' : 'IPv4'}`, () => {
        const pkts = conversation(v6).map((p) => ({ ts: p.ts, data: frame(link, p.ip) }));
        expectConversation(
          run(pcap(pkts, { little: true, nano: false, linktype: linktypeOf(link) })).connections,
          T0,
          v6,
        );
      });
    }
  }
  it('BSD null with the Linux, FreeBSD and NetBSD AF_INET6 values', () => {
    for (const af6 of [10, 24, 28]) {
      const pkts = conversation(true).map((p) => ({
        ts: p.ts,
        data: frame({ type: 'null', little: true, af6 }, p.ip),
      }));
      expectConversation(run(pcap(pkts, { little: true, nano: false, linktype: 0 })).connections, T0, true);
    }
  });
});

describe('pcapng', () => {
  it('two sections of opposite byte order, several interfaces with their own link type and tsresol', () => {
    const conv = conversation();
    const half = 4;
    const s1 = {
      little: true,
      junk: true,
      interfaces: [{ linktype: 1 }, { linktype: 113, tsresol: 9 }],
      packets: conv.slice(0, half).map(
        (p, i): Pkt => ({
          ts: p.ts,
          iface: i % 2,
          data: frame(i % 2 ? { type: 'sll' } : { type: 'ether' }, p.ip),
        }),
      ),
    };
    const s2 = {
      little: false,
      interfaces: [
        { linktype: 101, tsresol: 0x80 | 20 },
        { linktype: 1, tsresol: 3 + 3, tsoffset: 1_600_000_000 },
      ],
      packets: conv.slice(half).map(
        (p, i): Pkt => ({
          ts: p.ts,
          iface: i % 2,
          data: frame(i % 2 ? { type: 'ether' } : { type: 'raw', linktype: 101 }, p.ip),
          kind: i === 1 ? 'opb' : 'epb',
        }),
      ),
    };
    const { connections, result } = run(pcapng([s1, s2]));
    expect(result.reader.sections).toBe(2);
    expect(result.reader.interfaces).toBe(4);
    expectConversation(connections, T0);
  });

  it('a simple packet block takes the last timestamp and interface 0', () => {
    const conv = conversation();
    const packets: Pkt[] = conv.map((p, i) => ({
      ts: p.ts,
      data: frame({ type: 'ether' }, p.ip),
      kind: i === 4 ? 'spb' : 'epb',
    }));
    const { connections } = run(pcapng([{ little: true, interfaces: [{ linktype: 1 }], packets }]));
    expectConversation(connections, T0);
  });
});

describe('pcapng simple packet blocks, in a file of nothing else', () => {
  const fixture = (name: string) => new URL(`../fixtures/capture/${name}`, import.meta.url).pathname;

  it('are read on the first interface at time 0, with a warning that their times are not real', () => {
    // The real capture's packets, rewritten as SPBs (test/capture/make-spb-fixture.py; tshark reads them back).
    const pcapRead = readConnections(fixture('s2-half-close.pcap'));
    const { connections, result } = readConnections(fixture('s2-half-close-spb.pcapng'));
    expect(result.reader.packets).toBe(9);
    expect(connections).toHaveLength(1);
    const [c, p] = [connections[0]!, pcapRead.connections[0]!];
    expect([connState(c), c.history]).toEqual(['S2', 'ShAdDaF']);
    expect([c.orig.pkts, c.resp.pkts, c.orig.payloadBytes, c.resp.payloadBytes]).toEqual([
      p.orig.pkts,
      p.resp.pkts,
      p.orig.payloadBytes,
      p.resp.payloadBytes,
    ]);
    expect([c.orig.state, c.resp.state]).toEqual([p.orig.state, p.resp.state]);
    expect(c.start).toBe(0);
    expect(result.warnings.map((w) => w.message)).toContain(
      '9 packets in simple packet blocks, which carry no time: each is placed at the time of the packet before it (0, the epoch, before any timed packet), so times and durations are not real',
    );
  });

  it('take no more than the interface snap length, padding excluded', () => {
    // Snap length 58: each SYN is cut 4 bytes into its options (MSS only); the block's padding to 60 bytes would
    // also hold the SACK-permitted option's 2 bytes.
    const whole = readConnections(fixture('s2-half-close-spb.pcapng')).connections[0]!;
    const cut = readConnections(fixture('s2-half-close-spb-snap58.pcapng')).connections[0]!;
    expect([whole.orig.mss, whole.orig.sackPermitted]).toEqual([1460, true]);
    expect([cut.orig.mss, cut.orig.sackPermitted]).toEqual([1460, false]);
    expect(cut.history).toBe('ShAdDaF');
  });
});

describe('pcapng interface statistics', () => {
  it('an isb_ifdrop of 2^64 - 1 is counted and printed exactly (not as a rounded double)', () => {
    const packets: Pkt[] = conversation().map((p) => ({ ts: p.ts, data: frame({ type: 'ether' }, p.ip) }));
    const bytes = pcapng([
      {
        little: true,
        interfaces: [{ linktype: 1 }],
        packets,
        // Counts since the capture started: a later block for the same interface replaces an earlier one.
        ifdrops: [
          { iface: 0, drops: 5n },
          { iface: 0, drops: 2n ** 64n - 1n },
        ],
      },
      { little: false, interfaces: [{ linktype: 1 }], packets: [], ifdrops: [{ iface: 0, drops: 3n }] },
    ]);
    const { result } = run(bytes);
    expect(result.reader.reportedDrops).toBe(2n ** 64n + 2n);
    const cli = runCli(['pcap', '-'], { input: Buffer.from(bytes) });
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain('not analysed: 18446744073709551618 dropped by the capturing tool');
  });
});

describe('decoder details', () => {
  const seg = new DecodedSegment();
  const decode = (data: number[], linktype = 1, checksums = false) => {
    const bytes = Uint8Array.from(data);
    const p: RawPacket = {
      ts: 1,
      index: 1,
      fileOffset: 0,
      linktype,
      bytes,
      view: new DataView(bytes.buffer),
      start: 0,
      caplen: bytes.length,
      origlen: bytes.length,
    };
    const stats = emptyDecodeStats();
    return { ok: decodePacket(p, seg, stats, { checksums }), stats };
  };
  const base = {
    src: [10, 0, 0, 1],
    dst: [10, 0, 0, 2],
    sport: 1234,
    dport: 80,
    seq: 7,
    ack: 9,
    flags: 'PA',
  };

  it('takes the payload length from the IP header, not the padded frame', () => {
    expect(decode(frame({ type: 'ether' }, ipTcp({ ...base, payload: 2, pad: 20 }))).ok).toBe(true);
    expect(seg.payloadLen).toBe(2);
  });
  it('skips IPv4 options and IPv6 extension headers', () => {
    decode(frame({ type: 'ether' }, ipTcp({ ...base, payload: 5, ipOptions: [1, 1, 1, 0, 0x94, 4, 0, 0] })));
    expect([seg.sport, seg.payloadLen]).toEqual([1234, 5]);
    const v6 = {
      ...base,
      v6: true,
      src: [0xfd, ...Array(14).fill(0), 1],
      dst: [0xfd, ...Array(14).fill(0), 2],
    };
    expect(decode(frame({ type: 'ether' }, ipTcp({ ...v6, payload: 3, ext: [0, 60] }))).ok).toBe(true);
    expect([seg.dport, seg.payloadLen, seg.family]).toEqual([80, 3, 6]);
  });
  it('counts fragments instead of decoding them', () => {
    expect(decode(frame({ type: 'ether' }, ipTcp({ ...base, frag: 0x2000 }))).stats.fragments).toBe(1);
    expect(decode(frame({ type: 'ether' }, ipTcp({ ...base, frag: 0x0010 }))).stats.fragments).toBe(1);
    const v6 = { ...base, v6: true, src: [0xfd, ...Array(15).fill(1)], dst: [0xfd, ...Array(15).fill(2)] };
    expect(decode(frame({ type: 'ether' }, ipTcp({ ...v6, ext: [44] }))).stats.fragments).toBe(1);
  });
  it('verifies checksums only when asked', () => {
    const good = frame({ type: 'ether' }, ipTcp({ ...base, payload: 9 }));
    expect(decode(good, 1, true).stats.badChecksums).toBe(0);
    const bad = [...good];
    bad[bad.length - 1]! ^= 0xff;
    expect(decode(bad, 1, false).stats.badChecksums).toBe(0);
    expect(decode(bad, 1, true).stats.badChecksums).toBe(1);
    expect(seg.badChecksum).toBe(true);
  });
  it('reports unknown link types and non-IP frames', () => {
    expect(decode([1, 2, 3], 147).stats.unknownLinktypes).toEqual({ 147: 1 });
    expect(decode([...Array(12).fill(0), 0x08, 0x06, 0, 1], 1).stats.nonIp).toBe(1);
  });
});

describe('streaming', () => {
  const whole = pcapng([
    {
      little: true,
      interfaces: [{ linktype: 1 }],
      packets: conversation().map((p) => ({ ts: p.ts, data: frame({ type: 'ether' }, p.ip) })),
    },
  ]);
  it('gives the same result whatever the chunk size (records straddling chunks are carried over)', () => {
    for (const chunk of [1, 3, 7, 64, 100, 1000]) expectConversation(run(whole, chunk).connections, T0);
  });
  it('reads a stream (stdin path)', async () => {
    const connections: Connection[] = [];
    const chunks = [whole.subarray(0, 50), whole.subarray(50, 333), whole.subarray(333)];
    await readCaptureStream(Readable.from(chunks), 'stdin', { onConnection: (c) => connections.push(c) });
    expectConversation(connections, T0);
  });
  it('reports a truncated file: packets read and where it stopped', () => {
    const pkts = conversation().map((p) => ({ ts: p.ts, data: frame({ type: 'ether' }, p.ip) }));
    const file = pcap(pkts, { little: true, nano: false, linktype: 1 });
    const cut = file.subarray(0, file.length - 10);
    const { result } = run(cut);
    expect(result.reader.packets).toBe(7);
    expect(result.reader.truncatedAt).toBe(file.length - (16 + pkts[7]!.data.length));
    expect(result.warnings[0]!.message).toMatch(
      /truncated: 7 packets read, the record at byte \d+ is cut short/,
    );
  });
  it('rejects what is not a capture with a typed error and an offset', () => {
    const reader = new CaptureReader('x.txt', () => {});
    expect(() => reader.push(new TextEncoder().encode('hello world, this is text not pcap'))).toThrow(
      CaptureFormatError,
    );
    expect(() => new CaptureReader('e', () => {}).end()).toThrow(/empty input/);
  });
});

describe.skipIf(!hasCommand('editcap'))('conversions by editcap give the same connections', () => {
  it('ssh-basic as pcapng and as nanosecond pcap', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-editcap-'));
    try {
      const src = join(import.meta.dirname, '../fixtures/zeek/ssh-basic.pcap');
      const summary = (path: string) =>
        readConnections(path)
          .connections.map(
            (c) => `${c.orig.address}:${c.orig.port} ${connState(c)} ${c.history} ${c.start.toFixed(6)}`,
          )
          .sort();
      const expected = summary(src);
      for (const format of ['pcapng', 'nsecpcap']) {
        const out = join(dir, `x.${format}`);
        execFileSync('editcap', ['-F', format, src, out]);
        expect(summary(out)).toEqual(expected);
      }
      // A copy written out by us chunk-wise must read the same too (sanity of the test itself).
      writeFileSync(join(dir, 'copy.pcap'), readFileSync(src));
      expect(summary(join(dir, 'copy.pcap'))).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
