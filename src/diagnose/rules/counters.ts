import type { Finding } from '../../model/finding.ts';
import { formatPercent } from '../../render/format.ts';
import type { RuleContext } from '../context.ts';

/** CH-1, RST-1/2, RTX-1: what only counter deltas between two snapshots show. */
export function counterRules(ctx: RuleContext): Finding[] {
  const t = ctx.t;
  const findings: Finding[] = [];
  if (!ctx.previous) return findings;

  const active = ctx.rate('Tcp.ActiveOpens');
  const passive = ctx.rate('Tcp.PassiveOpens');
  const estab = ctx.counter('Tcp.CurrEstab');
  if (active !== undefined && passive !== undefined && estab !== undefined) {
    const lambda = active + passive;
    const lifetime = lambda > 0 ? estab / lambda : Number.POSITIVE_INFINITY;
    if (lambda >= t.churnPerSec && lifetime < t.churnLifetimeSec) {
      findings.push({
        rule: 'connection-churn',
        severity: 'info',
        title: `${lambda.toFixed(0)} new TCP connections per second (${active.toFixed(0)} out, ${passive.toFixed(0)} in) living about ${lifetime.toFixed(2)}s each: connections are not being reused`,
        titleZh: `每秒新建 ${lambda.toFixed(0)} 个 TCP 连接（出站 ${active.toFixed(0)}，入站 ${passive.toFixed(0)}），每个只存活约 ${lifetime.toFixed(2)} 秒：连接没有被复用`,
        evidence: {
          metrics: {
            opens_per_s: Number(lambda.toFixed(1)),
            active_per_s: Number(active.toFixed(1)),
            passive_per_s: Number(passive.toFixed(1)),
            curr_estab: estab,
            mean_lifetime_s: Number(lifetime.toFixed(3)),
          },
        },
        explanation: {
          en: "By Little's law the average connection lives CurrEstab / open-rate seconds. Short-lived connections cost a handshake each, and the closing side collects TIME_WAIT.",
          zh: '根据利特尔法则，平均连接寿命为 CurrEstab / 新建速率 秒。短连接每次都要付出一次握手的代价，先关闭的一方还会积累 TIME_WAIT。',
        },
        fix: {
          en: "Use HTTP keep-alive and connection pools; make server keep-alive longer than the load balancer's idle timeout.",
          zh: '使用 HTTP keep-alive 和连接池；让服务器的 keep-alive 长于负载均衡器的空闲超时。',
        },
        references: [
          'RFC 9293 §3.6 (TIME-WAIT after every active close)',
          'RFC 9112 §9.3 (HTTP persistent connections)',
        ],
      });
    }
  }

  const resets = (ctx.rate('Tcp.EstabResets') ?? 0) + (ctx.rate('Tcp.AttemptFails') ?? 0);
  const outRsts = ctx.rate('Tcp.OutRsts');
  if (resets >= t.resetsPerSecWarn) {
    findings.push({
      rule: 'resets-received',
      severity: 'warning',
      title: `Connections are being reset at ${resets.toFixed(1)}/s (established resets plus failed attempts)`,
      titleZh: `连接正以每秒 ${resets.toFixed(1)} 次的速度被重置（已建立连接的重置加上失败的连接尝试）`,
      evidence: {
        metrics: {
          resets_per_s: Number(resets.toFixed(2)),
          estab_resets_per_s: Number((ctx.rate('Tcp.EstabResets') ?? 0).toFixed(2)),
        },
      },
      explanation: {
        en: 'Peers or middleboxes are resetting connections: a dependency crashed or restarted, or a load balancer or firewall cuts idle flows.',
        zh: '对端或中间设备正在重置连接：某个依赖服务崩溃或重启，或者负载均衡器、防火墙切断了空闲的流。',
      },
      fix: {
        en: 'Check upstream services and idle timeouts along the path.',
        zh: '检查上游服务以及路径上的空闲超时设置。',
      },
      references: [
        'RFC 1213 tcpEstabResets, tcpAttemptFails',
        'kernel Documentation/networking/snmp_counter.rst',
      ],
    });
  }
  if (outRsts !== undefined && outRsts >= t.resetsPerSecWarn * 10) {
    findings.push({
      rule: 'resets-sent',
      severity: 'warning',
      title: `This host sends ${outRsts.toFixed(0)} resets per second`,
      titleZh: `本机每秒发送 ${outRsts.toFixed(0)} 个 RST`,
      evidence: { metrics: { out_rsts_per_s: Number(outRsts.toFixed(1)) } },
      explanation: {
        en: 'Resets go out for segments to closed ports (scans, clients of a crashed service) and for abortive closes (close() with unread data, SO_LINGER 0).',
        zh: '本机会对发往未开放端口的报文（端口扫描、已崩溃服务的客户端）以及异常关闭（带有未读数据的 close()、SO_LINGER 0）发送 RST。',
      },
      fix: {
        en: 'Check for crashed or restarting services and for port scans; check TcpExt.TCPAbortOnClose.',
        zh: '检查是否有崩溃或正在重启的服务以及端口扫描；查看 TcpExt.TCPAbortOnClose。',
      },
      references: [
        'kernel Documentation/networking/snmp_counter.rst (TcpOutRsts, TCPAbortOnClose)',
        'RFC 9293 §3.5.2 (reset generation)',
      ],
    });
  }

  const retrans = ctx.delta('Tcp.RetransSegs');
  const out = ctx.delta('Tcp.OutSegs');
  if (retrans !== undefined && out !== undefined && out >= t.retransMinSegments) {
    const ratio = retrans / out;
    if (ratio >= t.retransWarn) {
      findings.push({
        rule: 'retransmissions',
        severity: ratio >= t.retransCrit ? 'critical' : 'warning',
        title: `${formatPercent(retrans, out)} of segments were retransmitted (${retrans} of ${out}): packet loss or congestion on the path`,
        titleZh: `${formatPercent(retrans, out)} 的报文段被重传（${out} 个中的 ${retrans} 个）：路径上存在丢包或拥塞`,
        evidence: { metrics: { retransmitted: retrans, sent: out, ratio: Number(ratio.toFixed(4)) } },
        explanation: {
          en: 'Tcp.RetransSegs / Tcp.OutSegs between the two looks. Above 1-2 % throughput and latency suffer.',
          zh: '两次查看之间的 Tcp.RetransSegs / Tcp.OutSegs。超过 1-2% 时吞吐量和延迟会受到影响。',
        },
        fix: {
          en: 'Check the network path, NIC errors and congestion.',
          zh: '检查网络路径、网卡错误和拥塞情况。',
        },
        references: ['kernel Documentation/networking/snmp_counter.rst', 'RFC 6298 (retransmission timer)'],
      });
    }
  }
  return findings;
}
