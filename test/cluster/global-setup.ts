// The cluster tier's setup: builds the control plane once per version (or finds it in the
// machine's cache), starts it for the whole run, and stops it at the end, however the run ends.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startControlPlane } from './control-plane.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    /** The control plane's temp dir, removed when it stops. */
    clusterDir: string;
    serverVersion: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const build = fileURLToPath(new URL('./build.sh', import.meta.url));
  // stderr inherited: a cold build takes tens of minutes and says what it downloads.
  const bin = execFileSync(build, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1)!;
  const plane = await startControlPlane(bin);
  project.provide('kubeconfig', plane.kubeconfig);
  project.provide('clusterDir', plane.dir);
  project.provide('serverVersion', plane.version);
  return () => plane.stop();
}
