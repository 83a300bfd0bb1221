import { maxOf } from '../internal/extent.ts';
import type { TcpState } from '../states/states.ts';
import { AGE_BUCKET_LABELS, formatDuration } from '../track/ages.ts';
import { formatRate, type Report } from '../track/trends.ts';
import { clock, kernelLine } from './report-text.ts';
import { esc } from './svg.ts';
import { barChart, timeChart } from './svg-chart.ts';

/** One colour per state, matching the terminal's families (green healthy, red stuck, grey waiting). */
export const STATE_HEX: Record<TcpState, string> = {
  ESTABLISHED: '#2e9e5b',
  LISTEN: '#3b6fd4',
  SYN_SENT: '#1f9fb4',
  SYN_RECEIVED: '#1a7f96',
  FIN_WAIT_1: '#d98b19',
  FIN_WAIT_2: '#c27414',
  CLOSE_WAIT: '#d23f3f',
  CLOSING: '#b8602a',
  LAST_ACK: '#a8562f',
  TIME_WAIT: '#7d8796',
  CLOSED: '#9aa3ad',
};

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:20px;font-weight:600}
header p{margin:4px 0 0;color:#b9c0cc}
main{padding:20px 28px;max-width:1220px}
h2{font-size:16px;margin:26px 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px #0001}
.card .n{font-size:26px;font-weight:650}
.card .l{color:#5b6475;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px}
.stack>.panel{margin-bottom:14px}
.panel{background:#fff;border-radius:8px;padding:12px 14px 6px;box-shadow:0 1px 2px #0001}
.panel h3{margin:0 0 2px;font-size:14px;display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:2px 12px}
.panel h3 small{font-weight:400;color:#5b6475}
.leak{border-left:5px solid #d23f3f}
.growth{border-left:5px solid #d98b19}
.leak h3,.growth h3{font-size:15px}
svg.chart text.axis{font-size:11px;fill:#5b6475}
svg.chart text.peak{font-size:11px;font-weight:600;fill:#1d2330}
svg.chart line.grid{stroke:#e5e8ee}
svg.chart line.fit{stroke:#1d2330;stroke-width:1.5;stroke-dasharray:5 4}
table{border-collapse:collapse;background:#fff;border-radius:8px;overflow:hidden;box-shadow:0 1px 2px #0001;width:100%}
th,td{padding:6px 10px;text-align:left;border-bottom:1px solid #eef0f4;font-size:13px}
th{background:#eef0f4;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px;vertical-align:-1px}
.sev-critical{color:#b42323;font-weight:600}.sev-warning{color:#a76008;font-weight:600}
.muted{color:#5b6475}
.kernel{display:inline-block;background:#1d2330;color:#fff;border-radius:4px;padding:0 5px;font-size:11px;font-weight:600}
`;

function dot(state: TcpState): string {
  return `<span class="dot" style="background:${STATE_HEX[state]}"></span>${state}`;
}

/** A self-contained HTML page (inline CSS and SVG, no scripts) for a recording's report. */
export function renderReportHtml(report: Report, name: string): string {
  const long = report.to - report.from > 86_400_000;
  const html: string[] = [];
  html.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tcpstate report · ${esc(name)}</title>`,
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<style>${CSS}</style></head><body>`,
    `<header><h1>TCP connection states over time</h1><p>${esc(name)} · ${clock(report.from, true)} → ${clock(report.to, long)} (${formatDuration(report.to - report.from)}) · ${report.looks} looks${report.intervalMs ? ` every ${formatDuration(report.intervalMs)}` : ''}</p></header><main>`,
  );
  if (report.rows === 0) {
    html.push('<p>The recording has no looks in this window.</p></main></body></html>');
    return html.join('\n');
  }

  // Headline numbers first: what a person scanning the page wants.
  const lastTotal = report.totals[report.totals.length - 1]?.[1] ?? 0;
  const peakTotal = maxOf(report.totals.map(([, v]) => v));
  // A leak is a steady rise over the window, or a per-look leak finding (close-wait-leak): one card counts both,
  // so it never says "0 leaks" beside a critical leak finding.
  const leakStates = new Set(report.leaks.filter((l) => l.kind === 'leak').map((l) => l.state));
  for (const f of report.findings) {
    if (f.rule.endsWith('-leak'))
      leakStates.add(f.rule.slice(0, -5).toUpperCase().replace(/-/g, '_') as TcpState);
  }
  const leaks = [...leakStates];
  html.push(
    '<div class="cards">',
    card(String(Math.round(lastTotal)), 'sockets at the end'),
    card(String(Math.round(peakTotal)), 'peak sockets'),
    card(
      String(leaks.length),
      leaks.length === 1 ? 'leak found' : 'leaks found',
      leaks.length ? '#d23f3f' : '#2e9e5b',
    ),
    card(
      String(report.findings.length),
      report.findings.length === 1 ? 'finding over time' : 'findings over time',
    ),
    '</div>',
  );
  if (report.kernelTrace) {
    html.push(
      `<p><span class="kernel">KERNEL</span> ${esc(kernelLine(report))}: each is marked KERNEL below; the rest are bounds from the looks.</p>`,
    );
  }
  if (report.kernel && report.kernel.transitions.length > 0) {
    html.push(
      '<h2>Transitions <span class="kernel">KERNEL</span></h2><p class="muted">Every state change the kernel reported while recording, including connections that opened and closed between two looks.</p><table><tr><th>From</th><th>To</th><th class="num">Count</th></tr>',
    );
    for (const t of report.kernel.transitions) {
      html.push(`<tr><td>${dot(t.from)}</td><td>${dot(t.to)}</td><td class="num">${t.count}</td></tr>`);
    }
    html.push('</table>');
  }

  if (report.leaks.length) {
    html.push('<h2>Leaks and growth</h2><div class="stack">');
    for (const leak of report.leaks) {
      html.push(
        `<div class="panel ${leak.kind}"><h3><span>${esc(leak.title)}</span></h3>`,
        `<p class="muted" style="margin:0 0 4px">${formatRate(leak.perMinute)} from ${clock(leak.from.at, long)} to ${clock(leak.to.at, long)}; dashed: straight-line fit (R² ${leak.fit.toFixed(2)})</p>`,
        timeChart(leak.series, {
          width: 1160,
          height: 220,
          color: STATE_HEX[leak.state],
          markPeak: true,
          fit: {
            from: leak.from.at,
            to: leak.to.at,
            startValue: Math.max(0, leak.line.startValue),
            endValue: leak.line.endValue,
          },
        }),
        '</div>',
      );
    }
    html.push('</div>');
  }

  html.push(
    '<h2>All sockets</h2><div class="panel">',
    timeChart(report.totals, { width: 1160, height: 200, color: '#3b6fd4', markPeak: true }),
    '</div>',
  );

  html.push('<h2>Each state</h2><div class="grid">');
  for (const t of report.states) {
    html.push(
      `<div class="panel"><h3><span>${dot(t.state)}</span><small>now ${Math.round(t.last)} · peak ${t.peak} at ${clock(t.peakAt, long)} · ${t.perMinute >= 0 ? '+' : ''}${t.perMinute.toFixed(1)}/min · in ${t.arrivals} / out ${t.departures}${report.kernelTrace ? ' <span class="kernel">KERNEL</span>' : ''}</small></h3>`,
      timeChart(t.series, { width: 560, height: 170, color: STATE_HEX[t.state], markPeak: true }),
      '</div>',
    );
  }
  html.push('</div>');

  if (report.timeInState.length) {
    html.push(
      '<h2>Time in state</h2><p class="muted">How long connections stayed in each state: solid bars are stays seen to begin and end within the window; light bars are lower bounds (each stay lasted at least that long): connections still in the state at the end, and stays already under way at the first look. The median counts complete stays only.</p><div class="grid">',
    );
    for (const t of report.timeInState) {
      const rows = AGE_BUCKET_LABELS.map((label, i) => ({
        label,
        value: t.ended[i] ?? 0,
        extra: (t.open[i] ?? 0) + (t.atLeast[i] ?? 0),
      }));
      html.push(
        `<div class="panel"><h3><span>${dot(t.state)}</span><small>${t.endedTotal} ended${t.exactTotal ? ` · <span class="kernel" title="measured by the kernel trace, exact to the microsecond">KERNEL</span> ${t.exactTotal === t.endedTotal ? 'all' : t.exactTotal} exact` : ''}${t.atLeastTotal ? ` · ${t.atLeastTotal} ≥ (under way at the first look)` : ''}${t.median ? ` · median ${t.median}` : ''}${t.longest ? ` · longest ${t.longest.atLeast ? '≥' : ''}${formatDuration(t.longest.ms)}` : ''}</small></h3>`,
        barChart(rows, { width: 560, color: STATE_HEX[t.state] }),
        '</div>',
      );
    }
    html.push('</div>');
  }

  if (report.stuck.length) {
    html.push(
      '<h2>Longest in a closing or opening state at the end</h2><table><tr><th>State</th><th>For</th><th>Local</th><th>Remote</th><th>Process</th></tr>',
    );
    for (const s of report.stuck) {
      html.push(
        `<tr><td>${dot(s.span.state)}</td><td class="num">${s.atLeast ? '≥' : ''}${formatDuration(s.ageMs)}</td><td>${esc(s.span.local)}</td><td>${esc(s.span.remote)}</td><td>${esc(s.span.process ?? '')}</td></tr>`,
      );
    }
    html.push('</table>');
  }

  html.push('<h2>Findings over time</h2>');
  if (report.findings.length === 0)
    html.push('<p class="muted">No findings were recorded in this window.</p>');
  else {
    html.push('<table><tr><th>Severity</th><th>Finding</th><th>First</th><th>Last</th><th>Looks</th></tr>');
    for (const f of report.findings) {
      html.push(
        `<tr><td class="sev-${f.severity}">${f.severity}</td><td>${esc(f.title)} <span class="muted">(${esc(f.rule)})</span></td><td>${clock(f.firstAt, long)}</td><td>${clock(f.lastAt, long)}</td><td class="num">${f.looks}</td></tr>`,
      );
    }
    html.push('</table>');
  }
  html.push('<p class="muted" style="margin-top:28px">Made by tcpstate report.</p></main></body></html>');
  return html.join('\n');
}

function card(value: string, label: string, color?: string): string {
  return `<div class="card"><div class="n"${color ? ` style="color:${color}"` : ''}>${esc(value)}</div><div class="l">${esc(label)}</div></div>`;
}
