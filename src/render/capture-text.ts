/**
 * Text output for captures: a summary, a one-line-per-connection table, and the "story" of a connection (each
 * endpoint's states with times, and what went wrong).
 */

import type { CaptureResult } from '../capture/pipeline.ts';
import type { ConnectionRecord, EndpointRecord } from '../capture/record.ts';
import { CONN_STATE_TEXT, type ConnState } from '../capture/zeek.ts';
import type { TcpState } from '../states/states.ts';
import type { Colors } from './color.ts';
import { stateColor } from './color.ts';
import { formatCount, plural } from './format.ts';
import { renderTable } from './table.ts';

function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Seconds relative to the capture start, with a unit that fits. */
export function relTime(t: number, origin: number): string {
  const d = t - origin;
  return `+${d.toFixed(6)}s`;
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(0)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toFixed(seconds < 0.01 ? 2 : 1)} ms`;
  if (seconds < 120) return `${seconds.toFixed(seconds < 10 ? 3 : 1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

function bytes(n: number): string {
  if (n < 10_000) return `${n} B`;
  if (n < 10_000_000) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

function stateCell(c: Colors, state: TcpState | undefined): string {
  return state === undefined ? c.dim('unknown') : stateColor(c, state)(state);
}

/** The table row for one connection. */
export function connectionRow(rec: ConnectionRecord, origin: number, c: Colors): string[] {
  return [
    String(rec.id),
    endpointText(rec.orig.address, rec.orig.port),
    endpointText(rec.resp.address, rec.resp.port),
    rec.connState,
    rec.history,
    relTime(rec.start, origin),
    duration(rec.duration),
    `${rec.orig.packets}/${rec.resp.packets}`,
    `${stateCell(c, rec.orig.state)} / ${stateCell(c, rec.resp.state)}`,
    rec.anomalies.length > 0 ? c.yellow(String(rec.anomalies.length)) : '',
  ];
}

export const CONNECTION_HEAD = [
  '#',
  'Originator',
  'Responder',
  'State',
  'History',
  'Start',
  'Duration',
  'Pkts o/r',
  'Final states (orig / resp)',
  '!',
];

export function renderConnectionTable(rows: string[][]): string {
  return renderTable(rows, {
    head: CONNECTION_HEAD,
    align: ['right', 'left', 'left', 'left', 'left', 'right', 'right', 'right', 'left', 'right'],
    plain: true,
  });
}

function stateLine(ep: EndpointRecord, origin: number, c: Colors): string {
  const parts = ep.states.map((s, i) => {
    const name = stateColor(c, s.state)(s.state);
    const when = i === 0 && s.assumed ? c.dim(' (assumed)') : c.dim(` ${relTime(s.at, origin)}`);
    return `${name}${when}`;
  });
  return parts.length === 0 ? c.dim('never seen') : parts.join(' → ');
}

/** A connection told as a story: who opened it, how each side moved through the states, and what went wrong. */
export function renderStory(rec: ConnectionRecord, origin: number, c: Colors): string {
  const o = endpointText(rec.orig.address, rec.orig.port);
  const r = endpointText(rec.resp.address, rec.resp.port);
  const lines: string[] = [];
  lines.push(
    `${c.bold(`#${rec.id}`)} ${o} → ${r}  ${c.bold(rec.connState)} (${CONN_STATE_TEXT[rec.connState as ConnState]})  history ${c.bold(rec.history || '-')}`,
  );
  const rtt: string[] = [];
  if (rec.rtt?.synToSynAck !== undefined) rtt.push(`SYN→SYN-ACK ${duration(rec.rtt.synToSynAck)}`);
  if (rec.rtt?.synAckToAck !== undefined) rtt.push(`SYN-ACK→ACK ${duration(rec.rtt.synAckToAck)}`);
  lines.push(
    `    ${relTime(rec.start, origin)} for ${duration(rec.duration)}; ${plural(rec.orig.packets, 'packet')} / ${bytes(rec.orig.payloadBytes)} from the originator, ${rec.resp.packets} / ${bytes(rec.resp.payloadBytes)} from the responder${rtt.length > 0 ? `; handshake ${rtt.join(', ')}` : ''}`,
  );
  const width = Math.max(o.length, r.length);
  lines.push(`    ${c.dim('orig')} ${o.padEnd(width)}  ${stateLine(rec.orig, origin, c)}`);
  lines.push(`    ${c.dim('resp')} ${r.padEnd(width)}  ${stateLine(rec.resp, origin, c)}`);
  // In the order they happened: some are noted when the connection ends but refer to an earlier moment.
  for (const a of [...rec.anomalies].sort((x, y) => x.at - y.at)) {
    lines.push(`    ${c.yellow('!')} ${c.dim(relTime(a.at, origin))} ${a.kind}: ${a.message}`);
  }
  if (rec.endReason !== 'end' && rec.endReason !== 'closed') {
    const why = {
      reuse: 'its 4-tuple was reused by a new SYN',
      idle: 'it went idle',
      attempt: 'attempt timeout',
    }[rec.endReason];
    lines.push(`    ${c.dim(`record ended because ${why}`)}`);
  }
  return lines.join('\n');
}

/** The summary above the table. */
export function renderSummary(
  result: CaptureResult,
  connStates: Map<string, number>,
  anomalies: Map<string, number>,
  c: Colors,
): string {
  const r = result.reader;
  const d = result.decode;
  const t = result.tracker;
  const span = Number.isNaN(t.first) ? 0 : t.last - t.first;
  const lines = [
    `${c.bold(result.source)}: ${r.format ?? '?'}, ${plural(r.packets, 'packet')} (${formatCount(d.tcp)} TCP) over ${duration(span)}, ${plural(t.connections, 'TCP connection')}`,
  ];
  const states = [...connStates.entries()].sort((a, b) => b[1] - a[1]);
  if (states.length > 0) {
    lines.push(`  conn_state: ${states.map(([s, n]) => `${s} ${n}`).join(', ')}`);
  }
  const ann = [...anomalies.entries()].sort((a, b) => b[1] - a[1]);
  if (ann.length > 0) lines.push(`  anomalies:  ${ann.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const other: string[] = [];
  if (d.otherIp) other.push(`${d.otherIp} other IP`);
  if (d.nonIp) other.push(`${d.nonIp} non-IP`);
  if (d.fragments) other.push(`${d.fragments} fragments`);
  if (d.tunnels) other.push(`${d.tunnels} tunnelled`);
  if (d.truncated) other.push(`${d.truncated} truncated`);
  if (d.badChecksums) other.push(`${d.badChecksums} bad checksums`);
  if (r.reportedDrops) other.push(`${r.reportedDrops} dropped by the capturing tool`);
  if (other.length > 0) lines.push(`  not analysed: ${other.join(', ')}`);
  return lines.join('\n');
}
