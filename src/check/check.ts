import { readFileSync } from 'node:fs';
import { summarize } from '../analysis/summary.ts';
import { type NotChecked, notChecked } from '../diagnose/coverage.ts';
import {
  DEFAULT_THRESHOLDS,
  diagnose,
  type ThresholdName,
  type Thresholds,
  worstSeverity,
} from '../diagnose/index.ts';
import { UsageError } from '../errors.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { socketCount } from '../model/socket-table.ts';
import { colorsFor } from '../render/color.ts';
import { renderFindings } from '../render/findings.ts';
import { type LiveSourceOptions, takeLiveSnapshot } from '../sources/live.ts';
import { readTextSnapshot } from '../sources/text/read.ts';
import { TCP_STATES } from '../states/states.ts';

/**
 * The monitoring check (`tcpstate check`) as a library: thresholds, one diagnosis, a plugin status line with
 * perfdata and an exit code.
 */

/** Monitoring-plugin exit codes (Nagios, Icinga, Sensu, check_mk). */
export const CHECK_EXIT = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;

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
  checkOrder(out, sets.length ? '--set' : `--config ${configPath}`);
  return out;
}

/**
 * A warning level above its critical one would go from OK straight to CRITICAL, or (with the critical level
 * lowered alone) report OK where the operator asked for an alert: a monitoring false negative. Such a pair is a
 * configuration error (UNKNOWN, exit 3, in `check`), also against the default of the pair's other half.
 */
function checkOrder(overrides: Partial<Thresholds>, where: string): void {
  const merged: Thresholds = { ...DEFAULT_THRESHOLDS, ...overrides };
  for (const warn of Object.keys(DEFAULT_THRESHOLDS) as ThresholdName[]) {
    if (!warn.includes('Warn')) continue;
    const crit = warn.replace('Warn', 'Crit') as ThresholdName;
    if (!(crit in DEFAULT_THRESHOLDS)) continue;
    if (!(warn in overrides) && !(crit in overrides)) continue;
    if (merged[warn] > merged[crit]) {
      const given = (name: ThresholdName) => (name in overrides ? '' : ', the default');
      throw new UsageError(
        `${where}: ${warn} (${merged[warn]}${given(warn)}) is above ${crit} (${merged[crit]}${given(crit)}): the warning level must not exceed the critical one`,
      );
    }
  }
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
  // Counted from the snapshot's table: a netlink look builds no socket object for the line and its perfdata.
  const total = socketCount(snapshot);
  const notes = findings.length - alerting.length;
  const text = alerting.length
    ? `${alerting.length} finding${alerting.length === 1 ? '' : 's'}: ${alerting.map((f) => f.title).join('; ')}`
    : `${total} TCP socket${total === 1 ? '' : 's'}, nothing wrong${notes ? ` (${notes} note${notes === 1 ? '' : 's'})` : ''}`;
  const summary = summarize(snapshot);
  // Nagios perfdata: label=value;warn;crit. Only CLOSE_WAIT has a host-level count threshold worth graphing.
  const limits: Partial<Record<string, string>> = thresholds
    ? { CLOSE_WAIT: `;${thresholds.closeWaitWarn};${thresholds.closeWaitCrit}` }
    : {};
  const perf = TCP_STATES.map((s) => `${s.toLowerCase()}=${summary.byState[s]}${limits[s] ?? ''}`).join(' ');
  return {
    // findings = every finding listed below the line (INFO notes too); problems = the WARNING and CRITICAL ones.
    line: `TCPSTATE ${status} - ${text} | ${perf} findings=${findings.length} problems=${alerting.length}`,
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
