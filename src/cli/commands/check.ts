import { type Command, Option } from '@commander-js/extra-typings';
import { CHECK_EXIT, fileProvider, liveProvider, readThresholds, runCheck } from '../../check/check.ts';
import { isTcpstateError, UsageError } from '../../errors.ts';
import type { LiveSourceOptions } from '../../sources/live.ts';
import { EXPLAIN_LANGS } from '../../states/explain/types.ts';
import { parseDuration } from '../duration.ts';
import { addLiveOptions } from '../live-options.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerCheck(program: Command): void {
  addLiveOptions(
    program
      .command('check')
      .description(
        'monitoring mode: one status line with perfdata, details, and exit 0/1/2/3 = OK/WARNING/CRITICAL/UNKNOWN',
      )
      .argument(
        '[file]',
        'a saved netstat/ss/sockstat or /proc/net/tcp listing from any OS (`-` for stdin) instead of this machine',
      )
      .option(
        '--interval <duration>',
        'take two snapshots this far apart so rate rules (overflows, churn, resets) work',
        '0s',
      )
      .option('--config <file>', 'JSON file of threshold overrides: {"thresholds": {"closeWaitWarn": 20}}')
      .option(
        '--set <name=value>',
        'override one threshold (repeatable); see docs/diagnoses.md for the names',
        collect,
      )
      .addOption(
        new Option('--lang <lang>', 'language of the details').choices(EXPLAIN_LANGS).default('en' as const),
      )
      .option('--json', 'print the findings as JSON instead')
      .option('-q, --quiet', 'print only the status line'),
  ).action(async (file, options) => {
    // Monitoring plugins must answer with a status whatever happens: any failure is UNKNOWN (3), never a stack.
    try {
      const thresholds = readThresholds(options.config, options.set ?? []);
      const intervalMs = parseDuration(options.interval, '--interval', { allowZero: true, timer: true });
      if (file !== undefined && intervalMs > 0)
        throw new UsageError('--interval needs live data: a saved table is one look');
      const provider =
        file !== undefined ? fileProvider(file) : liveProvider(options as LiveSourceOptions, intervalMs);
      const { output, code } = await runCheck(provider, {
        thresholds,
        ...(options.json ? { json: true } : {}),
        ...(options.quiet ? { quiet: true } : {}),
        lang: options.lang,
        width: process.stdout.columns ?? 100,
      });
      process.stdout.write(output);
      process.exitCode = code;
    } catch (error) {
      const message = isTcpstateError(error) ? error.message : `internal error: ${(error as Error).message}`;
      process.stdout.write(`TCPSTATE UNKNOWN - ${message}\n`);
      process.exitCode = CHECK_EXIT.UNKNOWN;
    }
  });
}
