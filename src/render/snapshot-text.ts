import {
  type Group,
  type GroupKey,
  groupTable as groupSocketTable,
  statesPresent,
} from '../analysis/groups.ts';

import type { SnapshotView } from '../analysis/view.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { socketCount } from '../model/socket-table.ts';
import { type NameStyle, stateName, TCP_STATES, type TcpState } from '../states/states.ts';
import { type Colors, stateColor } from './color.ts';
import { bar, formatCount, formatPercent } from './format.ts';
import { printable } from './printable.ts';
import { renderTable } from './table.ts';
import { displayWidth, wrap } from './wrap.ts';

const GROUP_HEADS: Record<GroupKey, string> = {
  service: 'PORT',
  'local-port': 'LOCAL PORT',
  'remote-port': 'REMOTE PORT',
  peer: 'PEER',
  process: 'PROCESS',
  destination: 'DESTINATION',
  cgroup: 'CGROUP',
};

export interface TextViewOptions {
  /** More group tables (`--by cgroup`, `--by destination` ...). */
  by?: readonly GroupKey[];
  colors: Colors;
  names: NameStyle;
  /** Rows per group table. */
  top: number;
  /** Terminal width; tables and bars fit in it. */
  width: number;
  /** Renders findings; the view prints nothing for findings when absent. */
  renderFindings?: (findings: readonly Finding[]) => string;
  findings?: readonly Finding[];
}

const MAX_STATE_COLUMNS = 5;

function describeSource(snapshot: Snapshot): string {
  const s = snapshot.source;
  const what =
    s.kind === 'proc'
      ? s.name === '/proc/net/tcp'
        ? 'live /proc'
        : `live ${s.name} via /proc`
      : s.kind === 'netlink'
        ? `live ${s.name === 'netlink' ? '' : `${s.name} `}via netlink`
        : s.kind === 'text'
          ? `${s.name}${s.format ? ` (${s.format})` : ''}`
          : s.kind === 'capture'
            ? `capture ${s.name}`
            : s.name;
  const host = s.host ? ` on ${s.host}` : '';
  const when = new Date(snapshot.takenAt)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  return printable(`${what}${host} · ${when}`);
}

function widest(text: string): number {
  let w = 0;
  for (const line of text.split('\n')) w = Math.max(w, displayWidth(line));
  return w;
}

/** Wraps a line of text to the view's width, continuation lines indented by `indent`. */
function fitText(text: string, width: number, indent = 0): string {
  const lead = /^ */.exec(text)?.[0].length ?? 0;
  const rest = Math.max(lead, indent);
  const lines = wrap(text.slice(lead), Math.max(1, width - rest));
  return lines.map((l, i) => ' '.repeat(i === 0 ? lead : rest) + l).join('\n');
}

function stateTable(view: SnapshotView, o: TextViewOptions): string {
  const summary = view.summary;
  const max = Math.max(...TCP_STATES.map((s) => summary.byState[s]));
  const present = TCP_STATES.filter((s) => summary.byState[s] > 0);
  if (present.length === 0) return o.colors.dim('no TCP sockets');
  const cells = (state: TcpState) => {
    const n = summary.byState[state];
    return [stateName(state, o.names), formatCount(n), formatPercent(n, summary.total)];
  };
  const options = {
    align: ['left', 'right', 'right', 'left'] as Array<'left' | 'right'>,
    plain: true as const,
  };
  // The bar takes what the numbers leave of the width (at most 40 cells); on a narrow terminal it goes.
  const numbers = widest(renderTable(present.map(cells), { head: ['STATE', 'COUNT', '%'], ...options }));
  const barWidth = Math.min(40, o.width - numbers - 2);
  const withBar = barWidth >= 4;
  const rows = present.map((state) => {
    const color = stateColor(o.colors, state);
    const [name, count, percent] = cells(state);
    return [
      color(name ?? ''),
      count ?? '',
      percent ?? '',
      ...(withBar ? [color(bar(summary.byState[state], max, barWidth))] : []),
    ];
  });
  return renderTable(rows, {
    head: ['STATE', 'COUNT', '%', ...(withBar ? [''] : [])],
    ...options,
    align: [...options.align],
  });
}

function groupTable(groups: readonly Group[], title: string, by: GroupKey, o: TextViewOptions): string {
  if (groups.length === 0) return '';
  // Fewer state columns (the rest summed into OTHER), then shorter labels, until the table fits the width.
  let table = '';
  for (let columns = MAX_STATE_COLUMNS; columns >= 2; columns--) {
    table = groupTableWith(groups, title, by, o, columns, Number.POSITIVE_INFINITY);
    if (widest(table) <= o.width) return table;
  }
  const over = widest(table) - o.width;
  const labels = groups.slice(0, o.top).map((g) => displayWidth(groupLabel(g, by)));
  const labelMax = Math.max(6, Math.max(...labels, 0) - over);
  return groupTableWith(groups, title, by, o, 2, labelMax);
}

function groupLabel(g: Group, by: GroupKey): string {
  return by === 'service' ? `${g.direction === 'in' ? 'in ' : 'out'} :${g.key}` : printable(g.key);
}

