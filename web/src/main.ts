/**
 * The tcpstate dashboard. Data arrives once per interval as a `sample` event (the server samples once for
 * everyone); nothing here polls. Every value from the server is inserted as text, never as HTML.
 */
import './style.css';
import type { Group } from '../../src/analysis/groups.ts';
import type { Finding } from '../../src/model/finding.ts';
import type { Socket } from '../../src/model/snapshot.ts';
import type { ApiStateExplanation } from '../../src/server/explanations.ts';
import type { LiveDocument } from '../../src/server/live.ts';
import { stateName, TCP_STATES, type TcpState } from '../../src/states/states.ts';
import { ApiError, getJson, openEvents } from './api.ts';
import { type HistoryPoint, type Series, StateChart, withHistory } from './chart.ts';
import { createDiagram, formatRate } from './diagram.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; text?: string; title?: string } = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title) node.title = props.title;
  for (const c of children) node.append(c);
  return node;
}

function table(head: string[], rows: (string | number)[][], numeric: boolean[] = []): HTMLElement {
  if (!rows.length) return h('p', { class: 'muted', text: 'none' });
  const t = h('table');
  const tr = h('tr');
  head.forEach((cell, i) => void tr.append(h('th', { text: cell, ...(numeric[i] ? { class: 'num' } : {}) })));
  t.append(h('thead', {}, [tr]));
  const body = h('tbody');
  for (const row of rows) {
    const r = h('tr');
    row.forEach(
      (cell, i) =>
        void r.append(
          h('td', {
            text: typeof cell === 'number' ? cell.toLocaleString('en-US') : cell,
            ...(numeric[i] ? { class: 'num' } : {}),
          }),
        ),
    );
    body.append(r);
  }
  t.append(body);
  return h('div', { class: 'table-wrap' }, [t]);
}

function topStates(g: Group): string {
  return TCP_STATES.filter((s) => g.byState[s] > 0)
    .sort((a, b) => g.byState[b] - g.byState[a])
    .slice(0, 3)
    .map((s) => `${stateName(s, 'rfc')} ${g.byState[s].toLocaleString('en-US')}`)
    .join(', ');
}

function groupTable(groups: Group[] | undefined, what: string, note?: string): HTMLElement {
  if (!groups) return h('p', { class: 'muted', text: note ?? 'not available' });
  return table(
    [what, 'total', 'states'],
    groups.map((g) => [
      g.direction ? `${g.key} ${g.direction === 'in' ? '(served)' : '(used)'}` : g.key,
      g.total,
      topStates(g),
    ]),
    [false, true, false],
  );
}

function endpoint(e: Socket['local']): string {
  const host = e.address.includes(':') ? `[${e.address}]` : e.address;
  return `${host}:${e.port ?? e.service ?? '*'}`;
}

// ---- theme ----------------------------------------------------------------------------------------------------
const THEMES = ['auto', 'light', 'dark'] as const;
type Theme = (typeof THEMES)[number];
let chart: StateChart | undefined;

