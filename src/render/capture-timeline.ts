/**
 * Drawing the capture's timeline (capture/timeline.ts holds the counts): sparklines for the terminal and a
 * self-contained SVG chart.
 */
import { TIMELINE_STATES, type Timeline } from '../capture/timeline.ts';
import { maxOf } from '../internal/extent.ts';
import { resample, sparkline } from './sparkline.ts';
import { esc } from './svg.ts';

/** One sparkline per state that occurs, `width` characters wide (each character is the max of its samples). */
export function sparklines(timeline: Timeline, width = 60): string[] {
  const { times, counts } = timeline.series();
  if (times.length === 0) return [];
  const lines: string[] = [];
  const span = (times[times.length - 1]! - times[0]!).toFixed(3);
  for (const state of TIMELINE_STATES) {
    const series = counts[state];
    const max = maxOf(series, 0);
    if (max === 0) continue;
    const line = sparkline(resample(series, width), width, { blankZero: true });
    lines.push(`${state.padEnd(12)} ${line} max ${max}`);
  }
  lines.push(`${''.padEnd(12)} 0 s … ${span} s`);
  return lines;
}

const COLORS: Record<string, string> = {
  SYN_SENT: '#d4a017',
  SYN_RECEIVED: '#e67e22',
  ESTABLISHED: '#2e8b57',
  FIN_WAIT_1: '#5dade2',
  FIN_WAIT_2: '#2874a6',
  CLOSE_WAIT: '#c0392b',
  CLOSING: '#8e44ad',
  LAST_ACK: '#a04000',
  TIME_WAIT: '#7f8c8d',
};

/** A self-contained SVG line chart of the state counts. */
export function timelineSvg(timeline: Timeline, title = 'TCP endpoint states over the capture'): string {
  const { times, counts } = timeline.series();
  const W = 900;
  const H = 360;
  const left = 60;
  const right = 160;
  const top = 40;
  const bottom = 40;
  const states = TIMELINE_STATES.filter((s) => Math.max(...counts[s], 0) > 0);
  const max = Math.max(1, ...states.map((s) => Math.max(...counts[s])));
  const t0 = times[0] ?? 0;
  const span = Math.max(1e-9, (times[times.length - 1] ?? t0) - t0);
  const x = (t: number) => left + ((t - t0) / span) * (W - left - right);
  const y = (v: number) => top + (1 - v / max) * (H - top - bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="22" font-size="15">${esc(title)}</text>`,
    `<line x1="${left}" y1="${y(0)}" x2="${W - right}" y2="${y(0)}" stroke="#999"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${y(0)}" stroke="#999"/>`,
    `<text x="${left - 6}" y="${y(max) + 4}" text-anchor="end">${max}</text>`,
    `<text x="${left - 6}" y="${y(0) + 4}" text-anchor="end">0</text>`,
    `<text x="${left}" y="${H - 14}">0 s</text>`,
    `<text x="${W - right}" y="${H - 14}" text-anchor="end">${span.toFixed(3)} s</text>`,
  ];
  states.forEach((s, i) => {
    const pts = times.map((t, k) => `${x(t).toFixed(1)},${y(counts[s][k]!).toFixed(1)}`).join(' ');
    const color = COLORS[s] ?? '#333';
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"/>`);
    parts.push(`<rect x="${W - right + 16}" y="${top + i * 18}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${W - right + 34}" y="${top + i * 18 + 10}">${s}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
