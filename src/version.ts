import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// This module runs from src/ and dist/ (one level below the package root) and, bundled, from dist/bin/ (two).
function readVersion(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(path) as { name?: string; version?: string };
      if (pkg.name === 'tcpstate' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not at this level
    }
  }
  return '0.0.0';
}

/** tcpstate's version, from its package.json. */
export const VERSION: string = readVersion();
