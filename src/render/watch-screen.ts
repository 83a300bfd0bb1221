import type { StateCounts } from '../analysis/summary.ts';
import type { Severity } from '../model/finding.ts';
import { TCP_STATES, type TcpState } from '../states/states.ts';
import { type Colors, stateColor } from './color.ts';
import { printable } from './printable.ts';
import { clock } from './report-text.ts';
import { sparkline } from './sparkline.ts';

export type WatchSort = 'count' | 'change' | 'state';
export const WATCH_SORTS: readonly WatchSort[] = ['count', 'change', 'state'];

export interface WatchModel {
  source: string;
  at: number;
  intervalMs: number;
  looks: number;
  paused: boolean;
  sort: WatchSort;
  /** The filter in force (`close-wait`, `:8080`), if any. */
  filter?: string;
  /** The filter being typed, while the prompt is open. */
  prompt?: string;
  /** A one-line message (bad filter ...). */
  message?: string;
  total: number;
  counts: StateCounts;
  /** Change since the previous look. */
  change: StateCounts;
  /** Recent counts per state, oldest first. */
  history: Map<TcpState, number[]>;
  /** The longest in their state; `rank` is the place within its state (0 = oldest of that state). */
  oldest: Array<{
    state: TcpState;
    rank: number;
    age: string;
    local: string;
    remote: string;
    process?: string;
  }>;
  top: { ports: Array<[string, number]>; peers: Array<[string, number]>; processes: Array<[string, number]> };
  findings: Array<{ severity: Severity; title: string }>;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** Cuts a line to `width` visible cells, keeping colour codes intact (and closing them). */
export function fitLine(text: string, width: number): string {
  if (text.replace(ANSI, '').length <= width) return text;
  let out = '';
  let visible = 0;
  for (let i = 0; i < text.length && visible < width - 1; ) {
    if (text[i] === '\x1b') {
      const end = text.indexOf('m', i);
      out += text.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    out += text[i];
    visible++;
    i++;
  }
  return `${out}…${text.includes('\x1b') ? '\x1b[0m' : ''}`;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : n < 0 ? String(n) : '';
}

/**
 * The watch screen as lines that fit `width` x `height`: header, states with change and sparkline, the oldest
 * connections, top ports/peers/processes and findings. Lower sections shrink first when the terminal is short.
 */
export function renderWatchScreen(
  m: WatchModel,
  size: { width: number; height: number },
  c: Colors,
): string[] {
  const width = Math.max(20, size.width);
  const height = Math.max(6, size.height);
  const head: string[] = [];
  const status = [
    m.paused
      ? c.yellow('PAUSED')
      : `every ${m.intervalMs >= 1000 ? `${m.intervalMs / 1000}s` : `${m.intervalMs}ms`}`,
    `sort ${m.sort}`,
    m.filter ? c.cyan(`filter ${m.filter}`) : '',
  ]
    .filter(Boolean)
    .join(' · ');
  head.push(
    `${c.bold('tcpstate watch')} · ${m.source} · ${clock(m.at)} · ${c.bold(String(m.total))} sockets`,
  );
  if (m.prompt !== undefined)
    head.push(`${c.cyan('filter')} (state or :port, empty clears, Esc cancels): ${m.prompt}█`);
  else if (m.message) head.push(c.yellow(m.message));
  else head.push(`${status}   ${c.dim('p pause  s sort  f filter  q quit')}`);

  const present = TCP_STATES.filter((s) => m.counts[s] > 0 || (m.history.get(s) ?? []).some((v) => v > 0));
  const order = [...present];
  if (m.sort === 'count') order.sort((a, b) => m.counts[b] - m.counts[a]);
  else if (m.sort === 'change') order.sort((a, b) => Math.abs(m.change[b]) - Math.abs(m.change[a]));
  const sparkWidth = Math.max(8, Math.min(40, width - 32));
  const states: string[] = [c.dim(`${'STATE'.padEnd(13)}${'COUNT'.padStart(7)}${'Δ'.padStart(6)}  TREND`)];
  for (const s of order) {
    const color = stateColor(c, s);
    const delta = m.change[s];
    const d = signed(delta).padStart(6);
    states.push(
      `${color(s.padEnd(13))}${String(m.counts[s]).padStart(7)}${delta > 0 ? c.yellow(d) : delta < 0 ? c.green(d) : d}  ${color(sparkline(m.history.get(s) ?? [], sparkWidth))}`,
    );
  }
  if (present.length === 0) states.push(c.dim('  no TCP sockets'));

  const tops: string[] = [];
  const col = Math.floor((width - 2) / 3);
  const cell = (title: string, list: Array<[string, number]>, i: number) => {
    const item = list[i];
    if (i === -1) return c.dim(title.padEnd(col));
    if (!item) return ''.padEnd(col);
    const count = String(item[1]);
    const name = printable(item[0]);
    const key = name.length > col - count.length - 2 ? `${name.slice(0, col - count.length - 3)}…` : name;
    return `${key} ${c.dim(count)}`.padEnd(col + (c.dim(count).length - count.length));
  };
  const topRows = Math.max(m.top.ports.length, m.top.peers.length, m.top.processes.length);
  if (topRows > 0) {
    for (let i = -1; i < Math.min(topRows, 5); i++) {
      tops.push(
        `${cell('TOP PORTS', m.top.ports, i)} ${cell('TOP PEERS', m.top.peers, i)} ${cell('TOP PROCESSES', m.top.processes, i)}`.trimEnd(),
      );
    }
  }

  const findings = m.findings.map((f) => {
    const sev =
      f.severity === 'critical' ? c.red('CRIT') : f.severity === 'warning' ? c.yellow('WARN') : c.dim('info');
    return `${sev} ${f.title}`;
  });

  // Fit: header and states always; then oldest (at least a few), tops and findings share what is left.
  const budget = height - 1;
  const lines = [...head, ...states];
  let left = budget - lines.length;
  const want = { oldest: m.oldest.length ? m.oldest.length + 2 : 0, tops: tops.length ? tops.length + 1 : 0 };
  const findingLines = findings.length ? findings.length + 2 : 0;
  const findingsShare = Math.min(findingLines, Math.max(0, Math.min(4, left - 6)));
  left -= findingsShare;
  const topsShare = Math.min(want.tops, Math.max(0, left - Math.min(want.oldest, 5)));
  const oldestShare = Math.min(want.oldest, Math.max(0, left - topsShare));
  if (oldestShare >= 3) {
    lines.push('', c.bold('OLDEST IN STATE'));
    // Every state gets its oldest before any state gets its second, then shown grouped by state.
    const chosen = [...m.oldest]
      .sort((a, b) => a.rank - b.rank)
      .slice(0, oldestShare - 2)
      .sort((a, b) => m.oldest.indexOf(a) - m.oldest.indexOf(b));
    for (const o of chosen) {
      lines.push(
        `${stateColor(c, o.state)(o.state.padEnd(12))} ${o.age.padStart(8)}  ${o.local} → ${o.remote}${o.process ? c.dim(`  ${printable(o.process)}`) : ''}`,
      );
    }
  }
  if (topsShare >= 3) lines.push('', ...tops.slice(0, topsShare - 1));
  if (findingsShare >= 3) {
    lines.push('', c.bold(`FINDINGS (${findings.length})`), ...findings.slice(0, findingsShare - 2));
  }
  return lines.slice(0, budget).map((l) => fitLine(l, width));
}

/** One plain line per look, for a pipe or a log file. */
export function renderWatchLine(m: WatchModel): string {
  const parts = TCP_STATES.filter((s) => m.counts[s] > 0 || m.change[s] !== 0).map(
    (s) => `${s}=${m.counts[s]}${m.change[s] ? `(${signed(m.change[s])})` : ''}`,
  );
  const oldest = m.oldest[0];
  const tail = oldest ? ` oldest ${oldest.state} ${oldest.age} ${oldest.local}->${oldest.remote}` : '';
  const findings = m.findings.length ? ` findings=${m.findings.length}` : '';
  return `${new Date(m.at).toISOString()} total=${m.total} ${parts.join(' ')}${tail}${findings}`;
}
