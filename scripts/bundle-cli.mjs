// Bundles the command line into dist/bin/: the entry, one file per lazily loaded subcommand, shared chunks, and the
// server's snapshot worker. Why: loaded from tsc's output, `tcpstate pcap` resolves and compiles ~70 of our modules
// and ~40 from node_modules before it reads a byte, which is a third of its start-up (see docs/benchmarks.md,
// "Start-up"). The library (dist/index.js) stays tsc's per-module output, for tree-shaking by its users.
//
//   node scripts/bundle-cli.mjs        (part of `npm run build`)
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url);
const outdir = new URL('dist/bin/', root).pathname;
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root.pathname,
  entryPoints: { main: 'src/cli/main.ts', 'snapshot-worker': 'src/server/snapshot-worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // A native addon: it loads its .node file relative to its own package.
  external: ['better-sqlite3'],
  // Bundled CommonJS dependencies call require() for Node's built-in modules; ESM output has no require of its own.
  banner: {
    js: "import { createRequire as __tcpstateRequire } from 'node:module';\nconst require = __tcpstateRequire(import.meta.url);",
  },
  chunkNames: 'chunk-[hash]',
  legalComments: 'linked',
  logLevel: 'warning',
});
