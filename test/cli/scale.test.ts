import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderTable } from '../../src/render/table.ts';
import { runCli } from '../helpers/cli.ts';

// Spreading an array into Math.max passes every element as an argument, and V8 runs out of stack somewhere past
// 120,000 of them: these sizes are above that line.
const ROWS = 126_000;
const dir = mkdtempSync(join(tmpdir(), 'tcpstate-scale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ssListing(rows: number, state = 'ESTAB', recvQ = 0, onePeer = false): string {
  const lines = ['State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process'];
  for (let i = 0; i < rows; i++) {
    const peer = onePeer ? '198.51.100.7' : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    // One group for the diagnoses: the same local port (Recv-Q is grouped by it) and peer; 4-tuples may repeat.
    const local = onePeer ? 8080 : 1024 + (i % 60000);
    lines.push(`${state}  ${recvQ}      0      192.0.2.1:${local}      ${peer}:5432`);
  }
  return `${lines.join('\n')}\n`;
}

/** A classic pcap of one SYN per connection, written with Buffer so 126,000 packets take milliseconds. */
function synCapture(connections: number): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(101, 20); // LINKTYPE_RAW: the packet is the IP datagram
  const packets = Buffer.alloc(connections * (16 + 40));
  for (let i = 0; i < connections; i++) {
    const at = i * 56;
    packets.writeUInt32LE(1_700_000_000, at);
    packets.writeUInt32LE(i % 1_000_000, at + 4);
    packets.writeUInt32LE(40, at + 8);
    packets.writeUInt32LE(40, at + 12);
    const ip = at + 16;
    packets[ip] = 0x45;
    packets.writeUInt16BE(40, ip + 2);
    packets[ip + 8] = 64;
    packets[ip + 9] = 6;
    packets.writeUInt32BE((10 << 24) | i, ip + 12); // 10.x.y.z, one client per connection
    packets.writeUInt32BE(0xc0000201, ip + 16); // 192.0.2.1
    let sum = 0;
    for (let b = 0; b < 20; b += 2) sum += packets.readUInt16BE(ip + b);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    packets.writeUInt16BE(~sum & 0xffff, ip + 10);
    const tcp = ip + 20;
    packets.writeUInt16BE(40000, tcp);
    packets.writeUInt16BE(80, tcp + 2);
    packets.writeUInt32BE(1000, tcp + 4);
    packets[tcp + 12] = 5 << 4;
    packets[tcp + 13] = 0x02; // SYN
    packets.writeUInt16BE(65535, tcp + 14);
  }
  return Buffer.concat([header, packets]);
}

describe('listings past the argument-count limit', () => {
  it('renderTable lays out 126,000 rows', () => {
    const rows = Array.from({ length: ROWS }, (_, i) => [`row ${i}`, i]);
    const text = renderTable(rows, { head: ['NAME', 'N'], align: ['left', 'right'], plain: true });
    const lines = text.split('\n');
    expect(lines).toHaveLength(ROWS + 1);
    expect(lines[ROWS]).toBe(`row ${ROWS - 1}  ${ROWS - 1}`);
  });

  it('analyze FILE -l and -l --sort state list 126,000 ESTAB rows', () => {
    const file = join(dir, 'ss.txt');
    writeFileSync(file, ssListing(ROWS));
    for (const extra of [[], ['--sort', 'state']]) {
      const r = runCli(['analyze', file, '-l', ...extra]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(ROWS + 1);
      expect(lines.filter((l) => l.startsWith('ESTABLISHED'))).toHaveLength(ROWS);
    }
  }, 120_000);

  it('the main view diagnoses 126,000 sockets in one group (LAST-ACK, SYN-SENT, unread Recv-Q)', () => {
    const file = join(dir, 'ss-group.txt');
    for (const [state, recvQ, finding] of [
      ['LAST-ACK', 0, /last-ack-pileup/],
      ['SYN-SENT', 0, /syn-sent/],
      ['ESTAB', 4096, /recv-queue-buildup/],
    ] as const) {
      writeFileSync(file, ssListing(ROWS, state, recvQ, true));
      const r = runCli(['analyze', file, '--json']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const doc = JSON.parse(r.stdout) as { summary: { total: number }; findings: Array<{ rule: string }> };
      expect(doc.summary.total).toBe(ROWS);
      expect(doc.findings.map((f) => f.rule).join(' ')).toMatch(finding);
    }
  }, 180_000);

  it('pcap --all lists 126,000 connections', () => {
    const file = join(dir, 'syns.pcap');
    writeFileSync(file, synCapture(ROWS));
    const r = runCli(['pcap', file, '--all']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => /^\s*\d+\s+10\./.test(l))).toHaveLength(ROWS);
  }, 180_000);
});
