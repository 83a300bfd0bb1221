/**
 * The netlink reader (native/sock_diag.c + src/sources/netlink) against the kernel's other witnesses on the staged
 * namespaces (every state, IPv4, IPv6, v4-mapped, timers, queues, owners): socket by socket and field by field
 * against the /proc reader, `ss -tanoie` and `ss -tinH` (tcp_info).
 */

import pc from 'picocolors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viewOf } from '../../src/analysis/view.ts';
import { diagnose } from '../../src/diagnose/index.ts';
import { isTcpstateError } from '../../src/errors.ts';
import type { Snapshot, Socket } from '../../src/model/snapshot.ts';
import { tableOf } from '../../src/model/socket-table.ts';
import { snapshotDocument } from '../../src/render/snapshot-json.ts';
import { renderSnapshotText } from '../../src/render/snapshot-text.ts';
import { filterBytecode } from '../../src/sources/netlink/bytecode.ts';
import { netlinkTarget, readNetlinkSnapshot, snapshotCookies } from '../../src/sources/netlink/live.ts';
import { netlinkUnavailableReason, SockDiagReader } from '../../src/sources/netlink/reader.ts';
import { SockDiagRecords } from '../../src/sources/netlink/records.ts';
import { RecordTable } from '../../src/sources/netlink/table.ts';
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

const missing = netlinkUnavailableReason();
const skipReason = missing ?? (canStageStates ? undefined : 'needs root, python3, nft and nsenter');
const title = `netlink reader against /proc and ss${skipReason ? ` (skipped: ${skipReason})` : ''}`;

function tuple(s: Socket): string {
  return `${norm(s.local.address, String(s.local.port ?? '*'))} ${norm(s.remote.address, String(s.remote.port ?? '*'))}`;
}

/** What both readers must agree on exactly, once queues have settled. */
function key(s: Socket): string {
  return `${s.state} ${s.family} ${tuple(s)} rq=${s.recvQ} sq=${s.sendQ} uid=${s.uid} ino=${s.inode} backlog=${s.backlog}`;
}

function ssKey(line: string): string {
  const f = line.trim().split(/\s+/);
  const state = parseState(f[0]!) ?? `?${f[0]}`;
  return `${state} ${norm(...splitSsAddress(f[3]!))} ${norm(...splitSsAddress(f[4]!))} ${f[1]} ${f[2]}`;
}

function ourSsKey(s: Socket): string {
  return `${s.state} ${tuple(s)} ${s.recvQ} ${s.sendQ}`;
}

const sorted = (keys: string[]) => [...keys].sort();

