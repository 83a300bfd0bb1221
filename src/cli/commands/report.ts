import type { Command } from '@commander-js/extra-typings';
import { SourceError } from '../../errors.ts';
import { colorsFor } from '../../render/color.ts';
import { renderReportHtml } from '../../render/report-html.ts';
import { renderReportText } from '../../render/report-text.ts';
import { readReportInput } from '../../store/report-input.ts';
import { openSqliteStore } from '../../store/sqlite-store.ts';
import { buildReport } from '../../track/trends.ts';
import { parseDuration } from '../duration.ts';
import { runAction } from '../run.ts';
import { writeOutputFile } from '../write-file.ts';

interface ReportOptions {
  db: string;
  since?: string;
  json?: boolean;
  html?: string;
  minRate: string;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('trends, peaks, leak rates, time in state and findings from a `tcpstate record` file')
    .requiredOption('--db <file>', 'the recording')
    .option('--since <duration>', 'only the last part of the recording (10m, 1h, 2d)')
    .option('--min-rate <n>', 'smallest growth per minute reported as a leak', '0.5')
    .option('--json', 'the report as JSON')
    .option('--html <file>', 'write an HTML report with charts to this file (instead of the text report)')
    .addHelpText(
      'after',
      `
Examples:
  tcpstate report --db host.db                      the whole recording
  tcpstate report --db host.db --since 1h --html r.html
  tcpstate report --db host.db --json | jq '.leaks'`,
    )
    .action((options) => runAction(() => report(options)));
}

export function report(options: ReportOptions): number {
  const store = openSqliteStore(options.db);
  let built: ReturnType<typeof buildReport>;
  try {
    const last = store.lastSnapshotAt() ?? Date.now();
    const since = options.since === undefined ? 0 : last - parseDuration(options.since, '--since');
    built = buildReport(readReportInput(store, since), { minPerMinute: Number(options.minRate) });
    const meta = store.meta();
    if (meta.trace === 'kernel') built.kernelTrace = true;
    const lost = Number(meta.trace_lost ?? 0);
    if (built.kernel && lost > 0) built.kernel.lost = lost;
  } finally {
    store.close();
  }
  if (options.html) {
    try {
      writeOutputFile(options.html, renderReportHtml(built, options.db));
    } catch (error) {
      throw new SourceError(`cannot write: ${(error as Error).message}`, options.html, error);
    }
  }
  // --html asks for the page: the terminal gets one line saying where it went, not the text report as well.
  if (options.json) process.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
  else if (options.html) process.stdout.write(`HTML report written to ${options.html}\n`);
  else {
    process.stdout.write(
      `${renderReportText(built, options.db, colorsFor(process.stdout), process.stdout.columns ?? 100)}\n`,
    );
  }
  return 0;
}
