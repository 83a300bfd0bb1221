import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { checkSummary, readThresholds } from '../../src/check/check.ts';
import { notChecked } from '../../src/diagnose/coverage.ts';
import { worstSeverity } from '../../src/diagnose/index.ts';
import type { KernelContext, Snapshot, Socket } from '../../src/model/snapshot.ts';
import { renderFindings } from '../../src/render/findings.ts';
import type { TcpState } from '../../src/states/states.ts';
import { runCli } from '../helpers/cli.ts';
import { diagnose, rulesSeen } from '../helpers/diagnose.ts';

function sock(
  state: TcpState,
  lport: number,
  remote: string,
  rport: number,
  extra: Partial<Socket> = {},
): Socket {
  return {
    protocol: 'tcp',
    family: 'inet',
    state,
    local: { address: '10.0.0.1', port: lport },
    remote: { address: remote, port: rport },
    ...extra,
  };
}
function snap(sockets: Socket[], kernel?: KernelContext, takenAt = 10_000): Snapshot {
  return {
    source: { kind: 'proc', name: 'test', os: 'linux' },
    takenAt,
    sockets,
    warnings: [],
    ...(kernel ? { kernel } : {}),
  };
}
const rules = (f: ReturnType<typeof diagnose>) => f.map((x) => x.rule);

