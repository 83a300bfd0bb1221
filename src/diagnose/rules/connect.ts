import { processLabel } from '../../analysis/groups.ts';
import { maxOf } from '../../internal/extent.ts';
import type { Finding } from '../../model/finding.ts';
import { formatCount, formatPercent } from '../../render/format.ts';
import { describeAge, oldestAge } from '../age.ts';
import { describeSocket, destinationKey, groupSockets, type RuleContext, topBy } from '../context.ts';

/** SS-1 and SS-2: outbound connects that are not answered, and connection attempts that fail. */
export function connectRules(ctx: RuleContext): Finding[] {
  const t = ctx.t;
  const findings: Finding[] = [];
  const synSent = ctx.inState('SYN_SENT');
  const synRetries = ctx.sysctl('net.ipv4.tcp_syn_retries');
  for (const [dest, sockets] of groupSockets(synSent, destinationKey)) {
    const n = sockets.length;
    const maxRetr = maxOf(sockets.map((s) => s.retransmits ?? s.timer?.retransmits ?? 0));
    const critical = n >= t.synSentCrit || maxRetr >= t.synSentCritRetrans;
    const warning = n >= t.synSentWarn && maxRetr >= t.synSentWarnRetrans;
    if (!critical && !warning) continue;
    const { oldest } = oldestAge(sockets, ctx.ageOptions);
    findings.push({
      rule: 'syn-sent-pileup',
      severity: critical ? 'critical' : 'warning',
      title: `${formatCount(n)} outbound connections to ${dest} stuck in SYN_SENT (SYN sent up to ${maxRetr + 1} times${oldest ? `, oldest ${describeAge(oldest)}` : ''}): the destination is down, filtered, or not answering`,
      titleZh: `${formatCount(n)} 个到 ${dest} 的出站连接卡在 SYN_SENT（SYN 最多已发送 ${maxRetr + 1} 次${oldest ? `，最早的已 ${describeAge(oldest)}` : ''}）：目标已宕机、被过滤或没有应答`,
      evidence: {
        metrics: {
          syn_sent: n,
          max_retransmits: maxRetr,
          ...(oldest ? { oldest_min_s: oldest.seconds } : {}),
          ...(synRetries !== undefined ? { tcp_syn_retries: synRetries } : {}),
        },
        top: topBy(sockets, 'process', (s) => (s.processes ? processLabel(s) : undefined)),
        examples: sockets.slice(0, 3).map(describeSocket),
      },
      explanation: {
        en: "These connects sent a SYN and got nothing back, neither SYN-ACK nor RST: a closed port would answer with RST at once, so silence means the host is down, a firewall drops the SYNs, or the server's SYN queue is full. The kernel keeps retrying with growing intervals until tcp_syn_retries is used up (about 2 minutes on Linux).",
        zh: '这些连接发出了 SYN 却没有任何回应，既没有 SYN-ACK 也没有 RST：未开放的端口会立即回 RST，所以沉默意味着主机宕机、防火墙丢弃了 SYN，或服务器的 SYN 队列已满。内核会以递增的间隔重试，直到用完 tcp_syn_retries（在 Linux 上约 2 分钟）。',
      },
      fix: {
        en: 'Check that the destination service is up and reachable (routes, firewalls, security groups, conntrack/NAT). Give the application a connect timeout and a circuit breaker; lower tcp_syn_retries to fail faster.',
        zh: '检查目标服务是否正常且可达（路由、防火墙、安全组、conntrack/NAT）。为应用程序设置连接超时和熔断；调低 tcp_syn_retries 可以更快失败。',
        sysctls: [
          {
            name: 'net.ipv4.tcp_syn_retries',
            ...(synRetries !== undefined ? { current: synRetries } : {}),
            suggested: '3',
          },
        ],
      },
      references: ['Linux ip-sysctl.rst tcp_syn_retries', 'connect(2) man page (ETIMEDOUT)'],
    });
  }

  const fails = ctx.rate('Tcp.AttemptFails');
  const opens = ctx.rate('Tcp.ActiveOpens');
  if (
    fails !== undefined &&
    opens !== undefined &&
    opens > 0 &&
    fails >= 1 &&
    fails / opens >= t.connectFailWarn
  ) {
    findings.push({
      rule: 'connect-failures',
      severity: 'warning',
      title: `${formatPercent(fails, opens)} of connection attempts fail (${fails.toFixed(1)}/s of ${opens.toFixed(1)}/s)`,
      titleZh: `${formatPercent(fails, opens)} 的连接尝试失败（每秒 ${opens.toFixed(1)} 次中有 ${fails.toFixed(1)} 次）`,
      evidence: {
        metrics: {
          attempt_fails_per_s: Number(fails.toFixed(2)),
          active_opens_per_s: Number(opens.toFixed(2)),
        },
      },
      explanation: {
        en: 'Tcp.AttemptFails counts connects that ended in CLOSED from SYN_SENT or SYN_RECV: refused (RST), timed out, or reset during the handshake.',
        zh: 'Tcp.AttemptFails 统计从 SYN_SENT 或 SYN_RECV 直接进入 CLOSED 的连接：被拒绝（RST）、超时，或在握手期间被重置。',
      },
      fix: {
        en: "Fast failures mean nothing listens on the destination port (ECONNREFUSED); slow ones mean drops. Check the destinations of the SYN_SENT sockets and the applications' logs.",
        zh: '快速失败说明目标端口没有服务在监听（ECONNREFUSED）；缓慢失败说明报文被丢弃。检查 SYN_SENT 套接字的目的地址和应用程序日志。',
      },
      references: ['RFC 1213 tcpAttemptFails', 'connect(2) man page (ECONNREFUSED, ETIMEDOUT)'],
    });
  }
  return findings;
}