/** Cuts a label to `max` columns with an ellipsis at the end. */
function cut(label: string, max: number): string {
  if (displayWidth(label) <= max) return label;
  let out = '';
  for (const ch of label) {
    if (displayWidth(`${out}${ch}`) > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}

function groupTableWith(
  groups: readonly Group[],
  title: string,
  by: GroupKey,
  o: TextViewOptions,
  maxColumns: number,
  labelMax: number,
): string {
  const shown = groups.slice(0, o.top);
  let states = statesPresent(shown, TCP_STATES);
  const other: TcpState[] = [];
  if (states.length > maxColumns) {
    // Keep the columns with the most sockets; the rest are summed into "other".
    const weight = (s: TcpState) => shown.reduce((n, g) => n + g.byState[s], 0);
    const keep = new Set([...states].sort((a, b) => weight(b) - weight(a)).slice(0, maxColumns - 1));
    other.push(...states.filter((s) => !keep.has(s)));
    states = states.filter((s) => keep.has(s));
  }
  const head = [
    GROUP_HEADS[by],
    'TOTAL',
    ...states.map((s) => stateName(s, o.names === 'rfc' ? 'ss' : o.names)),
    ...(other.length ? ['OTHER'] : []),
  ];
  const rows = shown.map((g) => {
    const label = cut(groupLabel(g, by), labelMax);
    const cells = states.map((s) => (g.byState[s] ? formatCount(g.byState[s]) : o.colors.dim('·')));
    const otherCount = other.reduce((n, s) => n + g.byState[s], 0);
    return [
      label,
      formatCount(g.total),
      ...cells,
      ...(other.length ? [otherCount ? formatCount(otherCount) : o.colors.dim('·')] : []),
    ];
  });
  const more =
    groups.length > shown.length ? o.colors.dim(`  … ${formatCount(groups.length - shown.length)} more`) : '';
  const note =
    by === 'service'
      ? o.colors.dim(
          fitText(
            '  in = a port served here (has a listener); out = a remote port this host connects to',
            o.width,
            2,
          ),
        )
      : '';
  const heading = fitText(
    `${o.colors.bold(title)} ${o.colors.dim(`(${formatCount(groups.length)} in all)`)}`,
    o.width,
  );
  const table = renderTable(rows, {
    head,
    align: ['left', ...head.slice(1).map(() => 'right' as const)],
    plain: true,
  });
  return [heading, table, more, note].filter(Boolean).join('\n');
}

/**
 * The main human view of an analysed snapshot: header, per-state summary, top services/peers/processes, findings
 * and warnings. It only formats: the counts and groups come computed in `view`.
 */
export function renderSnapshotText(view: SnapshotView, o: TextViewOptions): string {
  const c = o.colors;
  const snapshot = view.snapshot;
  const summary = view.summary;
  const out: string[] = [];
  const listening = summary.byState.LISTEN;
  const filtered = view.filtered ? ` (filtered from ${formatCount(socketCount(snapshot))})` : '';
  const w = o.width;
  out.push(fitText(`${c.bold('tcpstate')} ${c.dim('·')} ${describeSource(snapshot)}`, w, 2));
  out.push(
    fitText(
      `${c.bold(formatCount(summary.total))} TCP socket${summary.total === 1 ? '' : 's'}${filtered}: ${formatCount(summary.byFamily.inet)} IPv4, ${formatCount(summary.byFamily.inet6)} IPv6 · ${formatCount(listening)} listening`,
      w,
      2,
    ),
  );
  const skipped = snapshot.skipped;
  if (skipped) {
    const parts = Object.entries(skipped)
      .filter(([, n]) => n && n > 0)
      .map(([k, n]) => `${formatCount(n ?? 0)} ${k}`);
    if (parts.length) out.push(c.dim(fitText(`skipped (not TCP): ${parts.join(', ')}`, w, 2)));
  }
  out.push('', stateTable(view, o));

  const sections: Array<[GroupKey, string, readonly Group[] | undefined]> = [
    ['service', 'SERVICES', view.groups.service],
    ['peer', 'PEERS', view.groups.peer],
    ['process', 'PROCESSES', view.groups.process],
  ];
  for (const by of o.by ?? []) {
    if (by === 'service' || by === 'peer' || by === 'process') continue;
    sections.push([
      by,
      by === 'cgroup' ? 'CGROUPS' : `BY ${by.toUpperCase()}`,
      groupSocketTable(view.table, by),
    ]);
  }
  for (const [by, title, groups] of sections) {
    const table = groups ? groupTable(groups, title, by, o) : '';
    if (table) out.push('', table);
  }
  if (snapshot.processNote) out.push('', c.yellow(fitText(`note: ${printable(snapshot.processNote)}`, w, 2)));

  if (o.findings && o.renderFindings) {
    out.push('', o.renderFindings(o.findings));
    if (view.filtered)
      out.push(
        c.dim(
          fitText(
            `(findings cover the ${formatCount(summary.total)} socket${summary.total === 1 ? '' : 's'} shown, judged with the whole table for context; run without filters for all)`,
            w,
            1,
          ),
        ),
      );
  }

  if (snapshot.warnings.length) {
    const first = snapshot.warnings.slice(0, 3).map((warning) => {
      const where =
        warning.line !== undefined
          ? `line ${warning.line}: `
          : warning.offset !== undefined
            ? `byte ${warning.offset}: `
            : '';
      return fitText(
        printable(`  ${where}${warning.message}${warning.text ? `: ${warning.text}` : ''}`),
        w,
        4,
      );
    });
    const more =
      snapshot.warnings.length > 3 ? [`  … and ${snapshot.warnings.length - 3} more (see --json)`] : [];
    out.push(
      '',
      c.yellow(`${snapshot.warnings.length} warning(s):`),
      ...first,
      ...more.map((m) => fitText(m, w, 4)),
    );
  }
  return `${out.join('\n')}\n`;
}
