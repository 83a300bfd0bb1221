/**
 * Truth for `tcpstate trace`: connections staged in network namespaces, traced by the kernel program, compared with
 * the simulator's Linux profile (the state sequence of each end) and with the staging's own clock (stays).
 * Tracepoints are global, so only changes in the namespaces created here are kept (by namespace inode).
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/sim/index.ts';
import { traceUnavailable } from '../../src/sources/trace/kernel.ts';
import { monotonicMs, startTraceSession, type TraceSession } from '../../src/sources/trace/session.ts';
import type { StateChange } from '../../src/track/kernel-trace.ts';
import { canUseNetns, createNetnsPair, type NetnsPair, waitFor } from '../helpers/netns.ts';

const why = !canUseNetns ? 'needs root and ip netns' : traceUnavailable();
const STAGE = fileURLToPath(new URL('../helpers/trace-stage.py', import.meta.url));

function stage(args: string[], ns?: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const command =
      ns === undefined ? ['python3', STAGE, ...args] : ['ip', 'netns', 'exec', ns, 'python3', STAGE, ...args];
    const child = spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`stage ${args.join(' ')} failed (${code}): ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}'));
    });
  });
}

/** Each connection's states in order: where it started, then every state it entered. */
function paths(changes: readonly StateChange[]): Map<string, { local: number | undefined; path: string[] }> {
  const byId = new Map<string, { local: number | undefined; path: string[] }>();
  for (const c of changes) {
    if (c.from === 'CLOSED' && c.to === 'LISTEN') continue; // the listener, not a connection
    if (c.from === 'LISTEN' && c.to === 'CLOSED') continue;
    let entry = byId.get(c.id);
    if (!entry) {
      entry = { local: c.local.port, path: [c.from] };
      byId.set(c.id, entry);
    }
    entry.local ??= c.local.port;
    entry.path.push(c.to);
  }
  return byId;
}

