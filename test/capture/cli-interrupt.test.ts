/**
 * `tcpdump -w - -U | tcpstate pcap -` is stopped with Ctrl-C, which signals both processes. What tcpstate read by
 * then must be analysed and printed, not lost with the process. And a capture redirected from a file (`< f.pcap`)
 * reads the same as the file named on the command line.
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/capture/s2-half-close.pcap', import.meta.url));
/** 1.3 MB: far more than a pipe holds, so a write completing shows the CLI is reading (and has its handler). */
const big = fileURLToPath(new URL('../fixtures/zeek/ssh-basic.pcap', import.meta.url));

/** Starts `tcpstate pcap - ARGS` with a stdin pipe the test writes to; resolves when it exits. */
function startPcap(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'pcap', '-', ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, out: () => stdout, err: () => stderr };
}

/** Writes bytes to the child's stdin; resolves once the pipe took them all (the reader has read all but ~64 KB). */
function write(child: ReturnType<typeof spawn>, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => child.stdin!.write(bytes, (e) => (e ? reject(e) : resolve())));
}

describe('tcpstate pcap - stopped by a signal', () => {
  it('test_pcap_stdin_sigint_writer_open: Ctrl-C with the writer still running prints what was read, exit 0', async () => {
    const run = startPcap(['--json']);
    // 1 MB of a 1.3 MB capture, cut inside a record; the writer keeps its end open (a tcpdump that ignores the
    // signal): tcpstate must stop by itself, and the half record at the cut is not a truncated file.
    await write(run.child, readFileSync(big).subarray(0, 1_000_000));
    run.child.kill('SIGINT');
    const { code, signal } = await run.exited;
    run.child.stdin.destroy();
    expect(signal).toBeNull();
    expect(run.err()).toMatch(
      /^tcpstate: stdin: stopped by SIGINT after [\d,]+ packets; what was read follows\n$/,
    );
    expect(code).toBe(0);
    const doc = JSON.parse(run.out()) as { packets: number; connections: unknown[] };
    expect(doc.packets).toBeGreaterThan(100);
    expect(doc.connections.length).toBeGreaterThan(0);
  }, 60_000);

  it('test_pcap_stdin_sigint_then_eof: the writer ending right after the signal loses nothing', async () => {
    const whole = readFileSync(big);
    const full = runCli(['pcap', big, '--json']);
    const run = startPcap(['--json']);
    await write(run.child, whole.subarray(0, 1_000_000));
    run.child.kill('SIGINT');
    // tcpdump flushes and exits on the same Ctrl-C: its last bytes arrive just after the signal.
    run.child.stdin.end(whole.subarray(1_000_000));
    const { code } = await run.exited;
    expect(run.err()).toBe('');
    expect(code).toBe(0);
    const strip = (s: string) => s.replace(/"source": "[^"]*"/, '');
    expect(strip(run.out())).toBe(strip(full.stdout));
  }, 60_000);

  it('test_pcap_stdin_regular_file: `pcap - < file` reads like `pcap file`', () => {
    const full = runCli(['pcap', fixture, '--zeek', '--split', 'product']);
    const r = spawn(
      process.execPath,
      ['--import', 'tsx', main, 'pcap', '-', '--zeek', '--split', 'product'],
      {
        cwd: root,
        stdio: [openSync(fixture, 'r'), 'pipe', 'pipe'],
      },
    );
    return new Promise<void>((resolve, reject) => {
      let out = '';
      r.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      r.on('exit', (code) => {
        try {
          expect(code).toBe(0);
          const body = (s: string) => s.replace(/^#(open|close|path).*$/gm, '');
          expect(body(out)).toBe(body(full.stdout));
          resolve();
        } catch (e) {
          reject(e);
        }
      });
    });
  }, 30_000);
});
