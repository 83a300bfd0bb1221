/**
 * The load half of bench/serve.ts: runs inside the server's network namespace, 100 clients for N seconds on
 * /metrics and the JSON API, and reads the server's own tcpstate_snapshots_total before and after.
 * Prints one JSON line. Usage: serve-load.ts URL SECONDS CONNECTIONS
 */
import autocannon from 'autocannon';

const [url = 'http://127.0.0.1:9877', seconds = '30', connections = '100'] = process.argv.slice(2);

async function snapshotsTotal(): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = text.match(/^tcpstate_snapshots_total (\d+)$/m);
  if (!m) throw new Error('no tcpstate_snapshots_total in /metrics');
  return Number(m[1]);
}

const sizes: Record<string, number> = {};
for (const path of ['/metrics', '/api/summary', '/api/snapshot?state=time-wait&limit=100', '/api/findings']) {
  sizes[path] = (await (await fetch(`${url}${path}`)).arrayBuffer()).byteLength;
}
const before = await snapshotsTotal();
const started = Date.now();
// A 101st client samples the server's snapshot counter during the run, to show when snapshots happen.
const timeline: Array<[number, number]> = [];
const probe = setInterval(() => {
  void snapshotsTotal().then((n) =>
    timeline.push([Math.round((Date.now() - started) / 100) / 10, n - before]),
  );
}, 1000);
const result = await autocannon({
  url,
  connections: Number(connections),
  duration: Number(seconds),
  timeout: 10,
  requests: [
    { path: '/metrics' },
    { path: '/api/summary' },
    { path: '/api/snapshot?state=time-wait&limit=100' },
    { path: '/api/findings' },
  ],
});
const elapsed = (Date.now() - started) / 1000;
clearInterval(probe);
const after = await snapshotsTotal();
const summary = await (await fetch(`${url}/api/summary`)).json();
console.log(
  JSON.stringify({
    elapsed,
    snapshotsDuring: after - before,
    requests: result.requests.total,
    rps: result.requests.average,
    latency: result.latency,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes: result.statusCodeStats,
    sizes,
    timeline,
    sockets: (summary as { summary: { total: number } }).summary.total,
    findings: (summary as { findings: Array<{ rule: string; severity: string }> }).findings.map(
      (f) => `${f.severity} ${f.rule}`,
    ),
    snapshotSeconds: (summary as { snapshotDurationSeconds: number }).snapshotDurationSeconds,
  }),
);