function applyTheme(theme: Theme): void {
  if (theme === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  $('theme').textContent = `theme: ${theme}`;
  localStorage.setItem('tcpstate-theme', theme);
  chart?.build();
}

// ---- findings ---------------------------------------------------------------------------------------------------
function renderFindings(findings: Finding[]): void {
  $('findings-count').textContent = String(findings.length);
  const box = $('findings');
  if (!findings.length) {
    box.replaceChildren(
      h('p', { class: 'muted', text: 'No findings: nothing looks wrong in the latest snapshot.' }),
    );
    return;
  }
  const order = { critical: 0, warning: 1, info: 2 };
  const sorted = [...findings].sort((a, b) => order[a.severity] - order[b.severity]);
  box.replaceChildren(
    ...sorted.map((f, index) => {
      const metrics = Object.entries(f.evidence.metrics).map(([k, v]) =>
        h('span', { class: 'metric', text: `${k}: ${v}` }),
      );
      const parts: Node[] = [
        h('div', { class: 'finding-head' }, [
          h('span', { class: `sev sev-${f.severity}`, text: f.severity }),
          h('strong', { text: f.title }),
          h('code', { class: 'rule', text: f.rule }),
        ]),
        h('div', { class: 'metrics' }, metrics),
      ];
      if (f.evidence.top?.length) {
        parts.push(
          table(
            ['', 'key', 'count'],
            f.evidence.top.map((t) => [t.kind, t.key, t.count]),
            [false, false, true],
          ),
        );
      }
      if (f.evidence.examples?.length) {
        parts.push(h('pre', { class: 'examples', text: f.evidence.examples.join('\n') }));
      }
      parts.push(h('p', { text: f.explanation.en }));
      parts.push(h('p', { class: 'fix', text: `Fix: ${f.fix.en}` }));
      const box = h('details', { class: `finding sev-border-${f.severity}` }, [
        h('summary', {}, parts.slice(0, 1)),
        ...parts.slice(1),
      ]);
      // The worst few open with their evidence; the rest stay one line each.
      box.open = index < 3 && f.severity !== 'info';
      return box;
    }),
  );
}

// ---- the details panel ------------------------------------------------------------------------------------------
type Lang = 'en' | 'zh';
let lang: Lang = localStorage.getItem('tcpstate-lang') === 'zh' ? 'zh' : 'en';
const LABELS = {
  en: {
    side: 'Who is in it',
    many: 'Many of them usually mean',
    timer: 'Timer',
    entered: 'Entered by',
    left: 'Left by',
    myths: 'Misconceptions',
  },
  zh: {
    side: '处于该状态的一方',
    many: '大量出现通常意味着',
    timer: '计时器',
    entered: '进入方式',
    left: '离开方式',
    myths: '常见误解',
  },
};

function list(items: string[]): HTMLElement {
  return h(
    'ul',
    {},
    items.map((t) => h('li', { text: t })),
  );
}

function explanationNodes(info: ApiStateExplanation): Node[] {
  const text = info.details?.text[lang];
  if (!text)
    return [
      h('p', { text: info.summary }),
      ...(info.timer ? [h('p', { class: 'muted', text: info.timer })] : []),
    ];
  const l = LABELS[lang];
  const nodes: Node[] = [h('p', { class: 'lead', text: text.summary }), h('p', { text: text.meaning })];
  nodes.push(h('p', {}, [h('strong', { text: `${l.side}: ` }), text.side]));
  nodes.push(h('p', {}, [h('strong', { text: `${l.many}: ` }), text.manyMeans]));
  const timers = info.details!.timers;
  nodes.push(h('p', {}, [h('strong', { text: `${l.timer}: ` }), text.timer]));
  nodes.push(
    table(
      ['stack', 'value', 'setting'],
      Object.entries(timers).map(([stack, t]) => [stack, t.value, t.setting ?? '']),
    ),
  );
  nodes.push(
    h('h3', { text: l.entered }),
    list(text.enteredBy),
    h('h3', { text: l.left }),
    list(text.leftBy),
  );
  if (text.misconceptions.length) nodes.push(h('h3', { text: l.myths }), list(text.misconceptions));
  return nodes;
}

let selected: TcpState | undefined;
let detailsAbort: AbortController | undefined;

async function showState(state: TcpState): Promise<void> {
  selected = state;
  diagram.select(state);
  detailsAbort?.abort();
  detailsAbort = new AbortController();
  const signal = detailsAbort.signal;
  $('details-title').textContent = stateName(state, 'rfc');
  try {
    const [info, snap] = await Promise.all([
      getJson<ApiStateExplanation & { count: number | null }>(`/api/states/${state}`, signal),
      getJson<{ sockets: Socket[]; summary: { total: number }; truncated?: { matched: number } }>(
        `/api/snapshot?state=${state}&limit=200&sort=remote`,
        signal,
      ),
    ]);
    const body: Node[] = explanationNodes(info);
    const age = lastDoc?.oldestAgeSeconds[state];
    if (age !== undefined && age > 0) {
      body.push(
        h('p', {
          class: 'muted',
          text: `Oldest connection in this state: ${ageText(age, lastDoc?.oldestAgeKind?.[state])}.`,
        }),
      );
    }
    const matched = snap.truncated?.matched ?? snap.summary.total;
    body.push(
      h('h3', {
        text: `${matched.toLocaleString('en-US')} connection${matched === 1 ? '' : 's'}${snap.truncated ? ` (first ${snap.sockets.length} shown)` : ''}`,
      }),
    );
    body.push(
      table(
        ['local', 'remote', 'recv-q', 'send-q', 'timer', 'process'],
        snap.sockets.map((s) => [
          endpoint(s.local),
          endpoint(s.remote),
          s.recvQ ?? '',
          s.sendQ ?? '',
          s.timer ? `${s.timer.kind} ${(s.timer.expiresMs / 1000).toFixed(1)}s` : '',
          s.processes?.map((p) => `${p.command}(${p.pid})`).join(' ') ?? '',
        ]),
        [false, false, true, true, false, false],
      ),
    );
    $('details-body').replaceChildren(...body);
    $('details-body').classList.remove('muted');
  } catch (error) {
    if ((error as Error).name === 'AbortError') return;
    $('details-body').replaceChildren(
      h('p', { class: 'error', text: `Could not load ${state}: ${(error as Error).message}` }),
    );
  }
}

/** The age as the kind of knowledge behind it says: exact from the kernel trace, "~" estimated, "≥" a bound. */
function ageText(seconds: number, kind: 'exact' | 'estimate' | 'bound' | undefined): string {
  if (kind === 'exact') return `${formatAge(seconds)} (exact: the kernel trace saw it enter the state)`;
  if (kind === 'estimate') return `~${formatAge(seconds)} (estimated from its timers or tcp_info)`;
  return `≥${formatAge(seconds)} (tracked since the server started)`;
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

// ---- live updates -----------------------------------------------------------------------------------------------
const diagram = createDiagram($('diagram'), (s) => void showState(s));
let lastSeq = 0;
let lastDoc: LiveDocument | undefined;

function render(doc: LiveDocument): void {
  if (doc.seq === lastSeq) return;
  lastSeq = doc.seq;
  lastDoc = doc;
  const rates = new Map<string, number>();
  for (const t of doc.transitions) if (t.direct) rates.set(`${t.from}>${t.to}`, t.perSecond);
  diagram.update(doc.summary.byState, rates);
  const jumps = doc.transitions.filter((t) => !t.direct);
  $('jumps').textContent = jumps.length
    ? `Changes seen across more than one arrow between two snapshots: ${jumps
        .map((t) => `${stateName(t.from, 'rfc')} → ${stateName(t.to, 'rfc')} ${formatRate(t.perSecond)}`)
        .join(', ')}`
    : '';
  $('total').textContent = `${doc.summary.total.toLocaleString('en-US')} sockets`;
  $('source').textContent = `${doc.source.host ? `${doc.source.host} · ` : ''}${doc.source.name}`;
  $('taken').textContent = new Date(doc.takenAt).toLocaleTimeString();
  $('interval').textContent = String(doc.intervalSeconds);
  $('top-ports').replaceChildren(groupTable(doc.top.ports, 'port'));
  $('top-peers').replaceChildren(groupTable(doc.top.peers, 'peer'));
  $('top-processes').replaceChildren(
    groupTable(
      doc.top.processes,
      'process',
      doc.processNote ?? 'Process lookup is off (start the server with -p).',
    ),
  );
  renderFindings(doc.findings);
  chart?.push(Date.parse(doc.takenAt) / 1000, doc.summary.byState);
  document.body.dataset.seq = String(doc.seq);
  document.body.dataset.ready = '1';
  if (selected) void showState(selected);
}

function setStatus(status: string, text = status): void {
  const el = $('status');
  el.dataset.status = status;
  el.textContent = text;
}

async function main(): Promise<void> {
  const saved = (localStorage.getItem('tcpstate-theme') as Theme | null) ?? 'auto';
  applyTheme(THEMES.includes(saved) ? saved : 'auto');
  $('lang').textContent = `explanations: ${lang}`;
  $('lang').addEventListener('click', () => {
    lang = lang === 'en' ? 'zh' : 'en';
    localStorage.setItem('tcpstate-lang', lang);
    $('lang').textContent = `explanations: ${lang}`;
    if (selected) void showState(selected);
  });
  $('theme').addEventListener('click', () => {
    const now = (document.documentElement.dataset.theme as Theme | undefined) ?? 'auto';
    applyTheme(THEMES[(THEMES.indexOf(now) + 1) % THEMES.length]!);
  });
  chart = new StateChart($('chart'));
  // The chart's colours come from CSS variables read when it is built: rebuild when the system theme flips.
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => chart?.build());
  try {
    const [series, summary] = await Promise.all([
      getJson<Series>('/api/series'),
      getJson<LiveDocument>('/api/summary'),
    ]);
    // With a recording behind the server, the chart starts with its past; without one there is nothing to ask.
    const history = series.history
      ? await getJson<{ points: HistoryPoint[] }>(series.history).catch(() => undefined)
      : undefined;
    chart.setSeries(history ? withHistory(series, history.points) : series);
    render(summary);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      setStatus('unauthorized', 'token needed: open this page as /#token=…');
      return;
    }
    setStatus('error', `error: ${(error as Error).message}`);
  }
  openEvents('/api/events', {
    onEvent(event, data) {
      if (event === 'sample') render(JSON.parse(data) as LiveDocument);
      else if (event === 'snapshot-error')
        setStatus('error', `snapshot failed: ${(JSON.parse(data) as { message: string }).message}`);
    },
    onStatus(status) {
      setStatus(status, status === 'unauthorized' ? 'token needed: open this page as /#token=…' : status);
    },
  });
}

void main();
