import { defineConfig } from 'vitest/config';

// The cluster tier's node suite (npm run test:cluster, after the control-plane files): the
// product's commands against a real node, started once for the run.
export default defineConfig({
  test: {
    include: ['test/cluster/node/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts', 'test/cluster/node/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 10 * 60_000,
    hookTimeout: 45 * 60_000,
  },
});
