import { readFileSync } from 'node:fs';
import type { KernelContext } from '../../model/snapshot.ts';

/** The sysctls the diagnoses read, by dotted name. Most are per network namespace; `GLOBAL_SYSCTLS` are not. */
export const KERNEL_SYSCTLS = [
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_fin_timeout',
  'net.core.somaxconn',
  'net.ipv4.tcp_max_syn_backlog',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_max_tw_buckets',
  'net.ipv4.tcp_orphan_retries',
  'net.ipv4.tcp_syn_retries',
  // Linux >= 6.5: SYN retransmissions with a linear 1 s timeout before the exponential backoff (state ages).
  'net.ipv4.tcp_syn_linear_timeouts',
  'net.ipv4.tcp_synack_retries',
  'net.ipv4.tcp_max_orphans',
  'net.ipv4.tcp_abort_on_overflow',
  'net.ipv4.tcp_retries2',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_mem',
] as const;

/**
 * Sysctls registered only in the initial network namespace (`ipv4_table` rather than `ipv4_net_table`): they do not
 * exist under /proc/sys inside another namespace and their host value applies to every namespace.
 */
export const GLOBAL_SYSCTLS: ReadonlySet<string> = new Set(['net.ipv4.tcp_max_orphans', 'net.ipv4.tcp_mem']);

export function sysctlPath(name: string): string {
  return `/proc/sys/${name.replaceAll('.', '/')}`;
}

/** `/proc/net/snmp` and `/proc/net/netstat`: pairs of `Prefix: names...` / `Prefix: values...` lines. */
export function parseSnmpPairs(text: string, into: Record<string, number> = {}): Record<string, number> {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const head = lines[i]!;
    const values = lines[i + 1]!;
    const colon = head.indexOf(':');
    if (colon <= 0 || values.slice(0, colon + 1) !== head.slice(0, colon + 1)) continue;
    const prefix = head.slice(0, colon);
    const names = head
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    const numbers = values
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    // A header whose values line has non-numbers is not a pair (IcmpMsg has both lines keyed alike but numeric).
    if (names.length !== numbers.length || numbers.some((v) => !/^-?\d+$/.test(v))) continue;
    names.forEach((name, k) => {
      into[`${prefix}.${name}`] = Number(numbers[k]);
    });
    i++;
  }
  return into;
}

/**
 * `/proc/net/sockstat` (+sockstat6): `TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1` → `TCP.inuse` ... Read by key/value
 * so extra fields from newer kernels are kept. sockstat6 keys are prefixed as printed (`TCP6.inuse`).
 */
export function parseSockstat(text: string, into: Record<string, number> = {}): Record<string, number> {
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const prefix = line.slice(0, colon).trim();
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    for (let k = 0; k + 1 < f.length; k += 2) {
      const n = Number(f[k + 1]);
      if (f[k] && Number.isFinite(n)) into[`${prefix}.${f[k]}`] = n;
    }
  }
  return into;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    // Absent (no IPv6, a kernel without the counter file) or the process went away: the field stays unknown.
    return undefined;
  }
}

/** Normalises a sysctl value as `sysctl -n` would show it, with runs of whitespace as one space. */
export function cleanSysctl(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

/** Reads the sysctls of the namespace this process is in (only the reader's netns is visible under /proc/sys). */
export function readOwnSysctls(names: readonly string[] = KERNEL_SYSCTLS): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = readOptional(sysctlPath(name));
    if (value !== undefined) out[name] = cleanSysctl(value);
  }
  return out;
}

/**
 * Kernel counters and sockstat of the namespace behind `procRoot` (`/proc` or `/proc/<pid>`), with the sysctls
 * given (read separately because /proc/sys always shows the reader's own namespace).
 */
export function readKernelCounters(procRoot = '/proc'): Pick<KernelContext, 'counters' | 'sockstat'> {
  const out: Pick<KernelContext, 'counters' | 'sockstat'> = {};
  const counters: Record<string, number> = {};
  let any = false;
  for (const file of ['snmp', 'netstat']) {
    const text = readOptional(`${procRoot}/net/${file}`);
    if (text !== undefined) {
      parseSnmpPairs(text, counters);
      any = true;
    }
  }
  if (any) out.counters = counters;
  const sockstat: Record<string, number> = {};
  any = false;
  for (const file of ['sockstat', 'sockstat6']) {
    const text = readOptional(`${procRoot}/net/${file}`);
    if (text !== undefined) {
      parseSockstat(text, sockstat);
      any = true;
    }
  }
  if (any) out.sockstat = sockstat;
  return out;
}

export function readKernelRelease(): string | undefined {
  const text = readOptional('/proc/sys/kernel/osrelease');
  return text === undefined ? undefined : text.trim();
}
