/**
 * The TCP state diagram, hand-placed like RFC 9293 Figure 5: CLOSED on top, LISTEN under it, the two SYN states
 * left and right, ESTABLISHED in the middle, the active close down the left, the passive close down the right,
 * TIME-WAIT at the bottom and a second CLOSED box where the figure has one. Each box shows its live count; each
 * arrow its observed transitions per second.
 */

import { stateName, TCP_STATES, type TcpState } from '../../src/states/states.ts';
import { FIGURE_EDGES } from '../../src/states/transitions.ts';

const SVG = 'http://www.w3.org/2000/svg';
const W = 130;
const H = 50;

const BOXES: Record<TcpState, [number, number]> = {
  CLOSED: [390, 45],
  LISTEN: [390, 165],
  SYN_RECEIVED: [110, 290],
  SYN_SENT: [670, 290],
  ESTABLISHED: [390, 410],
  FIN_WAIT_1: [110, 530],
  CLOSE_WAIT: [670, 530],
  FIN_WAIT_2: [110, 650],
  CLOSING: [390, 650],
  LAST_ACK: [670, 650],
  TIME_WAIT: [390, 750],
};
/** The figure's second CLOSED box, bottom right, where LAST-ACK and TIME-WAIT end. */
const CLOSED_BOTTOM: [number, number] = [670, 750];

/** Colour family per state: opening, open, closing actively, closing passively, waiting out. */
const KIND: Record<TcpState, string> = {
  CLOSED: 'idle',
  LISTEN: 'listen',
  SYN_SENT: 'open',
  SYN_RECEIVED: 'open',
  ESTABLISHED: 'estab',
  FIN_WAIT_1: 'active',
  FIN_WAIT_2: 'active',
  CLOSING: 'active',
  TIME_WAIT: 'tw',
  CLOSE_WAIT: 'passive',
  LAST_ACK: 'passive',
};

interface EdgeLayout {
  path: string;
  label: [number, number, 'start' | 'middle' | 'end'];
  text: string;
}

const EDGES: Record<string, EdgeLayout> = {
  'CLOSED>LISTEN': { path: 'M370 70 V140', label: [362, 102, 'end'], text: 'passive OPEN' },
  'LISTEN>CLOSED': { path: 'M410 140 V70', label: [418, 102, 'start'], text: 'CLOSE' },
  'CLOSED>SYN_SENT': { path: 'M455 30 H700 V265', label: [578, 24, 'middle'], text: 'active OPEN / snd SYN' },
  'SYN_SENT>CLOSED': { path: 'M650 265 V55 H455', label: [552, 49, 'middle'], text: 'CLOSE / RST / timeout' },
  'LISTEN>SYN_SENT': { path: 'M455 180 L605 278', label: [540, 218, 'start'], text: 'SEND / snd SYN' },
  'LISTEN>SYN_RECEIVED': {
    path: 'M325 180 L175 278',
    label: [244, 218, 'end'],
    text: 'rcv SYN / snd SYN,ACK',
  },
  'SYN_RECEIVED>LISTEN': { path: 'M80 265 V158 H325', label: [88, 151, 'start'], text: 'rcv RST (note 1)' },
  'SYN_SENT>SYN_RECEIVED': {
    path: 'M605 292 H175',
    label: [390, 284, 'middle'],
    text: 'rcv SYN / snd SYN,ACK (simultaneous open)',
  },
  'SYN_RECEIVED>ESTABLISHED': { path: 'M150 315 L330 388', label: [212, 366, 'end'], text: 'rcv ACK of SYN' },
  'SYN_SENT>ESTABLISHED': {
    path: 'M630 315 L450 388',
    label: [568, 366, 'start'],
    text: 'rcv SYN,ACK / snd ACK',
  },
  'SYN_RECEIVED>FIN_WAIT_1': { path: 'M90 315 V505', label: [98, 402, 'start'], text: 'CLOSE / snd FIN' },
  'ESTABLISHED>FIN_WAIT_1': { path: 'M325 425 L175 515', label: [242, 446, 'end'], text: 'CLOSE / snd FIN' },
  'ESTABLISHED>CLOSE_WAIT': {
    path: 'M455 425 L605 515',
    label: [538, 446, 'start'],
    text: 'rcv FIN / snd ACK',
  },
  'FIN_WAIT_1>FIN_WAIT_2': { path: 'M90 555 V625', label: [98, 592, 'start'], text: 'rcv ACK of FIN' },
  'FIN_WAIT_1>CLOSING': { path: 'M175 545 L330 627', label: [268, 574, 'start'], text: 'rcv FIN / snd ACK' },
  'FIN_WAIT_1>TIME_WAIT': {
    path: 'M140 555 Q235 700 325 742',
    label: [246, 712, 'start'],
    text: 'rcv FIN+ACK (note 2)',
  },
  'FIN_WAIT_2>TIME_WAIT': {
    path: 'M90 675 V758 H325',
    label: [150, 752, 'start'],
    text: 'rcv FIN / snd ACK',
  },
  'CLOSING>TIME_WAIT': { path: 'M390 675 V725', label: [398, 703, 'start'], text: 'rcv ACK of FIN' },
  'CLOSE_WAIT>LAST_ACK': { path: 'M670 555 V625', label: [678, 592, 'start'], text: 'CLOSE / snd FIN' },
  'LAST_ACK>CLOSED': { path: 'M670 675 V725', label: [678, 703, 'start'], text: 'rcv ACK of FIN' },
  'TIME_WAIT>CLOSED': { path: 'M455 750 H605', label: [530, 742, 'middle'], text: 'timeout 2MSL' },
};

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
  parent?: Element,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  parent?.appendChild(node);
  return node;
}

