/** The RFC 9293 state diagram as terminal text, Mermaid, DOT and SVG, optionally highlighting a trace's path. */
import { RFC_NAME } from '../../fsm/engine.ts';
import { TCP_STATES, type TcpState } from '../../states/states.ts';
import { RFC_EDGES } from '../../states/transitions.ts';
import type { Colors } from '../color.ts';
import { esc, svgDocument } from '../svg.ts';
import { edgeKey, POSITIONS } from './edges.ts';
import { FIGURE } from './figure.ts';

export interface DiagramOptions {
  /** Edges to highlight (`FROM>TO`), e.g. from pathEdges(trace paths). */
  highlight?: Set<string>;
  title?: string;
}

const mermaidId = (s: TcpState) => s;

export function renderStateMermaid(o: DiagramOptions = {}): string {
  const out = ['stateDiagram-v2', '  [*] --> CLOSED'];
  for (const s of TCP_STATES) out.push(`  state "${RFC_NAME[s]}" as ${mermaidId(s)}`);
  for (const e of RFC_EDGES) out.push(`  ${e.from} --> ${e.to}: ${e.label}`);
  if (o.highlight && o.highlight.size > 0) {
    out.push('  classDef visited fill:#fdebd0,stroke:#c0392b,stroke-width:2px');
    const visited = new Set<string>();
    for (const k of o.highlight) for (const s of k.split('>')) visited.add(s);
    for (const s of visited) out.push(`  class ${s} visited`);
  }
  return `${out.join('\n')}\n`;
}

