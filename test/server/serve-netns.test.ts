/**
 * `tcpstate serve --netns` / `--ns-of` for real: the snapshot worker thread enters another network namespace
 * (the addon opens its netlink socket there), and every endpoint answers about that namespace's sockets, checked
 * against `ss` run inside it. The sockets stay in the worker, so /api/summary's groups, /metrics' aggregates and
 * /api/snapshot are each asked of the worker: this test goes through all three. It also stops the server with
 * SIGTERM and wants exit 0: with sockets in the namespace, terminating the worker used to abort the process (SIGILL)
 * when the addon handed its dumps over as external buffers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { netlinkUnavailableReason } from '../../src/sources/netlink/reader.ts';
import { canUseNetns, createNetnsPair, waitFor } from '../helpers/netns.ts';

const NODE = process.execPath;
const PORT = 7411;

/** Holds 6 loopback connections on PORT, 2 of them closed by the client only (CLOSE_WAIT on the server side). */
const HOLDER = `
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('127.0.0.1', ${PORT})); l.listen(64)
keep = []
for i in range(6):
    c = socket.create_connection(('127.0.0.1', ${PORT})); s, _ = l.accept(); keep += [c, s]
    if i < 2: c.close()
print('ready', flush=True)
sys.stdin.read()
`;

interface Summary {
  source: { kind: string; name: string };
  summary: { total: number; byState: Record<string, number> };
  top: { ports: { key: string; total: number }[] };
}

function startServe(args: string[]): { child: ChildProcess; url: Promise<string>; stderr: () => string } {
  const child = spawn(NODE, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = waitFor(() => stderr.match(/tcpstate serve: (http:\/\/\S+?)\/ \(dashboard\)/)?.[1], 30_000);
  return { child, url, stderr: () => stderr };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const code = new Promise<number | null>((resolve) =>
    child.on('exit', (c, s) => resolve(c ?? (s as unknown as number))),
  );
  child.kill('SIGTERM');
  return code;
}

describe.skipIf(!canUseNetns || netlinkUnavailableReason() !== undefined)(
  'tcpstate serve in another network namespace (worker thread, netlink)',
  () => {
    it('answers /api/summary, /metrics and /api/snapshot about the namespace, as ss sees it', async () => {
      const pair = createNetnsPair('tcpsrvns');
      const servers: ChildProcess[] = [];
      try {
        const holder = pair.spawn(pair.a.ns, 'python3', ['-c', HOLDER]);
        await new Promise<void>((resolve, reject) => {
          holder.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
          holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
        });
        const rows = pair.ss(pair.a.ns);
        const ssCount = (state: string) => rows.filter((r) => r.state === state).length;
        expect(ssCount('CLOSE-WAIT')).toBe(2);
        const pid = pair.pidIn(pair.a.ns);

        for (const [flag, value, name] of [
          ['--netns', pair.a.ns, `netns:${pair.a.ns}`],
          ['--ns-of', String(pid), `pid:${pid}`],
        ] as const) {
          const serve = startServe(['--interval', '500ms', flag, value]);
          servers.push(serve.child);
          const url = await serve.url;
          // A second sample, so the groups and aggregates are asked of a worker that has moved on once.
          let summary: Summary & { seq: number };
          const until = Date.now() + 15_000;
          do {
            summary = (await (await fetch(`${url}/api/summary`)).json()) as Summary & { seq: number };
            if (summary.seq < 2) await new Promise((r) => setTimeout(r, 100));
          } while (summary.seq < 2 && Date.now() < until);
          expect(summary.source).toMatchObject({ kind: 'netlink', name });
          expect(summary.summary.total).toBe(rows.length);
          expect(summary.summary.byState.ESTABLISHED).toBe(ssCount('ESTAB'));
          expect(summary.summary.byState.CLOSE_WAIT).toBe(2);
          expect(summary.top.ports.find((g) => g.key === String(PORT))?.total).toBeGreaterThanOrEqual(7);

          const metrics = await (await fetch(`${url}/metrics`)).text();
          const sum = (state: string) =>
            [
              ...metrics.matchAll(
                new RegExp(`^tcpstate_connections\\{state="${state}",family="ipv[46]"\\} (\\d+)$`, 'gm'),
              ),
            ]
              .map((m) => Number(m[1]))
              .reduce((a, b) => a + b, 0);
          expect(sum('established')).toBe(ssCount('ESTAB'));
          expect(sum('close_wait')).toBe(2);
          expect(metrics).toMatch(
            new RegExp(`^tcpstate_connections_by_port\\{state="close_wait",port="${PORT}"\\} 2$`, 'm'),
          );

          const snapshot = (await (await fetch(`${url}/api/snapshot?state=close-wait`)).json()) as {
            sockets: { state: string; local: { port: number } }[];
          };
          expect(snapshot.sockets.map((s) => [s.state, s.local.port])).toEqual([
            ['CLOSE_WAIT', PORT],
            ['CLOSE_WAIT', PORT],
          ]);
          const bad = await fetch(`${url}/api/snapshot?state=nonsense`);
          expect(bad.status).toBe(400);
          const code = await stop(serve.child);
          expect(code, serve.stderr()).toBe(0);
        }
      } finally {
        for (const child of servers) child.kill('SIGKILL');
        pair.cleanup();
      }
    }, 90_000);
  },
);
