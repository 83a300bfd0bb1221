/**
 * The dashboard in real headless Chromium against a real server serving real sockets in two network namespaces.
 * Ground truth: `ss` in both namespaces for the counts; the server's own API for what the diagram must show.
 * Set TCPSTATE_SCREENSHOT=docs/img to also write the dashboard screenshots (light, dark, phone).
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/http.ts';
import type { LiveDocument } from '../../src/server/live.ts';
import { parseState, TCP_STATES, type TcpState } from '../../src/states/states.ts';
import { canUseNetns, hasCommand } from '../helpers/netns.ts';
import { type Browser, hasChromium, launchBrowser } from './browser.ts';
import { buildWeb } from './build-web.ts';
import { createScenario, type Scenario, waitForSs } from './scenario.ts';

const INTERVAL_MS = 1000;
const ready = canUseNetns && hasChromium && hasCommand('python3') && hasCommand('nft');

async function api<T>(server: RunningServer, path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

async function diagramCounts(page: Page): Promise<Record<string, number>> {
  return page.$$eval('[data-state]', (nodes) =>
    Object.fromEntries(
      nodes.map((n) => [n.getAttribute('data-state'), Number(n.getAttribute('data-count'))]),
    ),
  );
}

function ssCounts(scenario: Scenario): Record<TcpState, number> {
  const counts = Object.fromEntries(TCP_STATES.map((s) => [s, 0])) as Record<TcpState, number>;
  for (const ns of [scenario.pair.a.ns, scenario.pair.b.ns]) {
    for (const row of scenario.pair.ss(ns)) {
      const state = parseState(row.state);
      if (state) counts[state]++;
    }
  }
  return counts;
}

describe.skipIf(!ready)('dashboard in headless Chromium', () => {
  let scenario: Scenario;
  let server: RunningServer;
  let browser: Browser;
  let webRoot: string;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    webRoot = buildWeb();
    scenario = await createScenario('tcpsrv');
    const { client, server: srv, pair } = scenario;
    const b = pair.b.v4;
    await srv.send('listen 8080 accept');
    await srv.send('listen 8443 accept');
    await srv.send('listen 7000 noaccept');
    // TIME_WAIT on the server: the server closes first, then the client.
    await client.send(`connect ${b} 8443 4 tw block`);
    await srv.send('closeaccepted');
    await waitForSs(pair, pair.b.ns, 'FIN-WAIT-2', 4);
    await client.send('close tw');
    await waitForSs(pair, pair.b.ns, 'TIME-WAIT', 4);
    // Held connections, an accept queue, SYN_SENT (SYNs to port 9 are dropped), CLOSE_WAIT on the server.
    await client.send(`connect ${b} 8080 6 est block`);
    await client.send(`connect ${b} 7000 3 queued block`);
    await client.send(`connect ${b} 9 2 syn nonblock`);
    await client.send(`connect ${b} 8080 3 cw block`);
    await client.send('close cw');
    await waitForSs(pair, pair.b.ns, 'CLOSE-WAIT', 3);
    await waitForSs(pair, pair.a.ns, 'SYN-SENT', 2);

    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      intervalMs: INTERVAL_MS,
      snapshot: () => scenario.snapshotBoth(),
      webRoot,
    });
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 15_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    scenario?.cleanup();
    if (webRoot) rmSync(webRoot, { recursive: true, force: true });
  });

  it('serves counts that match ss in both namespaces', async () => {
    const doc = await api<LiveDocument>(server, '/api/summary');
    const truth = ssCounts(scenario);
    expect(doc.summary.byState).toEqual(truth);
    expect(truth.LISTEN).toBe(3);
    expect(truth.TIME_WAIT).toBe(4);
    expect(truth.CLOSE_WAIT).toBe(3);
    expect(truth.SYN_SENT).toBe(2);
  });

  it('draws the eleven states with the same counts as the API', async () => {
    expect(await page.locator('[data-state]').count()).toBe(11);
    // Read the diagram and the API for the same sample: wait until the page shows the API's sequence number.
    for (let attempt = 0; attempt < 5; attempt++) {
      const doc = await api<LiveDocument>(server, '/api/summary');
      try {
        await page.waitForSelector(`body[data-seq="${doc.seq}"]`, { timeout: INTERVAL_MS * 2 });
      } catch {
        continue;
      }
      const shown = await diagramCounts(page);
      if (Number(await page.getAttribute('body', 'data-seq')) !== doc.seq) continue;
      expect(shown).toEqual(doc.summary.byState);
      const text = await page.locator('[data-state="TIME_WAIT"] .state-count').textContent();
      expect(text).toBe(String(doc.summary.byState.TIME_WAIT));
      return;
    }
    throw new Error('the page never showed the same sample as the API');
  });

  it('shows a state change staged in the namespace within one interval, with the transition rate', async () => {
    const before = await diagramCounts(page);
    // The client closes its 6 held connections: the server's side goes ESTABLISHED -> CLOSE_WAIT.
    await scenario.client.send('close est');
    const staged = Date.now();
    const seqAtStage = server.sampler.current!.seq;
    await page.waitForFunction(
      (want) =>
        Number(document.querySelector('[data-state="CLOSE_WAIT"]')?.getAttribute('data-count')) === want,
      (before.CLOSE_WAIT ?? 0) + 6,
      { timeout: INTERVAL_MS * 3, polling: 50 },
    );
    const took = Date.now() - staged;
    const seqAfter = Number(await page.getAttribute('body', 'data-seq'));
    // The next sample taken after the change carries it (the one in flight while staging may not): at most one
    // interval plus the snapshot and delivery time.
    expect(seqAfter).toBeLessThanOrEqual(seqAtStage + 2);
    expect(took).toBeLessThan(INTERVAL_MS + 500);
    const edge = page.locator('[data-from="ESTABLISHED"][data-to="CLOSE_WAIT"]');
    expect(Number(await edge.getAttribute('data-rate'))).toBeGreaterThan(0);
    expect(await edge.locator('.edge-rate').textContent()).toMatch(/\/s$/);
    const doc = await api<LiveDocument>(server, '/api/summary');
    if (doc.seq === seqAfter) {
      const t = doc.transitions.find((x) => x.from === 'ESTABLISHED' && x.to === 'CLOSE_WAIT');
      expect(t?.count).toBe(6);
    }
  });

  it('lists the findings of the diagnosis with their evidence', async () => {
    // Ground truth for the staged scenario: SYNs to port 9 are dropped, so the SYN_SENT rule must fire once the
    // SYNs have been retransmitted enough (a few seconds; on a loaded machine the first samples may be too early).
    let findings: Array<{ rule: string; title: string }> = [];
    for (let i = 0; i < 40 && !findings.some((f) => f.rule === 'syn-sent-pileup'); i++) {
      ({ findings } = await api<{ findings: Array<{ rule: string; title: string }> }>(
        server,
        '/api/findings',
      ));
      if (!findings.some((f) => f.rule === 'syn-sent-pileup')) await new Promise((r) => setTimeout(r, 250));
    }
    expect(findings.map((f) => f.rule)).toContain('syn-sent-pileup');
    await page.waitForFunction(
      (n) => document.querySelector('#findings-count')?.textContent === String(n),
      findings.length,
    );
    const text = await page.textContent('#findings');
    for (const f of findings) expect(text).toContain(f.title);
  });

  it('shows the explanation and the connections of a clicked state', async () => {
    await page.click('[data-state="CLOSE_WAIT"]');
    await page.waitForFunction(() => document.querySelector('#details-body table') !== null, undefined, {
      timeout: 5000,
    });
    expect(await page.textContent('#details-title')).toBe('CLOSE-WAIT');
    const info = await api<{ summary: string; details: { text: { zh: { summary: string } } } }>(
      server,
      '/api/states/CLOSE_WAIT',
    );
    expect(await page.textContent('#details-body')).toContain(info.summary);
    // The connections table is the last table in the panel (the timers per stack come first).
    const rows = await page.locator('#details-body .table-wrap').last().locator('tbody tr').count();
    const shown = await diagramCounts(page);
    expect(rows).toBe(shown.CLOSE_WAIT);
    // The explanation in Chinese, and back.
    await page.click('#lang');
    await page.waitForFunction(
      (zh) => document.querySelector('#details-body')?.textContent?.includes(zh),
      info.details.text.zh.summary,
      { timeout: 5000 },
    );
    await page.click('#lang');
    await page.waitForFunction(
      (en) => document.querySelector('#details-body')?.textContent?.includes(en),
      info.summary,
      { timeout: 5000 },
    );
  });

  it('renders the time series, light and dark, and fits a phone', async () => {
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
    const dir = process.env.TCPSTATE_SCREENSHOT;
    if (dir) await page.screenshot({ path: join(dir, 'dashboard.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(15, 19, 24)');
    if (dir) await page.screenshot({ path: join(dir, 'dashboard-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });

    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${server.url}/`);
    await phone.waitForSelector('body[data-ready="1"]');
    // Nothing wider than the screen: no sideways scrolling on a phone.
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const box = await phone.locator('svg.fsm').boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    if (dir) await phone.screenshot({ path: join(dir, 'dashboard-phone.png'), fullPage: true });
    await phone.close();
  });

  it('starts the chart with the recorded past when the server has a recording (serve --db)', async () => {
    // Recorded every 5 s until 50 s ago, then nothing until the live samples: the gap spans most of the x axis, and
    // a few live seconds take the last few percent of it (an hour's gap would squeeze them under one pixel).
    const minuteAgo = Date.now() - 60_000;
    const zeros = Object.fromEntries(TCP_STATES.map((st) => [st, 0])) as Record<TcpState, number>;
    const points = [0, 1, 2].map((i) => ({
      at: minuteAgo + i * 5_000,
      resolutionMs: 0,
      samples: 1,
      total: 5 + i,
      counts: { ...zeros, ESTABLISHED: 5 + i },
      max: { ...zeros, ESTABLISHED: 5 + i },
    }));
    const recorded = await startServer({
      host: '127.0.0.1',
      port: 0,
      intervalMs: INTERVAL_MS,
      snapshot: () => scenario.snapshotBoth(),
      webRoot,
      history: () => ({
        schema: 'tcpstate.history/1',
        db: 'recording.db',
        from: null,
        to: null,
        points,
        findings: [],
      }),
    });
    try {
      const p = await browser.context.newPage();
      p.on('pageerror', (error) => consoleErrors.push(String(error)));
      await p.goto(`${recorded.url}/`);
      await p.waitForSelector('body[data-ready="1"]', { timeout: 15_000 });
      const series = await api<{ t: number[]; history?: string }>(recorded, '/api/series');
      expect(series.history).toBe('/api/history');
      // The recorded points come first, then the live ones.
      expect(Number(await p.getAttribute('#chart', 'data-first'))).toBe(points[0]!.at / 1000);
      // At least one live point follows them (more may have arrived since).
      expect(Number(await p.getAttribute('#chart', 'data-points'))).toBeGreaterThan(points.length);
      // The chart draws lines, not points: wait for four live samples (the server takes one every INTERVAL_MS), so
      // the live line is long enough to find in the last tenth of the plot.
      await p.waitForFunction(
        (n) => Number(document.querySelector('#chart')?.getAttribute('data-points')) >= n,
        points.length + 4,
        { timeout: 10_000 },
      );
      // Nothing was recorded between the last recorded point and the live ones (~50 s): the line breaks there.
      // Read the drawn pixels: the ESTABLISHED line (#16a34a) runs in the first and last tenth of the plot but not
      // through the middle (a straight ramp across the gap would cross every column).
      await p.waitForTimeout(300);
      const green = await p.evaluate(() => {
        const canvas = document.querySelector('#chart canvas') as HTMLCanvasElement;
        const ctx = canvas.getContext('2d')!;
        const { width, height } = canvas;
        const pixels = ctx.getImageData(0, 0, width, height).data;
        const isGreen = (x: number) => {
          let n = 0;
          for (let y = 0; y < height; y++) {
            const i = (y * width + x) * 4;
            const [r, g, b, a] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!, pixels[i + 3]!];
            if (a > 100 && Math.abs(r - 0x16) < 40 && Math.abs(g - 0xa3) < 40 && Math.abs(b - 0x4a) < 40) n++;
          }
          return n;
        };
        const columns = (from: number, to: number) => {
          let n = 0;
          for (let x = Math.floor(width * from); x < width * to; x++) n += isGreen(x);
          return n;
        };
        return { left: columns(0.05, 0.15), middle: columns(0.3, 0.7), right: columns(0.9, 0.995) };
      });
      expect(green.left, JSON.stringify(green)).toBeGreaterThan(0);
      expect(green.right, JSON.stringify(green)).toBeGreaterThan(0);
      expect(green.middle, JSON.stringify(green)).toBe(0);
      expect(await p.getAttribute('#chart', 'data-gaps')).toBe('1');
      await p.locator('#chart').screenshot({ path: join(tmpdir(), 'tcpstate-dashboard-history-gap.png') });
      await p.close();
    } finally {
      await recorded.close();
    }
    // The first server has no recording: its series says so, and the page never asked for history.
    expect((await api<{ history?: string }>(server, '/api/series')).history).toBeUndefined();
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
