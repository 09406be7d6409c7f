// The engine tier: the shipped Dockerfiles built and run on a real Docker Engine that the tests
// start themselves (test/engine/). Slow and needs root: `npm run test:engine`, never `npm test`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/engine/**/*.test.ts'],
    globalSetup: ['test/engine/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 30 * 60_000,
    // One daemon, one build cache: files run one after another.
    fileParallelism: false,
  },
});
