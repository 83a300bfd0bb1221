import { readFileSync } from 'node:fs';
import type { KernelContext, Snapshot, Socket, Warning } from '../../src/model/snapshot.ts';
import { parseProcNetTcp } from '../../src/sources/proc/proc-net-tcp.ts';
import type { TcpState } from '../../src/states/states.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/netstat/${name}`, import.meta.url), 'utf8').replace(/^#.*\n/gm, '');

/** The real /proc/net/tcp and tcp6 fixtures as one snapshot. */
export function fixtureSnapshot(): Snapshot {
  const warnings: Warning[] = [];
  const sockets = [
    ...parseProcNetTcp(fixture('linux-proc-net-tcp-1.txt'), 'inet', warnings),
    ...parseProcNetTcp(fixture('linux-proc-net-tcp6-1.txt'), 'inet6', warnings),
  ];
  return { source: { kind: 'proc', name: 'fixture', os: 'linux' }, takenAt: Date.now(), sockets, warnings };
}

/** This machine's kernel counters and sysctls, read the way the /proc files lay them out (header line, value line). */
export function realKernel(): KernelContext {
  const counters: Record<string, number> = {};
  for (const file of ['/proc/net/snmp', '/proc/net/netstat']) {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const head = lines[i]!.split(/\s+/);
      const values = lines[i + 1]!.split(/\s+/);
      const group = head[0]!.replace(':', '');
      for (let j = 1; j < head.length; j++) counters[`${group}.${head[j]}`] = Number(values[j]);
    }
  }
  const sysctls: Record<string, string> = {};
  for (const name of ['net.core.somaxconn', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_fin_timeout']) {
    sysctls[name] = readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim();
  }
  return {
    counters,
    sysctls,
    sockstat: { 'TCP.inuse': 5, 'TCP.orphan': 0, 'TCP.tw': 2, 'TCP.alloc': 9, 'TCP.mem': 3 },
  };
}

let port = 40000;
/** A socket with the fields the server uses. */
export function sock(
  state: TcpState,
  local: [string, number],
  remote: [string, number | undefined],
  extra: Partial<Socket> = {},
): Socket {
  return {
    protocol: 'tcp',
    family: local[0].includes(':') ? 'inet6' : 'inet',
    state,
    local: { address: local[0], port: local[1] },
    remote: { address: remote[0], port: remote[1] },
    recvQ: 0,
    sendQ: 0,
    inode: 1000 + port++,
    ...extra,
  };
}

export function snap(sockets: Socket[], extra: Partial<Snapshot> = {}): Snapshot {
  return { source: { kind: 'proc', name: 'test' }, takenAt: Date.now(), sockets, warnings: [], ...extra };
}
