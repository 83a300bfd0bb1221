import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFilter } from '../../src/analysis/filter.ts';
import { NotAvailableError } from '../../src/errors.ts';
import type { Finding } from '../../src/model/finding.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { createServerApp, type ServerApp } from '../../src/server/app.ts';
import type { LiveDocument } from '../../src/server/live.ts';
import { fixtureSnapshot } from './fixtures.ts';

const finding: Finding = {
  rule: 'close-wait-leak',
  severity: 'warning',
  title: 'test finding',
  evidence: { metrics: { close_wait: 3 } },
  explanation: { en: 'because' },
  fix: { en: 'close sockets' },
};

let webRoot: string;
beforeAll(() => {
  webRoot = mkdtempSync(join(tmpdir(), 'tcpstate-web-test-'));
  mkdirSync(join(webRoot, 'assets'));
  writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>dash</title>');
  writeFileSync(join(webRoot, 'assets', 'app-1234.js'), 'console.log(1)');
  // A file next to the web root that traversal attempts aim at.
  writeFileSync(join(webRoot, '..', 'tcpstate-secret.txt'), 'TOP-SECRET-CONTENT');
});
afterAll(() => {
  rmSync(webRoot, { recursive: true, force: true });
  rmSync(join(webRoot, '..', 'tcpstate-secret.txt'), { force: true });
});

async function makeApp(extra: Partial<Parameters<typeof createServerApp>[0]> = {}): Promise<ServerApp> {
  const snapshot: Snapshot = fixtureSnapshot();
  const server = createServerApp({
    snapshot: async () => ({ ...snapshot, takenAt: Date.now() }),
    findings: () => [finding],
    intervalMs: 60_000,
    webRoot,
    rateLimit: false,
    ...extra,
  });
  await server.sampler.tick();
  return server;
}

const get = (server: ServerApp, path: string, headers: Record<string, string> = {}) =>
  server.app.request(`http://localhost${path}`, { headers });

