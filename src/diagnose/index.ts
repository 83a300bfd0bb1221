import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot, Socket } from '../model/snapshot.ts';
import { RuleContext } from './context.ts';
import { missingInChinese } from './missing-zh.ts';
import { closeWaitRules } from './rules/close-wait.ts';
import { closingRules } from './rules/closing.ts';
import { connectRules } from './rules/connect.ts';
import { counterRules } from './rules/counters.ts';
import { kernelRules } from './rules/kernel.ts';
import { listenRules } from './rules/listen.ts';
import { queueRules } from './rules/queues.ts';
import { timeWaitRules } from './rules/time-wait.ts';
import { DEFAULT_THRESHOLDS, type Thresholds } from './thresholds.ts';

export { DEFAULT_THRESHOLDS, type ThresholdName, type Thresholds } from './thresholds.ts';

export interface DiagnoseOptions {
  /** Override any default threshold (see DEFAULT_THRESHOLDS). */
  thresholds?: Partial<Thresholds>;
  /**
   * Diagnose only these sockets (a filtered view), with the whole snapshot as context: which ports have a
   * listener, whether owners were looked up, the kernel's counters. Host-wide counter rules still run.
   */
  within?: readonly Socket[];
}

const RULES = [
  closeWaitRules,
  timeWaitRules,
  listenRules,
  connectRules,
  closingRules,
  queueRules,
  counterRules,
  kernelRules,
];

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/**
 * Runs every rule over a snapshot. With `previous` (an earlier snapshot of the same source) the rate rules work
 * and sockets seen in both are known to be at least that old. Pure: same inputs, same findings.
 */
export function diagnose(snapshot: Snapshot, options: DiagnoseOptions = {}, previous?: Snapshot): Finding[] {
  const ctx = new RuleContext(
    snapshot,
    { ...DEFAULT_THRESHOLDS, ...options.thresholds },
    previous,
    options.within,
  );
  const findings = RULES.flatMap((rule) => rule(ctx));
  for (const f of findings) if (f.missing) f.missingZh = f.missing.map((m) => missingInChinese(m) ?? m);
  return findings.sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.rule.localeCompare(b.rule),
  );
}

/** The worst severity among findings, or undefined when there are none. */
export function worstSeverity(findings: readonly Finding[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const f of findings)
    if (worst === undefined || SEVERITY_ORDER[f.severity] < SEVERITY_ORDER[worst]) worst = f.severity;
  return worst;
}
