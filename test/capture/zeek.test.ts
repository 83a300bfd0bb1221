/**
 * Every Zeek case in test/fixtures/zeek: our Zeek layer (split mode `zeek`) must give each connection the same
 * conn_state, history and packet counts as Zeek's own baseline. Connections are matched by 4-tuple as a multiset
 * (baselines list them in removal order, and a tuple can repeat).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Z_CLOSED, Z_RESET } from '../../src/capture/conn.ts';
import { readConnections } from '../../src/capture/pipeline.ts';
import { connState } from '../../src/capture/zeek.ts';
import { readConnLog } from './zeek-baselines.ts';

const dir = join(import.meta.dirname, '../fixtures/zeek');
const provenance = readFileSync(join(dir, 'PROVENANCE.md'), 'utf8');

/** The zeek command line the baseline came from (PROVENANCE.md table): `-b` loads no analyzers. */
function invocation(pcap: string): string {
  const row = provenance.split('\n').find((l) => l.startsWith(`| \`${pcap}\``));
  if (row === undefined) throw new Error(`${pcap} not in PROVENANCE.md`);
  return row.split('|')[5] ?? '';
}

function options(pcap: string, checksums = false) {
  const bare = / -b /.test(invocation(pcap));
  // Bare mode registers no analyzer ports, so Zeek's likely_server_ports is empty.
  return { split: 'zeek' as const, checksums, ...(bare ? { serverPorts: new Set<number>() } : {}) };
}

function ours(pcap: string, checksums = false): string[] {
  const { connections } = readConnections(join(dir, pcap), options(pcap, checksums));
  return connections
    .map(
      (c) =>
        `${c.orig.address} ${c.orig.port} > ${c.resp.address} ${c.resp.port} ${connState(c)} ${c.history} ${c.orig.pkts}/${c.resp.pkts}`,
    )
    .sort();
}

function baseline(log: string): string[] {
  return readConnLog(join(dir, log))
    .map(
      (r) =>
        `${r.orig_h} ${r.orig_p} > ${r.resp_h} ${r.resp_p} ${r.conn_state} ${r.history} ${r.orig_pkts}/${r.resp_pkts}`,
    )
    .sort();
}

const logs = readdirSync(dir).filter((f) => f.endsWith('.conn.log'));

describe('Zeek baselines: conn_state, history and packet counts', () => {
  it('covers every conn.log case in the fixtures', () => {
    expect(logs.length).toBeGreaterThanOrEqual(13);
  });
  for (const log of logs) {
    const name = log.replace(/\.conn\.log$/, '');
    const pcap = readdirSync(dir).find((f) => f.startsWith(`${name}.pcap`));
    it(name, () => {
      expect(pcap).toBeDefined();
      const expected = baseline(log);
      expect(expected.length).toBeGreaterThan(0);
      expect(ours(pcap!)).toEqual(expected);
    });
  }

  it('localhost-bad-chksum with checksums enforced matches conn-failed.log', () => {
    expect(ours('localhost-bad-chksum.pcap', true)).toEqual(baseline('localhost-bad-chksum.conn-failed.log'));
  });

  for (const name of ['rst-single-rst', 'rst-syn-then-rst']) {
    it(`${name} (history and conn_state from conn_state-RST-behavior)`, () => {
      const [head, values] = readFileSync(join(dir, `${name}.expected`), 'utf8')
        .trim()
        .split('\n');
      expect(head).toBe('history\tconn_state');
      const [history, state] = values!.split('\t');
      const { connections } = readConnections(join(dir, `${name}.pcap`), options(`${name}.pcap`));
      expect(connections.map((c) => [c.history, connState(c)])).toEqual([[history, state]]);
    });
  }

  it('fin-retransmission: endpoint states and counts equal the c$orig / c$resp records', () => {
    const records = readFileSync(join(dir, 'fin-retransmission.out'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('['))
      .map((l) => Object.fromEntries([...l.matchAll(/(\w+)=([^,\]]+)/g)].map((m) => [m[1], m[2]])));
    const { connections } = readConnections(
      join(dir, 'fin-retransmission.pcap'),
      options('fin-retransmission.pcap'),
    );
    expect(connections).toHaveLength(1);
    const c = connections[0]!;
    expect(records.map((r) => Number(r.state))).toEqual([Z_CLOSED, Z_RESET]);
    expect([c.orig.z, c.resp.z]).toEqual(records.map((r) => Number(r.state)));
    expect([c.orig.pkts, c.resp.pkts]).toEqual(records.map((r) => Number(r.num_pkts)));
    expect([c.orig.ipBytes, c.resp.ipBytes]).toEqual(records.map((r) => Number(r.num_bytes_ip)));
  });
});
