import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The engine tier needs root and a Docker Engine: `npm run test:engine` (vitest.engine.config.ts).
    exclude: [...configDefaults.exclude, 'test/engine/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // vitest's default (cores - 1) runs one file at a time on a 2-core machine, while the
    // end-to-end files mostly wait: on simulated tools, health checks and their timeouts.
    maxWorkers: 3,
  },
});
