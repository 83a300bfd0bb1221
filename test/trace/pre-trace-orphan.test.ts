/**
 * An orphan FIN_WAIT2 (a mini-socket: its owner closed, the peer has not) that began before tracing: when the peer's
 * FIN comes, the kernel changes the mini-socket's substate without any tracepoint; the tracer learns of such
 * mini-sockets from a walk of the namespace's sockets at start, so that FIN_WAIT_2 → TIME_WAIT is still reported.
 */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { traceUnavailable } from '../../src/sources/trace/kernel.ts';
import { startTraceSession } from '../../src/sources/trace/session.ts';
import type { StateChange } from '../../src/track/kernel-trace.ts';
import { canUseNetns, createNetnsPair, waitFor } from '../helpers/netns.ts';

const why = !canUseNetns ? 'needs root and ip netns' : traceUnavailable();
const ORPHAN = fileURLToPath(new URL('../helpers/trace-orphan.py', import.meta.url));

describe.skipIf(why !== undefined)(
  `an orphan FIN_WAIT2 older than the trace${why ? ` (skipped: ${why})` : ''}`,
  () => {
    it('test_fin_wait_2_orphan_before_trace_peer_fin: its change to TIME_WAIT is reported, with no stay', async () => {
      const pair = createNetnsPair('trorph');
      const port = 21000 + (process.pid % 1000);
      const staged = spawn('ip', ['netns', 'exec', pair.a.ns, 'python3', ORPHAN, String(port)], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let said = '';
      staged.stdout.on('data', (d) => {
        said += d;
      });
      const changes: StateChange[] = [];
      let session: Awaited<ReturnType<typeof startTraceSession>> | undefined;
      try {
        await waitFor(() => (/staged \d+/.test(said) ? true : undefined), 10_000);
        const clientPort = Number(said.match(/staged (\d+)/)![1]);
        // the kernel's own view: the client's end is a FIN_WAIT2 mini-socket (timer "timewait")
        const ss = execFileSync('ip', ['netns', 'exec', pair.a.ns, 'ss', '-tano', 'state', 'fin-wait-2'], {
          encoding: 'utf8',
        });
        expect(ss).toMatch(new RegExp(`:${clientPort}\\s.*timer:\\(timewait`));
        session = await startTraceSession({ netns: pair.a.ns, onChanges: (batch) => changes.push(...batch) });
        staged.stdin.write('close\n');
        await waitFor(() => (said.includes('closed') ? true : undefined), 10_000);
        const found = await waitFor(
          () => changes.find((c) => c.local.port === clientPort && c.to === 'TIME_WAIT'),
          5_000,
        );
        expect(found.from).toBe('FIN_WAIT_2');
        // it entered FIN_WAIT_2 before tracing began: no exact stay to give
        expect(found.stayMs).toBeUndefined();
        expect(found.remote.port).toBe(port);
        // and nothing claims it ended: the mini-socket lives on in TIME_WAIT
        expect(changes.filter((c) => c.local.port === clientPort && c.to === 'CLOSED')).toEqual([]);
      } finally {
        await session?.stop();
        staged.kill();
        pair.cleanup();
      }
    }, 30_000);
  },
);
