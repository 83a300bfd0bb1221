/**
 * The sequence diagram in the terminal: two lifelines, one row per event in virtual-time order, every segment
 * with its flags and numbers, the state each end enters and the timers it starts, expires and how long they run.
 */
import type { Trace, TraceEvent } from '../../sim/simulator.ts';
import type { Colors } from '../color.ts';
import { stateColor } from '../color.ts';
import { clockLabel, durationLabel, segmentLabel, stateLabel, timerLabel } from './label.ts';

export interface TextOptions {
  ascii?: boolean;
  colors?: Colors;
  /** Show timer stops too (noisy; off by default). */
  verbose?: boolean;
}

const SIDE_W = 32;
const MID_W = 46;

interface Glyphs {
  line: string;
  life: string;
  right: string;
  left: string;
  lost: string;
  timer: string;
  expire: string;
  /** Between a call and the state it leads to, and along a path of states. */
  leadsTo: string;
  dot: string;
}

const UNICODE: Glyphs = {
  line: '─',
  life: '│',
  right: '▶',
  left: '◀',
  lost: '✕',
  timer: '⏱',
  expire: '⏲',
  leadsTo: '→',
  dot: '·',
};
const ASCII: Glyphs = {
  line: '-',
  life: '|',
  right: '>',
  left: '<',
  lost: 'X',
  timer: 'timer',
  expire: 'expired:',
  leadsTo: '->',
  dot: '-',
};

function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const len = [...text].length;
  if (len >= width) return text;
  return align === 'left' ? text + ' '.repeat(width - len) : ' '.repeat(width - len) + text;
}

function arrow(label: string, toRight: boolean, lost: boolean, g: Glyphs): string {
  const body = ` ${label} `;
  const room = MID_W - [...body].length - 1;
  if (lost) {
    const before = Math.max(2, Math.floor(room / 2));
    const s = `${g.line.repeat(before)}${body}${g.line.repeat(2)}${g.lost}`;
    return toRight
      ? pad(s, MID_W)
      : pad(`${g.lost}${g.line.repeat(2)}${body}${g.line.repeat(before)}`, MID_W, 'right');
  }
  const left = Math.max(1, Math.floor(room / 2));
  const right = Math.max(1, room - left);
  return toRight
    ? `${g.line.repeat(left)}${body}${g.line.repeat(right)}${g.right}`
    : `${g.left}${g.line.repeat(right)}${body}${g.line.repeat(left)}`;
}

