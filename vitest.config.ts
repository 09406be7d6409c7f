import type { Plugin } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';

// @actions/workflow-parser ships source maps that point at sources it does not ship: one warning
// per module on every run. Only those warnings are dropped (vitest sets its own logger, so the
// resolved one is wrapped).
const quietWorkflowParserMaps: Plugin = {
  name: 'quiet-workflow-parser-source-maps',
  configResolved(config) {
    const warnOnce = config.logger.warnOnce.bind(config.logger);
    config.logger.warnOnce = (message, options) => {
      if (!/^Sourcemap for ".*@actions\/workflow-parser\/.*" points to missing source files/.test(message)) warnOnce(message, options);
    };
  },
};

export default defineConfig({
  plugins: [quietWorkflowParserMaps],
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