describe.skipIf(why !== undefined)(`kernel trace truth${why ? ` (skipped: ${why})` : ''}`, () => {
  let pair: NetnsPair;
  let session: TraceSession;
  const changes: StateChange[] = [];
  let inodes: Set<number>;

  beforeAll(async () => {
    pair = createNetnsPair('trc');
    inodes = new Set([statSync(`/run/netns/${pair.a.ns}`).ino, statSync(`/run/netns/${pair.b.ns}`).ino]);
    session = await startTraceSession({
      allNamespaces: true,
      onChanges(batch) {
        for (const c of batch) if (inodes.has(c.netns)) changes.push(c);
      },
    });
  }, 20_000);

  afterAll(async () => {
    await session?.stop();
    pair?.cleanup();
  });

  // ports two apart: connection-refused dials its port + 1
  const base = 20000 + (process.pid % 2000) * 16;
  const scenarios: [string, string, number][] = [
    ['active-close', 'active-close', base + 2],
    ['passive-close', 'passive-close', base + 4],
    ['simultaneous-close', 'simultaneous-close', base + 6],
    ['abort', 'rst', base + 8],
    ['connection-refused', 'connection-refused', base + 10],
    ['fin-wait-2-timeout', 'fin-wait-2-timeout', base + 12],
  ];

  for (const [simName, stageName, firstPort] of scenarios) {
    it(`${simName}: each end's traced states are the Linux sequence`, async () => {
      const expected = runScenario(simName, 'linux').trace.path;
      // The sim runs until every timer is done; the kernel's TIME_WAIT lasts a minute: compare up to TIME_WAIT.
      const cut = (p: readonly string[]) => {
        const i = p.indexOf('TIME_WAIT');
        return i < 0 ? [...p] : p.slice(0, i + 1);
      };
      const wantA = cut(expected.A);
      // B's CLOSED → LISTEN is the listener's; its connection starts at LISTEN (the kernel clones the listener)
      const wantB = cut(expected.B).filter((s, i) => !(i === 0 && s === 'CLOSED'));
      // A simultaneous close needs both FINs in flight at once; on a veth pair that happens when both
      // retransmission timers fire in one timer run, which staging can only make likely (one CPU, one jiffy):
      // a second staging with a fresh port when the first did not cross.
      // Any other scenario gets a second staging too: once, under a loaded machine, a fin-wait-2-timeout staging
      // left no trace at all (the staging, not the comparison, is what is retried).
      const attempts = simName === 'simultaneous-close' ? 4 : 2;
      let a: { path: string[] } | undefined;
      let b: { path: string[] } | undefined;
      for (let attempt = 0; attempt < attempts; attempt++) {
        const port = firstPort + attempt * 1000;
        await stage(['scenario', stageName, pair.a.ns, pair.b.ns, pair.b.v4, String(port)]);
        const mine = () => [
          ...paths(
            changes.filter((c) => [c.local.port, c.remote.port].some((p) => p === port || p === port + 1)),
          ).values(),
        ];
        await waitFor(() => {
          const found = mine().find((g) => g.local !== port);
          return found && cut(found.path).length >= wantA.length ? true : undefined;
        }, 8000).catch(() => undefined);
        a = mine().find((g) => g.local !== port);
        b = mine().find((g) => g.local === port);
        const same = (got: readonly string[] | undefined, want: readonly string[]) =>
          JSON.stringify(cut(got ?? []).slice(0, want.length)) === JSON.stringify(want);
        if (same(a?.path, wantA) && (wantB.length <= 1 || same(b?.path, wantB))) break;
      }
      expect(cut(a?.path ?? [])).toEqual(wantA);
      if (wantB.length > 1) expect(b?.path.slice(0, wantB.length)).toEqual(wantB);
      else expect(b).toBeUndefined();
    }, 30_000);
  }

  it('a socket held in CLOSE_WAIT for 2 s is reported 2 s ± 20 ms, to within 2 ms of the staging clock', async () => {
    const port = base + 14;
    const staged = await stage(['close-wait-hold', '127.0.0.1', String(port), '2'], pair.a.ns);
    const change = await waitFor(
      () => changes.find((c) => c.local.port === port && c.from === 'CLOSE_WAIT' && c.to === 'LAST_ACK'),
      3000,
    );
    const measured = ((staged.close as number) - (staged.fin as number)) * 1000;
    expect(change.stayMs).toBeDefined();
    expect(Math.abs((change.stayMs as number) - 2000)).toBeLessThanOrEqual(20);
    expect(Math.abs((change.stayMs as number) - measured)).toBeLessThanOrEqual(2);
    // the process that held it, not whoever ran the softirq
    expect(change.owner?.pid).toBe(staged.pid);
  }, 15_000);

  it('names the process holding each socket for connections accepted and closed under softirq load', async () => {
    const port = base + 15;
    const n = 150;
    const server = stage(['owner-load', pair.b.v4, String(port), String(n)], pair.b.ns);
    const load = stage(['load', '127.0.0.1', String(port + 1), '4'], pair.b.ns);
    await new Promise((r) => setTimeout(r, 700));
    const clients = await stage(['clients', pair.b.v4, String(port), String(n)], pair.a.ns);
    const served = await server;
    await load;
    await waitFor(
      () =>
        changes.filter((c) => c.local.port === port && c.to === 'FIN_WAIT_1').length >= n ? true : undefined,
      5000,
    );
    const serverSide = changes.filter(
      (c) => c.local.port === port && c.from !== 'LISTEN' && c.to !== 'LISTEN',
    );
    const clientSide = changes.filter((c) => c.remote.port === port && c.local.port !== port);
    const closes = serverSide.filter((c) => c.from === 'ESTABLISHED' && c.to === 'FIN_WAIT_1');
    expect(closes.length).toBe(n);
    // every close is the server's own, and no change is ever pinned on the load generator or a kernel thread
    for (const c of closes) expect(c.owner?.pid).toBe(served.pid);
    for (const c of serverSide) if (c.owner) expect(c.owner.pid).toBe(served.pid);
    for (const c of clientSide) if (c.owner) expect(c.owner.pid).toBe(clients.pid);
    expect(clientSide.filter((c) => c.owner?.pid === clients.pid).length).toBeGreaterThanOrEqual(n);
  }, 30_000);

  it('TIME_WAIT: FIN_WAIT_2 → TIME_WAIT when the mini-socket replaces the socket, and its end when it leaves /proc (±50 ms)', async () => {
    const port = base + 17;
    const pid = pair.pidIn(pair.a.ns);
    // the client (ephemeral port) closes first and keeps the TIME_WAIT
    await stage(['scenario', 'active-close', pair.a.ns, pair.a.ns, '127.0.0.1', String(port)]);
    const entered = await waitFor(
      () => changes.find((c) => c.remote.port === port && c.from === 'FIN_WAIT_2' && c.to === 'TIME_WAIT'),
      5000,
    );
    const local = (entered.local.port as number).toString(16).toUpperCase().padStart(4, '0');
    const remote = port.toString(16).toUpperCase().padStart(4, '0');
    const inProc = () =>
      readFileSync(`/proc/${pid}/net/tcp`, 'utf8')
        .split('\n')
        .some((line) => {
          const f = line.trim().split(/\s+/);
          return f[1]?.endsWith(`:${local}`) && f[2]?.endsWith(`:${remote}`) && f[3] === '06';
        });
    expect(inProc()).toBe(true);
    // Linux's TIME_WAIT is 60 s plus the timer wheel's granularity at that distance (up to 512 jiffies): watch
    // /proc closely from just before 60 s on, and note when the mini-socket is gone.
    const startWatch = entered.atMs + 59_900 - monotonicMs();
    await new Promise((r) => setTimeout(r, Math.max(0, startWatch)));
    // The socket left /proc after the start of the last read that still showed it and before the end of the first
    // that did not: on a loaded machine this poller can be descheduled for a while between the two, so the bracket
    // is measured rather than assumed to be 2 ms wide.
    let goneAt: number | undefined;
    let lastSeenAt = monotonicMs();
    while (goneAt === undefined && monotonicMs() - entered.atMs < 70_000) {
      const before = monotonicMs();
      if (!inProc()) goneAt = monotonicMs();
      else {
        lastSeenAt = before;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    expect(goneAt, `still in /proc 70 s after entering TIME_WAIT (seen by ${entered.how})`).toBeDefined();
    const ended = await waitFor(
      () => changes.find((c) => c.id === entered.id && c.from === 'TIME_WAIT'),
      3000,
    );
    expect(ended.to).toBe('CLOSED');
    // What is measured, and why the bounds are these. The mini-socket's timer is armed for exactly
    // TCP_TIMEWAIT_LEN (60 s, fixed in include/net/tcp.h: this test cannot be shorter than a minute), but the
    // timer wheel files a timer that far out in a level-3 bucket, 8^3 = 512 jiffies wide (2.048 s at HZ=250),
    // and runs it at the bucket's end (kernel/time/timer.c, "the timer wheel ... is not precise"): the kernel
    // itself holds the socket 60 to 62.05 s, as ss and /proc show. The trace reports that end (the timer running,
    // timer_expire_entry), not the nominal expiry, because that is when the socket and its port are really
    // released. So the 50 ms of issue 18 is checked where it has a meaning: the reported end against the moment
    // the socket left /proc (as bracketed above), an observation independent of the trace; the stay is 60 s plus the wheel's
    // rounding, never less than 60 s and at most one bucket (+50 ms of our own reading) more.
    const stay = ended.stayMs as number;
    expect(stay).toBeGreaterThanOrEqual(60_000);
    expect(stay).toBeLessThanOrEqual(60_000 + 2_048 + 50);
    const bracket = `left /proc between ${lastSeenAt.toFixed(1)} and ${(goneAt as number).toFixed(1)}; traced end ${ended.atMs.toFixed(1)}`;
    expect(ended.atMs, bracket).toBeGreaterThanOrEqual(lastSeenAt - 50);
    expect(ended.atMs, bracket).toBeLessThanOrEqual((goneAt as number) + 50);
  }, 100_000);
});
