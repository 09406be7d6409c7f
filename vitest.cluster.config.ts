import { defineConfig } from 'vitest/config';

// The cluster tier (npm run test:cluster): a real control plane, started once for the run.
export default defineConfig({
  test: {
    include: ['test/cluster/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts', 'test/cluster/global-setup.ts'],
    // One API server for all files: they run one after another, in a namespace each.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
