import type { Finding, Severity } from '../model/finding.ts';
import type { Lang } from '../states/explain/types.ts';
import type { Colors } from './color.ts';
import { printable } from './printable.ts';
import { wrap } from './wrap.ts';

const MARK: Record<Severity, string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' };

function severityColor(c: Colors, s: Severity): (t: string) => string {
  return s === 'critical' ? (t) => c.bold(c.red(t)) : s === 'warning' ? c.yellow : c.cyan;
}

const L = {
  en: {
    none: 'FINDINGS: none — nothing looks wrong',
    heading: 'FINDINGS',
    why: 'Why',
    fix: 'Fix',
    missing: 'Missing',
    examples: 'e.g.',
    keep: '(already so: keep it)',
  },
  zh: {
    none: '诊断：无 — 没有发现问题',
    heading: '诊断',
    why: '原因',
    fix: '处理',
    missing: '缺少数据',
    examples: '例如',
    keep: '（已是建议值：保持不变）',
  },
};

/** Findings for the terminal: severity and title, then the evidence, why, and what to do, wrapped to the width. */
export function renderFindings(
  findings: readonly Finding[],
  o: { colors: Colors; lang?: Lang; width?: number; brief?: boolean },
): string {
  const c = o.colors;
  const lang = o.lang ?? 'en';
  const w = Math.max(30, Math.min(o.width ?? 80, 110));
  const l = L[lang];
  if (findings.length === 0) return c.green(l.none);
  const out: string[] = [c.bold(`${l.heading} (${findings.length})`)];
  for (const f of findings) {
    const color = severityColor(c, f.severity);
    out.push('', `${color(MARK[f.severity].padEnd(8))} ${c.bold(f.rule)}`);
    const title = printable(lang === 'zh' ? (f.titleZh ?? f.title) : f.title);
    out.push(...wrap(title, w - 9).map((line) => `         ${line}`));
    if (o.brief) continue;
    const metrics = Object.entries(f.evidence.metrics)
      .map(([k, v]) => printable(`${k}=${v}`))
      .join('  ');
    out.push(...wrap(metrics, w - 9).map((line) => `         ${c.dim(line)}`));
    if (f.evidence.top?.length) {
      const top = f.evidence.top.map((t) => `${t.kind} ${printable(t.key)} (${t.count})`).join(', ');
      out.push(...wrap(`top: ${top}`, w - 9).map((line) => `         ${c.dim(line)}`));
    }
    for (const ex of f.evidence.examples?.slice(0, 2) ?? [])
      out.push(`         ${c.dim(`${l.examples} ${printable(ex)}`)}`);
    const why = f.explanation[lang] ?? f.explanation.en;
    out.push(...wrap(`${l.why}: ${why}`, w - 9).map((line) => `         ${line}`));
    const fix = f.fix[lang] ?? f.fix.en;
    out.push(...wrap(`${l.fix}: ${fix}`, w - 9).map((line) => `         ${c.green(line)}`));
    for (const s of f.fix.sysctls ?? []) {
      // A setting that already has the advised value is advice to keep it, not a command to run.
      const same = s.current !== undefined && s.current.trim().split(/\s+/).join(' ') === s.suggested;
      out.push(
        same
          ? `         ${c.dim(`${s.name} = ${s.current} ${l.keep}`)}`
          : `         ${c.green(`sysctl -w ${s.name}=${JSON.stringify(s.suggested).replace(/^"|"$/g, '')}`)}${s.current !== undefined ? c.dim(`  (now ${s.current})`) : ''}`,
      );
    }
    const missing = lang === 'zh' ? (f.missingZh ?? f.missing) : f.missing;
    if (missing?.length)
      out.push(
        ...wrap(`${l.missing}: ${missing.join(lang === 'zh' ? '；' : '; ')}`, w - 9).map(
          (line) => `         ${c.yellow(line)}`,
        ),
      );
  }
  return out.join('\n');
}
