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
});
