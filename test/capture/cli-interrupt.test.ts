/**
 * `tcpdump -w - -U | tcpstate pcap -` is stopped with Ctrl-C, which signals both processes. What tcpstate read by
 * then must be analysed and printed, not lost with the process. And a capture redirected from a file (`< f.pcap`)
 * reads the same as the file named on the command line.
 */
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type RunningCli, runCli, startCli } from '../helpers/cli.ts';

const fixture = fileURLToPath(new URL('../fixtures/capture/s2-half-close.pcap', import.meta.url));
/** 1.3 MB: far more than a pipe holds, so a write completing shows the CLI is reading (and has its handler). */
const big = fileURLToPath(new URL('../fixtures/zeek/ssh-basic.pcap', import.meta.url));

/** Starts `tcpstate pcap - ARGS` with a stdin pipe the test writes to. */
const startPcap = (args: string[]) => startCli(['pcap', '-', ...args]);

/** Writes bytes to the child's stdin; resolves once the pipe took them all (the reader has read all but ~64 KB). */
function write(run: RunningCli, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => run.child.stdin!.write(bytes, (e) => (e ? reject(e) : resolve())));
}

describe('tcpstate pcap - stopped by a signal', () => {
  it('Ctrl-C with the writer still running prints what was read, exit 0', async () => {
    const run = startPcap(['--json']);
    // 1 MB of a 1.3 MB capture, cut inside a record; the writer keeps its end open (a tcpdump that ignores the
    // signal): tcpstate must stop by itself, and the half record at the cut is not a truncated file.
    await write(run, readFileSync(big).subarray(0, 1_000_000));
    run.child.kill('SIGINT');
    const { code, signal } = await run.exited;
    run.child.stdin!.destroy();
    expect(signal).toBeNull();
    expect(run.err()).toMatch(
      /^tcpstate: stdin: stopped by SIGINT after [\d,]+ packets; what was read follows\n$/,
    );
    expect(code).toBe(0);
    const doc = JSON.parse(run.out()) as { packets: number; connections: unknown[] };
    expect(doc.packets).toBeGreaterThan(100);
    expect(doc.connections.length).toBeGreaterThan(0);
  }, 60_000);

  it('the writer ending right after the signal loses nothing', async () => {
    const whole = readFileSync(big);
    const full = runCli(['pcap', big, '--json']);
    const run = startPcap(['--json']);
    await write(run, whole.subarray(0, 1_000_000));
    run.child.kill('SIGINT');
    // tcpdump flushes and exits on the same Ctrl-C: its last bytes arrive just after the signal.
    run.child.stdin!.end(whole.subarray(1_000_000));
    const { code } = await run.exited;
    expect(run.err()).toBe('');
    expect(code).toBe(0);
    const strip = (s: string) => s.replace(/"source": "[^"]*"/, '');
    expect(strip(run.out())).toBe(strip(full.stdout));
  }, 60_000);

  it('`pcap - < file` reads like `pcap file`', async () => {
    const full = runCli(['pcap', fixture, '--zeek', '--split', 'product']);
    const run = startCli(['pcap', '-', '--zeek', '--split', 'product'], { stdin: openSync(fixture, 'r') });
    expect((await run.exited).code).toBe(0);
    const body = (s: string) => s.replace(/^#(open|close|path).*$/gm, '');
    expect(body(run.out())).toBe(body(full.stdout));
  }, 30_000);
});
