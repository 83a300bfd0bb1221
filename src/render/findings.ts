import type { Finding, Severity } from '../model/finding.ts';
import type { Lang } from '../states/explain/types.ts';
import type { Colors } from './color.ts';
import { printable } from './printable.ts';
import { displayWidth, wrap } from './wrap.ts';

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

/**
 * A value as one shell word: bare when it is plain (numbers, names), in double quotes when it has spaces
 * (`ip_local_port_range="1024 65535"`: unquoted, sysctl would set the first number and reject the second).
 */
function shellWord(value: string): string {
  if (/^[\w.,:/+-]+$/.test(value)) return value;
  if (/^[\w.,:/+ \t-]*$/.test(value)) return `"${value}"`;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A command to paste, on lines of at most `width` columns: at `indent` when it fits; else from the left edge,
 * broken between words with ` \` (the next line indented two spaces) and, inside a word longer than a line, with a
 * bare `\` and the rest from column 0, which the shell joins back into the same word (also inside double quotes).
 */
function commandLines(command: string, indent: number, width: number): string[] {
  if (indent + displayWidth(command) <= width) return [' '.repeat(indent) + command];
  const words = command.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
  const lines: string[] = [];
  let line = '';
  words.forEach((word, i) => {
    const last = i === words.length - 1;
    const joined = line ? `${line} ${word}` : word;
    // Room for the ` \` that ends every line but the last.
    if (!line || displayWidth(joined) + (last ? 0 : 2) <= width) {
      line = joined;
    } else {
      lines.push(`${line} \\`);
      line = `  ${word}`;
    }
    // A word wider than a line on its own: cut it, and go on at column 0 (no indent may enter the word).
    while (displayWidth(line) + (last ? 0 : 2) > width && !line.includes("'")) {
      // At a dot, an equals sign or a space where there is one (net.ipv4.\ ip_local_port_range=...), else anywhere.
      const head = line.slice(0, width - 1);
      const at = Math.max(head.lastIndexOf('.'), head.lastIndexOf('='), head.lastIndexOf(' '));
      const cut = at > 2 ? at + 1 : width - 1;
      lines.push(`${line.slice(0, cut)}\\`);
      line = line.slice(cut);
    }
  });
  if (line) lines.push(line);
  return lines;
}

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
    if (metrics) out.push(...wrap(metrics, w - 9).map((line) => `         ${c.dim(line)}`));
    if (f.evidence.top?.length) {
      const top = f.evidence.top.map((t) => `${t.kind} ${printable(t.key)} (${t.count})`).join(', ');
      out.push(...wrap(`top: ${top}`, w - 9).map((line) => `         ${c.dim(line)}`));
    }
    for (const ex of f.evidence.examples?.slice(0, 2) ?? [])
      out.push(...wrap(`${l.examples} ${printable(ex)}`, w - 9).map((line) => `         ${c.dim(line)}`));
    const why = f.explanation[lang] ?? f.explanation.en;
    out.push(...wrap(`${l.why}: ${why}`, w - 9).map((line) => `         ${line}`));
    const fix = f.fix[lang] ?? f.fix.en;
    out.push(...wrap(`${l.fix}: ${fix}`, w - 9).map((line) => `         ${c.green(line)}`));
    for (const s of f.fix.sysctls ?? []) {
      // A setting that already has the advised value is advice to keep it, not a command to run.
      const same = s.current !== undefined && s.current.trim().split(/\s+/).join(' ') === s.suggested;
      if (same) {
        out.push(
          ...wrap(`${s.name} = ${s.current} ${l.keep}`, w - 9).map((line) => `         ${c.dim(line)}`),
        );
        continue;
      }
      const command = `sysctl -w ${s.name}=${shellWord(s.suggested)}`;
      // The kernel separates a vector's numbers with tabs (ip_local_port_range is "40000\t40199").
      const now =
        s.current !== undefined ? printable(`(now ${s.current.trim().split(/\s+/).join(' ')})`) : '';
      if (9 + displayWidth(command) + (now ? 2 + displayWidth(now) : 0) <= w) {
        out.push(`         ${c.green(command)}${now ? c.dim(`  ${now}`) : ''}`);
        continue;
      }
      out.push(...commandLines(command, 9, w).map((line) => c.green(line)));
      if (now) out.push(...wrap(now, w - 9).map((line) => `         ${c.dim(line)}`));
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
