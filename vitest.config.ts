import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real tiers run on their own: the engine tier needs root and a Docker Engine
    // (`npm run test:engine`), the cluster tier its own control plane (`npm run test:cluster`).
    exclude: [...configDefaults.exclude, 'test/engine/**', 'test/cluster/**'],
    globalSetup: ['test/support/global-setup.ts'],
    // Tests wait on events, not times; this bound only ends a test that fails by hanging, and
    // must allow for a machine whose cores are busy elsewhere (an e2e test then takes minutes).
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // vitest's default (cores - 1) runs one file at a time on a 2-core machine, while the
    // end-to-end files mostly wait: on simulated tools, health checks and their timeouts.
    maxWorkers: 3,
    // @actions/workflow-parser imports its schema JSON without an import attribute, which Node
    // refuses and vite's transform accepts.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
