import type { Finding } from '../../model/finding.ts';
import { formatCount } from '../../render/format.ts';
import type { RuleContext } from '../context.ts';

/** SYN-1/SYN-2 from counters, ORP-2 and MEM-1: what the kernel's own counters and sockstat say. */
export function kernelRules(ctx: RuleContext): Finding[] {
  const t = ctx.t;
  const findings: Finding[] = [];
  const syncookies = ctx.sysctl('net.ipv4.tcp_syncookies');

  const cookies = ctx.delta('TcpExt.TCPReqQFullDoCookies');
  const drops = ctx.delta('TcpExt.TCPReqQFullDrop');
  if ((cookies ?? 0) > 0 || (drops ?? 0) > 0) {
    const dt = ctx.dtSec ?? 1;
    const sent = ctx.delta('TcpExt.SyncookiesSent') ?? 0;
    const recv = ctx.delta('TcpExt.SyncookiesRecv') ?? 0;
    const spoofed = sent > 0 && recv / sent < 0.1;
    const rate = ((cookies ?? 0) + (drops ?? 0)) / dt;
    findings.push({
      rule: 'syn-queue-overflow',
      severity: (drops ?? 0) > 0 || rate > t.synQueueCritPerSec ? 'critical' : 'warning',
      title: `A listener's SYN queue overflowed ${formatCount((cookies ?? 0) + (drops ?? 0))} times in ${Math.round(dt)}s: ${(drops ?? 0) > 0 ? `${formatCount(drops ?? 0)} SYNs dropped (SYN cookies are off)` : `answered with SYN cookies${spoofed ? `, and only ${formatCount(recv)} of ${formatCount(sent)} cookies came back: likely a spoofed SYN flood` : ''}`}`,
      titleZh: `监听套接字的 SYN 队列在 ${Math.round(dt)} 秒内溢出 ${formatCount((cookies ?? 0) + (drops ?? 0))} 次：${(drops ?? 0) > 0 ? `丢弃了 ${formatCount(drops ?? 0)} 个 SYN（SYN cookies 已关闭）` : `已用 SYN cookies 应答${spoofed ? `，但发出的 ${formatCount(sent)} 个 cookie 只回来 ${formatCount(recv)} 个：很可能是伪造源地址的 SYN 洪水` : ''}`}`,
      evidence: {
        metrics: {
          req_q_full_do_cookies: cookies ?? 0,
          req_q_full_drop: drops ?? 0,
          syncookies_sent: sent,
          syncookies_recv: recv,
          per_second: Number(rate.toFixed(2)),
          ...(syncookies !== undefined ? { tcp_syncookies: syncookies } : {}),
        },
      },
      explanation: {
        en: 'More handshakes arrived than a listener can hold half-open. With tcp_syncookies=1 the kernel answers with a cookie instead of keeping state (real clients still get in); with 0 it drops the SYN. Cookies sent but never returned are the mark of spoofed sources.',
        zh: '到达的握手请求超过了监听套接字能容纳的半连接数量。tcp_syncookies=1 时内核以 cookie 应答而不保存状态（真实客户端仍能连上）；为 0 时直接丢弃 SYN。发出去的 cookie 从未返回，是伪造源地址的特征。',
      },
      fix: {
        en: 'Keep SYN cookies on; filter floods upstream (SYN proxy, rate limits). If the load is legitimate, raise the listen backlog, somaxconn and tcp_max_syn_backlog instead of relying on cookies.',
        zh: '保持 SYN cookie 开启；在上游过滤洪水（SYN 代理、限速）。如果是正常负载，应提高 listen backlog、somaxconn 和 tcp_max_syn_backlog，而不是依赖 cookie。',
        sysctls: [
          {
            name: 'net.ipv4.tcp_syncookies',
            ...(syncookies !== undefined ? { current: syncookies } : {}),
            suggested: '1',
          },
        ],
      },
      references: [
        'kernel Documentation/networking/snmp_counter.rst (TCPReqQFullDoCookies, TCPReqQFullDrop)',
        'Linux ip-sysctl.rst tcp_syncookies, tcp_max_syn_backlog',
      ],
    });
  }

  const killed = ctx.delta('TcpExt.TCPAbortOnMemory');
  if (killed !== undefined && killed > 0) {
    findings.push({
      rule: 'orphans-killed',
      severity: 'critical',
      title: `The kernel reset ${formatCount(killed)} connections for lack of resources (too many orphans or TCP memory exhausted)`,
      titleZh: `内核因资源不足重置了 ${formatCount(killed)} 个连接（孤儿套接字过多或 TCP 内存耗尽）`,
      evidence: {
        metrics: {
          abort_on_memory: killed,
          ...(ctx.sockstat('TCP.orphan') !== undefined ? { orphans: ctx.sockstat('TCP.orphan')! } : {}),
          ...(ctx.sockstat('TCP.mem') !== undefined ? { tcp_mem_pages: ctx.sockstat('TCP.mem')! } : {}),
        },
      },
      explanation: {
        en: 'TcpExt.TCPAbortOnMemory rises when an orphaned socket is reset because orphans exceed tcp_max_orphans or TCP memory exceeds tcp_mem; the kernel also logs "too many orphaned sockets" or "out of memory -- consider tuning tcp_mem".',
        zh: '当孤儿套接字数量超过 tcp_max_orphans 或 TCP 内存超过 tcp_mem 时，孤儿套接字会被重置，TcpExt.TCPAbortOnMemory 随之增加；内核还会记录 "too many orphaned sockets" 或 "out of memory -- consider tuning tcp_mem"。',
      },
      fix: {
        en: 'Find why closes do not finish (FIN_WAIT_1 / LAST_ACK findings) and which sockets hold large queues; raise tcp_max_orphans or tcp_mem only with memory to spare.',
        zh: '找出关闭无法完成的原因（FIN_WAIT_1 / LAST_ACK 诊断）以及哪些套接字占用了大量队列；只有在内存充足时才提高 tcp_max_orphans 或 tcp_mem。',
      },
      references: ['kernel net/ipv4/tcp.c tcp_check_oom', 'Linux ip-sysctl.rst tcp_max_orphans, tcp_mem'],
    });
  }

  const mem = ctx.sockstat('TCP.mem');
  const tcpMem = ctx.sysctl('net.ipv4.tcp_mem')?.trim().split(/\s+/).map(Number).filter(Number.isFinite);
  if (mem !== undefined && tcpMem?.length === 3) {
    const [, pressure, max] = tcpMem as [number, number, number];
    if (mem > pressure) {
      findings.push({
        rule: 'tcp-memory-pressure',
        severity: mem > max * t.tcpMemCritShare ? 'critical' : 'warning',
        title: `TCP buffers use ${formatCount(mem)} pages, above the pressure mark ${formatCount(pressure)} (tcp_mem max ${formatCount(max)}): the kernel is shrinking buffers`,
        titleZh: `TCP 缓冲区占用 ${formatCount(mem)} 页，超过压力阈值 ${formatCount(pressure)}（tcp_mem 上限 ${formatCount(max)}）：内核正在收缩缓冲区`,
        evidence: { metrics: { tcp_mem_pages: mem, pressure_pages: pressure, max_pages: max } },
        explanation: {
          en: 'Above the second tcp_mem value the kernel enters memory pressure: it trims socket buffers, prunes receive queues and, near the third value, refuses memory and kills orphans.',
          zh: '超过 tcp_mem 的第二个值后，内核进入内存压力状态：缩减套接字缓冲区、裁剪接收队列；接近第三个值时拒绝分配内存并杀掉孤儿套接字。',
        },
        fix: {
          en: 'Find the sockets with large Recv-Q/Send-Q (see the queue findings) and why they are not drained; raise tcp_mem if the machine has the memory.',
          zh: '找出 Recv-Q/Send-Q 很大的套接字（参见队列相关诊断）以及它们没有被排空的原因；如果机器内存充足，可提高 tcp_mem。',
          sysctls: [
            {
              name: 'net.ipv4.tcp_mem',
              current: tcpMem.join(' '),
              suggested: tcpMem.map((v) => v * 2).join(' '),
            },
          ],
        },
        references: ['Linux ip-sysctl.rst tcp_mem', 'tcp(7) man page (tcp_mem)'],
      });
    }
  }
  return findings;
}