export interface DiagramHandle {
  update(counts: Record<TcpState, number>, rates: Map<string, number>): void;
  select(state: TcpState | undefined): void;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 100) return `${Math.round(perSecond)}/s`;
  if (perSecond >= 10) return `${perSecond.toFixed(1)}/s`;
  if (perSecond >= 0.01) return `${perSecond.toFixed(2)}/s`;
  return `<0.01/s`;
}

export function createDiagram(container: HTMLElement, onSelect: (state: TcpState) => void): DiagramHandle {
  const svg = el('svg', {
    viewBox: '0 0 780 790',
    role: 'img',
    'aria-label': 'TCP state diagram with live counts',
    class: 'fsm',
  });
  const defs = el('defs', {}, svg);
  for (const [id, cls] of [
    ['arrow', 'arrowhead'],
    ['arrow-active', 'arrowhead active'],
  ] as const) {
    const marker = el(
      'marker',
      {
        id,
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto-start-reverse',
      },
      defs,
    );
    el('path', { d: 'M0 0 L10 5 L0 10 z', class: cls }, marker);
  }

  const edgeLayer = el('g', { class: 'edges' }, svg);
  const rateText = new Map<string, SVGTextElement>();
  const edgeGroups = new Map<string, SVGGElement>();
  for (const { from, to } of FIGURE_EDGES) {
    const key = `${from}>${to}`;
    const layout = EDGES[key];
    if (!layout) continue;
    const g = el('g', { class: 'edge', 'data-from': from, 'data-to': to }, edgeLayer);
    el('path', { d: layout.path, class: 'edge-line', 'marker-end': 'url(#arrow)' }, g);
    const [x, y, anchor] = layout.label;
    const label = el('text', { x, y, 'text-anchor': anchor, class: 'edge-label' }, g);
    label.textContent = layout.text;
    const rate = el('text', { x, y: y + 13, 'text-anchor': anchor, class: 'edge-rate' }, g);
    rateText.set(key, rate);
    edgeGroups.set(key, g);
  }

  const boxLayer = el('g', { class: 'boxes' }, svg);
  const countText = new Map<TcpState, SVGTextElement>();
  const boxGroups = new Map<TcpState, SVGGElement>();
  const drawBox = (state: TcpState, [cx, cy]: [number, number], primary: boolean) => {
    const g = el(
      'g',
      {
        class: `state kind-${KIND[state]}${primary ? '' : ' ghost'}`,
        ...(primary ? { 'data-state': state, tabindex: 0, role: 'button' } : { 'data-ghost': state }),
      },
      boxLayer,
    );
    el('rect', { x: cx - W / 2, y: cy - H / 2, width: W, height: H, rx: 10 }, g);
    const name = el('text', { x: cx, y: cy - 6, 'text-anchor': 'middle', class: 'state-name' }, g);
    name.textContent = stateName(state, 'rfc');
    if (primary) {
      const count = el('text', { x: cx, y: cy + 16, 'text-anchor': 'middle', class: 'state-count' }, g);
      count.textContent = '–';
      countText.set(state, count);
      boxGroups.set(state, g);
      g.setAttribute('aria-label', `${stateName(state, 'rfc')}: show explanation and connections`);
      g.addEventListener('click', () => onSelect(state));
      g.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          onSelect(state);
        }
      });
    } else {
      const sub = el('text', { x: cx, y: cy + 14, 'text-anchor': 'middle', class: 'state-sub' }, g);
      sub.textContent = '(connection gone)';
    }
  };
  for (const state of TCP_STATES) drawBox(state, BOXES[state], true);
  drawBox('CLOSED', CLOSED_BOTTOM, false);
  container.replaceChildren(svg);

  return {
    update(counts, rates) {
      const max = Math.max(1, ...TCP_STATES.map((s) => counts[s]));
      for (const state of TCP_STATES) {
        const n = counts[state];
        countText.get(state)!.textContent = n.toLocaleString('en-US');
        const g = boxGroups.get(state)!;
        g.dataset.count = String(n);
        g.classList.toggle('empty', n === 0);
        // Heat: how full this state is relative to the busiest one, in five steps for the CSS.
        g.dataset.heat =
          n === 0 ? '0' : String(Math.min(4, 1 + Math.floor((Math.log10(n) / Math.log10(max + 1)) * 4)));
      }
      for (const [key, text] of rateText) {
        const rate = rates.get(key) ?? 0;
        const g = edgeGroups.get(key)!;
        text.textContent = rate > 0 ? formatRate(rate) : '';
        g.classList.toggle('active', rate > 0);
        g.dataset.rate = rate.toFixed(3);
        g.querySelector('path')!.setAttribute('marker-end', rate > 0 ? 'url(#arrow-active)' : 'url(#arrow)');
      }
    },
    select(state) {
      for (const [s, g] of boxGroups) g.classList.toggle('selected', s === state);
    },
  };
}
