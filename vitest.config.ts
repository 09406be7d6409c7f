import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Tests wait on events, not times; this bound only ends a test that fails by hanging, and
    // must allow for a machine whose cores are busy elsewhere (an e2e test then takes minutes).
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // vitest's default (cores - 1) runs one file at a time on a 2-core machine, while the
    // end-to-end files mostly wait: on simulated tools, health checks and their timeouts.
    maxWorkers: 3,
  },
});
