import { formatEndpoint } from '../../analysis/address.ts';
import { processLabel } from '../../analysis/groups.ts';
import type { Finding } from '../../model/finding.ts';
import type { Socket } from '../../model/snapshot.ts';
import { formatCount, formatPercent } from '../../render/format.ts';
import { oldestAge } from '../age.ts';
import { describeSocket, destinationKey, groupSockets, type RuleContext, topBy } from '../context.ts';

/** TIME_WAIT duration per OS, in seconds (docs/timers.md). */
const TIME_WAIT_SEC: Record<string, number> = { linux: 60, freebsd: 60, macos: 30, windows: 120 };

/** TW-1..TW-4: ephemeral-port pressure per destination, the close-rate ceiling, bucket overflow, harmless volume. */
export function timeWaitRules(ctx: RuleContext): Finding[] {
  const t = ctx.t;
  const findings: Finding[] = [];
  const range = ctx.portRange();
  const table = ctx.table;
  const listening = ctx.listening;
  const outbound = (i: number) => {
    const local = table.localPort(i);
    return (
      local !== undefined &&
      local >= range.lo &&
      local <= range.hi &&
      table.remotePort(i) !== undefined &&
      table.state(i) !== 'LISTEN' &&
      !listening.has(local)
    );
  };
  // A 4-tuple needs a distinct local port only per (local address, remote address, remote port). A group can reach
  // the threshold only if its remote port alone does, so count by port first (one pass, into an array by port: no
  // list of the outbound sockets, no map update per socket) and build sockets and keys only for those ports.
  const need = t.portPressureWarn * range.size;
  const perPort = new PortCounts();
  let busiest = 0;
  for (let i = 0; i < table.length; i++)
    if (outbound(i)) busiest = Math.max(busiest, perPort.add(table.remotePort(i)!));
  const pressed: Socket[] = [];
  if (busiest >= need)
    for (let i = 0; i < table.length; i++)
      if (outbound(i) && perPort.get(table.remotePort(i)!) >= need) pressed.push(table.socket(i));
  const groups = groupSockets(pressed, (s) => `${s.local.address}|${destinationKey(s)}`);
  const twSec = TIME_WAIT_SEC[ctx.snapshot.source.os ?? 'linux'] ?? 60;
  const reuse = ctx.sysctl('net.ipv4.tcp_tw_reuse');
  let pressureFound = false;
  for (const sockets of groups.values()) {
    const used = sockets.length;
    const share = used / range.size;
    if (share < t.portPressureWarn) continue;
    pressureFound = true;
    const s0 = sockets[0]!;
    const twSockets = sockets.filter((s) => s.state === 'TIME_WAIT');
    const tw = twSockets.length;
    const dest = destinationKey(s0);
    const { oldest } = oldestAge(twSockets, ctx.ageOptions);
    // Every TIME_WAIT towards here was closed by us within the last TIME_WAIT period (TW-2).
    const closeRate = tw / twSec;
    const missing = range.assumed
      ? [
          `net.ipv4.ip_local_port_range (assumed the ${ctx.snapshot.source.os ?? 'linux'} default ${range.lo}-${range.hi})`,
        ]
      : [];
    findings.push({
      rule: 'time-wait-port-pressure',
      severity: share >= t.portPressureCrit ? 'critical' : 'warning',
      title: `${formatCount(used)} of ${formatCount(range.size)} ephemeral ports in use from ${s0.local.address} to ${dest} (${formatPercent(used, range.size)}), ${formatCount(tw)} in TIME_WAIT: new connections will fail with EADDRNOTAVAIL`,
      titleZh: `从 ${s0.local.address} 到 ${dest} 已占用 ${formatCount(range.size)} 个临时端口中的 ${formatCount(used)} 个（${formatPercent(used, range.size)}），其中 ${formatCount(tw)} 个处于 TIME_WAIT：新连接将因 EADDRNOTAVAIL 而失败`,
      evidence: {
        metrics: {
          ports_in_use: used,
          time_wait: tw,
          ephemeral_ports: range.size,
          port_range: `${range.lo}-${range.hi}`,
          share: Number(share.toFixed(3)),
          threshold_warning: t.portPressureWarn,
          threshold_critical: t.portPressureCrit,
          time_wait_seconds: twSec,
          max_close_rate_per_s: Number((range.size / twSec).toFixed(1)),
          local_close_rate_per_s: Number(closeRate.toFixed(1)),
          ...(oldest ? { oldest_time_wait_s: Math.round(oldest.seconds) } : {}),
          ...(reuse !== undefined ? { tcp_tw_reuse: reuse } : {}),
        },
        top: topBy(sockets, 'process', (s) => (s.processes ? processLabel(s) : undefined)),
        examples: sockets.slice(0, 3).map(describeSocket),
      },
      explanation: {
        en: `Every connection to one destination needs its own local port. A connection this host closes first then keeps its port in TIME_WAIT for ${twSec}s, so at most ${Math.round(range.size / twSec)} connections per second can be opened and closed towards ${dest} from ${s0.local.address}. When the range runs out, connect() fails with EADDRNOTAVAIL.`,
        zh: `连向同一目的地址的每个连接都需要一个独立的本地端口。本机先关闭的连接会在 TIME_WAIT 中占用其端口 ${twSec} 秒，因此从 ${s0.local.address} 到 ${dest} 每秒最多只能新建并关闭约 ${Math.round(range.size / twSec)} 个连接。端口耗尽时 connect() 会以 EADDRNOTAVAIL 失败。`,
      },
      fix: {
        en: 'Reuse connections (HTTP keep-alive, connection pools) instead of one connection per request; let the server close first where the protocol allows; widen the ephemeral port range or add source addresses; on Linux enable tcp_tw_reuse for outgoing connections (safe with TCP timestamps). Never use tcp_tw_recycle (removed in Linux 4.12).',
        zh: '复用连接（HTTP keep-alive、连接池），而不是每个请求一个连接；在协议允许时让服务器先关闭；扩大临时端口范围或增加源地址；在 Linux 上为出站连接启用 tcp_tw_reuse（配合 TCP 时间戳是安全的）。不要使用 tcp_tw_recycle（Linux 4.12 已移除）。',
        sysctls: [
          {
            name: 'net.ipv4.ip_local_port_range',
            ...(range.assumed ? {} : { current: `${range.lo} ${range.hi}` }),
            suggested: '1024 65535',
          },
          {
            name: 'net.ipv4.tcp_tw_reuse',
            ...(reuse !== undefined ? { current: reuse } : {}),
            suggested: '1',
          },
        ],
      },
      references: [
        'RFC 9293 §3.6 (TIME-WAIT lasts 2 MSL)',
        'Linux ip-sysctl.rst tcp_tw_reuse, ip_local_port_range',
      ],
      ...(missing.length ? { missing } : {}),
    });
  }

  const overflow = ctx.delta('TcpExt.TCPTimeWaitOverflow');
  const tw = ctx.sockstat('TCP.tw');
  const buckets = ctx.sysctlNumber('net.ipv4.tcp_max_tw_buckets');
  if (
    (overflow !== undefined && overflow > 0) ||
    (tw !== undefined && buckets && tw >= t.timeWaitBucketsWarn * buckets)
  ) {
    findings.push({
      rule: 'time-wait-overflow',
      severity: overflow && overflow > 0 ? 'critical' : 'warning',
      title: `TIME_WAIT table ${overflow && overflow > 0 ? `overflowed ${formatCount(overflow)} times` : 'nearly full'} (${formatCount(tw ?? 0)} of ${formatCount(buckets ?? 0)}): the kernel skips TIME_WAIT for new closes`,
      titleZh: `TIME_WAIT 表${overflow && overflow > 0 ? `已溢出 ${formatCount(overflow)} 次` : '接近满'}（${formatCount(buckets ?? 0)} 个中已用 ${formatCount(tw ?? 0)} 个）：内核对新关闭的连接跳过 TIME_WAIT`,
      evidence: {
        metrics: { time_wait: tw ?? 0, tcp_max_tw_buckets: buckets ?? 0, overflows: overflow ?? 0 },
      },
      explanation: {
        en: 'When tcp_max_tw_buckets is reached Linux destroys closing sockets at once instead of keeping them in TIME_WAIT, so delayed segments of old connections can be taken for new ones.',
        zh: '达到 tcp_max_tw_buckets 后，Linux 会立即销毁正在关闭的套接字而不是让它们进入 TIME_WAIT，旧连接迟到的报文可能被误认为属于新连接。',
      },
      fix: {
        en: 'Raise tcp_max_tw_buckets (the kernel documentation says to increase it rather than lower it) and reduce connection churn.',
        zh: '提高 tcp_max_tw_buckets（内核文档建议增加而不是减少），并减少连接的频繁创建与关闭。',
        sysctls: [
          {
            name: 'net.ipv4.tcp_max_tw_buckets',
            ...(buckets ? { current: String(buckets) } : {}),
            suggested: String((buckets ?? 262144) * 2),
          },
        ],
      },
      references: ['Linux ip-sysctl.rst tcp_max_tw_buckets', 'tcp(7) man page (tcp_max_tw_buckets)'],
    });
  }

  const timeWait = ctx.count('TIME_WAIT');
  if (!pressureFound && timeWait >= t.timeWaitInfo) {
    findings.push({
      rule: 'time-wait-volume',
      severity: 'info',
      title: `${formatCount(timeWait)} sockets in TIME_WAIT, about ${Math.round((timeWait * 168) / 1024 / 1024)} MiB of kernel memory, with no port pressure towards any destination: normal for a busy host that closes first`,
      titleZh: `${formatCount(timeWait)} 个套接字处于 TIME_WAIT，约占 ${Math.round((timeWait * 168) / 1024 / 1024)} MiB 内核内存，对任何目标都没有端口压力：对于先关闭连接的繁忙主机来说是正常的`,
      evidence: {
        metrics: { time_wait: timeWait, memory_estimate_bytes: timeWait * 168 },
        // Keyed from the table: a host with 500k TIME_WAIT sockets need not build one object for each.
        top: topBy(ctx.indexesIn('TIME_WAIT'), 'destination', (i) =>
          formatEndpoint(table.remoteAddress(i), table.remotePort(i)),
        ),
      },
      explanation: {
        en: 'TIME_WAIT sockets are small (a few hundred bytes each) and expire by themselves. They only hurt when they use up the local ports towards one destination, which is not the case here.',
        zh: 'TIME_WAIT 套接字很小（每个几百字节），会自行过期。只有当它们耗尽了连向同一目的地址的本地端口时才有害，而这里并非如此。',
      },
      fix: { en: 'Nothing to do; avoid cargo-cult sysctl tuning.', zh: '无需处理；不要盲目调整 sysctl。' },
    });
  }
  return findings;
}

/** Counts per port: an array for TCP's 0-65535, a map for anything a text source may have let through. */
class PortCounts {
  private readonly byPort = new Uint32Array(65536);
  private other: Map<number, number> | undefined;

  /** Counts one more on `port`; returns its count. */
  add(port: number): number {
    if (Number.isInteger(port) && port >= 0 && port < 65536) return ++this.byPort[port]!;
    this.other ??= new Map();
    const n = (this.other.get(port) ?? 0) + 1;
    this.other.set(port, n);
    return n;
  }

  get(port: number): number {
    if (Number.isInteger(port) && port >= 0 && port < 65536) return this.byPort[port]!;
    return this.other?.get(port) ?? 0;
  }
}