export function renderSequenceText(trace: Trace, title: string, options: TextOptions = {}): string {
  const g = options.ascii ? ASCII : UNICODE;
  const c = options.colors;
  const paint = (state: Parameters<typeof stateLabel>[0]) =>
    c ? (t: string) => c.bold(stateColor(c, state)(t)) : (t: string) => t;
  const dim = c ? c.dim : (t: string) => t;
  const red = c ? c.red : (t: string) => t;
  const lines: string[] = [];
  lines.push(title);
  lines.push(
    dim(
      `profile ${trace.profile} ${g.dot} one-way delay ${durationLabel(trace.rules.delay)}${
        trace.rules.loss > 0
          ? ` ${g.dot} loss ${Math.round(trace.rules.loss * 100)}% seed ${trace.rules.seed}`
          : ''
      }`,
    ),
  );
  lines.push('');
  const TIME_W = 10;
  const row = (time: string, left: string, mid: string, right: string, leftRaw = left, rightRaw = right) => {
    const l = pad(leftRaw, SIDE_W, 'right').replace(leftRaw, left);
    const r = pad(rightRaw, SIDE_W).replace(rightRaw, right);
    let head = `${pad(time, TIME_W, 'right')} ${l}`;
    // A note wider than its column borrows from the blank time column, so the lifelines stay where they are.
    const over = [...leftRaw].length - SIDE_W;
    if (over > 0) head = head.replace(new RegExp(`^ {0,${over}}`), '');
    lines.push(`${head} ${g.life}${mid}${g.life} ${r}`.trimEnd());
  };
  const blank = ' '.repeat(MID_W);
  row('', 'A', blank, 'B');
  row('', stateLabel(trace.initial.A), blank, stateLabel(trace.initial.B));
  let lastTime = -1;
  // Merge side notes of one instant into one line: "connect() → SYN-SENT", "⏱ RTO 1 s, 2MSL 4 min".
  type Item = { t: number; cells: [string, string, string, string, string]; key: string };
  const items: Item[] = [];
  for (const ev of trace.events) {
    const rendered = eventRow(ev, g, paint, dim, red, options.verbose === true);
    if (!rendered) continue;
    const key =
      ev.kind === 'send'
        ? ''
        : `${ev.side}:${ev.kind === 'timer' && ev.action === 'start' ? 'timer' : ev.kind}`;
    const prev = items[items.length - 1];
    const i = ev.kind !== 'send' && ev.side === 'A' ? 0 : 2;
    if (prev && prev.t === ev.t && key !== '' && prev.key !== '' && prev.key.startsWith(ev.side)) {
      const joinable =
        (prev.key.endsWith(':call') && key.endsWith(':state')) ||
        (prev.key.endsWith(':timer') && key.endsWith(':timer'));
      if (joinable) {
        const sep = key.endsWith(':state') ? ` ${g.leadsTo} ` : ', ';
        const extra = key.endsWith(':timer') ? rendered[i].replace(/^\S+ /, '') : rendered[i];
        const j = i === 0 ? 3 : 4;
        const extraStyled = key.endsWith(':timer') ? dim(extra) : rendered[j];
        prev.cells[i] += sep + extra;
        prev.cells[j] += sep + extraStyled;
        prev.key = key;
        continue;
      }
    }
    items.push({ t: ev.t, cells: rendered, key });
  }
  for (const item of items) {
    const time = item.t === lastTime ? '' : clockLabel(item.t);
    lastTime = item.t;
    const [leftRaw, mid, rightRaw, left, right] = item.cells;
    row(time, left, mid, right, leftRaw, rightRaw);
  }
  lines.push('');
  lines.push(
    `final: A ${stateLabel(trace.final.A)}, B ${stateLabel(trace.final.B)} at ${clockLabel(trace.endedAt)}`,
  );
  lines.push(`A: ${trace.path.A.map(stateLabel).join(` ${g.leadsTo} `)}`);
  lines.push(`B: ${trace.path.B.map(stateLabel).join(` ${g.leadsTo} `)}`);
  return `${lines.join('\n')}\n`;
}

type Painter = (t: string) => string;

function eventRow(
  ev: TraceEvent,
  g: Glyphs,
  paint: (s: Parameters<typeof stateLabel>[0]) => Painter,
  dim: Painter,
  red: Painter,
  verbose: boolean,
): [string, string, string, string, string] | null {
  const blank = ' '.repeat(MID_W);
  const side = (text: string, styled: string, onA: boolean): [string, string, string, string, string] =>
    onA ? [text, blank, '', styled, ''] : ['', blank, text, '', styled];
  switch (ev.kind) {
    case 'call':
      return side(ev.label, ev.label, ev.side === 'A');
    case 'state': {
      const t = stateLabel(ev.to);
      return side(t, paint(ev.to)(t), ev.side === 'A');
    }
    case 'send': {
      let label = segmentLabel(ev.segment);
      if (ev.retransmission) label += ' (rtx)';
      const lost = ev.fate === 'dropped';
      const mid = arrow(label, ev.side === 'A', lost, g);
      const note = lost ? `lost (${ev.rule ?? 'rule'})` : ev.fate === 'duplicated' ? 'duplicated' : '';
      return ev.side === 'A'
        ? ['', lost ? red(mid) : mid, note, '', note ? red(note) : '']
        : [note, lost ? red(mid) : mid, '', note ? red(note) : '', ''];
    }
    case 'timer': {
      if (ev.action === 'stop' && !verbose) return null;
      const name = timerLabel(ev.timer);
      const text =
        ev.action === 'start'
          ? `${g.timer} ${name} ${durationLabel((ev.deadline ?? ev.t) - ev.t)}`
          : ev.action === 'expire'
            ? `${g.expire} ${name} expired`
            : `${name} stopped`;
      return side(text, dim(text), ev.side === 'A');
    }
    case 'message':
      return side(ev.message, dim(ev.message), ev.side === 'A');
    case 'receive':
      if (!ev.note) return null;
      return side(ev.note, dim(ev.note), ev.side === 'A');
  }
}
