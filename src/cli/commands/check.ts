import { readFileSync } from 'node:fs';
import type { Command } from '@commander-js/extra-typings';
import { summarize } from '../../analysis/summary.ts';
import {
  DEFAULT_THRESHOLDS,
  diagnose,
  type ThresholdName,
  type Thresholds,
  worstSeverity,
} from '../../diagnose/index.ts';
import { isTcpstateError, UsageError } from '../../errors.ts';
import type { Finding } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { colorsFor } from '../../render/color.ts';
import { renderFindings } from '../../render/findings.ts';
import { TCP_STATES } from '../../states/states.ts';
import { parseDuration } from '../duration.ts';
import { addLiveOptions, type LiveSourceOptions, takeLiveSnapshot } from '../live-options.ts';

/** Monitoring-plugin exit codes (Nagios, Icinga, Sensu, check_mk). */
export const CHECK_EXIT = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Reads threshold overrides from a JSON config (`{"thresholds": {...}}` or the bare object) and `--set k=v`. */
export function readThresholds(configPath: string | undefined, sets: readonly string[]): Partial<Thresholds> {
  const out: Partial<Record<ThresholdName, number>> = {};
  const apply = (name: string, value: unknown, where: string) => {
    if (!(name in DEFAULT_THRESHOLDS)) {
      throw new UsageError(
        `${where}: unknown threshold '${name}' (known: ${Object.keys(DEFAULT_THRESHOLDS).join(', ')})`,
      );
    }
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isFinite(n) || n < 0)
      throw new UsageError(
        `${where}: threshold '${name}' must be a non-negative number, got '${String(value)}'`,
      );
    out[name as ThresholdName] = n;
  };
  if (configPath !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (error) {
      throw new UsageError(`--config ${configPath}: ${(error as Error).message}`);
    }
    const obj = (parsed as { thresholds?: unknown })?.thresholds ?? parsed;
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new UsageError(`--config ${configPath}: expected an object of thresholds`);
    }
    for (const [k, v] of Object.entries(obj)) apply(k, v, `--config ${configPath}`);
  }
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq < 1) throw new UsageError(`--set: expected NAME=VALUE, got '${s}'`);
    apply(s.slice(0, eq), s.slice(eq + 1), '--set');
  }
  return out;
}

/** The one-line plugin summary with perfdata: `TCPSTATE WARNING - 1 finding: ... | established=12;; ...`. */
export function checkSummary(
  findings: readonly Finding[],
  snapshot: Snapshot,
): { line: string; code: number } {
  const worst = worstSeverity(findings.filter((f) => f.severity !== 'info'));
  const status = worst === 'critical' ? 'CRITICAL' : worst === 'warning' ? 'WARNING' : 'OK';
  const alerting = findings.filter((f) => f.severity !== 'info');
  const text = alerting.length
    ? `${alerting.length} finding${alerting.length === 1 ? '' : 's'}: ${alerting.map((f) => f.title).join('; ')}`
    : `${snapshot.sockets.length} TCP sockets, nothing wrong`;
  const summary = summarize(snapshot);
  const perf = TCP_STATES.map((s) => `${s.toLowerCase()}=${summary.byState[s]}`).join(' ');
  return {
    line: `TCPSTATE ${status} - ${text} | ${perf} findings=${alerting.length}`,
    code: CHECK_EXIT[status],
  };
}

export function registerCheck(program: Command): void {
  addLiveOptions(
    program
      .command('check')
      .description(
        'monitoring mode: one status line with perfdata, details, and exit 0/1/2/3 = OK/WARNING/CRITICAL/UNKNOWN',
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
      .option('--json', 'print the findings as JSON instead')
      .option('-q, --quiet', 'print only the status line'),
  ).action(async (options) => {
    // Monitoring plugins must answer with a status whatever happens: any failure is UNKNOWN (3), never a stack.
    try {
      const thresholds = readThresholds(options.config, options.set ?? []);
      const intervalMs = parseDuration(options.interval, '--interval', { allowZero: true });
      const live = options as LiveSourceOptions;
      let previous: Snapshot | undefined;
      if (intervalMs > 0) {
        previous = await takeLiveSnapshot(live);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
      const snapshot = await takeLiveSnapshot(live);
      const findings = diagnose(snapshot, { thresholds }, previous);
      const { line, code } = checkSummary(findings, snapshot);
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ status: line.split(' ')[1], exitCode: code, findings }, null, 2)}\n`,
        );
      } else {
        process.stdout.write(`${line}\n`);
        if (!options.quiet && findings.length) {
          process.stdout.write(
            `${renderFindings(findings, { colors: colorsFor(process.stdout), width: process.stdout.columns ?? 100 })}\n`,
          );
        }
      }
      process.exitCode = code;
    } catch (error) {
      const message = isTcpstateError(error) ? error.message : `internal error: ${(error as Error).message}`;
      process.stdout.write(`TCPSTATE UNKNOWN - ${message}\n`);
      process.exitCode = CHECK_EXIT.UNKNOWN;
    }
  });
}
