import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { countByState } from '../../src/analysis/summary.ts';
import type { Snapshot, Socket } from '../../src/model/snapshot.ts';
import { aggregate } from '../../src/server/aggregates.ts';
import { counterMetricName, createMetrics, KERNEL_COUNTERS } from '../../src/server/metrics.ts';
import { Sampler } from '../../src/server/sampler.ts';
import { TCP_STATES } from '../../src/states/states.ts';
import { hasCommand } from '../helpers/netns.ts';
import { parseExposition, series, total } from './exposition.ts';
import { fixtureSnapshot, realKernel, snap, sock } from './fixtures.ts';

async function exposition(snapshots: Snapshot[]): Promise<{ text: string; sampler: Sampler }> {
  let i = 0;
  const sampler = new Sampler({
    snapshot: async () => snapshots[Math.min(i++, snapshots.length - 1)]!,
    intervalMs: 1000,
  });
  const metrics = createMetrics(sampler);
  for (let n = 0; n < snapshots.length; n++) await sampler.tick();
  return { text: await metrics.render(), sampler };
}

describe('Prometheus exposition', () => {
  it('counts every socket of the real /proc fixture by state and family', async () => {
    const snapshot = { ...fixtureSnapshot(), kernel: realKernel() };
    const { text } = await exposition([snapshot]);
    const samples = parseExposition(text);
    const byState = countByState(snapshot.sockets);
    for (const state of TCP_STATES) {
      const got = series(samples, 'tcpstate_connections')
        .filter((s) => s.labels.state === state.toLowerCase())
        .reduce((a, s) => a + s.value, 0);
      expect(got, state).toBe(byState[state]);
    }
    // Every state and both families, zeros included: 22 stable series for alerting.
    expect(series(samples, 'tcpstate_connections')).toHaveLength(22);
  });

  it('exports the kernel counters with the kernel values, and sysctls and sockstat', async () => {
    const kernel = realKernel();
    const { text } = await exposition([{ ...fixtureSnapshot(), kernel }]);
    const samples = parseExposition(text);
    for (const [key] of KERNEL_COUNTERS) {
      if (kernel.counters?.[key] === undefined) continue;
      const [s] = series(samples, `tcpstate_kernel_${counterMetricName(key)}_total`);
      expect(s?.value, key).toBe(kernel.counters[key]);
    }
    expect(counterMetricName('TcpExt.TCPSynRetrans')).toBe('tcp_syn_retrans');
    expect(counterMetricName('TcpExt.ListenOverflows')).toBe('listen_overflows');
    const somaxconn = series(samples, 'tcpstate_sysctl').find((s) => s.labels.name === 'net.core.somaxconn');
    expect(somaxconn?.value).toBe(Number(kernel.sysctls?.['net.core.somaxconn']));
    expect(series(samples, 'tcpstate_sockstat_tw')[0]?.value).toBe(2);
  });

  it('exports no kernel counters when the source has none (no misleading zeros)', async () => {
    const { text } = await exposition([fixtureSnapshot()]);
    expect(text).not.toMatch(/^tcpstate_kernel_/m);
    expect(text).toMatch(/^tcpstate_connections\{/m);
  });

  it('advances kernel counters by the delta and restarts them when the kernel value drops', async () => {
    const base = fixtureSnapshot();
    const at = (n: number): Snapshot => ({ ...base, kernel: { counters: { 'TcpExt.ListenOverflows': n } } });
    const { text } = await exposition([at(10), at(15), at(4), at(6)]);
    expect(series(parseExposition(text), 'tcpstate_kernel_listen_overflows_total')[0]?.value).toBe(6);
  });

  it.skipIf(!hasCommand('promtool'))('passes promtool check metrics', async () => {
    const many: Socket[] = [];
    for (let i = 0; i < 300; i++)
      many.push(sock('TIME_WAIT', ['10.0.0.1', 40000 + i], [`10.1.${i % 50}.1`, 443]));
    const { text: first } = await exposition([{ ...fixtureSnapshot(), kernel: realKernel() }]);
    const { text } = await exposition([
      { ...fixtureSnapshot(), kernel: realKernel() },
      { ...fixtureSnapshot(), sockets: [...fixtureSnapshot().sockets, ...many], kernel: realKernel() },
    ]);
    for (const body of [first, text]) {
      const run = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
      expect(`${run.stdout}${run.stderr}`.trim()).toBe('');
      expect(run.status).toBe(0);
    }
    expect(series(parseExposition(text), 'tcpstate_transitions_total').length).toBeGreaterThan(0);
  });

  it('exports sockets by cgroup as --by cgroup names them, 20 cgroups plus other and kernel, keeping the sum', async () => {
    const sockets: Socket[] = [];
    // 30 systemd services with 1..30 connections, a container, and TIME_WAIT sockets (no cgroup: "kernel").
    for (let u = 1; u <= 30; u++) {
      for (let c = 0; c < u; c++) {
        sockets.push(
          sock('ESTABLISHED', ['10.0.0.1', 8000 + u], [`10.9.${u}.${c}`, 40000 + c], {
            cgroupId: 100 + u,
            cgroup: `/system.slice/app${u}.service`,
          }),
        );
      }
    }
    const container = 'docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope';
    for (let c = 0; c < 50; c++) {
      sockets.push(
        sock('CLOSE_WAIT', ['10.0.0.1', 9000], [`10.8.0.${c}`, 41000 + c], {
          cgroupId: 7,
          cgroup: `/system.slice/${container}`,
        }),
      );
    }
    for (let c = 0; c < 40; c++) sockets.push(sock('TIME_WAIT', ['10.0.0.1', 50000 + c], ['10.7.0.1', 443]));
    const { text } = await exposition([snap(sockets)]);
    const samples = parseExposition(text);
    const byCgroup = series(samples, 'tcpstate_connections_by_cgroup');
    const labels = new Set(byCgroup.map((s) => s.labels.cgroup));
    expect(labels.size).toBe(21);
    expect(labels.has('other')).toBe(true);
    expect(labels.has('app30.service')).toBe(true);
    expect(labels.has('app1.service')).toBe(false);
    expect(byCgroup.find((s) => s.labels.cgroup === 'docker:0123456789ab')).toMatchObject({
      labels: { state: 'close_wait' },
      value: 50,
    });
    expect(byCgroup.find((s) => s.labels.cgroup === 'kernel')?.value).toBe(40);
    expect(total(samples, 'tcpstate_connections_by_cgroup')).toBe(sockets.length);
    // Without cgroups (the /proc reader) the metric has no series.
    const proc = parseExposition((await exposition([fixtureSnapshot()])).text);
    expect(series(proc, 'tcpstate_connections_by_cgroup')).toHaveLength(0);
  });

  it('bounds label cardinality with top-N plus other, keeping the sums', async () => {
    const sockets: Socket[] = [];
    // 400 listening ports with a different number of connections each, and 3000 outbound destinations.
    for (let p = 0; p < 400; p++) {
      sockets.push(sock('LISTEN', ['0.0.0.0', 10000 + p], ['0.0.0.0', undefined]));
      for (let c = 0; c < (p % 7) + 1; c++)
        sockets.push(sock('ESTABLISHED', ['10.0.0.1', 10000 + p], [`10.2.${p}.${c}`, 50000 + c]));
    }
    for (let d = 0; d < 3000; d++) {
      sockets.push(sock('TIME_WAIT', ['10.0.0.1', 30000 + d], [`10.3.${d >> 8}.${d & 255}`, 443]));
    }
    const snapshot = snap(sockets);
    const { text } = await exposition([snapshot]);
    const samples = parseExposition(text);
    const byPort = series(samples, 'tcpstate_connections_by_port');
    const ports = new Set(byPort.map((s) => s.labels.port));
    expect(ports.size).toBe(21);
    expect(ports.has('other')).toBe(true);
    expect(byPort.length).toBeLessThanOrEqual(11 * 21);
    expect(total(samples, 'tcpstate_connections_by_port')).toBe(sockets.length - 3000);
    const tw = series(samples, 'tcpstate_time_wait_connections_by_destination');
    expect(tw).toHaveLength(21);
    expect(total(samples, 'tcpstate_time_wait_connections_by_destination')).toBe(3000);
    expect(series(samples, 'tcpstate_ephemeral_ports_in_use_ratio')).toHaveLength(20);
    // The whole exposition stays small however many sockets there are.
    expect(samples.length).toBeLessThan(500);
  });

  it('computes accept-queue fill and ephemeral-port pressure', () => {
    const snapshot = snap(
      [
        sock('LISTEN', ['0.0.0.0', 80], ['0.0.0.0', undefined], { recvQ: 96, sendQ: 128 }),
        ...Array.from({ length: 50 }, (_, i) =>
          sock('TIME_WAIT', ['10.0.0.1', 33000 + i], ['10.9.9.9', 5432]),
        ),
      ],
      { kernel: { sysctls: { 'net.ipv4.ip_local_port_range': '32768\t32867' } } },
    );
    const a = aggregate(snapshot);
    expect(a.listeners).toEqual([{ address: '0.0.0.0', port: '80', length: 96, max: 128 }]);
    expect(a.ephemeralRange.size).toBe(100);
    expect(a.outboundByDestination.get('10.9.9.9:5432')).toBe(50);
  });
});