export function renderStateDot(o: DiagramOptions = {}): string {
  const out = [
    'digraph tcp {',
    `  label="${o.title ?? 'TCP connection states (RFC 9293 Figure 5)'}"; labelloc=t; fontname="Helvetica";`,
    '  node [shape=box, style="rounded", fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const s of TCP_STATES) out.push(`  ${s} [label="${RFC_NAME[s]}"];`);
  for (const e of RFC_EDGES) {
    const hl = o.highlight?.has(edgeKey(e.from, e.to));
    const attrs = [`label="${e.label}"`];
    if (!e.figure) attrs.push('style=dashed');
    if (hl) attrs.push('color="#c0392b"', 'penwidth=2.5', 'fontcolor="#c0392b"');
    out.push(`  ${e.from} -> ${e.to} [${attrs.join(', ')}];`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

/**
 * Terminal: the figure, with the states a highlighted scenario visits in colour (or marked with * in plain
 * output), followed by the transitions it took.
 */
export function renderStateText(o: DiagramOptions & { colors?: Colors; ascii?: boolean } = {}): string {
  const c = o.colors;
  const visited = new Set<string>();
  for (const k of o.highlight ?? []) for (const s of k.split('>')) visited.add(RFC_NAME[s as TcpState]);
  let fig = FIGURE;
  if (visited.size > 0) {
    fig = fig.replace(
      /(CLOSED|LISTEN|SYN-SENT|SYN-RECEIVED|ESTABLISHED|FIN-WAIT-1|FIN-WAIT-2|CLOSE-WAIT|CLOSING|LAST-ACK|TIME-WAIT)(\s*)(│)/g,
      (m, name: string, sp: string, bar: string) => {
        if (!visited.has(name)) return m;
        if (c?.isColorSupported) return `${c.bold(c.red(name))}${sp}${bar}`;
        return sp.length > 0 ? `${name}*${sp.slice(1)}${bar}` : m;
      },
    );
  }
  if (o.ascii) fig = toAscii(fig);
  const lines: string[] = [o.title ?? 'TCP connection states (RFC 9293 §3.3.2, Figure 5)', '', fig, ''];
  if (o.highlight && o.highlight.size > 0) {
    lines.push(c ? c.bold('Transitions taken:') : 'Transitions taken (* = state visited):');
    for (const e of RFC_EDGES) {
      if (!o.highlight.has(edgeKey(e.from, e.to))) continue;
      lines.push(`  ${RFC_NAME[e.from]} ${o.ascii ? '-->' : '──▶'} ${RFC_NAME[e.to]}   ${e.label}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function toAscii(text: string): string {
  const map: Record<string, string> = {
    '─': '-',
    '│': '|',
    '┌': '+',
    '┐': '+',
    '└': '+',
    '┘': '+',
    '├': '+',
    '┤': '+',
    '┴': '+',
    '┬': '+',
    '▶': '>',
    '◀': '<',
    '▼': 'v',
    '▲': '^',
  };
  return text.replace(/[─│┌┐└┘├┤┴┬▶◀▼▲]/g, (ch) => map[ch] ?? ch);
}

const CELL_W = 300;
const CELL_H = 110;
const BOX_W = 150;
const BOX_H = 36;

export function renderStateSvg(o: DiagramOptions = {}): string {
  const width = 3 * CELL_W + 80;
  const height = 7 * CELL_H + 90;
  const at = (col: number, row: number): [number, number] => [
    70 + col * CELL_W + CELL_W / 2 - 30,
    80 + row * CELL_H + BOX_H / 2,
  ];
  const center = (s: TcpState): [number, number] => at(...POSITIONS[s]);
  // As in RFC 9293 Figure 5, CLOSED is drawn twice: at the top (where connections start) and bottom right
  // (where the closing states end), so the closing edges do not cross the whole figure.
  const LOWER: ReadonlySet<TcpState> = new Set([
    'ESTABLISHED',
    'FIN_WAIT_1',
    'FIN_WAIT_2',
    'CLOSE_WAIT',
    'CLOSING',
    'LAST_ACK',
    'TIME_WAIT',
  ]);
  const bottomClosed = at(2, 6);
  const body: string[] = [
    `<text x="${width / 2}" y="32" text-anchor="middle" font-size="17" font-weight="bold">${esc(o.title ?? 'TCP connection states (RFC 9293 Figure 5)')}</text>`,
  ];
  // Parallel edges between the same pair are offset so both stay readable.
  const seen = new Map<string, number>();
  for (const e of RFC_EDGES) {
    const hl = o.highlight?.has(edgeKey(e.from, e.to)) ?? false;
    if (!e.figure && !hl) continue; // Note 3 edges only when a scenario takes them
    const [x1, y1] = center(e.from);
    const [x2, y2] = e.to === 'CLOSED' && LOWER.has(e.from) ? bottomClosed : center(e.to);
    const pair = [e.from, e.to].sort().join('|');
    const n = seen.get(pair) ?? 0;
    seen.set(pair, n + 1);
    // Clip to the box edges.
    const dx = x2 - x1;
    const dy = y2 - y1;
    const len = Math.hypot(dx, dy) || 1;
    const tx = Math.abs(dx) / len > 0.0001 ? BOX_W / 2 / Math.abs(dx / len) : Number.POSITIVE_INFINITY;
    const ty = Math.abs(dy) / len > 0.0001 ? BOX_H / 2 / Math.abs(dy / len) : Number.POSITIVE_INFINITY;
    const t = Math.min(tx, ty) + 4;
    const sx = x1 + (dx / len) * t;
    const sy = y1 + (dy / len) * t;
    const ex = x2 - (dx / len) * t;
    const ey = y2 - (dy / len) * t;
    const bend = n === 0 ? 0 : 40;
    const cx = (sx + ex) / 2 + (-dy / len) * bend;
    const cy = (sy + ey) / 2 + (dx / len) * bend;
    const color = hl ? '#c0392b' : e.figure ? '#333' : '#999';
    body.push(
      `<path d="M ${sx.toFixed(1)} ${sy.toFixed(1)} Q ${cx.toFixed(1)} ${cy.toFixed(1)} ${ex.toFixed(1)} ${ey.toFixed(1)}" fill="none" stroke="${color}" stroke-width="${hl ? 2.5 : 1.3}"${e.figure ? '' : ' stroke-dasharray="5 4"'} marker-end="url(#${hl ? 'arrow-hl' : 'arrow'})"/>`,
    );
    const lx = 0.25 * sx + 0.5 * cx + 0.25 * ex;
    const ly = 0.25 * sy + 0.5 * cy + 0.25 * ey;
    body.push(
      `<text x="${lx.toFixed(1)}" y="${(ly - 3).toFixed(1)}" text-anchor="middle" font-size="10.5" fill="${hl ? '#c0392b' : '#444'}" stroke="#fff" stroke-width="3" paint-order="stroke">${esc(e.label)}</text>`,
    );
  }
  const visited = new Set<string>();
  for (const k of o.highlight ?? []) for (const s of k.split('>')) visited.add(s);
  for (const s of TCP_STATES) {
    const [x, y] = center(s);
    const v = visited.has(s);
    body.push(
      `<rect x="${x - BOX_W / 2}" y="${y - BOX_H / 2}" width="${BOX_W}" height="${BOX_H}" rx="8" fill="${v ? '#fdebd0' : '#eaf2f8'}" stroke="${v ? '#c0392b' : '#1f4e79'}" stroke-width="${v ? 2.5 : 1.5}"/>`,
      `<text x="${x}" y="${y + 5}" text-anchor="middle" font-weight="bold" font-size="14">${RFC_NAME[s]}</text>`,
    );
  }
  const closedSeen = visited.has('CLOSED');
  body.push(
    `<rect x="${bottomClosed[0] - BOX_W / 2}" y="${bottomClosed[1] - BOX_H / 2}" width="${BOX_W}" height="${BOX_H}" rx="8" fill="${closedSeen ? '#fdebd0' : '#eaf2f8'}" stroke="${closedSeen ? '#c0392b' : '#1f4e79'}" stroke-width="${closedSeen ? 2.5 : 1.5}"/>`,
    `<text x="${bottomClosed[0]}" y="${bottomClosed[1] + 5}" text-anchor="middle" font-weight="bold" font-size="14">CLOSED</text>`,
  );
  body.push(
    `<text x="20" y="${height - 20}" font-size="11" fill="#666">Note 3 transitions (RST, ABORT, timeouts) are drawn dashed, and only when the scenario takes them${o.highlight?.size ? '; red: the highlighted scenario' : ''}</text>`,
  );
  return svgDocument(width, height, body);
}
