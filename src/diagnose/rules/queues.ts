import { formatEndpoint } from '../../analysis/address.ts';
import { maxOf } from '../../internal/extent.ts';
import type { Finding } from '../../model/finding.ts';
import { formatCount, plural } from '../../render/format.ts';
import { describeSocket, groupSockets, ownerLabel, ownerZh, peerKey, type RuleContext } from '../context.ts';

/** data that sits in queues of established connections (slow reader here, slow peer there). */
export function queueRules(ctx: RuleContext): Finding[] {
  const t = ctx.t;
  const findings: Finding[] = [];
  // One look cannot tell a momentary queue from a stuck one; with two, require it in both. Only queued
  // connections are built: a busy host has 100k established ones with empty queues.
  const stuck = (key: 'recvQ' | 'sendQ') =>
    ctx
      .where('ESTABLISHED', (table, i) => ((key === 'recvQ' ? table.recvQ(i) : table.sendQ(i)) ?? 0) > 0)
      .filter((s) => !ctx.previous || (ctx.previousOf(s)?.[key] ?? 0) > 0);
  const oneLook = ctx.previous
    ? []
    : ['a second snapshot (--interval) to tell a momentary queue from a stuck one'];

  const slowReaders = groupSockets(stuck('recvQ'), (s) =>
    s.processes?.length ? ownerLabel(s) : `port ${formatEndpoint(s.local.address, s.local.port)}`,
  );
  for (const [owner, sockets] of slowReaders) {
    const bytes = sockets.reduce((a, s) => a + (s.recvQ ?? 0), 0);
    const maxBytes = maxOf(sockets.map((s) => s.recvQ ?? 0));
    if (sockets.length < t.queueWarnSockets && maxBytes < t.recvQWarnBytes) continue;
    findings.push({
      rule: 'recv-queue-buildup',
      severity: sockets.length >= t.queueCritSockets ? 'critical' : 'warning',
      title: `${plural(sockets.length, 'connection')} of ${owner} ${sockets.length === 1 ? 'has' : 'have'} unread data (${formatCount(bytes)} bytes in Recv-Q): the application is not reading`,
      titleZh: `${ownerZh(owner)} 的 ${formatCount(sockets.length)} 个连接有未读数据（Recv-Q 中 ${formatCount(bytes)} 字节）：应用程序没有在读取`,
      evidence: {
        metrics: { sockets: sockets.length, recv_q_bytes: bytes, max_recv_q_bytes: maxBytes },
        examples: sockets.slice(0, 3).map(describeSocket),
      },
      explanation: {
        en: 'Recv-Q is data the kernel received and acknowledged that the application has not read yet. When it stays, the application is blocked or overloaded; once the buffer fills, the kernel advertises a zero window and the senders stall.',
        zh: 'Recv-Q 是内核已接收并确认、但应用程序尚未读取的数据。若持续存在，说明应用程序被阻塞或过载；缓冲区填满后内核会通告零窗口，发送方随之停顿。',
      },
      fix: {
        en: 'Profile the application (blocked event loop, stuck threads, slow consumers); apply back-pressure deliberately instead of stopping reads.',
        zh: '分析应用程序（事件循环阻塞、线程卡住、消费者过慢）；有意识地施加背压，而不是停止读取。',
      },
      references: ['ss(8) Recv-Q', 'tcp(7) man page (SIOCINQ)'],
      ...(oneLook.length ? { missing: oneLook } : {}),
    });
  }

  for (const [peer, sockets] of groupSockets(stuck('sendQ'), peerKey)) {
    const bytes = sockets.reduce((a, s) => a + (s.sendQ ?? 0), 0);
    if (sockets.length < t.queueWarnSockets && bytes < t.sendQWarnBytes) continue;
    const zeroWindow = sockets.filter((s) => s.timer?.kind === 'persist').length;
    const lossy = sockets.filter((s) => s.timer?.kind === 'on' && (s.retransmits ?? 0) > 0).length;
    const cause =
      zeroWindow > lossy
        ? 'the peer advertises a zero window (it is not reading)'
        : lossy > 0
          ? 'segments are being retransmitted (loss on the path)'
          : 'the peer or the path is slow';
    const causeZh =
      zeroWindow > lossy
        ? '对端通告零窗口（它没有在读取）'
        : lossy > 0
          ? '报文段正在被重传（路径上有丢包）'
          : '对端或路径较慢';
    findings.push({
      rule: 'send-queue-buildup',
      severity: sockets.length >= t.queueCritSockets ? 'critical' : 'warning',
      title: `${formatCount(bytes)} bytes to ${peer} wait unacknowledged in ${plural(sockets.length, 'connection')}: ${cause}`,
      titleZh: `${formatCount(sockets.length)} 个到 ${peer} 的连接中有 ${formatCount(bytes)} 字节等待确认：${causeZh}`,
      evidence: {
        metrics: {
          sockets: sockets.length,
          send_q_bytes: bytes,
          zero_window: zeroWindow,
          retransmitting: lossy,
        },
        examples: sockets.slice(0, 3).map(describeSocket),
      },
      explanation: {
        en: "Send-Q is data sent (or queued) but not yet acknowledged by the peer. A persist timer means the peer's window is zero; a retransmit timer with retransmissions means segments are lost.",
        zh: 'Send-Q 是已发送（或排队）但尚未被对端确认的数据。持续（persist）定时器表示对端窗口为零；带有重传次数的重传定时器表示报文丢失。',
      },
      fix: {
        en: "Check the peer's capacity and the network path; set write timeouts or TCP_USER_TIMEOUT so stuck connections fail.",
        zh: '检查对端的处理能力和网络路径；设置写超时或 TCP_USER_TIMEOUT，使卡住的连接能够失败退出。',
      },
      references: ['ss(8) Send-Q, timer', 'tcp(7) man page (TCP_USER_TIMEOUT)'],
      ...(oneLook.length ? { missing: oneLook } : {}),
    });
  }
  return findings;
}
