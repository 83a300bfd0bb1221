/**
 * The dependency rule of docs/architecture.md, checked on every import statement under src/: the library never
 * depends on the command line, and the pure core never on the server, the store or the command line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = resolve(import.meta.dirname, '../../src');
const CORE = ['states', 'fsm', 'analysis', 'diagnose', 'track', 'sim', 'model'];
const CORE_MAY_NOT = ['server', 'store', 'cli'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

// `import x from '...'`, `import type {...} from '...'`, `export ... from '...'`, `import '...'`, `import('...')`.
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every relative import of a file, as a path under src/ (`cli/live-options.ts`). */
function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (spec.startsWith('.')) out.push(relative(src, resolve(dirname(file), spec)));
  }
  return out;
}

const top = (path: string) => path.split('/')[0]!;

describe('the dependency rule', () => {
  const files = sources(src);

  it('reads the imports it is meant to check', () => {
    const sample = `import { a } from '../cli/x.ts';\nimport type {\n  B,\n} from "../store/y.ts";\nexport { c } from './z.ts';\nimport './side.ts';\nconst m = await import('../server/w.ts');\n`;
    expect(importsOf(join(src, 'track/t.ts'), sample)).toEqual([
      'cli/x.ts',
      'store/y.ts',
      'track/z.ts',
      'track/side.ts',
      'server/w.ts',
    ]);
    expect(files.length).toBeGreaterThan(100);
  });

  it('nothing outside src/cli imports from src/cli', () => {
    const offenders = files
      .filter((f) => top(relative(src, f)) !== 'cli')
      .flatMap((f) =>
        importsOf(f)
          .filter((i) => top(i) === 'cli')
          .map((i) => `${relative(src, f)} -> ${i}`),
      );
    expect(offenders).toEqual([]);
  });

  it(`the pure core (${CORE.join(', ')}) imports nothing from ${CORE_MAY_NOT.join(', ')}`, () => {
    const offenders = files
      .filter((f) => CORE.includes(top(relative(src, f))))
      .flatMap((f) =>
        importsOf(f)
          .filter((i) => CORE_MAY_NOT.includes(top(i)))
          .map((i) => `${relative(src, f)} -> ${i}`),
      );
    expect(offenders).toEqual([]);
  });
});