describe('JSON API', () => {
  it('serves the summary, the snapshot filtered like the CLI, findings, series and states', async () => {
    const server = await makeApp();
    const summary = (await (await get(server, '/api/summary')).json()) as LiveDocument;
    const sockets = fixtureSnapshot().sockets;
    expect(summary.summary.total).toBe(sockets.length);
    expect(summary.findings).toEqual([finding]);

    const filtered = await get(server, '/api/snapshot?state=listen&port=22');
    expect(filtered.status).toBe(200);
    const doc = (await filtered.json()) as { sockets: unknown[]; filtered?: { from: number; to: number } };
    const expected = applyFilter(sockets, { states: ['listen'], ports: [22] });
    expect(doc.sockets).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(doc.filtered).toEqual({ from: sockets.length, to: expected.length });

    const expr = (await (
      await get(server, `/api/snapshot?filter=${encodeURIComponent('sport = :22')}`)
    ).json()) as {
      sockets: unknown[];
    };
    expect(expr.sockets.length).toBe(applyFilter(sockets, { expression: 'sport = :22' }).length);

    const limited = (await (await get(server, '/api/snapshot?limit=2')).json()) as {
      sockets: unknown[];
      truncated: { matched: number };
    };
    expect(limited.sockets).toHaveLength(2);
    expect(limited.truncated.matched).toBe(sockets.length);

    expect(((await (await get(server, '/api/findings')).json()) as { findings: Finding[] }).findings).toEqual(
      [finding],
    );
    const series = (await (await get(server, '/api/series')).json()) as {
      t: number[];
      states: { LISTEN: number[] };
    };
    expect(series.t).toHaveLength(1);
    expect(series.states.LISTEN[0]).toBe(summary.summary.byState.LISTEN);
    const states = (await (await get(server, '/api/states')).json()) as { states: { state: string }[] };
    expect(states.states).toHaveLength(11);
    const tw = (await (await get(server, '/api/states/time-wait')).json()) as {
      state: string;
      from: string[];
    };
    expect(tw.state).toBe('TIME_WAIT');
    expect(tw.from.sort()).toEqual(['CLOSING', 'FIN_WAIT_1', 'FIN_WAIT_2']);
  });

  it('answers bad query parameters with 400 and a message naming them', async () => {
    const server = await makeApp();
    const cases: Array<[string, RegExp]> = [
      ['/api/snapshot?state=bogus', /unknown state 'bogus'/],
      ['/api/snapshot?port=70000', /'port' must be 0-65535/],
      ['/api/snapshot?limit=-1', /'limit' must be a whole number/],
      ['/api/snapshot?sort=nope', /unknown key 'nope'/],
      ['/api/snapshot?filter=dport%20%3D', /filter expression/],
      ['/api/snapshot?stat=listen', /unknown query parameter 'stat'/],
      ['/api/summary?top=0', /'top' must be a whole number from 1/],
      ['/api/states/NOPE', /unknown TCP state 'NOPE'/],
      ['/api/history?from=yesterday', /'from' must be Unix seconds/],
      ['/metrics?x=1', /unknown query parameter 'x'/],
    ];
    for (const [path, message] of cases) {
      const res = await get(server, path);
      expect(res.status, path).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(((await res.json()) as { error: string }).error, path).toMatch(message);
    }
  });

  it('answers out-of-range times and numbers with 400, never 500 (a recording is served)', async () => {
    const { storeHistory } = await import('../../src/server/history.ts');
    const store = { path: 'r.db', snapshots: () => [], findings: () => [] };
    const server = await makeApp({ history: storeHistory(store) });
    const cases: Array<[string, RegExp]> = [
      ['/api/history?from=99999999999999999999', /'from' .*out of range|'from' must be/],
      ['/api/history?to=99999999999999999999', /'to' .*out of range|'to' must be/],
      [`/api/history?from=${'9'.repeat(400)}`, /'from'/],
      ['/api/history?from=%2B275761-01-01T00:00:00Z', /'from'/],
      ['/api/history?from=1&from=2', /'from' may be given once/],
      ['/api/snapshot?limit=1e400', /'limit' must be a whole number/],
      ['/api/snapshot?top=99999999999999999999', /'top' must be a whole number/],
      ['/api/snapshot?port=99999999999999999999', /'port' must be 0-65535/],
      ['/api/summary?top=1.5', /'top' must be a whole number/],
    ];
    for (const [path, message] of cases) {
      const res = await get(server, path);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: string }).error, path).toMatch(message);
    }
    expect((await get(server, '/api/history?from=1700000000&to=2026-01-01T00:00:00Z')).status).toBe(200);
  });

  it('says why history is missing: 404 without --db, 501 when the recording cannot be read in this build', async () => {
    const none = await makeApp();
    const res = await get(none, '/api/history');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(/--db/);
    const unavailable = await makeApp({
      history: () => {
        throw new NotAvailableError('reading recordings is not available in this build yet');
      },
    });
    expect((await get(unavailable, '/api/history')).status).toBe(501);
    const working = await makeApp({ history: (q) => ({ points: [], from: q.from ?? null }) });
    expect(await (await get(working, '/api/history?from=1700000000')).json()).toEqual({
      points: [],
      from: 1_700_000_000_000,
    });
  });

  it('streams a sample event per snapshot over Server-Sent Events', async () => {
    const server = await makeApp();
    const res = await get(server, '/api/events');
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += (await reader.read()).value ?? '';
    };
    await readUntil(/event: sample\ndata: .*\nid: 1\n/);
    await server.sampler.tick();
    await readUntil(/event: sample\ndata: (\{.*\})\nid: 2\n/);
    const data = JSON.parse(text.match(/data: (\{.*\})\nid: 2\n/)![1]!) as LiveDocument;
    expect(data.seq).toBe(2);
    expect(data.schema).toBe('tcpstate.live/1');
    await reader.cancel();
    server.stop();
  });

  it('serves /metrics with the Prometheus content type', async () => {
    const server = await makeApp();
    const res = await get(server, '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^tcpstate_connections\{state="listen",family="ipv4"\} \d+$/m);
    expect(text).toMatch(/^tcpstate_findings\{rule="close-wait-leak",severity="warning"\} 1$/m);
  });
});

