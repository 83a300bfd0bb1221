import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.ts';

// Character devices and FIFOs have no size to check up front: they must be read under the same cap and refused
// on the same binary check as stdin and regular files, within seconds, not after gigabytes.
const dir = mkdtempSync(join(tmpdir(), 'tcpstate-devices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function finishes(args: string[], seconds: number) {
  const run = startCli(args);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), seconds * 1000);
  const exit = await run.exited;
  clearTimeout(timer);
  return { ...exit, stdout: run.out(), stderr: run.err() };
}

describe('analyze on devices and FIFOs', () => {
  for (const device of ['/dev/zero', '/dev/urandom']) {
    it(`${device} is refused as binary data, quickly, in one line`, async () => {
      const r = await finishes(['analyze', device], 20);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`${device}: binary data`);
    }, 30_000);
  }

  it('stdin from /dev/zero is refused on the binary check as soon as it is seen', async () => {
    const r = spawnSync(
      'sh',
      ['-c', `exec "${process.execPath}" --import tsx src/cli/main.ts analyze - < /dev/zero`],
      {
        encoding: 'utf8',
        timeout: 20_000,
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tcpstate: stdin: binary data/);
  }, 30_000);

  it('an endless text FIFO stops at the cap with a clear error', () => {
    // `yes` into a FIFO: text forever. The CLI's cap is 512 MiB; the library's option lowers it for the test, run
    // in a child process with a deadline so that a regression (reading without end) fails instead of hanging.
    const fifo = join(dir, 'endless');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', ['-c', `exec yes 'ESTAB 0 0 127.0.0.1:1 127.0.0.1:2' > ${fifo}`], {
      stdio: 'ignore',
    });
    try {
      const script = `import { readTextSnapshot } from './src/sources/text/read.ts';
        readTextSnapshot(${JSON.stringify(fifo)}, { maxBytes: 8 * 1024 * 1024 }).then(
          () => console.log('read'), (e) => console.log(e.message));`;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 30_000,
        killSignal: 'SIGKILL',
      });
      expect(r.signal).toBeNull();
      expect(r.stdout).toMatch(/endless: too large \(over 8388608 bytes\)/);
    } finally {
      writer.kill();
    }
  }, 60_000);

  it('a FIFO carrying a listing is read like a file', () => {
    const fifo = join(dir, 'listing');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', [
      '-c',
      `printf 'State Recv-Q Send-Q Local Address:Port Peer Address:Port\\nESTAB 0 0 127.0.0.1:22 127.0.0.1:5000\\n' > ${fifo}`,
    ]);
    const r = runCli(['analyze', fifo], { timeout: 20_000 });
    writer.kill();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/1 TCP socket:/);
  }, 30_000);
});
