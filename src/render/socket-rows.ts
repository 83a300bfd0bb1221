import { formatEndpoint } from '../analysis/address.ts';
import type { Socket } from '../model/snapshot.ts';
import { type NameStyle, stateName } from '../states/states.ts';
import { formatTimer } from './format.ts';

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

function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV, one socket a row, header first. */
export function socketsCsv(sockets: readonly Socket[], style: NameStyle = 'rfc'): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const s of sockets) {
    const p = s.processes?.[0];
    lines.push(
      [
        stateName(s.state, style),
        s.family,
        s.local.address,
        s.local.port,
        s.remote.address,
        s.remote.port,
        s.recvQ,
        s.sendQ,
        s.timer?.kind,
        s.timer?.expiresMs,
        s.retransmits,
        s.uid,
        s.inode,
        p?.pid,
        p?.command,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The cells of one `ss -tanop`-like listing row. */
export function listingCells(s: Socket, style: NameStyle): string[] {
  const procs = s.processes;
  const users =
    procs === undefined
      ? ''
      : procs.length === 0
        ? '-'
        : `users:(${procs.map((p) => `("${p.command}",pid=${p.pid}${p.fd === undefined ? '' : `,fd=${p.fd}`})`).join(',')})`;
  return [
    stateName(s.state, style),
    String(s.recvQ ?? ''),
    String(s.sendQ ?? ''),
    formatEndpoint(s.local.address, s.local.port, s.local.service) + (s.local.truncated ? '~' : ''),
    formatEndpoint(s.remote.address, s.remote.port, s.remote.service) + (s.remote.truncated ? '~' : ''),
    [users, formatTimer(s.timer)].filter(Boolean).join(' '),
  ];
}
