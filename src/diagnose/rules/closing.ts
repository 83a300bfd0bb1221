import { maxOf } from '../../internal/extent.ts';
import type { Finding } from '../../model/finding.ts';
import type { Socket } from '../../model/snapshot.ts';
import { formatCount, formatPercent } from '../../render/format.ts';
import { oldestAge } from '../age.ts';
import {
  describeSocket,
  groupSockets,
  ownerLabel,
  ownerZh,
  peerKey,
  type RuleContext,
  topBy,
} from '../context.ts';

const isOrphan = (s: Socket) => s.inode === 0;

/** FW1-1, FW2-1, FW2-2, LA-1, CL-1, ORP-1: the closing states that pile up, and orphans against their limit. */
export function closingRules(ctx: RuleContext): Finding[] {
  const t = ctx.t;
  const findings: Finding[] = [];
  const orphanRetries = ctx.sysctl('net.ipv4.tcp_orphan_retries');
  const finTimeout = ctx.sysctl('net.ipv4.tcp_fin_timeout');

  for (const [peer, sockets] of groupSockets(ctx.inState('FIN_WAIT_1'), peerKey)) {
    if (sockets.length < t.finWait1Warn) continue;
    const zeroWindow = sockets.filter((s) => s.timer?.kind === 'persist').length;
    const retransmitting = sockets.filter((s) => s.timer?.kind === 'on' && (s.retransmits ?? 0) > 0).length;
    const cause =
      zeroWindow >= retransmitting
        ? 'advertising a zero window (it stopped reading)'
        : 'not acknowledging our FIN (gone or unreachable)';
    const causeZh =
      zeroWindow >= retransmitting ? '通告零窗口（已停止读取）' : '不确认我方的 FIN（已离线或不可达）';
    findings.push({
      rule: 'fin-wait-1-pileup',
      severity: sockets.length >= t.finWait1Crit ? 'critical' : 'warning',
      title: `${formatCount(sockets.length)} connections to ${peer} stuck in FIN_WAIT_1: the peer is ${cause}`,
      titleZh: `${formatCount(sockets.length)} 个到 ${peer} 的连接卡在 FIN_WAIT_1：对端${causeZh}`,
      evidence: {
        metrics: {
          fin_wait_1: sockets.length,
          zero_window: zeroWindow,
          retransmitting,
          orphans: sockets.filter(isOrphan).length,
          send_q_bytes: sockets.reduce((a, s) => a + (s.sendQ ?? 0), 0),
          ...(orphanRetries !== undefined ? { tcp_orphan_retries: orphanRetries } : {}),
        },
        examples: sockets.slice(0, 3).map(describeSocket),
      },
      explanation: {
        en: 'We closed these connections and our FIN waits behind unacknowledged data. With a zero window the peer keeps the connection alive by answering window probes while reading nothing; without answers our FIN is retransmitted until the retries run out. Closed (orphaned) sockets are bounded by tcp_orphan_retries.',
        zh: '我方已关闭这些连接，FIN 排在未被确认的数据之后。对端通告零窗口时，它会应答窗口探测从而让连接保持存活，但什么也不读；如果没有应答，我方 FIN 会被重传直到重试次数用尽。已关闭（孤儿）套接字受 tcp_orphan_retries 限制。',
      },
      fix: {
        en: 'Look at the peer (why it stops reading or answering) and any middlebox in between. On busy servers lower tcp_orphan_retries so orphans die sooner; set TCP_USER_TIMEOUT or write timeouts in the application.',
        zh: '检查对端（为什么停止读取或应答）以及中间设备。在繁忙的服务器上调低 tcp_orphan_retries 让孤儿套接字更早释放；在应用程序中设置 TCP_USER_TIMEOUT 或写超时。',
        sysctls: [
          {
            name: 'net.ipv4.tcp_orphan_retries',
            ...(orphanRetries !== undefined ? { current: orphanRetries } : {}),
            suggested: '2',
          },
        ],
      },
      references: ['Linux ip-sysctl.rst tcp_orphan_retries', 'tcp(7) man page (tcp_orphan_retries)'],
    });
  }

  const fw2 = ctx.inState('FIN_WAIT_2');
  const fw2Orphans = fw2.filter(isOrphan);
  for (const [peer, sockets] of groupSockets(fw2Orphans, peerKey)) {
    if (sockets.length < t.finWait2Warn || sockets.length < fw2Orphans.length * 0.5) continue;
    const { oldest } = oldestAge(sockets, ctx.ageOptions);
    findings.push({
      rule: 'fin-wait-2-pileup',
      severity: 'warning',
      title: `${formatCount(sockets.length)} closed connections to ${peer} wait in FIN_WAIT_2 for the peer's FIN: the remote application is not closing its side`,
      titleZh: `${formatCount(sockets.length)} 个到 ${peer} 的已关闭连接在 FIN_WAIT_2 等待对端的 FIN：远端应用程序没有关闭它那一侧`,
      evidence: {
        metrics: {
          fin_wait_2: sockets.length,
          ...(oldest ? { oldest_s: Math.round(oldest.seconds) } : {}),
          ...(finTimeout !== undefined ? { tcp_fin_timeout: finTimeout } : {}),
        },
        examples: sockets.slice(0, 3).map(describeSocket),
      },
      explanation: {
        en: 'Our side closed and the peer acknowledged, but the peer never sent its own FIN: its sockets are sitting in CLOSE_WAIT. Linux frees these orphans after tcp_fin_timeout.',
        zh: '我方已关闭且对端已确认，但对端始终没有发出自己的 FIN：它的套接字停留在 CLOSE_WAIT。Linux 会在 tcp_fin_timeout 之后释放这些孤儿套接字。',
      },
      fix: {
        en: 'Fix the peer application (it leaks CLOSE_WAIT). tcp_fin_timeout bounds how long the orphans stay here.',
        zh: '修复对端应用程序（它泄漏了 CLOSE_WAIT）。tcp_fin_timeout 限制了孤儿套接字在此停留的时间。',
        sysctls: [
          {
            name: 'net.ipv4.tcp_fin_timeout',
            ...(finTimeout !== undefined ? { current: finTimeout } : {}),
            suggested: '30',
          },
        ],
      },
      references: ['Linux ip-sysctl.rst tcp_fin_timeout', 'tcp(7) man page (tcp_fin_timeout, TCP_LINGER2)'],
    });
  }
  const held = fw2.filter((s) => (s.inode ?? 0) > 0);
  for (const [owner, sockets] of groupSockets(held, (s) =>
    s.processes?.length ? ownerLabel(s) : `port ${s.local.port}`,
  )) {
    const persisting = ctx.previous ? sockets.filter((s) => ctx.persisted(s)) : sockets;
    if (persisting.length < t.halfClosedWarn) continue;
    findings.push({
      rule: 'half-closed-held',
      severity: 'warning',
      title: `${owner} keeps ${formatCount(persisting.length)} half-closed connections (shut down for writing) open in FIN_WAIT_2; the peers never send their FIN`,
      titleZh: `${ownerZh(owner)} 保持着 ${formatCount(persisting.length)} 个半关闭连接（已关闭写方向）处于 FIN_WAIT_2；对端始终不发送 FIN`,
      evidence: {
        metrics: { fin_wait_2_held: persisting.length },
        top: topBy(sockets, 'peer', peerKey),
        examples: sockets.slice(0, 3).map(describeSocket),
      },
      explanation: {
        en: "A socket that called shutdown(SHUT_WR) but not close() is still owned by the process, so no FIN-WAIT-2 timer applies: it waits for the peer's FIN for ever.",
        zh: '调用了 shutdown(SHUT_WR) 但没有 close() 的套接字仍属于该进程，因此没有 FIN-WAIT-2 定时器起作用：它会永远等待对端的 FIN。',
      },
      fix: {
        en: 'Add a read timeout for half-closed connections in the application, then close them.',
        zh: '在应用程序中为半关闭的连接设置读超时，然后关闭它们。',
      },
      references: ['Linux ip-sysctl.rst tcp_fin_timeout', 'RFC 9293 §3.6.1 (half-closed connections)'],
      ...(ctx.previous ? {} : { missing: ['socket ages (run with --interval)'] }),
    });
  }

  for (const [peer, sockets] of groupSockets(ctx.inState('LAST_ACK'), peerKey)) {
    const maxRetr = maxOf(sockets.map((s) => s.retransmits ?? 0));
    if (sockets.length < t.lastAckWarn && maxRetr < t.lastAckRetransWarn) continue;
    findings.push({
      rule: 'last-ack-pileup',
      severity: sockets.length >= t.lastAckCrit ? 'critical' : 'warning',
      title: `${formatCount(sockets.length)} connection${sockets.length === 1 ? '' : 's'} to ${peer} wait in LAST_ACK for the final ACK (FIN sent up to ${maxRetr + 1} times): the peer vanished after its FIN, or the ACKs are dropped`,
      titleZh: `${formatCount(sockets.length)} 个到 ${peer} 的连接在 LAST_ACK 等待最后的 ACK（FIN 最多已发送 ${maxRetr + 1} 次）：对端在发出 FIN 后消失了，或者 ACK 被丢弃`,
      evidence: {
        metrics: { last_ack: sockets.length, max_retransmits: maxRetr },
        examples: sockets.slice(0, 3).map(describeSocket),
      },
      explanation: {
        en: 'The peer closed first, then we closed and sent our FIN; its acknowledgement never came. The FIN is retransmitted until the retries run out.',
        zh: '对端先关闭，随后我方关闭并发出 FIN；对端的确认始终没有到达。FIN 会被重传直到重试次数用尽。',
      },
      fix: {
        en: "Check the peer, load balancers and firewalls for idle or conntrack timeouts that drop the flow after the peer's FIN; tcp_orphan_retries bounds the retries.",
        zh: '检查对端、负载均衡器和防火墙，看是否有空闲超时或 conntrack 超时在对端 FIN 之后丢弃了该流；tcp_orphan_retries 限制重试次数。',
      },
      references: ['RFC 9293 §3.6', 'Linux ip-sysctl.rst tcp_orphan_retries'],
    });
  }

  const closing = ctx.inState('CLOSING');
  if (closing.length >= t.closingWarn) {
    findings.push({
      rule: 'closing-pileup',
      severity: 'warning',
      title: `${formatCount(closing.length)} connections stuck in CLOSING (simultaneous close): the ACKs of our FINs are being lost`,
      titleZh: `${formatCount(closing.length)} 个连接卡在 CLOSING（同时关闭）：我方 FIN 的 ACK 正在丢失`,
      evidence: {
        metrics: { closing: closing.length },
        top: topBy(closing, 'peer', peerKey),
        examples: closing.slice(0, 3).map(describeSocket),
      },
      explanation: {
        en: "CLOSING means both ends sent FIN at the same time and our FIN's ACK has not arrived. It normally lasts one round trip; many of them mean ACKs are lost on the path.",
        zh: 'CLOSING 表示双方同时发送了 FIN，而对我方 FIN 的 ACK 尚未到达。通常只持续一个往返时间；大量出现说明路径上有 ACK 丢失。',
      },
      fix: {
        en: 'Look for packet loss or a middlebox between the hosts.',
        zh: '检查主机之间的丢包或中间设备。',
      },
      references: ['RFC 9293 §3.6 (simultaneous close)', 'Linux ip-sysctl.rst tcp_orphan_retries'],
    });
  }

  findings.push(...hostWidePileups(ctx, findings));

  const orphans = ctx.sockstat('TCP.orphan');
  const maxOrphans = ctx.sysctlNumber('net.ipv4.tcp_max_orphans');
  if (orphans !== undefined && maxOrphans) {
    const share = orphans / maxOrphans;
    if (share >= t.orphanWarn) {
      findings.push({
        rule: 'orphans-near-limit',
        severity: share >= t.orphanCrit ? 'critical' : 'warning',
        title: `${formatCount(orphans)} orphaned sockets, ${formatPercent(orphans, maxOrphans)} of tcp_max_orphans (${formatCount(maxOrphans)})`,
        titleZh: `${formatCount(orphans)} 个孤儿套接字，占 tcp_max_orphans（${formatCount(maxOrphans)}）的 ${formatPercent(orphans, maxOrphans)}`,
        evidence: { metrics: { orphans, tcp_max_orphans: maxOrphans, share: Number(share.toFixed(3)) } },
        explanation: {
          en: 'Orphans are sockets the application has closed but TCP is still finishing (FIN_WAIT_1, FIN_WAIT_2, CLOSING, LAST_ACK). Past the limit the kernel resets them and logs "too many orphaned sockets".',
          zh: '孤儿套接字是应用程序已关闭、但 TCP 仍在完成关闭过程的套接字（FIN_WAIT_1、FIN_WAIT_2、CLOSING、LAST_ACK）。超过上限后内核会重置它们，并记录 "too many orphaned sockets"。',
        },
        fix: {
          en: 'Find why closes do not finish (see the FIN_WAIT_1 / LAST_ACK findings); lower tcp_orphan_retries; raise tcp_max_orphans only with memory to spare (up to ~64 KB each).',
          zh: '找出关闭过程无法完成的原因（参见 FIN_WAIT_1 / LAST_ACK 的诊断）；调低 tcp_orphan_retries；只有在内存充足时才提高 tcp_max_orphans（每个最多约 64 KB）。',
          sysctls: [
            {
              name: 'net.ipv4.tcp_max_orphans',
              current: String(maxOrphans),
              suggested: String(maxOrphans * 2),
            },
          ],
        },
        references: ['Linux ip-sysctl.rst tcp_max_orphans', 'tcp(7) man page (tcp_max_orphans)'],
      });
    }
  }
  return findings;
}

