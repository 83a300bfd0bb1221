import type { KernelContext } from '../../../model/snapshot.ts';
import { Collector, type ParseResult } from '../collector.ts';

/**
 * `netstat -s` phrases → the `/proc/net/snmp` / `/proc/net/netstat` keys the live reader uses, so diagnoses read
 * a pasted summary exactly like live counters. Only the lines that name one counter unambiguously are mapped.
 */
const NETSTAT_S_PHRASES: readonly (readonly [string, RegExp])[] = [
  ['Tcp.ActiveOpens', /^(\d+) active connection(s)? opening(s)?$/],
  ['Tcp.PassiveOpens', /^(\d+) passive connection(s)? opening(s)?$/],
  ['Tcp.AttemptFails', /^(\d+) failed connection attempts$/],
  ['Tcp.EstabResets', /^(\d+) connection resets received$/],
  ['Tcp.CurrEstab', /^(\d+) connections established$/],
  ['Tcp.InSegs', /^(\d+) segments received$/],
  ['Tcp.OutSegs', /^(\d+) segments sen[dt] out$/],
  ['Tcp.RetransSegs', /^(\d+) segments retransmit+ed$/],
  ['Tcp.InErrs', /^(\d+) bad segments received\.?$/],
  ['Tcp.OutRsts', /^(\d+) resets sent$/],
  ['TcpExt.ListenOverflows', /^(\d+) times the listen queue of a socket overflowed$/],
  ['TcpExt.ListenDrops', /^(\d+) SYNs to LISTEN sockets (dropped|ignored)$/],
  ['TcpExt.TW', /^(\d+) TCP sockets finished time wait in fast timer$/],
  ['TcpExt.TCPTimeouts', /^(\d+) other TCP timeouts$/],
  ['TcpExt.TCPAbortOnTimeout', /^(\d+) connections aborted due to timeout$/],
  ['TcpExt.TCPAbortOnData', /^(\d+) connections reset due to unexpected data$/],
  ['TcpExt.TCPAbortOnClose', /^(\d+) connections reset due to early user close$/],
];

/** `ss -s` keys → the `/proc/net/sockstat` spelling where one exists (`orphaned` is sockstat's `orphan`). */
const SS_TCP_KEYS: Readonly<Record<string, string>> = {
  estab: 'TCP.estab',
  closed: 'TCP.closed',
  orphaned: 'TCP.orphan',
  synrecv: 'TCP.synrecv',
  timewait: 'TCP.tw',
};

/**
 * `ss -s` or `netstat -s`: totals, not sockets. What they say goes into `kernel.sockstat` (ss -s) or
 * `kernel.counters` (netstat -s, named as in /proc/net/snmp and /proc/net/netstat), and a warning says there is
 * nothing per socket.
 */
export function parseSummary(lines: readonly string[]): ParseResult {
  const out = new Collector();
  const sockstat: Record<string, number> = {};
  const counters: Record<string, number> = {};
  let section = '';
  let transportTable = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    let m = /^Total: (\d+)(?: \(kernel (\d+)\))?/.exec(line);
    if (m) {
      sockstat['Total.sockets'] = Number(m[1]);
      if (m[2] !== undefined) sockstat['Total.kernel'] = Number(m[2]);
      continue;
    }
    m = /^TCP:\s+(\d+) \((.*)\)(?:, ports (\d+))?$/.exec(line);
    if (m) {
      sockstat['TCP.total'] = Number(m[1]);
      for (const part of (m[2] ?? '').split(',')) {
        const kv = /^\s*(\w+) (\d+)(?:\/(\d+))?/.exec(part);
        if (!kv?.[1]) continue;
        sockstat[SS_TCP_KEYS[kv[1]] ?? `TCP.${kv[1]}`] = Number(kv[2]);
      }
      if (m[3] !== undefined) sockstat['TCP.ports'] = Number(m[3]);
      continue;
    }
    if (/^Transport\s+Total\s+IP\s+IPv6$/.test(line)) {
      transportTable = true;
      continue;
    }
    if (transportTable) {
      const row = /^(\S+)\s+(\d+|-)\s+(\d+|-)\s+(\d+|-)$/.exec(line);
      if (row?.[1] && row[1] !== '*') {
        const put = (key: string, v: string | undefined) => {
          if (v !== undefined && v !== '-') sockstat[`${row[1]}.${key}`] = Number(v);
        };
        put('total', row[2]);
        put('ipv4', row[3]);
        put('ipv6', row[4]);
      }
      continue;
    }
    const header = /^(\w+):$/.exec(line);
    if (header?.[1]) {
      section = header[1];
      continue;
    }
    if (section === 'Tcp' || section === 'TcpExt') {
      for (const [key, re] of NETSTAT_S_PHRASES) {
        const hit = re.exec(line);
        if (hit && key.startsWith(`${section}.`)) counters[key] = Number(hit[1]);
      }
      // Newer net-tools prints unnamed TcpExt counters as `Name: value`.
      const named = /^(TCP\w+|\w+): (\d+)$/.exec(line);
      if (named?.[1] && section === 'TcpExt') counters[`TcpExt.${named[1]}`] = Number(named[2]);
    }
  }
  const kernel: KernelContext = {};
  if (Object.keys(sockstat).length > 0) kernel.sockstat = sockstat;
  if (Object.keys(counters).length > 0) kernel.counters = counters;
  const kept = [kernel.sockstat ? 'kernel.sockstat' : '', kernel.counters ? 'kernel.counters' : '']
    .filter(Boolean)
    .join(' and ');
  out.warnOnce(
    'summary',
    `a summary (ss -s / netstat -s): it has totals, not sockets; nothing to list${kept ? ` (totals kept in ${kept})` : ''}`,
  );
  const result = out.result('linux');
  if (kept) result.kernel = kernel;
  return result;
}
