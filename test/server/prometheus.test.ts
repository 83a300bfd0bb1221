/**
 * A real Prometheus server (Debian's) scrapes `tcpstate serve` over loopback with the bearer token and loads the
 * shipped alert rules; we then ask its HTTP API for what it stored. Bounded: one private port, a temp storage
 * dir, a 1 s scrape interval, at most ~30 s of waiting.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countByState } from '../../src/analysis/summary.ts';
import { type RunningServer, startServer } from '../../src/server/http.ts';
import { hasCommand } from '../helpers/netns.ts';
import { fixtureSnapshot, realKernel, sock } from './fixtures.ts';

const RULES = fileURLToPath(new URL('../../docs/prometheus-alerts.yml', import.meta.url));
const DASHBOARD = fileURLToPath(new URL('../../docs/grafana-dashboard.json', import.meta.url));

/** Every PromQL expression of the shipped Grafana dashboard, with its variables filled in. */
function dashboardQueries(): string[] {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Array<{ targets?: Array<{ expr: string }> }>;
  };
  return dash.panels
    .flatMap((p) => p.targets ?? [])
    .map((t) => t.expr.replaceAll('$instance', '.*').replaceAll('$__rate_interval', '1m'));
}
const TOKEN = 'prometheus-test-token';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface PromVector {
  status: string;
  data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

describe.skipIf(!hasCommand('prometheus') || !hasCommand('promtool'))(
  'a real Prometheus scrapes tcpstate',
  () => {
    let server: RunningServer;
    let prometheus: ChildProcess;
    let dir: string;
    let promUrl: string;
    // The real /proc fixture plus what a full live source adds: this machine's kernel counters, process owners,
    // a listener whose backlog is known, and one connection that is replaced every snapshot (so transitions
    // happen while the counts per state stay fixed).
    const base = fixtureSnapshot();
    const snapshot = { ...base, kernel: realKernel(), processesLookedUp: true };
    snapshot.sockets = [
      ...base.sockets.map((s, i) =>
        i % 2 ? { ...s, processes: [{ pid: 100 + i, command: `app${i % 3}` }] } : { ...s, processes: [] },
      ),
      sock('LISTEN', ['0.0.0.0', 8443], ['0.0.0.0', undefined], { recvQ: 3, backlog: 511, processes: [] }),
      sock('TIME_WAIT', ['10.0.0.1', 40001], ['10.0.0.2', 5432], { processes: [] }),
    ];
    let calls = 0;
    const provide = () => {
      calls++;
      const churn = sock('ESTABLISHED', ['10.0.0.1', 41000 + (calls % 2)], ['10.0.0.2', 5432], {
        processes: [],
      });
      return { ...snapshot, sockets: [...snapshot.sockets, churn], takenAt: Date.now() };
    };
    const expected = countByState(provide().sockets);

    beforeAll(async () => {
      server = await startServer({
        host: '127.0.0.1',
        port: 0,
        intervalMs: 1000,
        token: TOKEN,
        snapshot: async () => provide(),
        findings: () => [
          {
            rule: 'time-wait-port-pressure',
            severity: 'info',
            title: 'test',
            evidence: { metrics: {} },
            explanation: { en: '' },
            fix: { en: '' },
          },
        ],
      });
      dir = mkdtempSync(join(tmpdir(), 'tcpstate-prom-'));
      const port = await freePort();
      promUrl = `http://127.0.0.1:${port}`;
      writeFileSync(
        join(dir, 'prometheus.yml'),
        `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ${RULES}
scrape_configs:
  - job_name: tcpstate
    authorization:
      credentials: ${TOKEN}
    static_configs:
      - targets: ['127.0.0.1:${server.port}']
`,
      );
      const check = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], {
        encoding: 'utf8',
      });
      expect(check.status, check.stdout + check.stderr).toBe(0);
      prometheus = spawn(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
    }, 30_000);

    afterAll(async () => {
      prometheus?.kill('SIGTERM');
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    async function query(expr: string): Promise<PromVector['data']['result']> {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as PromVector;
      expect(body.status).toBe('success');
      return body.data.result;
    }

    it('ships alert rules that pass promtool check rules', () => {
      const run = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toContain('SUCCESS: 13 rules found');
    });

    it('stores tcpstate_connections with the values the snapshot has', async () => {
      const deadline = Date.now() + 30_000;
      let result: PromVector['data']['result'] = [];
      while (Date.now() < deadline) {
        try {
          result = await query('tcpstate_connections');
          if (result.length) break;
        } catch {
          // Prometheus still starting
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(result).toHaveLength(22);
      for (const [state, n] of Object.entries(expected)) {
        const sum = result
          .filter((r) => r.metric.state === state.toLowerCase())
          .reduce((a, r) => a + Number(r.value[1]), 0);
        expect({ state, sum }).toEqual({ state, sum: n });
      }
      expect(result[0]!.metric.job).toBe('tcpstate');
      const up = await query('up{job="tcpstate"}');
      expect(up[0]?.value[1]).toBe('1');
    }, 40_000);

    it('answers every query of the shipped Grafana dashboard; dashboard and alerts name only real metrics', async () => {
      // Wait for a few scrapes, so counters have a rate.
      await new Promise((r) => setTimeout(r, 2500));
      const queries = dashboardQueries();
      expect(queries.length).toBeGreaterThan(20);
      const names = new Set(
        ((await (await fetch(`${promUrl}/api/v1/label/__name__/values`)).json()) as { data: string[] }).data,
      );
      // The alert rules name only metrics the exporter really has.
      for (const name of readFileSync(RULES, 'utf8').match(/tcpstate_[a-z0-9_]+/g) ?? []) {
        expect(names.has(name), `${name} in the alert rules`).toBe(true);
      }
      for (const expr of queries) {
        const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
        const body = (await res.json()) as { status: string; error?: string };
        expect(body.status, `${expr}: ${body.error}`).toBe('success');
        for (const name of expr.match(/tcpstate_[a-z0-9_]+/g) ?? [])
          expect(names.has(name), `${name} in ${expr}`).toBe(true);
      }
    });

    it('scraped with the bearer token, and loaded the shipped alert rules without errors', async () => {
      const targets = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as {
        data: { activeTargets: Array<{ health: string; lastError: string }> };
      };
      expect(targets.data.activeTargets[0]?.health).toBe('up');
      expect(targets.data.activeTargets[0]?.lastError).toBe('');
      // Wait for one rule evaluation, then every rule must be healthy (valid PromQL against our names).
      await new Promise((r) => setTimeout(r, 1500));
      const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
        data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
      };
      const all = rules.data.groups.flatMap((g) => g.rules);
      expect(all.length).toBe(13);
      for (const rule of all) expect(rule.health, `${rule.name}: ${rule.lastError}`).toBe('ok');
      // Our exporter is up, so the exporter-down alert is not firing.
      const firing = await query('ALERTS{alertname="TcpstateExporterDown"}');
      expect(firing).toEqual([]);
    }, 20_000);
  },
);