/**
 * The per-peer rules above miss a pile-up spread over many peers, or one from a source that printed counts without
 * peers (a state histogram). Host-wide, a count past the per-peer critical threshold is still worth a warning.
 */
function hostWidePileups(ctx: RuleContext, already: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  const cases = [
    {
      state: 'FIN_WAIT_1',
      rule: 'fin-wait-1-pileup',
      min: ctx.t.finWait1Crit,
      words: 'wait for the peers to acknowledge our FIN (FIN_WAIT_1)',
      wordsZh: '在等待对端确认我方的 FIN（FIN_WAIT_1）',
    },
    {
      state: 'LAST_ACK',
      rule: 'last-ack-pileup',
      min: ctx.t.lastAckCrit,
      words: 'wait for the final ACK of a passive close (LAST_ACK)',
      wordsZh: '在等待被动关闭的最后一个 ACK（LAST_ACK）',
    },
  ] as const;
  for (const c of cases) {
    if (already.some((f) => f.rule === c.rule)) continue;
    const sockets = ctx.inState(c.state);
    if (sockets.length < c.min) continue;
    const peers = topBy(sockets, 'peer', peerKey);
    const total = ctx.total;
    out.push({
      rule: c.rule,
      severity: 'warning',
      title: `${formatCount(sockets.length)} connections (${formatPercent(sockets.length, total)} of all) ${c.words}, spread over ${peers.length ? 'many peers' : 'unnamed peers'}`,
      titleZh: `${formatCount(sockets.length)} 个连接（占全部的 ${formatPercent(sockets.length, total)}）${c.wordsZh}，分散在${peers.length ? '众多对端' : '未列出地址的对端'}`,
      evidence: {
        metrics: {
          [c.state.toLowerCase()]: sockets.length,
          sockets: total,
          threshold_host: c.min,
          orphans: sockets.filter(isOrphan).length,
        },
        ...(peers.length ? { top: peers } : {}),
        ...(peers.length ? { examples: sockets.slice(0, 3).map(describeSocket) } : {}),
      },
      explanation: {
        en:
          c.state === 'FIN_WAIT_1'
            ? 'Closes that do not complete: our FIN waits behind unacknowledged data or is not acknowledged at all. Thousands at once usually mean many slow or vanished clients (mobile networks, scans) or a middlebox dropping packets; the orphans among them count against tcp_max_orphans.'
            : 'Passive closes whose last ACK does not come back: clients disappear right after their FIN, or a middlebox forgets the flow. Each one is retransmitted until tcp_orphan_retries runs out.',
        zh:
          c.state === 'FIN_WAIT_1'
            ? '无法完成的关闭：我方 FIN 排在未确认的数据之后，或者根本没有被确认。同时出现成千上万个，通常意味着大量缓慢或已消失的客户端（移动网络、扫描），或中间设备在丢包；其中的孤儿套接字计入 tcp_max_orphans。'
            : '被动关闭的最后一个 ACK 没有返回：客户端在发送 FIN 后立即消失，或中间设备丢失了该流的状态。每个连接都会重传直到 tcp_orphan_retries 用尽。',
      },
      fix: {
        en: 'Look at which peers and paths they belong to (run on the live host with -p, or an ss/netstat listing with addresses); on busy servers lower tcp_orphan_retries so orphaned closes are given up sooner.',
        zh: '查看它们属于哪些对端和路径（在现场主机上使用 -p 运行，或提供带地址的 ss/netstat 输出）；在繁忙的服务器上调低 tcp_orphan_retries，让孤儿关闭更早放弃。',
        sysctls: [
          {
            name: 'net.ipv4.tcp_orphan_retries',
            ...(ctx.sysctl('net.ipv4.tcp_orphan_retries') !== undefined
              ? { current: ctx.sysctl('net.ipv4.tcp_orphan_retries')! }
              : {}),
            suggested: '2',
          },
        ],
      },
      references: ['Linux ip-sysctl.rst tcp_orphan_retries', 'RFC 9293 §3.6'],
      ...(peers.length ? {} : { missing: ['remote addresses (the source printed only counts per state)'] }),
    });
  }
  return out;
}