describe('safety', () => {
  it('is read-only: anything but GET and HEAD is 405, bodies are 413', async () => {
    const server = await makeApp();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = await server.app.request('http://localhost/api/summary', { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
    const withBody = await server.app.request('http://localhost/api/summary', {
      method: 'GET',
      headers: { 'content-length': '5' },
    });
    expect(withBody.status).toBe(413);
    expect((await get(server, `/api/summary?top=${'1'.repeat(5000)}`)).status).toBe(414);
  });

  it('sends the security headers and no CORS headers', async () => {
    const server = await makeApp();
    for (const path of ['/', '/api/summary', '/metrics', '/nope']) {
      const res = await get(server, path, { Origin: 'http://evil.example' });
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('serves only the built files: no path traversal', async () => {
    const server = await makeApp();
    expect(await (await get(server, '/')).text()).toContain('<title>dash</title>');
    const asset = await get(server, '/assets/app-1234.js');
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    for (const path of [
      '/../tcpstate-secret.txt',
      '/%2e%2e/tcpstate-secret.txt',
      '/assets/..%2f..%2ftcpstate-secret.txt',
      '/assets/%2e%2e%2f%2e%2e%2ftcpstate-secret.txt',
      '/..%5ctcpstate-secret.txt',
      '//etc/passwd',
      '/etc/passwd',
    ]) {
      const res = await get(server, path);
      const body = await res.text();
      expect(body, path).not.toContain('TOP-SECRET-CONTENT');
      expect(body, path).not.toContain('root:');
      expect([200, 404], path).toContain(res.status);
      if (res.status === 200) expect(body).toContain('<title>dash</title>');
    }
  });

  it('requires the bearer token on the API and metrics when one is set', async () => {
    const server = await makeApp({ token: 'correct-horse' });
    expect((await get(server, '/api/summary')).status).toBe(401);
    expect((await get(server, '/metrics', { Authorization: 'Bearer wrong-horse!' })).status).toBe(401);
    expect((await get(server, '/metrics', { Authorization: 'Bearer correct-horse' })).status).toBe(200);
    expect((await get(server, '/api/summary', { Authorization: 'bearer correct-horse' })).status).toBe(200);
    // The page itself holds no data and must load to ask for the token.
    expect((await get(server, '/')).status).toBe(200);
  });

  it('refuses non-loopback Host headers when bound to loopback (DNS rebinding)', async () => {
    const server = await makeApp({ loopbackOnly: true });
    const at = (host: string) => server.app.request('http://x/api/summary', { headers: { host } });
    expect((await at('evil.example')).status).toBe(421);
    expect((await at('evil.example:9877')).status).toBe(421);
    for (const host of ['localhost:9877', '127.0.0.1:9877', '[::1]:9877', 'localhost']) {
      expect((await at(host)).status, host).toBe(200);
    }
  });

  it('rate-limits each client address', async () => {
    const server = await makeApp({
      rateLimit: { perSecond: 1, burst: 5 },
      clientAddress: (c) => c.req.header('x-test-client') ?? '',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await get(server, '/api/summary', { 'x-test-client': 'a' })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    const limited = await get(server, '/api/summary', { 'x-test-client': 'a' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another client is not affected.
    expect((await get(server, '/api/summary', { 'x-test-client': 'b' })).status).toBe(200);
  });

  it('answers 503 with the reason before the first snapshot, and keeps serving the last good one after a failure', async () => {
    let fail = true;
    const base = fixtureSnapshot();
    const server = createServerApp({
      snapshot: async () => {
        if (fail) throw new Error('/proc/net/tcp: permission denied');
        return base;
      },
      intervalMs: 60_000,
      rateLimit: false,
      webRoot,
    });
    await server.sampler.tick();
    const res = await get(server, '/api/summary');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toMatch(/permission denied/);
    fail = false;
    await server.sampler.tick();
    fail = true;
    await server.sampler.tick();
    expect((await get(server, '/api/summary')).status).toBe(200);
    expect(await (await get(server, '/metrics')).text()).toMatch(/^tcpstate_snapshot_success 0$/m);
  });
});

describe('one snapshot per interval', () => {
  it('takes one snapshot per tick however many requests arrive', async () => {
    let calls = 0;
    const base = fixtureSnapshot();
    const server = createServerApp({
      snapshot: async () => {
        calls++;
        return { ...base, takenAt: Date.now() };
      },
      intervalMs: 200,
      rateLimit: false,
      webRoot,
    });
    const started = Date.now();
    await server.start();
    const paths = ['/metrics', '/api/summary', '/api/snapshot?state=listen', '/api/series', '/api/findings'];
    let requests = 0;
    while (Date.now() - started < 1000) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, i) => get(server, paths[i % paths.length]!)),
      );
      for (const res of batch) expect(res.status).toBe(200);
      requests += batch.length;
      // In-process requests resolve as microtasks; real sockets would yield to timers, so let them run.
      await new Promise((resolve) => setImmediate(resolve));
    }
    server.stop();
    const elapsed = Date.now() - started;
    expect(requests).toBeGreaterThan(200);
    // One at start plus one per elapsed interval (allow one of slack for the timer edge).
    expect(calls).toBeLessThanOrEqual(Math.floor(elapsed / 200) + 2);
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(server.sampler.snapshotCalls).toBe(calls);
  });
});
