/** `tcpstate trace` as text: one line per state change, and the summary at the end. */
import { formatEndpoint } from '../analysis/address.ts';
import { type NameStyle, stateName } from '../states/states.ts';
import type { StateChange } from '../track/kernel-trace.ts';
import type { TraceSummary } from '../track/trace-summary.ts';
import type { Colors } from './color.ts';
import { formatCount } from './format.ts';

/** A stay as people read it, precise to the tracer's precision: `0.046 ms`, `2000.77 ms`, `60.213 s`, `12m03.2s`. */
export function formatStay(ms: number): string {
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 10_000) return `${ms.toFixed(2)} ms`;
  if (ms < 600_000) return `${(ms / 1000).toFixed(3)} s`;
  const s = ms / 1000;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${(s - m * 60).toFixed(1).padStart(4, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

function clock(wallMs: number): string {
  const d = new Date(wallMs);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function ownerLabel(change: StateChange): string {
  return change.owner === undefined ? '-' : `${change.owner.command}/${change.owner.pid}`;
}

/** What a stay cell says: the exact stay, a lower bound for stays under way when tracing began, or nothing. */
export function stayCell(change: StateChange, startedAtMs: number): string {
  if (change.stayMs !== undefined) return formatStay(change.stayMs);
  if (change.from === 'CLOSED' || (change.from === 'LISTEN' && change.to === 'SYN_RECEIVED')) return '';
  return `≥${formatStay(Math.max(0, change.atMs - startedAtMs))}`;
}

export const TRACE_HEADER = ['TIME', 'FROM → TO', 'IN FROM', 'LOCAL', 'PEER', 'PROCESS'];
const WIDTHS = [12, 29, 12, 23, 23];

export function renderTraceHeader(c: Colors): string {
  return c.dim(TRACE_HEADER.map((h, i) => (i < WIDTHS.length ? h.padEnd(WIDTHS[i] as number) : h)).join(' '));
}

export function renderTraceLine(
  change: StateChange,
  wallOffsetMs: number,
  startedAtMs: number,
  names: NameStyle,
  c: Colors,
): string {
  const move = `${stateName(change.from, names)} → ${stateName(change.to, names)}`;
  const cells = [
    clock(change.atMs + wallOffsetMs),
    move,
    stayCell(change, startedAtMs),
    formatEndpoint(change.local.address, change.local.port),
    formatEndpoint(change.remote.address, change.remote.port),
  ];
  const line = cells.map((text, i) => text.padEnd(WIDTHS[i] as number)).join(' ');
  return `${line} ${ownerLabel(change)}${change.how === 'derived' ? c.dim(' (moment from the timer, ±1 jiffy)') : ''}`;
}

export function renderTraceSummary(summary: TraceSummary, names: NameStyle, c: Colors): string[] {
  const out: string[] = [];
  const seconds = (summary.spanMs / 1000).toFixed(1);
  out.push('');
  out.push(
    c.bold(`${formatCount(summary.changes)} state changes in ${seconds} s`) +
      (summary.dropped > 0
        ? c.red(` · ${formatCount(summary.dropped)} changes DROPPED by the kernel (ring buffer full)`)
        : ' · none dropped'),
  );
  if (summary.transitions.length > 0) {
    out.push('');
    out.push(c.bold('Changes'));
    const width = Math.max(
      ...summary.transitions.map((t) => `${stateName(t.from, names)} → ${stateName(t.to, names)}`.length),
    );
    for (const t of summary.transitions) {
      const move = `${stateName(t.from, names)} → ${stateName(t.to, names)}`;
      out.push(`  ${move.padEnd(width)}  ${formatCount(t.count).padStart(8)}`);
    }
  }
  if (summary.stays.length > 0) {
    out.push('');
    out.push(c.bold('Time in state (completed stays that began after tracing started)'));
    out.push(
      c.dim(
        `  ${'STATE'.padEnd(13)} ${'STAYS'.padStart(8)} ${'p50'.padStart(12)} ${'p90'.padStart(12)} ${'p99'.padStart(12)} ${'max'.padStart(12)}`,
      ),
    );
    for (const s of summary.stays) {
      out.push(
        `  ${stateName(s.state, names).padEnd(13)} ${formatCount(s.count).padStart(8)} ${formatStay(s.p50).padStart(12)} ${formatStay(s.p90).padStart(12)} ${formatStay(s.p99).padStart(12)} ${formatStay(s.max).padStart(12)}${s.sampled ? c.dim(' (sampled)') : ''}`,
      );
    }
  }
  out.push('');
  out.push(
    summary.connections === 0
      ? 'No connection end was seen from its start to its end.'
      : `${formatCount(summary.shortLived)} of ${formatCount(summary.connections)} connection ends seen from start to end lived less than 1 s (from SYN until closed or in TIME_WAIT).`,
  );
  return out;
}
