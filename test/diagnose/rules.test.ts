import { describe, expect, it } from 'vitest';
import { checkSummary, readThresholds } from '../../src/cli/commands/check.ts';
import { diagnose, worstSeverity } from '../../src/diagnose/index.ts';
import type { KernelContext, Snapshot, Socket } from '../../src/model/snapshot.ts';
import type { TcpState } from '../../src/states/states.ts';
import { runCli } from '../helpers/cli.ts';

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

  it('takes threshold overrides', () => {
    const cw = Array.from({ length: 5 }, (_, i) => sock('CLOSE_WAIT', 80, '10.0.0.9', 40000 + i));
    expect(diagnose(snap(cw))).toEqual([]);
    expect(rules(diagnose(snap(cw), { thresholds: { closeWaitWarn: 5 } }))).toEqual(['close-wait-leak']);
  });
});

describe('tcpstate check', () => {
  it('summarises like a monitoring plugin, with perfdata', () => {
    const cw = Array.from({ length: 12 }, (_, i) => sock('CLOSE_WAIT', 80, '10.0.0.9', 40000 + i));
    const s = snap(cw);
    const { line, code } = checkSummary(diagnose(s), s);
    expect(code).toBe(1);
    expect(line).toMatch(
      /^TCPSTATE WARNING - 1 finding: port 80 holds 12 connections in CLOSE_WAIT.* \| listen=0 .*close_wait=12 .*findings=1$/,
    );
    expect(worstSeverity(diagnose(s))).toBe('warning');
    expect(checkSummary([], snap([])).code).toBe(0);
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
    const bad = runCli(['check', '--config', '/nonexistent.json']);
    expect(bad.status).toBe(3);
    expect(bad.stdout).toMatch(/^TCPSTATE UNKNOWN - --config \/nonexistent.json: /);
  });
});
