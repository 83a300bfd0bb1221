import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Builds the dashboard from web/ into a fresh directory, so the test never serves a stale dist/web. */
export function buildWeb(): string {
  const out = mkdtempSync(join(tmpdir(), 'tcpstate-web-'));
  execFileSync(
    'npx',
    ['vite', 'build', '--config', 'web/vite.config.ts', '--outDir', out, '--logLevel', 'warn'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return out;
}
