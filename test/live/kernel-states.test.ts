/**
 * Ground truth from the kernel: real sockets in every observable TCP state, in two namespaces joined by a veth
 * pair, for IPv4, IPv6 and v4-mapped IPv6; tcpstate's live snapshot of each namespace must equal `ss -tan` there.
 * CLOSED is the one state neither /proc nor sock_diag can show (a closed socket is in no lookup table).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTcpstateError } from '../../src/errors.ts';
import type { Snapshot, Socket } from '../../src/model/snapshot.ts';
import { readLiveSnapshot } from '../../src/sources/proc/live.ts';
import { parseState, TCP_STATES, type TcpState } from '../../src/states/states.ts';
import type { NetnsPair } from '../helpers/netns.ts';
import {
  canStageStates,
  normAddress as norm,
  OFFSETS,
  splitSsAddress,
  ssMs,
  stageAllStates,
  VARIANTS,
} from '../helpers/staged-states.ts';

const usable = canStageStates;

function ssKey(state: string, recvQ: number, sendQ: number, local: string, peer: string): string {
  const s = parseState(state) ?? `?${state}`;
  return `${s} ${norm(...splitSsAddress(local))} ${norm(...splitSsAddress(peer))} ${recvQ} ${sendQ}`;
}

function ourKey(s: Socket): string {
  const local = norm(s.local.address, String(s.local.port ?? '*'));
  const remote = norm(s.remote.address, String(s.remote.port ?? '*'));
  return `${s.state} ${local} ${remote} ${s.recvQ} ${s.sendQ}`;
}

function sorted(keys: string[]): string[] {
  return [...keys].sort();
}

describe.skipIf(!usable)('live snapshot against the kernel (ss)', () => {
  let pair: NetnsPair;

  beforeAll(async () => {
    pair = await stageAllStates('tcpst-live');
  }, 60_000);

  afterAll(() => {
    pair?.cleanup();
  });

  /** Reads both until they agree (queues and timers move between two reads), or returns the last pair. */
  async function agree(ns: string, name: string): Promise<{ ours: string[]; ss: string[]; snap: Snapshot }> {
    let last: { ours: string[]; ss: string[]; snap: Snapshot } | undefined;
    for (let i = 0; i < 20; i++) {
      const snap = await readLiveSnapshot({ netns: name, kernel: false });
      const ss = sorted(pair.ss(ns).map((r) => ssKey(r.state, r.recvQ, r.sendQ, r.local, r.peer)));
      const ours = sorted(snap.sockets.map(ourKey));
      last = { ours, ss, snap };
      if (JSON.stringify(ours) === JSON.stringify(ss)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    return last!;
  }

  it('sees every state but CLOSED, for IPv4, IPv6 and v4-mapped', async () => {
    const a = await agree(pair.a.ns, pair.a.ns);
    const b = await agree(pair.b.ns, pair.b.ns);
    const all = [...a.snap.sockets, ...b.snap.sockets];
    const expected = TCP_STATES.filter((s) => s !== 'CLOSED');
    for (const v of VARIANTS) {
      const ports = new Set(Object.values(OFFSETS).map((o) => v.base + o));
      const mine = all.filter((s) => ports.has(s.local.port ?? -1) || ports.has(s.remote.port ?? -1));
      const states = new Set<TcpState>(mine.map((s) => s.state));
      expect([...states].sort(), v.name).toEqual([...expected].sort());
      const families = new Set(mine.map((s) => s.family));
      expect([...families], v.name).toEqual([v.family === '4' ? 'inet' : 'inet6']);
      const nonListen = mine.filter((s) => s.state !== 'LISTEN');
      const wantAddr = v.family === '6' ? /^fd77:/ : /^10\.77\./;
      for (const s of nonListen) expect(s.remote.address, `${v.name} ${s.state}`).toMatch(wantAddr);
    }
  });

  it('equals ss -tan in namespace a (clients)', async () => {
    const { ours, ss } = await agree(pair.a.ns, pair.a.ns);
    expect(ours.length).toBeGreaterThan(20);
    expect(ours).toEqual(ss);
  });

  it('equals ss -tan in namespace b (servers, listeners with their backlog)', async () => {
    const { ours, ss, snap } = await agree(pair.b.ns, pair.b.ns);
    expect(ours.length).toBeGreaterThan(40);
    expect(ours).toEqual(ss);
    const listeners = snap.sockets.filter((s) => s.state === 'LISTEN');
    expect(listeners.length).toBe(24);
    for (const l of listeners) expect(l.backlog).toBe(16);
  });

  /** Timer mismatches between one tcpstate read and one `ss -tano` run, and how many timers were compared. */
  async function timerMismatches(ns: string): Promise<{ bad: string[]; compared: number }> {
    const t0 = Date.now();
    const snap = await readLiveSnapshot({ netns: ns, kernel: false });
    const out = pair.exec(ns, 'ss', ['-tanoH']);
    const gap = Date.now() - t0;
    const bad: string[] = [];
    let compared = 0;
    for (const line of out.split('\n').filter(Boolean)) {
      const f = line.trim().split(/\s+/);
      const timer = /timer:\((\w+),([^,]+),(\d+)\)/.exec(line);
      const local = norm(...splitSsAddress(f[3]!));
      const peer = norm(...splitSsAddress(f[4]!));
      const s = snap.sockets.find(
        (x) =>
          norm(x.local.address, String(x.local.port ?? '*')) === local &&
          norm(x.remote.address, String(x.remote.port ?? '*')) === peer,
      );
      if (!s) bad.push(`missing: ${line}`);
      else if (!timer) {
        if (s.timer) bad.push(`unexpected timer ${JSON.stringify(s.timer)}: ${line}`);
      } else {
        const ms = ssMs(timer[2]!);
        // /proc has 10 ms ticks; ss drops the ms above 10 s and rounds to 10 s above a minute; the reads are `gap`
        // ms apart (a loaded CI box).
        const slack = (ms >= 60_000 ? 11_000 : ms >= 10_000 ? 1_000 : 50) + gap;
        if (s.timer === undefined || s.timer.kind !== timer[1] || Math.abs(s.timer.expiresMs - ms) > slack) {
          bad.push(`${JSON.stringify(s.timer)} vs ${line}`);
        }
        compared++;
      }
    }
    return { bad, compared };
  }

  it('timers match ss -o (kind, and remaining time within the tick and read gap)', async () => {
    for (const ns of [pair.a.ns, pair.b.ns]) {
      // A retransmit or probe timer that fires between the two reads is re-armed with a new period: read again.
      let result = await timerMismatches(ns);
      for (let i = 0; i < 5 && result.bad.length > 0; i++) result = await timerMismatches(ns);
      expect(result.bad).toEqual([]);
      expect(result.compared).toBeGreaterThan(5);
    }
  });

  it('-p attributes sockets to the same pid, command and fd as ss -tanpe', async () => {
    for (const ns of [pair.a.ns, pair.b.ns]) {
      const snap = await readLiveSnapshot({ netns: ns, kernel: false, processes: true });
      expect(snap.processesLookedUp).toBe(true);
      const out = pair.exec(ns, 'ss', ['-tanpeH']);
      const theirs = new Map<number, string>();
      for (const line of out.split('\n')) {
        const ino = /\bino:(\d+)/.exec(line);
        if (!ino || ino[1] === '0') continue;
        const users = [...line.matchAll(/\("([^"]*)",pid=(\d+),fd=(\d+)\)/g)].map(
          (m) => `${m[1]}/${m[2]}/${m[3]}`,
        );
        theirs.set(Number(ino[1]), users.sort().join(' '));
      }
      let owned = 0;
      for (const s of snap.sockets) {
        if (s.inode === 0) {
          expect(s.processes).toEqual([]);
          continue;
        }
        const mine = (s.processes ?? []).map((p) => `${p.command}/${p.pid}/${p.fd}`).sort();
        if (mine.length > 0) owned++;
        expect(mine.join(' '), `inode ${s.inode}`).toBe(theirs.get(s.inode ?? -1));
      }
      expect(owned).toBeGreaterThan(5);
      expect(snap.sockets.some((s) => s.processes?.[0]?.command === 'python3')).toBe(true);
    }
  });

  it('--ns-of PID reads the same namespace as --netns NAME', async () => {
    const pid = pair.pidIn(pair.b.ns);
    const byPid = await readLiveSnapshot({ nsOf: pid, kernel: false });
    const byName = await readLiveSnapshot({ netns: pair.b.ns, kernel: false });
    expect(byPid.source.name).toBe(`pid:${pid}`);
    expect(byName.source.name).toBe(`netns:${pair.b.ns}`);
    const listen = (s: Snapshot) => sorted(s.sockets.filter((x) => x.state === 'LISTEN').map(ourKey));
    expect(listen(byPid)).toEqual(listen(byName));
    expect(listen(byPid).length).toBe(24);
  });

  it('reads kernel counters and sysctls of the namespace, not of the reader', async () => {
    pair.exec(pair.b.ns, 'sysctl', ['-qw', 'net.ipv4.tcp_fin_timeout=17']);
    pair.exec(pair.b.ns, 'sysctl', ['-qw', 'net.ipv4.ip_local_port_range=20000 30000']);
    const before = await readLiveSnapshot({ netns: pair.b.ns });
    const nstat = pair.exec(pair.b.ns, 'nstat', ['-asz']);
    const after = await readLiveSnapshot({ netns: pair.b.ns });
    const k = before.kernel!;
    expect(k.sysctls?.['net.ipv4.tcp_fin_timeout']).toBe('17');
    expect(k.sysctls?.['net.ipv4.ip_local_port_range']).toBe('20000 30000');
    expect(k.sysctls?.['net.core.somaxconn']).toBe(
      pair.exec(pair.b.ns, 'sysctl', ['-n', 'net.core.somaxconn']).trim(),
    );
    // Global sysctl: not visible inside the namespace, the host's value applies.
    expect(k.sysctls?.['net.ipv4.tcp_max_orphans']).toMatch(/^\d+$/);
    expect(k.release).toBe(pair.exec(pair.b.ns, 'uname', ['-r']).trim());
    // The namespace has its own counters: 24 listeners accepted 18 connections, the host has other numbers.
    let checked = 0;
    for (const line of nstat.split('\n')) {
      const m = /^(TcpExt|Tcp)([A-Za-z0-9]+)\s+(\d+)/.exec(line);
      if (!m || ['CurrEstab', 'MaxConn', 'RtoAlgorithm', 'RtoMin', 'RtoMax'].includes(m[2]!)) continue;
      const key = `${m[1]}.${m[2]}`;
      const lo = k.counters?.[key];
      const hi = after.kernel?.counters?.[key];
      expect(lo, key).toBeDefined();
      expect(Number(m[3]), key).toBeGreaterThanOrEqual(lo!);
      expect(Number(m[3]), key).toBeLessThanOrEqual(hi!);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
    expect(k.counters?.['Tcp.PassiveOpens']).toBeGreaterThanOrEqual(18);
    expect(k.sockstat?.['TCP.inuse']).toBeGreaterThan(0);
    expect(k.sockstat?.['TCP6.inuse']).toBeGreaterThan(0);
  });

  it('names a missing namespace or pid in a typed error', async () => {
    const missing = await readLiveSnapshot({ netns: 'tcpstate-no-such-ns' }).catch((e: unknown) => e);
    expect(isTcpstateError(missing)).toBe(true);
    expect(String((missing as Error).message)).toMatch(
      /netns:tcpstate-no-such-ns: no network namespace named/,
    );
    const noPid = await readLiveSnapshot({ nsOf: 2 ** 22 + 7 }).catch((e: unknown) => e);
    expect(isTcpstateError(noPid)).toBe(true);
    expect(String((noPid as Error).message)).toMatch(/no process with pid/);
    const both = await readLiveSnapshot({ netns: 'x', nsOf: 1 }).catch((e: unknown) => e);
    expect((both as { code?: string }).code).toBe('E_USAGE');
  });
});
