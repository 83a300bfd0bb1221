import type { Snapshot, Socket } from '../model/snapshot.ts';
import { tableOf } from '../model/socket-table.ts';

/** A group of rules that could not run (or ran with less) because the source lacks some data. */
export interface NotChecked {
  rules: string[];
  /** What is missing and how to get it. */
  needs: string;
  /** The same in Chinese. */
  needsZh: string;
}

/** Rules that read kernel counters as rates: they need the counters, and a second look to difference them. */
const COUNTER_RATE_RULES: readonly string[] = [
  'listen-overflow',
  'syn-queue-overflow',
  'orphans-killed',
  'connection-churn',
  'resets-received',
  'resets-sent',
  'retransmissions',
  'connect-failures',
];

/**
 * What this snapshot (and the previous one, if any) cannot tell. A diagnosis that finds nothing is only as good as
 * what it could look at, so `check` and the JSON output say this next to the findings instead of staying silent.
 */
export function notChecked(snapshot: Snapshot, previous?: Snapshot): NotChecked[] {
  const out: NotChecked[] = [];
  const k = snapshot.kernel;
  if (!k?.counters) {
    out.push({
      // time-wait-overflow also reads TCPTimeWaitOverflow; with one look it still judges sockstat's TIME_WAIT count
      // against tcp_max_tw_buckets, so it is not in the second-look list below.
      rules: [...COUNTER_RATE_RULES, 'time-wait-overflow'],
      needs: `kernel counters (/proc/net/snmp, /proc/net/netstat): ${snapshot.source.kind === 'text' ? 'a pasted socket table has none' : 'not read (--no-kernel?)'}`,
      needsZh: `内核计数器（/proc/net/snmp、/proc/net/netstat）：${snapshot.source.kind === 'text' ? '粘贴的套接字表不包含它们' : '没有读取（--no-kernel？）'}`,
    });
  } else if (!previous?.kernel?.counters) {
    out.push({
      rules: [...COUNTER_RATE_RULES],
      needs: 'a second look for counter rates (--interval 5s)',
      needsZh: '再看一次，才能算出计数器的速率（--interval 5s）',
    });
  }
  if (!previous) {
    out.push({
      rules: ['close-wait-leak', 'recv-queue-buildup', 'send-queue-buildup', 'half-closed-held'],
      needs: 'a second look to tell stuck sockets from momentary ones and to bound their age (--interval 5s)',
      needsZh: '再看一次，才能区分卡住的和暂时的套接字，并给出存在时长的下限（--interval 5s）',
    });
  }
  if (!k?.sockstat || k.sysctls?.['net.ipv4.tcp_max_orphans'] === undefined) {
    out.push({
      rules: ['orphans-near-limit', 'tcp-memory-pressure'],
      needs: 'sockstat and tcp_max_orphans / tcp_mem',
      needsZh: 'sockstat 以及 tcp_max_orphans / tcp_mem',
    });
  }
  if (k?.sysctls?.['net.ipv4.ip_local_port_range'] === undefined) {
    out.push({
      rules: ['time-wait-port-pressure'],
      needs: `net.ipv4.ip_local_port_range (the ${snapshot.source.os ?? 'linux'} default range is assumed)`,
      needsZh: `net.ipv4.ip_local_port_range（假定为 ${snapshot.source.os ?? 'linux'} 的默认范围）`,
    });
  }
  // Read from the table: only the listeners are built (for their backlogs).
  const table = tableOf(snapshot);
  if (table.length > 0 && !table.hasProcesses()) {
    out.push({
      rules: ['close-wait-leak', 'recv-queue-buildup', 'half-closed-held'],
      needs: `process owners (${snapshot.source.kind === 'proc' || snapshot.source.kind === 'netlink' ? 'run with -p, as root to see every process' : 'the source printed no PID/program column'}); findings name ports instead`,
      needsZh: `进程归属（${snapshot.source.kind === 'proc' || snapshot.source.kind === 'netlink' ? '加 -p 运行，以 root 身份才能看到所有进程' : '来源没有 PID/程序列'}）；诊断改用端口命名`,
    });
  }
  const listeners: Socket[] = [];
  for (let i = 0; i < table.length; i++) if (table.state(i) === 'LISTEN') listeners.push(table.socket(i));
  if (listeners.length > 0 && listeners.every((l) => l.backlog === undefined)) {
    out.push({
      rules: ['accept-queue-full'],
      needs: 'listener backlogs (ss prints them as Send-Q of LISTEN; /proc/net/tcp and netstat do not)',
      needsZh: '监听队列容量（ss 把它显示为 LISTEN 行的 Send-Q；/proc/net/tcp 和 netstat 不显示）',
    });
  }
  return out;
}
