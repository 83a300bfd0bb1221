/**
 * Mistakes a user makes on the `pcap` command line get a one-line error naming the input and exit 1, never the
 * "internal error, this is a bug" path (exit 70).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const fixture = 'test/fixtures/capture/s2-half-close.pcap';

describe('tcpstate pcap: input and output mistakes', () => {
  it('test_pcap_directory: a directory given as the capture', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-pcap-'));
    const r = runCli(['pcap', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tcpstate: ${dir}: is a directory, not a capture file\n`);
  });

  it('test_pcap_svg_unwritable: --svg into a directory that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-svg-'));
    const target = join(dir, 'missing', 'timeline.svg');
    const r = runCli(['pcap', fixture, '--svg', target]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^tcpstate: ${target}: cannot write: ENOENT`));
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });
});
