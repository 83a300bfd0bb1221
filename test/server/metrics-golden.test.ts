import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KernelContext, Snapshot } from '../../src/model/snapshot.ts';
import { createMetrics, KERNEL_COUNTERS } from '../../src/server/metrics.ts';
import { Sampler } from '../../src/server/sampler.ts';
import { fixtureSnapshot } from './fixtures.ts';

/**
 * The whole /metrics text for a fixed pair of snapshots, against a committed copy: refactoring how the gauges are
 * declared must not change one byte of what Prometheus scrapes. Series whose values depend on the clock (scrape
 * and snapshot timings, ages measured against now) are compared by name and labels only.
 */
const golden = join(import.meta.dirname, 'metrics.golden.txt');
const CLOCK =
  /^tcpstate_(scrape_duration|snapshot_duration|snapshot_age|last_snapshot|snapshot_timestamp|up_since|connection_oldest_age)/;

/** A fixed kernel context: every exported counter, sockstat and sysctls, with made-up but stable values. */
function kernel(step: number): KernelContext {
  const counters: Record<string, number> = {};
  KERNEL_COUNTERS.forEach(([key], i) => {
    counters[key] = 1000 * (i + 1) + step * i;
  });
  return {
    counters,
    sockstat: { 'TCP.inuse': 12, 'TCP.orphan': 1, 'TCP.tw': 3, 'TCP.alloc': 15, 'TCP.mem': 7 },
    sysctls: {
      'net.core.somaxconn': '4096',
      'net.ipv4.ip_local_port_range': '32768\t60999',
      'net.ipv4.tcp_fin_timeout': '60',
      'net.ipv4.tcp_max_syn_backlog': '512',
    },
  };
}

async function render(): Promise<string> {
  const first = { ...fixtureSnapshot(), kernel: kernel(0) };
  const second: Snapshot = { ...first, takenAt: first.takenAt + 5000, kernel: kernel(7) };
  const snapshots = [first, second];
  let i = 0;
  const sampler = new Sampler({ snapshot: async () => snapshots[Math.min(i++, 1)]!, intervalMs: 1000 });
  const metrics = createMetrics(sampler);
  await sampler.tick();
  await sampler.tick();
  return (await metrics.render())
    .split('\n')
    .map((line) => (CLOCK.test(line) ? line.replace(/ [^ ]+$/, ' <clock>') : line))
    .join('\n');
}

describe('/metrics exposition', () => {
  it('is byte for byte the committed golden copy', async () => {
    const text = await render();
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });
});