describe('diagnose rules on constructed snapshots', () => {
  it('a single connection with a big queue reads "1 connection ... has"', () => {
    const one = [
      sock('ESTABLISHED', 5432, '10.0.0.9', 50000, { recvQ: 2 << 20 }),
      sock('ESTABLISHED', 40000, '10.0.0.7', 443, { sendQ: 8 << 20 }),
    ];
    const titles = diagnose(snap(one)).map((f) => f.title);
    expect(titles).toContainEqual(
      expect.stringMatching(/^1 connection of port 10\.0\.0\.1:5432 has unread data/),
    );
    expect(titles).toContainEqual(expect.stringMatching(/ wait unacknowledged in 1 connection: /));
  });

  it('finds nothing on an empty or ordinary snapshot', () => {
    expect(diagnose(snap([]))).toEqual([]);
    expect(diagnose(snap([sock('LISTEN', 22, '*', 0), sock('ESTABLISHED', 22, '10.0.0.9', 50000)]))).toEqual(
      [],
    );
  });

  it('tells CLOSE_WAIT churn from a leak with two looks', () => {
    const now = Array.from({ length: 120 }, (_, i) =>
      sock('CLOSE_WAIT', 80, '10.0.0.9', 40000 + i, { inode: 1000 + i }),
    );
    const earlierOthers = Array.from({ length: 120 }, (_, i) =>
      sock('CLOSE_WAIT', 80, '10.0.0.9', 50000 + i, { inode: 5000 + i }),
    );
    const churn = diagnose(snap(now, undefined, 20_000), {}, snap(earlierOthers));
    expect(rules(churn)).toEqual(['close-wait-churn']);
    expect(churn[0]!.severity).toBe('info');
    const leak = diagnose(snap(now, undefined, 20_000), {}, snap(now));
    expect(leak[0]).toMatchObject({ rule: 'close-wait-leak', severity: 'critical' });
  });

  it('assumes the OS port range and says so when the source has no sysctls', () => {
    const tw = Array.from({ length: 9000 }, (_, i) => sock('TIME_WAIT', 49152 + i, '10.9.9.9', 443));
    const windows: Snapshot = { ...snap(tw), source: { kind: 'text', name: 'x.txt', os: 'windows' } };
    const f = diagnose(windows).find((x) => x.rule === 'time-wait-port-pressure');
    expect(f?.evidence.metrics.ephemeral_ports).toBe(16384);
    expect(f?.severity).toBe('warning');
    expect(f?.missing?.[0]).toMatch(/assumed the windows default 49152-65535/);
  });

  it('turns counter deltas into churn, reset, retransmission and overflow findings', () => {
    const before: KernelContext = {
      counters: {
        'Tcp.ActiveOpens': 0,
        'Tcp.PassiveOpens': 0,
        'Tcp.CurrEstab': 10,
        'Tcp.EstabResets': 0,
        'Tcp.AttemptFails': 0,
        'Tcp.RetransSegs': 0,
        'Tcp.OutSegs': 0,
        'TcpExt.TCPTimeWaitOverflow': 0,
      },
    };
    const after: KernelContext = {
      counters: {
        'Tcp.ActiveOpens': 5000,
        'Tcp.PassiveOpens': 5000,
        'Tcp.CurrEstab': 10,
        'Tcp.EstabResets': 100,
        'Tcp.AttemptFails': 100,
        'Tcp.RetransSegs': 600,
        'Tcp.OutSegs': 10000,
        'TcpExt.TCPTimeWaitOverflow': 3,
      },
      sockstat: { 'TCP.tw': 1000 },
      sysctls: { 'net.ipv4.tcp_max_tw_buckets': '1000' },
    };
    const f = diagnose(snap([], after, 20_000), {}, snap([], before, 10_000));
    expect(rules(f).sort()).toEqual([
      'connection-churn',
      'resets-received',
      'retransmissions',
      'time-wait-overflow',
    ]);
    expect(f.find((x) => x.rule === 'retransmissions')?.severity).toBe('critical');
    expect(f.find((x) => x.rule === 'connection-churn')?.evidence.metrics.opens_per_s).toBe(1000);
  });

  it('warns when orphans near tcp_max_orphans and when CLOSING piles up', () => {
    const closing = Array.from({ length: 10 }, (_, i) => sock('CLOSING', 40000 + i, '10.0.0.5', 80));
    const f = diagnose(
      snap(closing, { sockstat: { 'TCP.orphan': 600 }, sysctls: { 'net.ipv4.tcp_max_orphans': '1000' } }),
    );
    expect(f.find((x) => x.rule === 'orphans-near-limit')?.severity).toBe('critical');
    expect(rules(f)).toContain('closing-pileup');
  });

  it('reads orphans killed and TCP memory pressure from counters, sockstat and tcp_mem', () => {
    const base = { sysctls: { 'net.ipv4.tcp_mem': '1000 2000 3000' } };
    const before = snap([], {
      ...base,
      counters: { 'TcpExt.TCPAbortOnMemory': 7 },
      sockstat: { 'TCP.mem': 10 },
    });
    const after = snap(
      [],
      { ...base, counters: { 'TcpExt.TCPAbortOnMemory': 9 }, sockstat: { 'TCP.mem': 2500 } },
      20_000,
    );
    const f = diagnose(after, {}, before);
    expect(f.find((x) => x.rule === 'orphans-killed')).toMatchObject({
      severity: 'critical',
      evidence: { metrics: { abort_on_memory: 2 } },
    });
    const mem = f.find((x) => x.rule === 'tcp-memory-pressure');
    expect(mem?.severity).toBe('warning');
    expect(mem?.fix.sysctls?.[0]).toEqual({
      name: 'net.ipv4.tcp_mem',
      current: '1000 2000 3000',
      suggested: '2000 4000 6000',
    });
    const high = snap([], { ...base, sockstat: { 'TCP.mem': 2900 } });
    expect(diagnose(high).find((x) => x.rule === 'tcp-memory-pressure')?.severity).toBe('critical');
    // A counter since boot without a second look is not a finding (the kernel has been up for a while).
    expect(diagnose(after).some((x) => x.rule === 'orphans-killed')).toBe(false);
  });

  it('tells SYN cookies that come back (real load) from cookies that do not (spoofed flood)', () => {
    const k = (sent: number, recv: number, cookies: number, drop = 0) => ({
      counters: {
        'TcpExt.SyncookiesSent': sent,
        'TcpExt.SyncookiesRecv': recv,
        'TcpExt.TCPReqQFullDoCookies': cookies,
        'TcpExt.TCPReqQFullDrop': drop,
      },
      sysctls: { 'net.ipv4.tcp_syncookies': '1' },
    });
    const real = diagnose(snap([], k(100, 95, 100), 20_000), {}, snap([], k(0, 0, 0)));
    expect(real[0]?.rule).toBe('syn-queue-overflow');
    expect(real[0]?.title).not.toMatch(/spoofed/);
    expect(real[0]?.severity).toBe('critical'); // 10/s > 5/s
    const spoofed = diagnose(snap([], k(20, 0, 20), 20_000), {}, snap([], k(0, 0, 0)));
    expect(spoofed[0]?.title).toMatch(/only 0 of 20 cookies came back: likely a spoofed SYN flood/);
    expect(spoofed[0]?.severity).toBe('warning');
    const dropped = diagnose(snap([], k(0, 0, 0, 3), 20_000), {}, snap([], k(0, 0, 0)));
    expect(dropped[0]?.title).toMatch(/3 SYNs dropped \(SYN cookies are off\)/);
  });

  it('takes threshold overrides', () => {
    const cw = Array.from({ length: 5 }, (_, i) => sock('CLOSE_WAIT', 80, '10.0.0.9', 40000 + i));
    expect(diagnose(snap(cw))).toEqual([]);
    expect(rules(diagnose(snap(cw), { thresholds: { closeWaitWarn: 5 } }))).toEqual(['close-wait-leak']);
  });
});

