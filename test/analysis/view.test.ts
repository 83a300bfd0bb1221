import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { createServerApp } from '../../src/server/app.ts';
import { parseTextBytes } from '../../src/sources/text/index.ts';
import { runCli } from '../helpers/cli.ts';

// A server on :8080 with 135 clients that closed (CLOSE_WAIT on the server's side: a leak), a healthy service on
// :7070 with a few established clients, and this host's own connections out to a database.
function listing(): string {
  const lines = ['State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process'];
  lines.push('LISTEN     0      128    0.0.0.0:8080        0.0.0.0:*');
  lines.push('LISTEN     0      128    0.0.0.0:7070        0.0.0.0:*');
  for (let i = 0; i < 135; i++) lines.push(`CLOSE-WAIT 0 0 10.0.0.1:8080 10.0.1.${i % 250}:${30000 + i}`);
  for (let i = 0; i < 4; i++) lines.push(`ESTAB 0 0 10.0.0.1:7070 10.0.2.${i}:${40000 + i}`);
  for (let i = 0; i < 3; i++) lines.push(`ESTAB 0 0 10.0.0.1:${50000 + i} 10.0.3.9:5432`);
  return `${lines.join('\n')}\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'tcpstate-view-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'ss.txt');
writeFileSync(file, listing());

interface Doc {
  groups: { service: Array<{ key: string; direction?: string; total: number }> };
  findings?: Array<{ rule: string; title: string }>;
  findingsCover?: string;
  filtered?: { from: number; to: number };
}

describe('a filtered view keeps what the whole table says', () => {
  it('SERVICES under -s close-wait: in :8080 135 (direction from the listener the filter removed)', () => {
    const r = runCli(['analyze', file, '-s', 'close-wait']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/SERVICES \(1 in all\)/);
    expect(r.stdout).toMatch(/^in +:8080 +135\b/m);
    expect(r.stdout).not.toMatch(/^out /m);
    const doc = JSON.parse(runCli(['analyze', file, '-s', 'close-wait', '--json']).stdout) as Doc;
    expect(doc.groups.service).toEqual([
      expect.objectContaining({ key: '8080', direction: 'in', total: 135 }),
    ]);
  });

  it('/api/snapshot?state=close-wait groups by the same rule', async () => {
    const snapshot: Snapshot = parseTextBytes(Buffer.from(listing()), { name: 'listing' });
    const server = createServerApp({
      snapshot: async () => ({ ...snapshot, takenAt: Date.now() }),
      intervalMs: 60_000,
      webRoot: dir,
      rateLimit: false,
    });
    await server.sampler.tick();
    const res = await server.app.request('http://localhost/api/snapshot?state=close-wait');
    const doc = (await res.json()) as Doc;
    expect(doc.groups.service).toEqual([
      expect.objectContaining({ key: '8080', direction: 'in', total: 135 }),
    ]);
    // The server's findings are the sampler's, over the whole table; the document says so.
    expect(doc.findingsCover).toBe('table');
    server.sampler.stop?.();
  });

  it('findings follow the filter: --port 7070 does not report the leak on :8080, and says why', () => {
    const all = JSON.parse(runCli(['analyze', file, '--json']).stdout) as Doc;
    expect(all.findings?.map((f) => f.rule)).toContain('close-wait-leak');
    expect(all.findingsCover).toBeUndefined();

    const r = runCli(['analyze', file, '--port', '7070']);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/8080/);
    expect(r.stdout).toMatch(/findings cover the 5 sockets shown/);
    const doc = JSON.parse(runCli(['analyze', file, '--port', '7070', '--json']).stdout) as Doc;
    expect(doc.findings?.map((f) => f.rule) ?? []).not.toContain('close-wait-leak');
    expect(doc.findingsCover).toBe('view');

    // The leak is still found when the view holds it, with the listener known from the whole table.
    const cw = JSON.parse(runCli(['analyze', file, '-s', 'close-wait', '--json']).stdout) as Doc;
    expect(cw.findings?.find((f) => f.rule === 'close-wait-leak')?.title).toMatch(/port 8080/);
  });
});
