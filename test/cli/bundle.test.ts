/**
 * The command line as installed: `npx tcpstate` runs the esbuild bundle in dist/bin/, not the sources the other
 * tests run through tsx. The bundle is rebuilt from the current sources first, then each command's output must be
 * the same as from the sources, and the parts that only exist in the bundle (the lazily loaded chunks, the
 * server's worker file, paths to package.json) must resolve.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = fileURLToPath(new URL('../../dist/bin/main.js', import.meta.url));

function runBundle(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the bundled CLI (dist/bin)', () => {
  beforeAll(() => {
    const built = spawnSync(process.execPath, ['scripts/bundle-cli.mjs'], { cwd: root, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
  }, 60_000);

  it('prints the same as the sources for every offline command', () => {
    const cases: string[][] = [
      ['--version'],
      ['explain', 'TIME_WAIT'],
      ['simulate', 'simultaneous-close'],
      ['diagram'],
      ['analyze', 'test/fixtures/netstat/linux-netstat-neopa-1.txt', '--json'],
      ['analyze', 'test/fixtures/netstat/freebsd-sockstat-4-1.txt'],
      ['pcap', 'test/fixtures/zeek/ssh-basic.pcap'],
      ['pcap', 'test/fixtures/zeek/irc-dcc-send.pcapng', '--zeek'],
      ['pcap', 'test/fixtures/zeek/ftp-ipv6.pcap', '--timeline'],
    ];
    for (const args of cases) {
      const fromBundle = runBundle(args);
      const fromSource = runCli(args);
      expect(fromBundle.stderr, args.join(' ')).toBe(fromSource.stderr);
      expect(fromBundle.status, args.join(' ')).toBe(0);
      // analyze --json stamps the time it read the file, a Zeek log its #open and #close times; everything else
      // must match byte for byte.
      const unstamp = (text: string) =>
        text.replace(/"takenAt":"[^"]*"/g, '').replace(/^#(open|close)\t.*$/gm, '');
      expect(unstamp(fromBundle.stdout), args.join(' ')).toBe(unstamp(fromSource.stdout));
    }
  }, 120_000);

  it('reports bad input the same way: a clear message, exit 1, no stack trace', () => {
    const r = runBundle(['pcap', 'test/fixtures/netstat/linux-netstat-neopa-1.txt']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tcpstate: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reads the live table and serves it through its worker thread', async () => {
    const live = runBundle(['--json']);
    expect(live.status).toBe(0);
    expect(JSON.parse(live.stdout).schema).toBe('tcpstate.snapshot/1');

    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--interval', '200ms'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL from serve: ${stderr}`)), 20_000);
        child.stderr.on('data', () => {
          const m = stderr.match(/tcpstate serve: (http:\/\/\S+?)\/ \(dashboard\)/);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const snapshot = (await (await fetch(`${url}/api/snapshot`)).json()) as { schema: string };
      expect(snapshot.schema).toBe('tcpstate.snapshot/1');
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^tcpstate_build_info\{version="\d+\.\d+\.\d+"\} 1$/m);
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});
