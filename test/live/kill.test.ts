/**
 * `tcpstate kill` for real: a CLOSE_WAIT pile-up on one port is destroyed, the same pile-up on another port is
 * untouched, and `ss` confirms both; listeners are kept without --include-listen; the application's next send fails
 * with ECONNABORTED.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netlinkUnavailableReason } from '../../src/sources/netlink/reader.ts';
import { runCli } from '../helpers/cli.ts';
import { canUseNetns, createNetnsPair, hasCommand, type NetnsPair, waitFor } from '../helpers/netns.ts';

const SCRIPT = fileURLToPath(new URL('./cw-pile.py', import.meta.url));
const missing = netlinkUnavailableReason();
const skipReason =
  missing ??
  (canUseNetns && hasCommand('python3') ? undefined : 'needs root (namespaces, SOCK_DESTROY) and python3');
const COUNT = 12;
const KILL = 7301;
const KEEP = 7302;

describe.skipIf(skipReason !== undefined)(
  `tcpstate kill${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let pair: NetnsPair;
    let out: string[] = [];
    let holder: ReturnType<NetnsPair['spawn']>;
    let stagedAt = 0;

    const closeWait = (port: number) =>
      pair.ss(pair.a.ns).filter((r) => r.state === 'CLOSE-WAIT' && r.local.endsWith(`:${port}`)).length;
    const listening = (port: number) =>
      pair.ss(pair.a.ns).filter((r) => r.state === 'LISTEN' && r.local.endsWith(`:${port}`)).length;

    beforeAll(async () => {
      pair = createNetnsPair('tcpst-kill');
      stagedAt = Date.now();
      holder = pair.spawn(pair.a.ns, 'python3', [
        SCRIPT,
        '127.0.0.1',
        String(COUNT),
        String(KILL),
        String(KEEP),
      ]);
      holder.stdout?.on('data', (d: Buffer) => out.push(...d.toString().split('\n').filter(Boolean)));
      await waitFor(() => (out.includes('ready') ? true : undefined), 15_000);
      await waitFor(
        () => (closeWait(KILL) === COUNT && closeWait(KEEP) === COUNT ? true : undefined),
        10_000,
      );
    }, 30_000);

    afterAll(() => pair?.cleanup());

    it('one look estimates how long the CLOSE_WAIT sockets have sat idle (tcp_info), within the staging time', () => {
      const r = runCli(['--netns', pair.a.ns, '--json']);
      expect(r.status).toBe(0);
      const doc = JSON.parse(r.stdout);
      const leaks = doc.findings.filter((f: { rule: string }) => f.rule === 'close-wait-leak');
      expect(leaks.length).toBe(2);
      for (const f of leaks) {
        expect(f.title).toMatch(
          /holds 12 connections in CLOSE_WAIT \(the oldest idle ≥ \d+s, an estimate from tcp_info\)/,
        );
        const idle = f.evidence.metrics.idle_max_s_estimate;
        expect(idle).toBeGreaterThanOrEqual(0);
        expect(idle).toBeLessThanOrEqual((Date.now() - stagedAt) / 1000 + 1);
      }
    });

    it('needs a filter', () => {
      const r = runCli(['kill', '--netns', pair.a.ns]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/kill needs a filter/);
    });

    it('a dry run lists what would close and closes nothing', () => {
      const r = runCli(['kill', '--netns', pair.a.ns, '-s', 'close-wait', '--port', String(KILL)]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`${COUNT} sockets would be closed (dry run: add --yes to close them)`);
      expect(r.stdout.split('\n').filter((l) => l.startsWith('CLOSE-WAIT')).length).toBe(COUNT);
      expect(closeWait(KILL)).toBe(COUNT);
    });

    it('--yes destroys the pile-up on one port and leaves the other port alone (ss confirms)', async () => {
      const r = runCli(['kill', '--netns', pair.a.ns, '-s', 'close-wait', `sport = :${KILL}`, '--yes']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`closed ${COUNT} sockets`);
      expect(closeWait(KILL)).toBe(0);
      expect(closeWait(KEEP)).toBe(COUNT);
      expect(listening(KILL)).toBe(1);
      // The application still holds its file descriptors; its next send fails with ECONNABORTED.
      out = [];
      holder.stdin?.write(`probe ${KILL}\n`);
      await waitFor(() => (out.includes('probed') ? true : undefined), 5000);
      expect(out.filter((l) => l !== 'probed')).toEqual(Array(COUNT).fill('errno ECONNABORTED'));
    });

    it('keeps listeners unless --include-listen', () => {
      const r = runCli(['kill', '--netns', pair.a.ns, '-s', 'listen', '--port', String(KEEP), '--yes']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('1 listening socket matched and was kept (add --include-listen)');
      expect(listening(KEEP)).toBe(1);
      const all = runCli([
        'kill',
        '--netns',
        pair.a.ns,
        '-s',
        'listen',
        '--port',
        String(KEEP),
        '--include-listen',
        '--yes',
      ]);
      expect(all.stdout).toContain('closed 1 socket');
      expect(listening(KEEP)).toBe(0);
      expect(closeWait(KEEP)).toBe(COUNT);
    });
  },
);
