// Shipped assets (charts/, Dockerfiles/, templates/) are resolved from the package root,
// never from the current directory: the tool runs inside the user's app checkout.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const assetPath = {
  chart: (name: 'frontend' | 'backend' | 'database') => join(packageRoot, 'charts', name),
  dockerfile: (service: 'frontend' | 'backend') => join(packageRoot, 'Dockerfiles', `${service}.Dockerfile`),
  template: (name: string) => join(packageRoot, 'templates', name),
};

/** This package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}
