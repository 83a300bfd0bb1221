import { formatEndpoint } from '../analysis/address.ts';
import type { Socket, TcpInfo } from '../model/snapshot.ts';
import { type NameStyle, stateName } from '../states/states.ts';
import { formatTimer } from './format.ts';
import { printable } from './printable.ts';

export const CSV_COLUMNS = [
  'state',
  'family',
  'local_address',
  'local_port',
  'remote_address',
  'remote_port',
  'recv_q',
  'send_q',
  'timer',
  'timer_ms',
  'retransmits',
  'uid',
  'inode',
  'pid',
  'command',
] as const;

/** RFC 4180 CSV, one socket a row, header first. */
export function socketsCsv(sockets: readonly Socket[], style: NameStyle = 'rfc'): string {
  return `${CSV_COLUMNS.join(',')}\n${csvRows(sockets, style)}`;
}

/** The CSV rows of these sockets, without the header (a long table is written a slice at a time). */
export function csvRows(sockets: readonly Socket[], style: NameStyle = 'rfc'): string {
  // One string per row, built field by field: the names (state, family, timer kind) and numbers never need quoting,
  // the addresses and the command (from pasted text, from a process) may. 100k rows through an array of cells
  // each, mapped and joined, cost more than reading the sockets.
  let out = '';
  for (const s of sockets) {
    const p = s.processes?.[0];
    const t = s.timer;
    out +=
      `${stateName(s.state, style)},${s.family},${csvText(s.local.address)},${csvNumber(s.local.port)},` +
      `${csvText(s.remote.address)},${csvNumber(s.remote.port)},${csvNumber(s.recvQ)},${csvNumber(s.sendQ)},` +
      `${t === undefined ? '' : t.kind},${csvNumber(t?.expiresMs)},${csvNumber(s.retransmits)},` +
      `${csvNumber(s.uid)},${csvNumber(s.inode)},${csvNumber(p?.pid)},${p === undefined ? '' : csvText(p.command)}\n`;
  }
  return out;
}

function csvNumber(n: number | undefined): string {
  return n === undefined ? '' : String(n);
}

const NEEDS_QUOTES = /[",\n\r]/;

function csvText(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The cells of one `ss -tanop`-like listing row; with `info`, tcp_info and the cgroup as `ss -i --cgroup` adds. */
export function listingCells(s: Socket, style: NameStyle, info = false): string[] {
  const procs = s.processes;
  const users =
    procs === undefined
      ? ''
      : procs.length === 0
        ? '-'
        : `users:(${procs.map((p) => `("${p.command}",pid=${p.pid}${p.fd === undefined ? '' : `,fd=${p.fd}`})`).join(',')})`;
  const cells = [
    stateName(s.state, style),
    String(s.recvQ ?? ''),
    String(s.sendQ ?? ''),
    formatEndpoint(s.local.address, s.local.port, s.local.service) + (s.local.truncated ? '~' : ''),
    formatEndpoint(s.remote.address, s.remote.port, s.remote.service) + (s.remote.truncated ? '~' : ''),
    [
      users,
      formatTimer(s.timer),
      info && s.tcpInfo ? tcpInfoText(s.tcpInfo) : '',
      info && s.cgroup ? `cgroup:${s.cgroup}` : '',
    ]
      .filter(Boolean)
      .join(' '),
  ];
  return cells.map(printable);
}

const ms = (n: number) => String(Math.round(n * 1000) / 1000);

/** tcp_info as `ss -i` prints its main tokens: `rtt:0.05/0.025 cwnd:10 retrans:0/3 lastsnd:120 lastrcv:120 ...`. */
export function tcpInfoText(i: TcpInfo): string {
  const parts: string[] = [];
  if (i.rttMs) parts.push(`rtt:${ms(i.rttMs)}/${ms(i.rttVarMs)}`);
  parts.push(`cwnd:${i.cwnd}`);
  if (i.ssthresh !== undefined) parts.push(`ssthresh:${i.ssthresh}`);
  if (i.retransmits || i.totalRetrans) parts.push(`retrans:${i.retransmits}/${i.totalRetrans}`);
  if (i.lost) parts.push(`lost:${i.lost}`);
  if (i.unacked) parts.push(`unacked:${i.unacked}`);
  // ss leaves zero idle times out.
  if (i.lastDataSentMs) parts.push(`lastsnd:${i.lastDataSentMs}`);
  if (i.lastDataRecvMs) parts.push(`lastrcv:${i.lastDataRecvMs}`);
  if (i.lastAckRecvMs) parts.push(`lastack:${i.lastAckRecvMs}`);
  if (i.pmtu) parts.push(`pmtu:${i.pmtu}`);
  if (i.deliveryRate) parts.push(`delivery_rate:${formatRate(i.deliveryRate * 8)}`);
  return parts.join(' ');
}

/** bits/s as ss prints rates: `12.3Mbps`. */
function formatRate(bps: number): string {
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(1)}Gbps`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)}Mbps`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(1)}Kbps`;
  return `${bps}bps`;
}
