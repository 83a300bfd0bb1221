/**
 * The sequence diagram as SVG: two lifelines, segments as slanted arrows from the send row to the arrival row
 * (so crossing FINs cross, as in RFC 9293 Figure 13), lost segments ending in a cross, states in boxes on the
 * lifelines, timers in grey.
 */
import type { Trace, TraceEvent } from '../../sim/simulator.ts';
import { esc, svgDocument } from '../svg.ts';
import { clockLabel, durationLabel, segmentLabel, stateLabel, timerLabel } from './label.ts';

const ROW = 24;
const XA = 260;
const XB = 700;
const WIDTH = 960;

const STATE_FILL: Record<string, string> = {
  ESTABLISHED: '#d5f5e3',
  CLOSED: '#eeeeee',
  LISTEN: '#d6eaf8',
  TIME_WAIT: '#fdebd0',
};

export function renderSequenceSvg(trace: Trace, title: string): string {
  const body: string[] = [];
  // One row per displayed event; a segment's arrival row is its receive event's row.
  const rowOf = new Map<TraceEvent, number>();
  const arrivalRow = new Map<number, number>();
  let row = 3;
  let lastT = -1;
  const shown = trace.events.filter((e) => e.kind !== 'timer' || e.action !== 'stop');
  for (const ev of shown) {
    if (ev.kind === 'receive') {
      if (!arrivalRow.has(ev.id)) arrivalRow.set(ev.id, row);
      if (ev.t !== lastT) row += 1;
      lastT = ev.t;
      continue;
    }
    rowOf.set(ev, row);
    row += 1;
    lastT = ev.t;
  }
  const height = (row + 4) * ROW;
  const y = (r: number) => r * ROW + 20;
  body.push(
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`,
  );
  body.push(
    `<text x="${WIDTH / 2}" y="44" text-anchor="middle" fill="#555">profile ${esc(trace.profile)} · one-way delay ${esc(durationLabel(trace.rules.delay))}</text>`,
  );
  for (const [x, name] of [
    [XA, 'A'],
    [XB, 'B'],
  ] as const) {
    body.push(
      `<text x="${x}" y="${y(2) - 6}" text-anchor="middle" font-weight="bold" font-size="15">${name}</text>`,
    );
    body.push(`<line x1="${x}" y1="${y(2)}" x2="${x}" y2="${y(row)}" stroke="#888" stroke-width="2"/>`);
  }
  let lastTime = -1;
  for (const ev of shown) {
    const r = rowOf.get(ev);
    if (r === undefined) continue;
    const yy = y(r);
    if (ev.t !== lastTime) {
      body.push(`<text x="12" y="${yy + 4}" fill="#777" font-size="11">${esc(clockLabel(ev.t))}</text>`);
      lastTime = ev.t;
    }
    const x = ev.side === 'A' ? XA : XB;
    const outer = ev.side === 'A' ? XA - 14 : XB + 14;
    const anchor = ev.side === 'A' ? 'end' : 'start';
    switch (ev.kind) {
      case 'state': {
        const label = stateLabel(ev.to);
        const w = label.length * 8 + 16;
        body.push(
          `<rect x="${x - w / 2}" y="${yy - 11}" width="${w}" height="20" rx="6" fill="${STATE_FILL[ev.to] ?? '#fcf3cf'}" stroke="#333"/>`,
          `<text x="${x}" y="${yy + 4}" text-anchor="middle" font-weight="bold">${esc(label)}</text>`,
        );
        break;
      }
      case 'call':
        body.push(
          `<text x="${outer}" y="${yy + 4}" text-anchor="${anchor}" fill="#1a5276">${esc(ev.label)}</text>`,
        );
        break;
      case 'timer':
        body.push(
          `<text x="${outer}" y="${yy + 4}" text-anchor="${anchor}" fill="#777" font-size="12">${esc(
            ev.action === 'start'
              ? `timer ${timerLabel(ev.timer)} ${durationLabel((ev.deadline ?? ev.t) - ev.t)}`
              : `${timerLabel(ev.timer)} expired`,
          )}</text>`,
        );
        break;
      case 'message':
        body.push(
          `<text x="${outer}" y="${yy + 4}" text-anchor="${anchor}" fill="#777" font-size="12">${esc(ev.message)}</text>`,
        );
        break;
      case 'send': {
        const toX = ev.side === 'A' ? XB : XA;
        const label = `${segmentLabel(ev.segment)}${ev.retransmission ? ' (rtx)' : ''}`;
        if (ev.fate === 'dropped') {
          const mx = (x + toX) / 2 + (toX > x ? 60 : -60);
          const my = yy + ROW;
          body.push(
            `<line x1="${x}" y1="${yy}" x2="${mx}" y2="${my}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="5 3"/>`,
            `<text x="${mx}" y="${my + 5}" text-anchor="middle" fill="#c0392b" font-size="16" font-weight="bold">✕</text>`,
            `<text x="${(x + mx) / 2}" y="${yy - 4}" text-anchor="middle" fill="#c0392b">${esc(label)} (lost)</text>`,
          );
        } else {
          const ar = arrivalRow.get(ev.id) ?? r + 1;
          const y2 = y(ar);
          body.push(
            `<line x1="${x}" y1="${yy}" x2="${toX}" y2="${y2}" stroke="#222" stroke-width="1.5" marker-end="url(#arrow)"/>`,
            `<text x="${(x + toX) / 2}" y="${(yy + y2) / 2 - 6}" text-anchor="middle">${esc(label)}</text>`,
          );
        }
        break;
      }
      default:
        break;
    }
  }
  body.push(
    `<text x="${WIDTH / 2}" y="${y(row + 2)}" text-anchor="middle" fill="#555">final: A ${esc(stateLabel(trace.final.A))}, B ${esc(stateLabel(trace.final.B))}</text>`,
  );
  return svgDocument(WIDTH, height, body);
}
