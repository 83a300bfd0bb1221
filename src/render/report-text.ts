import { AGE_BUCKET_LABELS, formatDuration } from '../track/ages.ts';
import type { Report } from '../track/trends.ts';
import { type Colors, stateColor } from './color.ts';
import { resample, sparkline } from './sparkline.ts';
import { renderTable } from './table.ts';

/** Clock time, with the date when the recording spans more than a day. */
export function clock(at: number, withDate = false): string {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return withDate ? `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${time}` : time;
}

function signed(n: number, digits = 1): string {
  const text = Math.abs(n) < 0.05 ? '0' : n.toFixed(digits);
  return n > 0 && text !== '0' ? `+${text}` : text;
}

/** What the kernel trace contributed: which looks had it, and what that makes exact. */
export function kernelLine(report: Report): string {
  // A recording from before the transitions were stored says only that its stays are exact.
  if (report.kernel === undefined)
    return 'with the kernel trace (sock:inet_sock_set_state): stays begun after tracing began are exact';
  const { looks, lost } = report.kernel;
  const part = looks < report.looks ? ` (${looks} of ${report.looks} looks)` : '';
  const loss = lost
    ? `; the kernel lost ${lost} changes (ring buffer full), which these counts and stays miss`
    : '';
  return `with the kernel trace${part} (sock:inet_sock_set_state): IN/OUT are the kernel's counts, and stays begun after tracing began are exact${loss}`;
}

/** The report for a terminal: states with charts, leaks, time in state, stuck connections, findings. */
export function renderReportText(report: Report, name: string, c: Colors, width = 100): string {
  const out: string[] = [];
  const long = report.to - report.from > 86_400_000;
  out.push(
    c.bold(`tcpstate report · ${name}`),
    `${clock(report.from, true)} → ${clock(report.to, long)} (${formatDuration(report.to - report.from)}) · ${report.looks} looks${report.intervalMs ? ` every ${formatDuration(report.intervalMs)}` : ''}${report.rows !== report.looks ? ` (${report.rows} rows after downsampling)` : ''}`,
    ...(report.kernelTrace ? [kernelLine(report)] : []),
    '',
  );
  if (report.rows === 0) {
    out.push('The recording has no looks in this window.');
    return out.join('\n');
  }
  const chartWidth = Math.max(10, Math.min(48, width - 62));
  const rows = report.states.map((t) => [
    stateColor(c, t.state)(t.state),
    Math.round(t.last),
    `${t.peak} at ${clock(t.peakAt, long)}`,
    t.average.toFixed(1),
    signed(t.perMinute),
    `+${t.arrivals}/-${t.departures}`,
    stateColor(
      c,
      t.state,
    )(
      sparkline(
        resample(
          t.series.map(([, v]) => v),
          chartWidth,
        ),
      ),
    ),
  ]);
  out.push(
    c.bold('States over time'),
    renderTable(rows, {
      head: ['STATE', 'NOW', 'PEAK', 'AVG', '/MIN', 'IN/OUT', 'CHART'],
      align: ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
      plain: true,
    }),
    '',
  );

  if (report.kernel && report.kernel.transitions.length > 0) {
    out.push(
      c.bold('Transitions (counted by the kernel)'),
      renderTable(
        report.kernel.transitions.map((t) => [`${t.from} → ${t.to}`, t.count]),
        { head: ['FROM → TO', 'COUNT'], align: ['left', 'right'], plain: true },
      ),
      '',
    );
  }

  out.push(c.bold('Leaks and growth'));
  if (report.leaks.length === 0) out.push('  none: no state grew steadily in this window');
  for (const leak of report.leaks) {
    const mark = leak.kind === 'leak' ? c.red('LEAK  ') : c.yellow('GROWTH');
    out.push(
      `  ${mark} ${leak.title}, ${clock(leak.from.at, long)} → ${clock(leak.to.at, long)}, fit ${leak.fit.toFixed(2)}`,
    );
  }
  out.push('');

  if (report.timeInState.length) {
    out.push(
      c.bold('Time in state'),
      c.dim(
        '  stays that ended in the window, by length; OPEN: still in the state at the end (for at least LONGEST)',
      ),
    );
    if (report.timeInState.some((t) => t.atLeastTotal > 0)) {
      out.push(
        c.dim(
          '  ≥ rows: stays already under way at the first look; each lasted at least its bucket, no median',
        ),
      );
    }
    const kernel = report.kernelTrace || report.timeInState.some((t) => t.exactTotal > 0);
    if (kernel) {
      out.push(c.dim('  KERNEL: of ENDED, stays the kernel reported, exact to the microsecond'));
    }
    const head = [
      'STATE',
      'ENDED',
      ...(kernel ? ['KERNEL'] : []),
      ...AGE_BUCKET_LABELS,
      'MEDIAN',
      'OPEN',
      'LONGEST',
    ];
    const tis: Array<Array<string | number>> = [];
    for (const t of report.timeInState) {
      tis.push([
        stateColor(c, t.state)(t.state),
        t.endedTotal,
        ...(kernel ? [t.exactTotal || c.dim('·')] : []),
        ...t.ended.map((n) => (n ? String(n) : c.dim('·'))),
        t.median ?? '-',
        t.open.reduce((a, b) => a + b, 0) || c.dim('·'),
        t.longest ? `${t.longest.atLeast ? '≥' : ''}${formatDuration(t.longest.ms)}` : '-',
      ]);
      if (t.atLeastTotal > 0) {
        tis.push([
          c.dim('  ≥'),
          `≥${t.atLeastTotal}`,
          ...(kernel ? [''] : []),
          ...t.atLeast.map((n) => (n ? `≥${n}` : c.dim('·'))),
          '',
          '',
          '',
        ]);
      }
    }
    out.push(
      renderTable(tis, { head, align: ['left', ...head.slice(1).map(() => 'right' as const)], plain: true }),
      '',
    );
  }

  if (report.stuck.length) {
    out.push(c.bold('Longest in a closing or opening state at the end'));
    out.push(
      renderTable(
        report.stuck.map((s) => [
          stateColor(c, s.span.state)(s.span.state),
          `${s.atLeast ? '≥' : ''}${formatDuration(s.ageMs)}`,
          s.span.local,
          s.span.remote,
          s.span.process ?? '',
        ]),
        { head: ['STATE', 'FOR', 'LOCAL', 'REMOTE', 'PROCESS'], align: ['left', 'right'], plain: true },
      ),
      '',
    );
  }

  out.push(c.bold('Findings over time'));
  if (report.findings.length === 0) out.push('  none recorded');
  for (const f of report.findings) {
    const sev =
      f.severity === 'critical'
        ? c.red(f.severity)
        : f.severity === 'warning'
          ? c.yellow(f.severity)
          : f.severity;
    out.push(
      `  ${sev} ${f.rule}: ${f.title} (${clock(f.firstAt, long)} → ${clock(f.lastAt, long)}, ${f.looks} looks)`,
    );
  }
  return out.join('\n');
}
