import { TIMER_SETTINGS_ZH, TIMER_VALUES_ZH } from '../states/explain/facts-zh.ts';
import type { Lang, StateExplanation } from '../states/explain/types.ts';
import { STACKS } from '../states/explain/types.ts';
import { type NameStyle, stateName } from '../states/states.ts';
import { type Colors, stateColor } from './color.ts';
import { displayWidth, wrap } from './wrap.ts';

const LABELS: Record<Lang, Record<string, string>> = {
  en: {
    state: 'STATE',
    summary: 'WHAT IT MEANS',
    side: 'Who is in it',
    meaning: 'Meaning',
    entered: 'Entered by',
    left: 'Left by',
    timer: 'Timer',
    many: 'When there are many',
    misconceptions: 'Common misconceptions',
    spellings: 'Spellings',
    references: 'References',
    hint: 'tcpstate explain STATE shows one state in full (any spelling: time-wait, TIME_WAIT, SYN_RCVD, WARTEND ...)',
  },
  zh: {
    state: '状态',
    summary: '含义',
    side: '处于该状态的一方',
    meaning: '含义',
    entered: '如何进入',
    left: '如何离开',
    timer: '定时器',
    many: '大量出现时通常意味着',
    misconceptions: '常见误解',
    spellings: '各工具中的写法',
    references: '参考',
    hint: 'tcpstate explain 状态名 可查看某个状态的完整说明（任何写法均可：time-wait、TIME_WAIT、SYN_RCVD、WARTEND……）',
  },
};

const STACK_LABELS: Record<(typeof STACKS)[number], string> = {
  rfc: 'RFC 9293',
  linux: 'Linux',
  freebsd: 'FreeBSD',
  macos: 'macOS',
  windows: 'Windows',
};

function block(label: string, lines: string[], c: Colors): string {
  return [c.bold(label), ...lines].join('\n');
}

function para(text: string, width: number, indent = 2): string[] {
  return wrap(text, width - indent).map((l) => ' '.repeat(indent) + l);
}

function bullets(items: string[], width: number): string[] {
  return items.flatMap((item) => wrap(item, width - 4).map((l, i) => (i === 0 ? `  • ${l}` : `    ${l}`)));
}

/** One state in full: meaning, side, transitions, timers per stack, what many mean, misconceptions, spellings. */
export function renderExplanation(
  e: StateExplanation,
  o: { lang: Lang; colors: Colors; width: number; names: NameStyle },
): string {
  const t = e.text[o.lang];
  const L = LABELS[o.lang];
  const c = o.colors;
  const w = Math.max(40, Math.min(o.width, 100));
  const title = `${stateColor(c, e.state)(c.bold(stateName(e.state, o.names)))} — ${t.summary}`;
  const timerLines = STACKS.map((stack) => {
    const f = e.timers[stack];
    const head = `  ${STACK_LABELS[stack].padEnd(9)} `;
    const value = o.lang === 'zh' ? (TIMER_VALUES_ZH[f.value] ?? f.value) : f.value;
    const setting = f.setting && o.lang === 'zh' ? (TIMER_SETTINGS_ZH[f.setting] ?? f.setting) : f.setting;
    const text = `${value}${setting ? ` [${setting}]` : ''}`;
    const wrapped = wrap(text, w - head.length);
    return [head + wrapped[0], ...wrapped.slice(1).map((l) => ' '.repeat(head.length) + l)].join('\n');
  });
  const spellings = Object.entries(e.spellings)
    .map(([k, v]) => `${k} ${c.bold(v)}`)
    .join(' · ');
  return [
    ...wrap(title, w),
    '',
    block(L.meaning!, para(t.meaning, w), c),
    '',
    block(L.side!, para(t.side, w), c),
    '',
    block(L.entered!, bullets(t.enteredBy, w), c),
    '',
    block(L.left!, bullets(t.leftBy, w), c),
    '',
    block(`${L.timer}: ${t.timer}`, timerLines, c),
    '',
    block(L.many!, para(t.manyMeans, w), c),
    '',
    block(L.misconceptions!, bullets(t.misconceptions, w), c),
    '',
    block(L.spellings!, para(spellings, w), c),
    ...wrap(`${L.references}: ${e.references.join('; ')}`, w).map((l) => c.dim(l)),
  ].join('\n');
}

/** All states as a table: state, who is in it, what it means, the Linux timer. Fits the terminal width. */
export function renderExplanationTable(
  all: StateExplanation[],
  o: { lang: Lang; colors: Colors; width: number; names: NameStyle },
): string {
  const c = o.colors;
  const L = LABELS[o.lang];
  const w = Math.max(60, Math.min(o.width, 120));
  const nameWidth = Math.max(...all.map((e) => displayWidth(stateName(e.state, o.names)))) + 2;
  const textWidth = w - nameWidth;
  const lines: string[] = [`${c.bold(L.state!.padEnd(nameWidth))}${c.bold(L.summary!)}`];
  for (const e of all) {
    const t = e.text[o.lang];
    const name = stateName(e.state, o.names);
    const body = [
      ...wrap(t.summary, textWidth),
      ...wrap(`${L.side}: ${t.side}`, textWidth).map((l) => c.dim(l)),
    ];
    body.forEach((l, i) => {
      const left =
        i === 0
          ? stateColor(c, e.state)(name) + ' '.repeat(nameWidth - displayWidth(name))
          : ' '.repeat(nameWidth);
      lines.push(left + l);
    });
  }
  lines.push('', c.dim(wrap(L.hint!, w).join('\n')));
  return lines.join('\n');
}
