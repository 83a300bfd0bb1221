import { readFileSync } from 'node:fs';
import { type Command, Option } from '@commander-js/extra-typings';
import { summarize } from '../../analysis/summary.ts';
import { type NotChecked, notChecked } from '../../diagnose/coverage.ts';
import {
  DEFAULT_THRESHOLDS,
  diagnose,
  type ThresholdName,
  type Thresholds,
  worstSeverity,
} from '../../diagnose/index.ts';
import { isTcpstateError, UsageError } from '../../errors.ts';
import type { Finding } from '../../model/finding.ts';
import type { Snapshot, Warning } from '../../model/snapshot.ts';
import { colorsFor } from '../../render/color.ts';
import { renderFindings } from '../../render/findings.ts';
import { parseProcNetTcp } from '../../sources/proc/proc-net-tcp.ts';
import { readTextSnapshot } from '../../sources/text/read.ts';
import { EXPLAIN_LANGS } from '../../states/explain/types.ts';
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
  thresholds?: Thresholds,
): { line: string; code: number } {
  const worst = worstSeverity(findings.filter((f) => f.severity !== 'info'));
  const status = worst === 'critical' ? 'CRITICAL' : worst === 'warning' ? 'WARNING' : 'OK';
  const alerting = findings.filter((f) => f.severity !== 'info');
  const text = alerting.length
    ? `${alerting.length} finding${alerting.length === 1 ? '' : 's'}: ${alerting.map((f) => f.title).join('; ')}`
    : `${snapshot.sockets.length} TCP socket${snapshot.sockets.length === 1 ? '' : 's'}, nothing wrong`;
  const summary = summarize(snapshot);
  // Nagios perfdata: label=value;warn;crit. Only CLOSE_WAIT has a host-level count threshold worth graphing.
  const limits: Partial<Record<string, string>> = thresholds
    ? { CLOSE_WAIT: `;${thresholds.closeWaitWarn};${thresholds.closeWaitCrit}` }
    : {};
  const perf = TCP_STATES.map((s) => `${s.toLowerCase()}=${summary.byState[s]}${limits[s] ?? ''}`).join(' ');
  return {
    line: `TCPSTATE ${status} - ${text} | ${perf} findings=${alerting.length}`,
    code: CHECK_EXIT[status],
  };
}

/** Where `check` gets its data: the current snapshot and, for rate rules, an earlier one of the same source. */
export type CheckSource = () => Promise<{ snapshot: Snapshot; previous?: Snapshot }>;

/** Live data: one look, or two looks `intervalMs` apart so counter deltas and persistence can be used. */
export function liveProvider(live: LiveSourceOptions, intervalMs: number): CheckSource {
  return async () => {
    let previous: Snapshot | undefined;
    if (intervalMs > 0) {
      previous = await takeLiveSnapshot(live);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    const snapshot = await takeLiveSnapshot(live);
    return previous ? { snapshot, previous } : { snapshot };
  };
}

/**
 * A saved socket table: netstat, ss, sockstat or /proc/net/tcp text from any OS, detected as `tcpstate analyze`
 * does (`-` for stdin). Unreadable input is UNKNOWN, never guessed at.
 */
export function fileProvider(path: string): CheckSource {
  return async () => ({ snapshot: await readTextSnapshot(path) });
}

const PROC_HEADER = /^\s*sl\s+local_address\s+rem(ote)?_address\s+st\b/;

/** Splits concatenated /proc/net/tcp and tcp6 text at their headers and parses each with the live parser. */
export function snapshotFromProcText(text: string, name: string): Snapshot {
  const lines = text.split('\n');
  const starts = lines.flatMap((l, i) => (PROC_HEADER.test(l) ? [i] : []));
  if (starts.length === 0) {
    throw new UsageError(
      `${name}: not /proc/net/tcp text (no 'sl local_address rem_address st' header); check FILE reads only that format until the netstat/ss text parsers land`,
    );
  }
  const warnings: Warning[] = [];
  const sockets = starts.flatMap((start, k) => {
    const block = lines.slice(start, starts[k + 1] ?? lines.length);
    const firstRow = block[1]?.trim().split(/\s+/)[1] ?? '';
    const family = firstRow.indexOf(':') > 8 ? 'inet6' : 'inet';
    return parseProcNetTcp(block.join('\n'), family, warnings, start);
  });
  return {
    source: { kind: 'text', name, format: 'linux-proc-net-tcp', os: 'linux' },
    takenAt: Date.now(),
    sockets,
    warnings,
  };
}

/** Runs a check end to end and returns what to print and the exit code; every failure becomes UNKNOWN. */
export async function runCheck(
  provider: CheckSource,
  o: { thresholds: Partial<Thresholds>; json?: boolean; quiet?: boolean; lang?: 'en' | 'zh'; width?: number },
): Promise<{ output: string; code: number }> {
  const { snapshot, previous } = await provider();
  const thresholds = { ...DEFAULT_THRESHOLDS, ...o.thresholds };
  const findings = diagnose(snapshot, { thresholds }, previous);
  const gaps = notChecked(snapshot, previous);
  const { line, code } = checkSummary(findings, snapshot, thresholds);
  if (o.json) {
    const status = line.split(' ')[1];
    return {
      output: `${JSON.stringify({ status, exitCode: code, summary: line, findings, notChecked: gaps }, null, 2)}\n`,
      code,
    };
  }
  const out = [line];
  if (!o.quiet) {
    if (findings.length) {
      out.push(
        renderFindings(findings, {
          colors: colorsFor(process.stdout),
          lang: o.lang ?? 'en',
          width: o.width ?? 100,
        }),
      );
    }
    if (gaps.length) out.push(renderGaps(gaps, o.lang ?? 'en'));
  }
  return { output: `${out.join('\n')}\n`, code };
}

function renderGaps(gaps: readonly NotChecked[], lang: 'en' | 'zh'): string {
  const head = lang === 'zh' ? '未能检查（缺少数据）:' : 'Not checked (missing data):';
  return [head, ...gaps.map((g) => `  - ${lang === 'zh' ? g.needsZh : g.needs}: ${g.rules.join(', ')}`)].join(
    '\n',
  );
}

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
      const intervalMs = parseDuration(options.interval, '--interval', { allowZero: true });
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
