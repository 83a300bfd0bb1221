import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

describe('tcpstate pcap on a cut-short capture', () => {
  it('prints what it read, says where the file stops, and exits non-zero', () => {
    const whole = readFileSync(new URL('../fixtures/capture/s2-half-close.pcap', import.meta.url));
    const cut = whole.subarray(0, whole.length - 10);
    const full = runCli(['pcap', '-', '--json'], { input: whole });
    const r = runCli(['pcap', '-', '--json'], { input: cut });
    expect(full.status).toBe(0);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^tcpstate: stdin: byte \d+: capture truncated: \d+ packets read, the record at byte \d+ is cut short/m,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    // Nothing read correctly is lost: the document is there, with the connection of the packets before the cut.
    const doc = JSON.parse(r.stdout) as { connections: unknown[] };
    expect(doc.connections.length).toBeGreaterThan(0);
  });

  it('a corrupt record mid-file keeps the packets before it, then fails naming its byte', () => {
    // ssh-basic.pcap with record 51's captured length set to 2^31 - 1: the reader must stop there.
    const bytes = Buffer.from(readFileSync(new URL('../fixtures/zeek/ssh-basic.pcap', import.meta.url)));
    let off = 24;
    for (let i = 0; i < 50; i++) off += 16 + bytes.readUInt32LE(off + 8);
    bytes.writeUInt32LE(0x7fffffff, off + 8);
    const text = runCli(['pcap', '-'], { input: bytes });
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^stdin: pcap, 50 packets \(50 TCP\)/);
    expect(text.stderr).toBe(
      `tcpstate: stdin: byte ${off}: record 51: captured length 2147483647 exceeds the limit 1048576\n`,
    );
    const json = runCli(['pcap', '-', '--json'], { input: bytes });
    expect(json.status).toBe(1);
    const doc = JSON.parse(json.stdout) as { packets: number; corruptAt: number; connections: unknown[] };
    expect(doc.packets).toBe(50);
    expect(doc.corruptAt).toBe(off);
    expect(doc.connections.length).toBeGreaterThan(0);
  });
});