describe('renderFindings', () => {
  it('prints severity, title, evidence, why and fix, in English or Chinese; keeps sysctls already advised', () => {
    const half = Array.from({ length: 10 }, (_, i) => sock('SYN_RECEIVED', 80, `10.1.0.${i}`, 40000));
    const f = diagnose(
      snap([sock('LISTEN', 80, '*', 0, { backlog: 16 }), ...half], {
        sysctls: { 'net.ipv4.tcp_syncookies': '1', 'net.ipv4.tcp_max_syn_backlog': '512' },
      }),
      { thresholds: { synRecvWarn: 8 } },
    );
    const colors = pc.createColors(false);
    const en = renderFindings(f, { colors, width: 100 });
    expect(en).toMatch(
      /^FINDINGS \(1\)\n\nWARNING {2}syn-recv-pileup\n {9}10 half-open connections \(SYN_RECV\) on 10\.0\.0\.1:80/,
    );
    expect(en).toContain('net.ipv4.tcp_syncookies = 1 (already so: keep it)');
    expect(en).toContain('sysctl -w net.ipv4.tcp_max_syn_backlog=4096  (now 512)');
    expect(en).toMatch(/Why: The server answered these SYNs/);
    const zh = renderFindings(f, { colors, width: 100, lang: 'zh' });
    expect(zh).toMatch(/^诊断 \(1\)/);
    expect(zh).toContain('10.0.0.1:80 上有 10 个半开连接（SYN_RECV），来自 10 个源地址');
    expect(zh).toMatch(/原因: 服务器已对这些 SYN 回复了 SYN-ACK/);
    expect(renderFindings([], { colors })).toBe('FINDINGS: none — nothing looks wrong');
  });
});

