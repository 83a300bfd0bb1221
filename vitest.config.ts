import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Two projects. `unit`: pure code over fixtures, files in parallel. `system`: anything that touches the machine
 * (network namespaces, root, the live kernel, a browser, servers, CLI runs as child processes), one file at a time
 * and after the unit tests, because such tests share the host's netns list, nftables and CPU.
 *
 * A file is a system test when it uses one of the markers below, so a new test lands in the right project without
 * a list to keep: `npm run test:unit`, `npm run test:system`, or `npm test` for both.
 */
const SYSTEM_MARKERS =
  /helpers\/(netns|cli|staged-states|close-wait-leak)|node:child_process|node:worker_threads|node:net\b|node:http\b|playwright|startServer|createServer|readLiveSnapshot|takeLiveSnapshot|\/proc\/(self|net|\d|\$\{)/;

const root = import.meta.dirname;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(path);
    return e.name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

const system = testFiles(join(root, 'test')).filter((f) =>
  SYSTEM_MARKERS.test(readFileSync(join(root, f), 'utf8')),
);

export default defineConfig({
  test: {
    // Kernel tests build network namespaces and wait on real timers.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: system, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: system,
          // Namespace tests share the host's netns list and nftables; keep files from racing each other.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
