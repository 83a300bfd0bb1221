import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Users get the package and the repository, not the maintainers' research notes: a citation of `reference/*.md`
 * (or of `../shared`, where those notes live beside the project) is one nobody can follow. Findings show their
 * references to users; code comments and docs are read by them too. Cite public sources (RFCs, kernel
 * documentation, man pages, Zeek's docs) or our own notes in docs/.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const SKIP = new Set(['node_modules', 'dist', '.git', 'coverage', 'test-results']);
const TEXT = /\.(ts|tsx|js|mjs|cjs|json|md|yml|yaml|html|css|py|sh|txt)$/;
// The research notes' file names, cited bare as well as under reference/.
const CITES =
  /(^|[^\w.-])(reference\/|\.\.\/shared|\/work\/shared)|\b(ops-diagnostics|socket-listing|pcap-state|tooling\.md|stacks\.md|implementations\.md|test-vectors\.md|rfc9293-transitions\.md)\b/;

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith('.vitest')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (TEXT.test(name) || dir.endsWith('.ci')) yield path;
  }
}

describe('citations users can follow', () => {
  it('no source, test or doc file cites reference/*.md or ../shared', () => {
    const self = fileURLToPath(import.meta.url);
    const hits: string[] = [];
    let checked = 0;
    for (const path of files(root)) {
      if (path === self) continue;
      checked++;
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (CITES.test(line)) hits.push(`${relative(root, path)}:${i + 1}: ${line.trim().slice(0, 120)}`);
        });
    }
    expect(checked).toBeGreaterThan(100);
    expect(hits).toEqual([]);
  });

  it('the findings of every rule cite only public sources (RFCs, kernel documentation, man pages)', () => {
    const text = readdirSync(join(root, 'src/diagnose/rules'))
      .map((f) => readFileSync(join(root, 'src/diagnose/rules', f), 'utf8'))
      .join('\n');
    const refs = [...text.matchAll(/references: \[([^\]]*)\]/g)].flatMap((m) =>
      [...m[1]!.matchAll(/'([^']*)'/g)].map((r) => r[1]!),
    );
    expect(refs.length).toBeGreaterThan(20);
    for (const r of refs)
      expect(r).toMatch(
        /^(RFC \d+|Linux ip-sysctl\.rst|kernel |[a-z]+\(\d\)|ss\(8\)|[a-z(), 0-9]+ man pages?)/,
      );
  });
});
