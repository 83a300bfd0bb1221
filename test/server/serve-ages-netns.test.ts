/**
 * `tcpstate serve --trace on` for real: the looks run in the snapshot worker, and the kernel's state changes reach
 * it, so an oldest age is the kernel's exact entry time where the trace saw the entry. Staged in a fresh namespace:
 * sockets there before serve started are reported as estimates (CLOSE_WAIT, from tcp_info) or bounds
 * (ESTABLISHED); a connection put into CLOSE_WAIT after serve is ready and held ~3 s is reported `exact`, its age
 * within ±200 ms of the hold measured by the process that staged it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { netlinkUnavailableReason } from '../../src/sources/netlink/reader.ts';
import { traceUnavailable } from '../../src/sources/trace/kernel.ts';
import { canUseNetns, createNetnsPair, waitFor } from '../helpers/netns.ts';

const NODE = process.execPath;
const PORT = 7413;
const why = !canUseNetns ? 'needs root and ip netns' : (netlinkUnavailableReason() ?? traceUnavailable());

/**
 * Before serve: one ESTABLISHED pair kept open, and one connection the client closed (the server side in
 * CLOSE_WAIT). On "go": the old CLOSE_WAIT is closed (it leaves the state), a new connection is staged into
 * CLOSE_WAIT, and the wall-clock time of its entry is printed.
 */
const HOLDER = `
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('127.0.0.1', ${PORT})); l.listen(64)
c1 = socket.create_connection(('127.0.0.1', ${PORT})); s1, _ = l.accept()
c2 = socket.create_connection(('127.0.0.1', ${PORT})); s2, _ = l.accept()
c2.close()
print('ready', flush=True)
sys.stdin.readline()
s2.close()
c3 = socket.create_connection(('127.0.0.1', ${PORT})); s3, _ = l.accept()
c3.close()
print('closewait', time.time(), flush=True)
sys.stdin.read()
`;

interface Live {
  seq: number;
  takenAt: string;
  oldestAgeSeconds: Record<string, number>;
  oldestAgeKind: Record<string, string>;
  oldestAgeEstimated: string[];
}

describe.skipIf(why !== undefined)(`serve --trace on: exact ages${why ? ` (skipped: ${why})` : ''}`, () => {
  it('reports a CLOSE_WAIT staged after start-up as exact, older sockets as estimates or bounds', async () => {
    const pair = createNetnsPair('tcpsrvage');
    let serve: ChildProcess | undefined;
    try {
      const holder = pair.spawn(pair.a.ns, 'python3', ['-c', HOLDER]);
      let out = '';
      holder.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      await waitFor(() => (out.includes('ready') ? true : undefined), 10_000);

      serve = spawn(
        NODE,
        [
          '--import',
          'tsx',
          'src/cli/main.ts',
          'serve',
          '--port',
          '0',
          '--interval',
          '500ms',
          '--netns',
          pair.a.ns,
          '--trace',
          'on',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      serve.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const url = await waitFor(
        () => stderr.match(/tcpstate serve: (http:\/\/\S+?)\/ \(dashboard\)/)?.[1],
        30_000,
      );
      expect(stderr).toContain('state changes from the kernel');
      const live = async () => (await (await fetch(`${url}/api/summary`)).json()) as Live;
      const after = async (pred: (doc: Live) => boolean) => {
        const until = Date.now() + 15_000;
        for (;;) {
          const doc = await live();
          if (pred(doc) || Date.now() > until) return doc;
          await new Promise((r) => setTimeout(r, 100));
        }
      };

      // Before the kernel saw anything: the sockets that were there first.
      const first = await after((d) => d.seq >= 2);
      expect(first.oldestAgeKind.CLOSE_WAIT, JSON.stringify(first)).toBe('estimate');
      expect(first.oldestAgeEstimated).toContain('CLOSE_WAIT');
      expect(first.oldestAgeKind.ESTABLISHED).toBe('bound');
      expect(first.oldestAgeKind.LISTEN).toBe('bound');

      holder.stdin!.write('go\n');
      const enteredAt = 1000 * Number(await waitFor(() => out.match(/closewait (\d+\.\d+)/)?.[1], 10_000));
      // Held ~3 s: the first look taken 3 s after the entry.
      const held = await after((d) => Date.parse(d.takenAt) >= enteredAt + 3000);
      expect(held.oldestAgeKind.CLOSE_WAIT, JSON.stringify(held)).toBe('exact');
      expect(held.oldestAgeEstimated).not.toContain('CLOSE_WAIT');
      const hold = (Date.parse(held.takenAt) - enteredAt) / 1000;
      expect(hold).toBeGreaterThanOrEqual(3);
      expect(Math.abs((held.oldestAgeSeconds.CLOSE_WAIT ?? Number.NaN) - hold)).toBeLessThanOrEqual(0.2);
      // The connection open before serve started is still the oldest ESTABLISHED: a bound, not exact.
      expect(held.oldestAgeKind.ESTABLISHED).toBe('bound');

      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^tcpstate_connection_oldest_age_seconds\{state="close_wait"\} \d/m);
    } finally {
      serve?.kill('SIGKILL');
      pair.cleanup();
    }
  }, 90_000);
});