describe('tcpstate check', () => {
  it('summarises like a monitoring plugin, with perfdata', () => {
    const cw = Array.from({ length: 12 }, (_, i) => sock('CLOSE_WAIT', 80, '10.0.0.9', 40000 + i));
    const s = snap(cw);
    const { line, code } = checkSummary(diagnose(s), s);
    expect(code).toBe(1);
    expect(line).toMatch(
      /^TCPSTATE WARNING - 1 finding: port 80 holds 12 connections in CLOSE_WAIT.* \| listen=0 .*close_wait=12 .*findings=1 problems=1$/,
    );
    expect(worstSeverity(diagnose(s))).toBe('warning');
    expect(checkSummary([], snap([])).code).toBe(0);
  });

  it('perfdata counts what is listed: an INFO finding is findings=1, problems=0, and the status stays OK', () => {
    // ListenOverflows since boot, one look: an INFO note, not an alert.
    const s = snap([sock('LISTEN', 80, '0.0.0.0', 0)], { counters: { 'TcpExt.ListenOverflows': 45 } });
    const findings = diagnose(s);
    expect(findings.map((f) => f.severity)).toEqual(['info']);
    const { line, code } = checkSummary(findings, s);
    expect(code).toBe(0);
    expect(line).toMatch(
      /^TCPSTATE OK - 1 TCP socket, nothing wrong \(1 note\) \| .* findings=1 problems=0$/,
    );
  });

  it('refuses a warning threshold above its critical one (a check that could never warn)', () => {
    expect(() => readThresholds(undefined, ['closeWaitWarn=200', 'closeWaitCrit=100'])).toThrow(
      /closeWaitWarn \(200\) is above closeWaitCrit \(100\)/,
    );
    // Against the default critical (100) too, and for every pair.
    expect(() => readThresholds(undefined, ['closeWaitWarn=101'])).toThrow(
      /closeWaitCrit \(100, the default\)/,
    );
    expect(() => readThresholds(undefined, ['queueWarnSockets=60'])).toThrow(
      /queueCritSockets \(50, the default\)/,
    );
    expect(() => readThresholds(undefined, ['synSentWarnRetrans=9'])).toThrow(/synSentCritRetrans/);
    expect(readThresholds(undefined, ['closeWaitWarn=100', 'closeWaitCrit=100'])).toEqual({
      closeWaitWarn: 100,
      closeWaitCrit: 100,
    });
    const r = runCli(['check', '--set', 'closeWaitWarn=200', '--set', 'closeWaitCrit=100']);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(
      /^TCPSTATE UNKNOWN - --set: closeWaitWarn \(200\) is above closeWaitCrit \(100\)/,
    );
  });

  it('reads thresholds from --set and rejects unknown names', () => {
    expect(readThresholds(undefined, ['closeWaitWarn=3'])).toEqual({ closeWaitWarn: 3 });
    expect(() => readThresholds(undefined, ['nope=1'])).toThrow(/unknown threshold 'nope'/);
    expect(() => readThresholds(undefined, ['closeWaitWarn=x'])).toThrow(/non-negative number/);
  });

  it('exits 0 with OK on this machine, and 3 UNKNOWN on bad input', () => {
    const ok = runCli(['check', '-q']);
    expect([0, 1, 2]).toContain(ok.status);
    expect(ok.stdout).toMatch(/^TCPSTATE (OK|WARNING|CRITICAL) - /);
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-check-'));
    const config = join(dir, 'check.json');
    writeFileSync(config, JSON.stringify({ thresholds: { closeWaitWarn: 'many' } }));
    const badValue = runCli(['check', '--config', config]);
    expect(badValue.status).toBe(3);
    expect(badValue.stdout).toMatch(/threshold 'closeWaitWarn' must be a non-negative number, got 'many'/);
    writeFileSync(config, JSON.stringify({ thresholds: { closeWaitWarn: 1 } }));
    expect(readThresholds(config, ['closeWaitCrit=7'])).toEqual({ closeWaitWarn: 1, closeWaitCrit: 7 });
    // A saved netstat listing is read like `analyze` reads it; something that is not a listing is UNKNOWN.
    const file = runCli(['check', 'test/fixtures/netstat/linux-netstat-ant-close-1.txt']);
    expect(file.status).toBe(0);
    expect(file.stdout).toMatch(/^TCPSTATE OK - 34 TCP sockets, nothing wrong \| listen=12 /);
    const notListing = runCli(['check', 'package.json']);
    expect(notListing.status).toBe(3);
    expect(notListing.stdout).toMatch(/^TCPSTATE UNKNOWN - package.json: /);
    const bad = runCli(['check', '--config', '/nonexistent.json']);
    expect(bad.status).toBe(3);
    expect(bad.stdout).toMatch(/^TCPSTATE UNKNOWN - --config \/nonexistent.json: /);
  });
});

describe('Chinese titles', () => {
  it('says what could not be checked in Chinese too, for every gap', () => {
    const kinds: Snapshot[] = [
      snap([sock('LISTEN', 80, '*', 0), sock('ESTABLISHED', 80, '10.0.0.9', 40000)]),
      {
        ...snap([sock('CLOSE_WAIT', 80, '10.0.0.9', 40001)]),
        source: { kind: 'text', name: 'paste', os: 'macos' },
      },
    ];
    let gaps = 0;
    for (const s of kinds) {
      for (const gap of notChecked(s)) {
        expect(gap.needsZh, gap.needs).toMatch(/[\u4e00-\u9fff]/);
        gaps++;
      }
    }
    expect(gaps).toBeGreaterThanOrEqual(6);
  });

  it('every rule these scenarios trigger has one (checked on each finding by the diagnose wrapper)', () => {
    // Runs last in this file: the scenarios above went through the wrapper.
    expect(rulesSeen.size).toBeGreaterThanOrEqual(12);
  });
});
