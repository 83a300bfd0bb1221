import type { Finding } from '../../model/finding.ts';
import type { Socket } from '../../model/snapshot.ts';
import { formatAge, formatCount } from '../../render/format.ts';
import { idleSec } from '../age.ts';
import {
  describeSocket,
  groupSockets,
  namelessOwners,
  ownerLabel,
  ownerZh,
  peerKey,
  type RuleContext,
  topBy,
} from '../context.ts';

/** CW-1 and CW-2: CLOSE_WAIT that the application never closes, per process (or local port without -p). */
export function closeWaitRules(ctx: RuleContext): Finding[] {
  const t = ctx.t;
  const closeWait = ctx.inState('CLOSE_WAIT');
  if (closeWait.length === 0) return [];
  const byProcess = ctx.hasProcesses;
  const groups = groupSockets(closeWait, (s) =>
    byProcess && s.processes?.length
      ? ownerLabel(s)
      : s.local.port !== undefined
        ? `port ${s.local.port}`
        : 'this host',
  );
  const findings: Finding[] = [];
  for (const [owner, sockets] of groups) {
    const n = sockets.length;
    if (n < t.closeWaitWarn) continue;
    const persisting = ctx.previous ? sockets.filter((s) => ctx.persisted(s)) : undefined;
    if (persisting && persisting.length === 0) {
      // Every one of them is newer than the previous look: a busy server with short-lived CLOSE_WAIT, not a leak.
      if (n >= t.closeWaitCrit) findings.push(churnNote(owner, n, ctx.dtSec ?? 0));
      continue;
    }
    const knownAgeSec = persisting?.length ? ctx.dtSec : undefined;
    // tcp_info (netlink reader): nothing received for this long, a lower bound of the time in CLOSE_WAIT.
    let idleMax: number | undefined;
    for (const s of sockets) {
      const idle = idleSec(s);
      if (idle !== undefined && (idleMax === undefined || idle > idleMax)) idleMax = idle;
    }
    const critical =
      n >= t.closeWaitCrit || Math.max(knownAgeSec ?? 0, idleMax ?? 0) >= t.closeWaitOldCritSec;
    const idleText = idleMax === undefined ? undefined : formatAge(idleMax * 1000);
    const ageText =
      idleText !== undefined && (knownAgeSec === undefined || idleMax! >= knownAgeSec)
        ? `the oldest idle ≥ ${idleText}, an estimate from tcp_info`
        : knownAgeSec === undefined
          ? 'age unknown from one look'
          : `${persisting!.length} of them at least ${Math.round(knownAgeSec)}s old`;
    const ageTextZh =
      idleText !== undefined && (knownAgeSec === undefined || idleMax! >= knownAgeSec)
        ? `最久的已空闲 ≥ ${idleText}，由 tcp_info 估算`
        : knownAgeSec === undefined
          ? '仅看一次无法得知存在时长'
          : `其中 ${persisting!.length} 个已存在至少 ${Math.round(knownAgeSec)} 秒`;
    const missing: string[] = [];
    if (namelessOwners(sockets))
      missing.push('process names (the source printed only PIDs; `netstat -b` or `tasklist` names them)');
    if (!byProcess) missing.push('process owners (run with -p as root, or the source did not print them)');
    if (!ctx.previous && idleMax === undefined)
      missing.push('socket ages (run with --interval, or use watch/record to see how long they stay)');
    findings.push({
      rule: 'close-wait-leak',
      severity: critical ? 'critical' : 'warning',
      title: `${owner} holds ${formatCount(n)} connections in CLOSE_WAIT (${ageText}): the peer closed, the application never called close()`,
      titleZh: `${ownerZh(owner)} 有 ${formatCount(n)} 个连接处于 CLOSE_WAIT（${ageTextZh}）：对端已关闭，应用程序始终没有调用 close()`,
      evidence: {
        metrics: {
          close_wait: n,
          threshold_warning: t.closeWaitWarn,
          threshold_critical: t.closeWaitCrit,
          ...(persisting ? { persisting: persisting.length, interval_s: Math.round(ctx.dtSec ?? 0) } : {}),
          ...(idleMax !== undefined ? { idle_max_s_estimate: Math.round(idleMax) } : {}),
          recv_q_bytes: sockets.reduce((a, s) => a + (s.recvQ ?? 0), 0),
        },
        top: [
          ...topBy(sockets, 'peer', peerKey),
          ...topBy(sockets, 'port', (s) => (s.local.port !== undefined ? String(s.local.port) : undefined)),
        ],
        examples: sockets.slice(0, 3).map(describeSocket),
      },
      explanation: {
        en: 'The remote side closed these connections (it sent FIN), the kernel acknowledged it, and the application was told (read() returned 0), but it never closed its socket. CLOSE_WAIT has no timer: the sockets and their file descriptors stay until the process closes them or exits. This is almost always a leak on an error or EOF path, or a connection pool that keeps dead connections.',
        zh: '对端已关闭这些连接（发送了 FIN），内核已确认并通知了应用程序（read() 返回 0），但应用程序始终没有关闭套接字。CLOSE_WAIT 没有定时器：这些套接字及其文件描述符会一直存在，直到进程关闭它们或退出。这几乎总是错误处理或 EOF 路径上的泄漏，或者连接池保留了已失效的连接。',
      },
      fix: {
        en: 'Fix the application: close the socket when a read returns EOF or fails; make connection pools validate and evict idle connections (pool idle timeout shorter than the server keep-alive). Restarting the process releases them as a stop-gap. No sysctl fixes this.',
        zh: '修复应用程序：读取返回 EOF 或出错时关闭套接字；让连接池校验并淘汰空闲连接（连接池空闲超时应短于服务器的 keep-alive）。重启进程可临时释放它们。任何 sysctl 都无法解决此问题。',
      },
      references: ['RFC 9293 §3.6', 'close(2), shutdown(2) man pages'],
      ...(missing.length ? { missing } : {}),
    });
  }
  return findings;
}

function churnNote(owner: string, n: number, dt: number): Finding {
  return {
    rule: 'close-wait-churn',
    severity: 'info',
    title: `${owner}: ${formatCount(n)} CLOSE_WAIT sockets, but none lasted ${Math.round(dt)}s: high churn, not a leak`,
    titleZh: `${ownerZh(owner)}：${formatCount(n)} 个 CLOSE_WAIT 套接字，但没有一个持续到 ${Math.round(dt)} 秒：是高频短连接，不是泄漏`,
    evidence: { metrics: { close_wait: n, persisting: 0, interval_s: Math.round(dt) } },
    explanation: {
      en: 'Every CLOSE_WAIT socket seen now is new since the previous look, so the application does close them, just after a short delay. This is what a busy server looks like when clients close first.',
      zh: '这次看到的每个 CLOSE_WAIT 套接字都是上次查看之后新出现的，说明应用程序确实会关闭它们，只是略有延迟。客户端先关闭时，繁忙的服务器就是这样。',
    },
    fix: { en: 'Nothing to fix.', zh: '无需处理。' },
  };
}

export const isCloseWait = (s: Socket) => s.state === 'CLOSE_WAIT';
