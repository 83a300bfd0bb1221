import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Kernel tests build network namespaces and wait on real timers.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Namespace tests share the host's netns list and nftables; keep files from racing each other.
    fileParallelism: false,
  },
});
