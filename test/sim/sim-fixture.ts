// What the simulator's own tests share: a sim per test (cleaned up after it), a chart, and a
// small app checkout to build.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { createSim, type Sim } from './harness.js';

/** A minimal chart: one Deployment and one NodePort Service named after the release, one test hook. */
export const fixtureChart = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'chart');

/** Shaped like charts/database: a PostgreSQL StatefulSet (pod <release>-0, container postgres, claim `data`), a ClusterIP Service on 5432, a pg_isready test hook. */
export const databaseChart = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'database-chart');

/** Returns a factory whose sims are removed after the file's tests (which may run concurrently). */
export function useSims(): (options?: Parameters<typeof createSim>[0]) => Promise<Sim> {
  const sims: Sim[] = [];
  afterAll(async () => {
    await Promise.all(sims.splice(0).map((s) => s.cleanup()));
  });
  return async (options) => {
    const sim = await createSim(options);
    sims.push(sim);
    return sim;
  };
}

/** Writes files (path → content) under <sim.dir>/app and returns that folder. */
export function writeApp(sim: Sim, files: Record<string, string>): string {
  const root = join(sim.dir, 'app');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** The variables `minikube docker-env` prints, as the product would pass them to docker. */
export async function dockerEnv(sim: Sim, profile = 'minikube'): Promise<Record<string, string>> {
  const r = await sim.exec('minikube', ['docker-env', '-p', profile, '--shell', 'none', '-o', 'json']);
  if (r.exitCode !== 0) throw new Error(`docker-env failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