describe.skipIf(skipReason !== undefined)(title, () => {
  let pair: NetnsPair;

  beforeAll(async () => {
    pair = await stageAllStates('tcpst-nl');
  }, 60_000);

  afterAll(() => {
    pair?.cleanup();
  });

  /** Reads netlink, /proc and ss until all three agree on the sockets and queues (they move between reads). */
  async function agree(ns: string): Promise<{ nl: Snapshot; proc: Snapshot; ss: string[] }> {
    let last: { nl: Snapshot; proc: Snapshot; ss: string[] } | undefined;
    for (let i = 0; i < 20; i++) {
      const nl = readNetlinkSnapshot({ netns: ns, kernel: false });
      const proc = await readLiveSnapshot({ netns: ns, kernel: false });
      const ss = sorted(pair.exec(ns, 'ss', ['-tanH']).split('\n').filter(Boolean).map(ssKey));
      last = { nl, proc, ss };
      const same =
        JSON.stringify(sorted(nl.sockets.map(key))) === JSON.stringify(sorted(proc.sockets.map(key))) &&
        JSON.stringify(sorted(nl.sockets.map(ourSsKey))) === JSON.stringify(ss);
      if (same) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    return last!;
  }

  it('equals the /proc reader socket by socket (state, family, addresses, queues, uid, inode, backlog)', async () => {
    for (const ns of [pair.a.ns, pair.b.ns]) {
      const { nl, proc } = await agree(ns);
      expect(nl.source).toEqual({ kind: 'netlink', name: `netns:${ns}`, os: 'linux' });
      expect(nl.sockets.length).toBeGreaterThan(20);
      expect(sorted(nl.sockets.map(key))).toEqual(sorted(proc.sockets.map(key)));
    }
  });

  it('equals ss -tan, with every state but CLOSED for IPv4, IPv6 and v4-mapped', async () => {
    const a = await agree(pair.a.ns);
    const b = await agree(pair.b.ns);
    expect(sorted(a.nl.sockets.map(ourSsKey))).toEqual(a.ss);
    expect(sorted(b.nl.sockets.map(ourSsKey))).toEqual(b.ss);
    const all = [...a.nl.sockets, ...b.nl.sockets];
    for (const v of VARIANTS) {
      const ports = new Set(Object.values(OFFSETS).map((o) => v.base + o));
      const mine = all.filter((s) => ports.has(s.local.port ?? -1) || ports.has(s.remote.port ?? -1));
      const states = new Set<TcpState>(mine.map((s) => s.state));
      expect([...states].sort(), v.name).toEqual(TCP_STATES.filter((s) => s !== 'CLOSED').sort());
      expect([...new Set(mine.map((s) => s.family))], v.name).toEqual([v.family === '4' ? 'inet' : 'inet6']);
    }
    // The listeners' backlog comes from the same dump (no `ss` child): listen(16) in states.py.
    const listeners = b.nl.sockets.filter((s) => s.state === 'LISTEN');
    expect(listeners.length).toBe(24);
    for (const l of listeners) {
      expect(l.backlog).toBe(16);
      expect(l.sendQ).toBe(16);
    }
  });

  it('timers, inode, uid and cookie match ss -tanoie', async () => {
    for (const ns of [pair.a.ns, pair.b.ns]) {
      let bad: string[] = [];
      let compared = 0;
      for (let attempt = 0; attempt < 5; attempt++) {
        // A retransmit or probe timer that fires between the two reads is re-armed: read again.
        const t0 = Date.now();
        const snap = readNetlinkSnapshot({ netns: ns, kernel: false });
        const out = pair.exec(ns, 'ss', ['-tanoieH']);
        const gap = Date.now() - t0;
        bad = [];
        compared = 0;
        for (const line of out.split('\n').filter((l) => /^\S/.test(l))) {
          const f = line.trim().split(/\s+/);
          const local = norm(...splitSsAddress(f[3]!));
          const peer = norm(...splitSsAddress(f[4]!));
          const s = snap.sockets.find((x) => tuple(x) === `${local} ${peer}`);
          if (!s) {
            bad.push(`missing: ${line}`);
            continue;
          }
          const ino = /\bino:(\d+)/.exec(line)?.[1] ?? '0';
          const uid = /\buid:(\d+)/.exec(line)?.[1] ?? '0';
          const sk = /\bsk:([0-9a-f]+)/.exec(line)?.[1];
          if (String(s.inode) !== ino) bad.push(`inode ${s.inode}: ${line}`);
          if (String(s.uid) !== uid) bad.push(`uid ${s.uid}: ${line}`);
          if (sk !== undefined && s.cookie !== sk) bad.push(`cookie ${s.cookie}: ${line}`);
          const timer = /timer:\((\w+),([^,]+),(\d+)\)/.exec(line);
          if (!timer) {
            if (s.timer) bad.push(`unexpected timer ${JSON.stringify(s.timer)}: ${line}`);
            continue;
          }
          const ms = ssMs(timer[2]!);
          const slack = (ms >= 60_000 ? 11_000 : ms >= 10_000 ? 1_000 : 50) + gap;
          const same =
            s.timer !== undefined &&
            s.timer.kind === timer[1] &&
            Math.abs(s.timer.expiresMs - ms) <= slack &&
            s.timer.retransmits === Number(timer[3]);
          if (!same) bad.push(`${JSON.stringify(s.timer)} vs ${line}`);
          compared++;
        }
        if (bad.length === 0) break;
      }
      expect(bad).toEqual([]);
      expect(compared).toBeGreaterThan(5);
    }
  });

  it('tcp_info agrees with ss -ti (rtt, cwnd, mss, pmtu, retransmissions, idle times)', () => {
    for (const ns of [pair.a.ns, pair.b.ns]) {
      const t0 = Date.now();
      const snap = readNetlinkSnapshot({ netns: ns, kernel: false, info: true });
      const out = pair.exec(ns, 'ss', ['-tinH', 'state', 'established', 'state', 'close-wait']);
      const gap = Date.now() - t0 + 20;
      // ss -i prints a socket's line, then its tcp_info on the next (indented) line.
      const rows = out.split('\n');
      let compared = 0;
      for (let r = 0; r + 1 < rows.length; r++) {
        if (!/^\S/.test(rows[r]!) || !/^\s/.test(rows[r + 1]!)) continue;
        const f = rows[r]!.trim().split(/\s+/);
        // `ss state X` with one state drops the State column.
        const k = parseState(f[0]!) === undefined ? 0 : 1;
        const local = norm(...splitSsAddress(f[2 + k]!));
        const peer = norm(...splitSsAddress(f[3 + k]!));
        const s = snap.sockets.find((x) => tuple(x) === `${local} ${peer}`);
        expect(s, rows[r]).toBeDefined();
        const info = s!.tcpInfo!;
        expect(info, rows[r]).toBeDefined();
        const text = rows[r + 1]!;
        const num = (name: string) => {
          const m = new RegExp(`\\b${name}:([0-9.]+)`).exec(text);
          return m ? Number(m[1]) : undefined;
        };
        expect(info.cwnd, text).toBe(num('cwnd'));
        expect(info.sndMss, text).toBe(num('mss'));
        expect(info.pmtu, text).toBe(num('pmtu'));
        expect(info.rcvMss, text).toBe(num('rcvmss'));
        const rtt = /\brtt:([0-9.]+)\/([0-9.]+)/.exec(text);
        expect(info.rttMs, text).toBeCloseTo(Number(rtt![1]), 2);
        expect(info.rttVarMs, text).toBeCloseTo(Number(rtt![2]), 2);
        const retrans = /\bretrans:(\d+)\/(\d+)/.exec(text);
        expect(`${info.retransmits}/${info.totalRetrans}`, text).toBe(
          retrans ? `${retrans[1]}/${retrans[2]}` : '0/0',
        );
        for (const [ours, theirs] of [
          [info.lastDataSentMs, 'lastsnd'],
          [info.lastDataRecvMs, 'lastrcv'],
          [info.lastAckRecvMs, 'lastack'],
        ] as const) {
          const v = num(theirs);
          // ss leaves a zero out; the two reads are `gap` ms apart.
          expect(Math.abs(ours - (v ?? 0)), `${theirs} ${ours}: ${text}`).toBeLessThanOrEqual(gap);
        }
        compared++;
      }
      expect(compared).toBeGreaterThanOrEqual(6);
    }
  });

  it('pushes the state filter into the kernel (idiag_states)', () => {
    const reader = SockDiagReader.open({ nsPath: `/run/netns/${pair.b.ns}` });
    try {
      const all = reader.dump();
      const cw = reader.dump({ states: ['CLOSE_WAIT'] });
      const expected = [];
      for (let i = 0; i < all.count; i++) if (all.state(i) === 'CLOSE_WAIT') expected.push(all.cookie(i));
      const got = [];
      for (let i = 0; i < cw.count; i++) got.push(cw.cookie(i));
      expect(got.length).toBeGreaterThan(0);
      expect(got.length).toBeLessThan(all.count);
      expect(got.sort()).toEqual(expected.sort());
      // SYN_RECEIVED covers request sockets (TCP_NEW_SYN_RECV), as ss's syn-recv does.
      const syn = reader.dump({ states: ['SYN_RECEIVED'] });
      expect(syn.count).toBe(pair.ss(pair.b.ns).filter((r) => r.state === 'SYN-RECV').length);
      expect(syn.count).toBeGreaterThan(0);
    } finally {
      reader.close();
    }
  });

  it('one dump of both families (one walk of the kernel tables) holds what the two per-family dumps hold, in their order', () => {
    const reader = SockDiagReader.open({ nsPath: `/run/netns/${pair.b.ns}` });
    // Timers and queues move between two dumps; the identity and state of each socket, in order, must not.
    const ids = (r: ReturnType<SockDiagReader['dump']>) => {
      const out: string[] = [];
      for (let i = 0; i < r.count; i++)
        out.push(`${r.family(i)} ${r.state(i)} ${r.cookie(i)} ${r.localPort(i)} ${r.remotePort(i)}`);
      return out;
    };
    try {
      let both: string[] = [];
      let apart: string[] = [];
      for (let attempt = 0; attempt < 10; attempt++) {
        both = ids(reader.dump({ info: attempt % 2 === 1 }));
        apart = [...ids(reader.dump({ family: 'inet' })), ...ids(reader.dump({ family: 'inet6' }))];
        if (JSON.stringify(both) === JSON.stringify(apart)) break;
      }
      expect(new Set(both.map((s) => s.split(' ')[0]))).toEqual(new Set(['inet', 'inet6']));
      expect(both).toEqual(apart);
      // The state filter and a bytecode apply to the single walk as to the per-family ones.
      const cw = ids(reader.dump({ states: ['CLOSE_WAIT'] }));
      expect(cw).toEqual(both.filter((s) => s.split(' ')[1] === 'CLOSE_WAIT'));
    } finally {
      reader.close();
    }
  });

  it('asks for a few sockets of a dump again by exact 4-tuple and cookie, leaving out the gone ones', () => {
    const reader = SockDiagReader.open({ nsPath: `/run/netns/${pair.b.ns}` });
    try {
      const all = reader.dump();
      const closeWait: number[] = [];
      for (let i = 0; i < all.count; i++) if (all.state(i) === 'CLOSE_WAIT') closeWait.push(i);
      expect(closeWait.length).toBeGreaterThan(0);
      const found = reader.lookupRecords(all, closeWait, { info: true })!;
      const dumped = reader.dump({ states: ['CLOSE_WAIT'], info: true });
      const row = (r: typeof all, i: number) =>
        `${r.cookie(i)} ${r.state(i)} ${r.address(i, true)}:${r.localPort(i)} ${r.address(i, false)}:${r.remotePort(i)} ${r.tcpInfo(i)?.sndMss}`;
      const rows = (r: typeof all) => Array.from({ length: r.count }, (_, i) => row(r, i)).sort();
      expect(rows(found)).toEqual(rows(dumped));
      expect(found.tcpInfo(0)?.lastDataRecvMs).toBeGreaterThanOrEqual(0);
      // A record whose socket is gone (its cookie no longer names a socket) is left out, not an error.
      const bytes = all.bytes.slice();
      const gone = new SockDiagRecords(bytes.buffer, all.stride);
      const cookieAt = closeWait[0]! * all.stride + 44;
      bytes[cookieAt] = bytes[cookieAt]! ^ 0xff;
      expect(reader.lookupRecords(gone, closeWait, { info: true })!.count).toBe(closeWait.length - 1);
    } finally {
      reader.close();
    }
  });

  it('looks one socket up by its 4-tuple, with tcp_info', () => {
    const reader = SockDiagReader.open({ nsPath: `/run/netns/${pair.a.ns}` });
    try {
      const est = pair.ss(pair.a.ns).find((r) => r.state === 'ESTAB' && r.peer.endsWith(':5100'))!;
      const [la, lp] = splitSsAddress(est.local);
      const [ra, rp] = splitSsAddress(est.peer);
      const s = reader.lookup({ address: la, port: Number(lp) }, { address: ra, port: Number(rp) });
      expect(s?.state).toBe('ESTABLISHED');
      expect(s?.tcpInfo?.cwnd).toBeGreaterThan(0);
      expect(reader.lookup({ address: la, port: Number(lp) }, { address: ra, port: 1 })).toBeUndefined();
    } finally {
      reader.close();
    }
  });

  it('a state filter pushed to the kernel keeps the listeners for context: the services of -s established are the /proc reader’s', async () => {
    const services = (s: Snapshot) =>
      viewOf(s, { filter: { states: ['established'] } })
        .groups.service.map((g) => `${g.direction} ${g.key} ${g.total}`)
        .sort();
    let nl: string[] = [];
    let proc: string[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      nl = services(
        readNetlinkSnapshot({ netns: pair.b.ns, kernel: false, states: new Set(['ESTABLISHED'] as const) }),
      );
      proc = services(await readLiveSnapshot({ netns: pair.b.ns, kernel: false }));
      if (JSON.stringify(nl) === JSON.stringify(proc)) break;
    }
    expect(proc.some((g) => g.startsWith('in '))).toBe(true);
    expect(nl).toEqual(proc);
  });

  it('port filters run in the kernel as bytecode keep what ss keeps with the same filter, and what JavaScript alone keeps', () => {
    const filters = [
      'sport = :5100',
      'dport = :6102 or sport = :7104',
      'sport >= :6100 and sport < :6108',
      'not dport = :5100 and dport <= :5107',
      '( sport > :7100 or dport > :7100 ) and not ( sport = :7105 or dport = :7105 )',
      'dport != :6103 and dport gt :6000 and dport lt :7000',
    ];
    const view = (snap: Snapshot, filter: string) =>
      viewOf(snap, { filter: { expression: filter } }).sockets.map(key);
    // A listener's peer port is `*` to our filter (no comparison holds but !=) and 0 to ss: ss is compared on the
    // other sockets.
    const connected = (keys: string[]) => keys.filter((k) => !k.startsWith('LISTEN '));
    for (const ns of [pair.a.ns, pair.b.ns]) {
      for (const filter of filters) {
        const bytecode = filterBytecode({ expression: filter });
        expect(bytecode, filter).toBeDefined();
        let pushed: Snapshot | undefined;
        let same = false;
        let ss: string[] = [];
        for (let attempt = 0; attempt < 10 && !same; attempt++) {
          pushed = readNetlinkSnapshot({ netns: ns, kernel: false, bytecode });
          const plain = readNetlinkSnapshot({ netns: ns, kernel: false });
          ss = connected(
            sorted(pair.exec(ns, 'ss', ['-tanH', filter]).split('\n').filter(Boolean).map(ssKey)),
          );
          const ours = viewOf(pushed, { filter: { expression: filter } }).sockets.map(ourSsKey);
          same =
            JSON.stringify(view(pushed, filter)) === JSON.stringify(view(plain, filter)) &&
            JSON.stringify(connected(sorted(ours))) === JSON.stringify(ss);
        }
        expect(same, `${ns}: ${filter}`).toBe(true);
        expect(pushed!.warnings ?? [], filter).toEqual([]);
        // The kernel sent only the matches, plus every listener (the view's context).
        const listeners = pushed!.sockets.filter((s) => s.state === 'LISTEN').length;
        expect(pushed!.sockets.length - listeners).toBeLessThanOrEqual(ss.length);
      }
    }
  });

  it('a port filter the kernel refuses falls back to reading everything, with a warning and the same view', () => {
    // A jump that is not a multiple of 4: inet_diag_bc_audit answers EINVAL.
    const refused = new Uint8Array([0, 3, 8, 0]);
    const filter = 'dport = :5100 or sport = :5100';
    const fallback = readNetlinkSnapshot({ netns: pair.b.ns, kernel: false, bytecode: refused });
    expect(fallback.warnings?.map((w) => w.message)).toEqual([
      'the kernel refused the port filter (bytecode); every socket was read instead',
    ]);
    const plain = readNetlinkSnapshot({ netns: pair.b.ns, kernel: false });
    expect(fallback.sockets.length).toBe(plain.sockets.length);
    expect(sorted(viewOf(fallback, { filter: { expression: filter } }).sockets.map(key))).toEqual(
      sorted(viewOf(plain, { filter: { expression: filter } }).sockets.map(key)),
    );
  });

  it('--ns-of and --netns enter the namespace without a process in it, and read its sysctls and counters', () => {
    const target = netlinkTarget({ netns: pair.b.ns });
    expect(target.nsPath).toBe(`/run/netns/${pair.b.ns}`);
    pair.exec(pair.b.ns, 'sysctl', ['-qw', 'net.ipv4.tcp_fin_timeout=17']);
    const snap = readNetlinkSnapshot({ netns: pair.b.ns });
    expect(snap.kernel?.sysctls?.['net.ipv4.tcp_fin_timeout']).toBe('17');
    expect(snap.kernel?.sysctls?.['net.ipv4.tcp_max_orphans']).toMatch(/^\d+$/);
    const nstat = pair.exec(pair.b.ns, 'nstat', ['-asz', 'TcpPassiveOpens']);
    const passive = Number(/TcpPassiveOpens\s+(\d+)/.exec(nstat)?.[1]);
    expect(snap.kernel?.counters?.['Tcp.PassiveOpens']).toBe(passive);
    expect(snap.kernel?.sockstat?.['TCP6.inuse']).toBeGreaterThan(0);
    const pid = pair.pidIn(pair.b.ns);
    const byPid = readNetlinkSnapshot({ nsOf: pid, kernel: false });
    expect(byPid.source.name).toBe(`pid:${pid}`);
    expect(byPid.sockets.filter((s) => s.state === 'LISTEN').length).toBe(24);
  });

  it('-p attributes sockets as the /proc reader does', async () => {
    const nl = readNetlinkSnapshot({ netns: pair.b.ns, kernel: false, processes: true });
    const owners = (s: Snapshot) =>
      new Map(
        s.sockets
          .filter((x) => x.inode)
          .map((x) => [x.inode, (x.processes ?? []).map((p) => `${p.command}/${p.pid}/${p.fd}`).join(' ')]),
      );
    const proc = await readLiveSnapshot({ netns: pair.b.ns, kernel: false, processes: true });
    const mine = owners(nl);
    const theirs = owners(proc);
    let same = 0;
    for (const [inode, who] of mine) {
      if (!theirs.has(inode)) continue;
      expect(who, `inode ${inode}`).toBe(theirs.get(inode));
      same++;
    }
    expect(same).toBeGreaterThan(20);
  });

  it('counts, groups, diagnoses and writes the same from the records as from the socket objects', () => {
    let closeWaitInfo = false;
    let written = '';
    for (const ns of [pair.a.ns, pair.b.ns]) {
      const nl = readNetlinkSnapshot({ netns: ns, processes: true });
      const table = tableOf(nl);
      // Answered from the records, not from objects built already.
      expect(table).toBeInstanceOf(RecordTable);
      // Every accessor is the field of the socket it builds.
      const fields = (i: number) => {
        const s = table.socket(i);
        return [
          [table.state(i), table.family(i), table.localPort(i), table.remotePort(i)],
          [table.localAddress(i), table.remoteAddress(i), table.recvQ(i), table.sendQ(i), table.inode(i)],
          [table.processes(i), table.cgroupId(i), table.cgroup(i)],
          [s.state, s.family, s.local.port, s.remote.port],
          [s.local.address, s.remote.address, s.recvQ, s.sendQ, s.inode],
          [s.processes, s.cgroupId, s.cgroup],
        ];
      };
      for (let i = 0; i < table.length; i++) {
        const [a, b, c, x, y, z] = fields(i);
        expect([a, b, c], `socket ${i}`).toEqual([x, y, z]);
      }
      expect(table.length).toBeGreaterThan(20);
      closeWaitInfo ||= nl.sockets.some((s) => s.state === 'CLOSE_WAIT' && s.tcpInfo !== undefined);
      // Same snapshot, as objects: every output of the main view and --json must be the same bytes.
      const outputs = (snapshot: Snapshot) => {
        const view = viewOf(snapshot);
        const findings = diagnose(snapshot);
        const text = renderSnapshotText(view, {
          colors: pc.createColors(false),
          names: 'rfc',
          top: 50,
          width: 200,
          by: ['cgroup', 'destination', 'local-port', 'remote-port', 'process'],
          findings,
        });
        const doc = snapshotDocument(view, { findings, by: ['cgroup', 'destination'] });
        return `${text}\n${JSON.stringify({ ...doc, sockets: view.sockets })}`;
      };
      const fresh = readNetlinkSnapshot({ netns: ns, processes: true });
      const fromRecords = outputs(fresh);
      // The tracker's cookie numbers follow the sockets' order (made on first ask), and stop once sockets change.
      const ids = snapshotCookies(fresh);
      expect(Array.from(ids ?? [])).toEqual(fresh.sockets.map((s) => Number.parseInt(s.cookie!, 16)));
      const asObjects = { ...fresh, sockets: [...fresh.sockets] };
      expect(tableOf(asObjects)).not.toBeInstanceOf(RecordTable);
      expect(fromRecords).toBe(outputs(asObjects));
      written += fromRecords;
    }
    // The staging's CLOSE_WAIT sockets came with their tcp_info (the idle estimate), and were written.
    expect(closeWaitInfo).toBe(true);
    expect(written).toContain('"state":"CLOSE_WAIT"');
    const replaced = readNetlinkSnapshot({ netns: pair.b.ns, kernel: false });
    replaced.sockets = replaced.sockets.slice(1);
    expect(snapshotCookies(replaced)).toBeUndefined();
  });

  it('names a missing namespace in a typed error', () => {
    let error: unknown;
    try {
      readNetlinkSnapshot({ netns: 'tcpstate-no-such-ns' });
    } catch (e) {
      error = e;
    }
    expect(isTcpstateError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/netns:tcpstate-no-such-ns: no network namespace named/);
  });
});
