/**
 * Mistakes a user makes on the `pcap` command line get a one-line error naming the input and exit 1, never the
 * "internal error, this is a bug" path (exit 70).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const fixture = 'test/fixtures/capture/s2-half-close.pcap';

describe('tcpstate pcap: input and output mistakes', () => {
  it('a directory given as the capture', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-pcap-'));
    const r = runCli(['pcap', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tcpstate: ${dir}: is a directory, not a capture file\n`);
  });

  it('--svg into a directory that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-svg-'));
    const target = join(dir, 'missing', 'timeline.svg');
    const r = runCli(['pcap', fixture, '--svg', target]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^tcpstate: ${target}: cannot write: ENOENT`));
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('--at -5 is refused, not read by Date.parse as a day in 2001', () => {
    const r = runCli(['pcap', fixture, '--at', '-5']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tcpstate: --at: '-5' is not a time/);
  });

  it('a time before the first packet or long after the last one says so', () => {
    const before = runCli(['pcap', fixture, '--at', '2001-01-01T00:00:00Z']);
    expect(before.status).toBe(0);
    expect(before.stderr).toMatch(
      /^tcpstate: --at 2001-01-01T00:00:00Z is .* before the capture's first packet/m,
    );
    const after = runCli(['pcap', fixture, '--at', '+100000']);
    expect(after.status).toBe(0);
    expect(after.stderr).toMatch(/^tcpstate: --at \+100000 is .* after the capture's last packet/m);
    const inside = runCli(['pcap', fixture, '--at', '+0.001']);
    expect(inside.stderr).toBe('');
  });

  it('socket-table options without --at are refused, not silently ignored', () => {
    for (const args of [['--port', '22'], ['-s', 'time-wait'], ['--csv'], ['-l'], ['-f', 'dport = :80']]) {
      const r = runCli(['pcap', fixture, ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(
        /^tcpstate: .* appl(y|ies) to the sockets at one moment: add --at TIME \(for example --at end\)\n$/,
      );
    }
    const ok = runCli(['pcap', fixture, '--at', 'end', '--port', '22', '--csv']);
    expect(ok.status).toBe(0);
  });
  it('--svg or --timeline with an output that has no timeline is refused, naming both flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-svg-'));
    const svg = join(dir, 't.svg');
    const cases: [string[], string][] = [
      [['--svg', svg, '--zeek'], '--svg cannot be combined with --zeek'],
      [['--svg', svg, '--ndjson'], '--svg cannot be combined with --ndjson'],
      [['--svg', svg, '--at', 'end'], '--svg cannot be combined with --at'],
      [['--timeline', '--zeek'], '--timeline cannot be combined with --zeek'],
      [['--timeline', '--svg', svg, '--ndjson'], '--timeline, --svg cannot be combined with --ndjson'],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['pcap', fixture, ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toBe(
        `tcpstate: ${message}: it has no timeline (use it alone or with --json)\n`,
      );
      expect(r.stdout, args.join(' ')).toBe('');
    }
    expect(existsSync(svg)).toBe(false);
    const ok = runCli(['pcap', fixture, '--json', '--timeline', '--svg', svg]);
    expect(ok.status).toBe(0);
    expect(existsSync(svg)).toBe(true);
  });
});
