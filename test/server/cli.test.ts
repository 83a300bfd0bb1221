/** `tcpstate serve` as a user runs it: the exposure rules, the startup line, a real request, a clean stop. */

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { netlinkUnavailableReason } from '../../src/sources/netlink/reader.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import { canUseNetns, createNetnsPair, hasCommand, waitFor } from '../helpers/netns.ts';

const CLI = ['--import', 'tsx', 'src/cli/main.ts', 'serve'];
const NODE = process.execPath;

describe('tcpstate serve (CLI)', () => {
  it('refuses a non-loopback address without --token or --insecure, with one clear line', () => {
    const run = spawnSync(NODE, [...CLI, '--host', '0.0.0.0', '--port', '0'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('tcpstate'));
    expect(lines).toEqual([
      'tcpstate: refusing to listen on 0.0.0.0 without protection: add --token TOKEN (clients send Authorization: Bearer TOKEN) or --insecure',
    ]);
  });

  it('fails at startup, in one line, when the source cannot be read at all', () => {
    const run = spawnSync(NODE, [...CLI, '--port', '0', '--netns', 'tcpstate-no-such-namespace'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.signal).toBeNull();
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('tcpstate'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tcpstate: netns:tcpstate-no-such-namespace: no network namespace named/);
  });

  it('serves /api/history from a recording made by tcpstate record (--db)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-serve-db-'));
    const db = join(dir, 'rec.db');
    try {
      const rec = spawnSync(
        NODE,
        ['--import', 'tsx', 'src/cli/main.ts', 'record', '--db', db, '-i', '200ms', '-d', '1s', '-q'],
        {
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      expect(rec.status, rec.stderr).toBe(0);
      const child = spawn(NODE, [...CLI, '--port', '0', '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      try {
        const url = await waitFor(
          () => stderr.match(/tcpstate serve: (http:\/\/\S+?)\/ \(dashboard\)/)?.[1],
          20_000,
        );
        const doc = (await (await fetch(`${url}/api/history`)).json()) as {
          schema: string;
          points: Array<{ at: number; total: number; counts: Record<string, number> }>;
        };
        // Ground truth: the recording itself, read with the store.
        const store = openSqliteStore(db);
        const rows = store.snapshots();
        store.close();
        expect(doc.schema).toBe('tcpstate.history/1');
        expect(rows.length).toBeGreaterThanOrEqual(3);
        expect(doc.points.map((p) => [p.at, p.total, p.counts])).toEqual(
          rows.map((r) => [r.at, r.total, r.counts]),
        );
        const later = (await (await fetch(`${url}/api/history?from=${rows[1]!.at}`)).json()) as {
          points: unknown[];
        };
        expect(later.points).toHaveLength(rows.length - 1);
      } finally {
        child.kill('SIGTERM');
      }
      const missing = spawnSync(NODE, [...CLI, '--port', '0', '--db', join(dir, 'none.db')], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain('none.db: no such recording (make one with tcpstate record)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('rejects bad flag values with a one-line error', () => {
    for (const [args, message] of [
      [['--interval', '5x'], "--interval: '5x' is not a duration"],
      [['--interval', '10ms'], "--interval: '10ms' is shorter than 100ms"],
      [['--port', '99999'], "--port: '99999' is not a port number"],
      [['--token', 'short'], '--token: use at least 8 characters'],
    ] as const) {
      const run = spawnSync(NODE, [...CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  // Exposing the server is only done inside a private namespace: the address is the veth's, reached from the
  // other namespace (no traffic leaves the machine's namespaces).
  it.skipIf(!canUseNetns || !hasCommand('curl'))(
    'serves on a non-loopback address only with --insecure, warns, and stops cleanly on SIGTERM',
    async () => {
      const pair = createNetnsPair('tcpcli');
      try {
        const child = pair.spawn(pair.a.ns, NODE, [
          ...CLI,
          '--host',
          pair.a.v4,
          '--insecure',
          '--port',
          '0',
          '--interval',
          '500ms',
        ]);
        let stderr = '';
        child.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        const url = await waitFor(
          () => stderr.match(/tcpstate serve: (http:\/\/\S+?)\/ \(dashboard\)/)?.[1],
          20_000,
        );
        expect(url.startsWith(`http://${pair.a.v4}:`)).toBe(true);
        expect(stderr).toContain(`warning: listening on ${pair.a.v4} with no token (--insecure)`);
        type Doc = { source: { kind: string }; summary: { byState: { LISTEN: number } } };
        const fetchDoc = () =>
          JSON.parse(pair.exec(pair.b.ns, 'curl', ['-sS', '--max-time', '5', `${url}/api/summary`])) as Doc;
        expect(fetchDoc().source.kind).toBe(netlinkUnavailableReason() === undefined ? 'netlink' : 'proc');
        // The first snapshot was taken before the server listened; its own listener shows up a sample later.
        const doc = await waitFor(() => {
          const d = fetchDoc();
          return d.summary.byState.LISTEN >= 1 ? d : undefined;
        }, 3000);
        expect(doc.summary.byState.LISTEN).toBe(1);
        const code = new Promise<number | null>((resolve) => child.on('exit', resolve));
        child.kill('SIGTERM');
        expect(await code).toBe(0);
      } finally {
        pair.cleanup();
      }
    },
    40_000,
  );
});
