/**
 * Load test of `tcpstate serve` at ~10k real sockets.
 *
 * A fresh network namespace gets ~10 000 kernel sockets (a Python helper opens 5 500 loopback connections and
 * closes some: ESTABLISHED, TIME_WAIT, CLOSE_WAIT/FIN_WAIT_2, one LISTEN). The real CLI, `tcpstate serve
 * --interval 5s --rate-limit 0`, runs in that namespace and reads its /proc/net/tcp; autocannon, also in the
 * namespace, drives 100 concurrent keep-alive clients for 30 s through /metrics, /api/summary,
 * /api/snapshot?state=time-wait&limit=100 and /api/findings in turn. We report throughput, latency percentiles,
 * errors, and the server's own tcpstate_snapshots_total over the run against the number of intervals.
 * Rate limiting is off because all 100 clients share one address (the limit is per client address).
 *
 * Run as root: npx tsx bench/serve.ts [seconds=30] [connections=100]
 */
import type { ChildProcess } from 'node:child_process';
import { createNetnsPair } from '../test/helpers/netns.ts';

const seconds = Number(process.argv[2] ?? 30);
const connections = Number(process.argv[3] ?? 100);
const INTERVAL_S = 5;
const PAIRS = 5500;

const MAKE_SOCKETS = `
import resource, socket, sys, time
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 8000)); srv.listen(4096)
pairs = []
for i in range(${PAIRS}):
    c = socket.create_connection(('127.0.0.1', 8000)); s, _ = srv.accept(); pairs.append((c, s))
# 1000 closed by the server first then the client: TIME_WAIT on the server side.
for c, s in pairs[:1000]:
    s.close(); c.close()
# 500 closed by the client only: FIN_WAIT_2 (client) and CLOSE_WAIT (server).
for c, s in pairs[1000:1500]:
    c.close()
print('ready', flush=True)
sys.stdin.read()
`;

function waitLine(
  child: ChildProcess,
  pattern: RegExp,
  stream: 'stdout' | 'stderr',
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${text}`)), timeoutMs);
    child[stream]!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = text.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] ?? m[0]);
      }
    });
  });
}

const pair = createNetnsPair('tcpbench');
try {
  const ns = pair.a.ns;
  const maker = pair.spawn(ns, 'python3', ['-u', '-c', MAKE_SOCKETS]);
  await waitLine(maker, /ready/, 'stdout', 60_000);
  const server = pair.spawn(ns, process.execPath, [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'serve',
    '--port',
    '9877',
    '--interval',
    `${INTERVAL_S}s`,
    '--rate-limit',
    '0',
  ]);
  const url = await waitLine(server, /tcpstate serve: (http:\/\/\S+?)\/ \(dashboard\)/, 'stderr', 30_000);
  const load = pair.spawn(ns, process.execPath, [
    '--import',
    'tsx',
    'bench/serve-load.ts',
    url,
    String(seconds),
    String(connections),
  ]);
  const line = await waitLine(load, /^(\{.*\})$/m, 'stdout', (seconds + 60) * 1000);
  const r = JSON.parse(line) as {
    elapsed: number;
    snapshotsDuring: number;
    requests: number;
    rps: number;
    latency: { p50: number; p90: number; p97_5: number; p99: number; max: number; average: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    sizes: Record<string, number>;
    sockets: number;
    snapshotSeconds: number;
    timeline: Array<[number, number]>;
    findings: string[];
  };
  const intervals = r.elapsed / INTERVAL_S;
  console.log(
    `tcpstate serve under load: ${r.sockets} sockets, ${connections} clients, ${r.elapsed.toFixed(1)} s`,
  );
  console.log(
    `  requests      ${r.requests} (${Math.round(r.rps)} req/s), errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}`,
  );
  console.log(
    `  latency (ms)  p50 ${r.latency.p50}  p90 ${r.latency.p90}  p97.5 ${r.latency.p97_5}  p99 ${r.latency.p99}  max ${r.latency.max}  mean ${r.latency.average.toFixed(1)}`,
  );
  console.log(
    `  snapshots     ${r.snapshotsDuring} taken during the run for ${intervals.toFixed(1)} intervals of ${INTERVAL_S} s (${r.requests} requests): ${(r.requests / Math.max(1, r.snapshotsDuring)).toFixed(0)} requests per snapshot`,
  );
  console.log(`  timeline      ${r.timeline.map(([t, n]) => `${t}s:${n}`).join(' ')}`);
  console.log(
    `  one snapshot  ${(r.snapshotSeconds * 1000).toFixed(1)} ms (read /proc/net/tcp{,6} of ${r.sockets} sockets + summary)`,
  );
  console.log(`  findings      ${r.findings.join(', ') || 'none'} (diagnosed in the snapshot worker)`);
  console.log(
    `  body sizes    ${Object.entries(r.sizes)
      .map(([p, n]) => `${p} ${n} B`)
      .join(', ')}`,
  );
  const ok =
    r.errors === 0 && r.non2xx === 0 && r.timeouts === 0 && r.snapshotsDuring <= Math.ceil(intervals) + 1;
  console.log(ok ? 'PASS: no errors, one snapshot per interval' : 'FAIL');
  process.exitCode = ok ? 0 : 1;
} finally {
  pair.cleanup();
}
