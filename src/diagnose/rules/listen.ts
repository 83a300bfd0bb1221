import { formatEndpoint } from '../../analysis/address.ts';
import { processLabel } from '../../analysis/groups.ts';
import type { Finding } from '../../model/finding.ts';
import { formatCount } from '../../render/format.ts';
import { describeSocket, type RuleContext, topBy } from '../context.ts';

/** LQ-1, LQ-2, SYN-1, SYN-2: accept-queue overflow versus half-open (SYN_RECV) floods. */
export function listenRules(ctx: RuleContext): Finding[] {
  const t = ctx.t;
  const findings: Finding[] = [];
  const listeners = ctx.inState('LISTEN');
  const somaxconn = ctx.sysctl('net.core.somaxconn');

  for (const l of listeners) {
    const backlog = l.backlog;
    const queue = l.recvQ ?? 0;
    if (backlog === undefined || backlog === 0) continue;
    if (queue / backlog < t.acceptQueueWarn) continue;
    const name = formatEndpoint(l.local.address, l.local.port);
    findings.push({
      rule: 'accept-queue-full',
      severity: queue >= backlog ? 'critical' : 'warning',
      title: `Listener ${name}${l.processes?.length ? ` (${processLabel(l)})` : ''} has ${formatCount(queue)} connections waiting in an accept queue of ${formatCount(backlog)}: the application is not calling accept() fast enough`,
      titleZh: `监听 ${name}${l.processes?.length ? `（${processLabel(l)}）` : ''} 的全连接队列（容量 ${formatCount(backlog)}）中有 ${formatCount(queue)} 个连接在等待：应用程序调用 accept() 不够快`,
      evidence: {
        metrics: { accept_queue: queue, backlog, ...(somaxconn ? { somaxconn } : {}) },
        examples: [describeSocket(l)],
      },
      explanation: {
        en: "Completed handshakes wait in the accept queue until the application accepts them. When it is full, Linux drops the client's final ACK (or the SYN), so clients see retransmissions and slow or failed connects while the server looks idle.",
        zh: '完成握手的连接在全连接队列中等待应用程序 accept()。队列满时，Linux 会丢弃客户端最后的 ACK（或 SYN），客户端会看到重传以及缓慢或失败的连接，而服务器看起来却很空闲。',
      },
      fix: {
        en: `Accept faster (more workers or threads, a non-blocking accept loop, SO_REUSEPORT); raise the listen() backlog and net.core.somaxconn together (the effective backlog is the smaller of the two).${somaxconn !== undefined && backlog < Number(somaxconn) ? ` Here the application's own listen() backlog (${backlog}) is the limit, not somaxconn (${somaxconn}).` : ''}`,
        zh: '加快 accept（增加工作进程或线程、使用非阻塞的 accept 循环、SO_REUSEPORT）；同时提高 listen() 的 backlog 和 net.core.somaxconn（实际生效的是两者中较小的那个）。',
        ...somaxconnAdvice(somaxconn, backlog),
      },
      references: [
        'kernel net/ipv4/tcp_diag.c (Recv-Q/Send-Q of listeners)',
        'listen(2) man page (backlog, somaxconn)',
      ],
    });
  }

  const overflows = ctx.delta('TcpExt.ListenOverflows');
  const overflowRate = ctx.rate('TcpExt.ListenOverflows');
  if (overflows !== undefined && overflows > 0) {
    const full = listeners.filter((l) => l.backlog && (l.recvQ ?? 0) >= l.backlog * t.acceptQueueWarn);
    findings.push({
      rule: 'listen-overflow',
      severity: (overflowRate ?? 0) > t.listenOverflowCritPerSec ? 'critical' : 'warning',
      title: `The accept queue overflowed ${formatCount(overflows)} times in ${Math.round(ctx.dtSec ?? 0)}s (${(overflowRate ?? 0).toFixed(1)}/s): the kernel dropped handshakes because a listener did not accept() fast enough`,
      titleZh: `全连接队列在 ${Math.round(ctx.dtSec ?? 0)} 秒内溢出 ${formatCount(overflows)} 次（每秒 ${(overflowRate ?? 0).toFixed(1)} 次）：监听套接字 accept() 不够快，内核丢弃了握手`,
      evidence: {
        metrics: {
          listen_overflows: overflows,
          listen_drops: ctx.delta('TcpExt.ListenDrops') ?? 0,
          per_second: Number((overflowRate ?? 0).toFixed(2)),
          ...(somaxconn ? { somaxconn } : {}),
        },
        top: full.map((l) => ({
          kind: 'listener' as const,
          key: formatEndpoint(l.local.address, l.local.port),
          count: l.recvQ ?? 0,
        })),
      },
      explanation: {
        en: "TcpExt.ListenOverflows counts handshakes dropped because a listener's accept queue was full. Clients retry after a timeout (1 s, then longer), which shows up as latency spikes.",
        zh: 'TcpExt.ListenOverflows 统计因监听套接字的全连接队列已满而被丢弃的握手。客户端会在超时（1 秒，然后更长）后重试，表现为延迟突增。',
      },
      fix: {
        en: 'Find the listener whose Recv-Q reaches its Send-Q (backlog) and make its application accept faster; raise the backlog and net.core.somaxconn together.',
        zh: '找出 Recv-Q 达到 Send-Q（backlog）的监听套接字，让其应用程序更快地 accept；同时提高 backlog 和 net.core.somaxconn。',
        ...somaxconnAdvice(somaxconn, Math.max(0, ...full.map((l) => l.backlog ?? 0)) || undefined),
      },
      references: [
        'kernel Documentation/networking/snmp_counter.rst',
        'listen(2) man page (backlog, somaxconn)',
      ],
    });
  } else if (!ctx.previous && (ctx.counter('TcpExt.ListenOverflows') ?? 0) > 0) {
    findings.push({
      rule: 'listen-overflow',
      severity: 'info',
      title: `The accept queue has overflowed ${formatCount(ctx.counter('TcpExt.ListenOverflows') ?? 0)} times since boot; one look cannot tell whether it is happening now`,
      titleZh: `自开机以来全连接队列已溢出 ${formatCount(ctx.counter('TcpExt.ListenOverflows') ?? 0)} 次；仅看一次无法判断现在是否仍在发生`,
      evidence: { metrics: { listen_overflows_since_boot: ctx.counter('TcpExt.ListenOverflows') ?? 0 } },
      explanation: {
        en: 'A counter since boot says nothing about now.',
        zh: '自启动以来的计数无法说明当前的情况。',
      },
      fix: { en: 'Run with --interval 5s to measure the rate.', zh: '使用 --interval 5s 运行以测量速率。' },
      missing: ['a second snapshot (--interval) to turn the counter into a rate'],
    });
  }

  // Half-open connections per listener port.
  const syncookies = ctx.sysctl('net.ipv4.tcp_syncookies');
  const maxSynBacklog = ctx.sysctlNumber('net.ipv4.tcp_max_syn_backlog');
  for (const l of listeners) {
    const port = l.local.port;
    const half = ctx.inState('SYN_RECEIVED').filter((s) => s.local.port === port);
    if (half.length === 0) continue;
    const cap = l.backlog;
    const limit = Math.min(
      t.synRecvWarn,
      cap ? Math.max(1, Math.ceil(cap * t.synRecvBacklogShare)) : t.synRecvWarn,
    );
    if (half.length < limit) continue;
    const sources = new Set(half.map((s) => s.remote.address));
    const cookies = ctx.rate('TcpExt.SyncookiesSent');
    const acceptFull = cap !== undefined && (l.recvQ ?? 0) >= cap * t.acceptQueueWarn;
    const name = formatEndpoint(l.local.address, port);
    findings.push({
      rule: 'syn-recv-pileup',
      severity: syncookies === '0' || (cookies ?? 0) > 5 ? 'critical' : 'warning',
      title: `${formatCount(half.length)} half-open connections (SYN_RECV) on ${name} from ${formatCount(sources.size)} source${sources.size === 1 ? '' : 's'}: ${acceptFull ? 'the accept queue is full too, so final ACKs are being dropped' : sources.size >= 100 ? 'looks like a SYN flood' : 'handshakes are not completing (final ACKs lost or never sent)'}`,
      titleZh: `${name} 上有 ${formatCount(half.length)} 个半开连接（SYN_RECV），来自 ${formatCount(sources.size)} 个源地址：${acceptFull ? '全连接队列也已满，最后的 ACK 正在被丢弃' : sources.size >= 100 ? '看起来像 SYN 洪水' : '握手没有完成（最后的 ACK 丢失或从未发送）'}`,
      evidence: {
        metrics: {
          syn_recv: half.length,
          distinct_sources: sources.size,
          ...(cap !== undefined ? { backlog: cap } : {}),
          accept_queue: l.recvQ ?? 0,
          ...(syncookies !== undefined ? { tcp_syncookies: syncookies } : {}),
          ...(maxSynBacklog !== undefined ? { tcp_max_syn_backlog: maxSynBacklog } : {}),
          ...(cookies !== undefined ? { syncookies_sent_per_s: Number(cookies.toFixed(1)) } : {}),
        },
        top: topBy(half, 'peer', (s) => s.remote.address),
        examples: half.slice(0, 3).map(describeSocket),
      },
      explanation: {
        en: "The server answered these SYNs with SYN-ACK but the clients' final ACKs have not arrived. Spoofed SYN floods look like this (many sources, never answered); so do clients behind a path that loses packets, or a firewall dropping the returning ACKs. If the accept queue is also full, the kernel itself is dropping the ACKs (accept-queue overflow).",
        zh: '服务器已对这些 SYN 回复了 SYN-ACK，但客户端最后的 ACK 尚未到达。伪造源地址的 SYN 洪水就是这样（来源众多且从不应答）；丢包严重的路径或丢弃回程 ACK 的防火墙也会如此。如果全连接队列也已满，则是内核自己在丢弃这些 ACK（全连接队列溢出）。',
      },
      fix: {
        en: 'Keep tcp_syncookies=1 so a full SYN queue does not refuse real clients; filter floods upstream (SYN proxy, rate limits); if the clients are real, check the path and raise tcp_max_syn_backlog and the listen backlog.',
        zh: '保持 tcp_syncookies=1，使 SYN 队列满时不会拒绝真实客户端；在上游过滤洪水（SYN 代理、限速）；如果是真实客户端，检查网络路径并提高 tcp_max_syn_backlog 和 listen 的 backlog。',
        sysctls: [
          {
            name: 'net.ipv4.tcp_syncookies',
            ...(syncookies !== undefined ? { current: syncookies } : {}),
            suggested: '1',
          },
          {
            name: 'net.ipv4.tcp_max_syn_backlog',
            ...(maxSynBacklog !== undefined ? { current: String(maxSynBacklog) } : {}),
            suggested: String(Math.max(4096, (maxSynBacklog ?? 0) * 2)),
          },
        ],
      },
      references: [
        'Linux ip-sysctl.rst tcp_syncookies, tcp_max_syn_backlog',
        'Linux ip-sysctl.rst tcp_syncookies, tcp_max_syn_backlog',
      ],
      ...(ctx.hasKernel
        ? {}
        : { missing: ['kernel counters (SYN cookies, ListenOverflows) to tell a flood from an overflow'] }),
    });
  }
  return findings;
}

/**
 * The accept queue limit is min(listen() backlog, somaxconn). Suggest the sysctl only when it is the binding cap;
 * when the application asked for less, the application's backlog is what to raise.
 */
function somaxconnAdvice(
  somaxconn: string | undefined,
  backlog: number | undefined,
): { sysctls?: Array<{ name: string; current?: string; suggested: string }> } {
  const current = somaxconn === undefined ? undefined : Number(somaxconn);
  if (current !== undefined && backlog !== undefined && backlog < current) return {};
  const suggested = String(Math.max(4096, (current ?? 0) * 2));
  return {
    sysctls: [{ name: 'net.core.somaxconn', ...(somaxconn ? { current: somaxconn } : {}), suggested }],
  };
}
