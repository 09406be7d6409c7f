// kubectl's outputs, held to the real binaries (1.34 and 1.32). Real kubectl reads the
// simulator's cluster through a loopback API server (kubectl.ts): the recording must still be
// what it prints (npm run record:kubectl), the simulator's kubectl must print the same for the
// same argv, the product must read the same from both, and every object must be valid against
// the Kubernetes OpenAPI schema.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseContexts, parseDeployment, parseKubectlVersion, parseNames, parseObjects, parsePods } from '../../src/tools/kubectl.js';
import { createSim, type Sim } from '../sim/harness.js';
import { schemaErrors } from '../support/k8s-schema.js';
import type { Recording, Run } from './helm.js';
import { contractDir } from './helm.js';
import { deployWorld, kubectlCases, kubectlRecordingPath, kubectlVersions, normalizeKube, runRealKubectl, serveSim, type Kubectl } from './kubectl.js';
import { jsonShape } from './shape.js';

const productReading: Record<string, (run: Run) => unknown> = {
  'version-client': (r) => parseKubectlVersion(r.stdout),
  'get-contexts': (r) => parseContexts(r.stdout),
  'get-objects-all-found': (r) => parseObjects(r.stdout).map((o) => [o.kind, o.metadata.name, o.data]),
  'get-objects-one-found': (r) => parseObjects(r.stdout).map((o) => [o.kind, o.metadata.name, o.data]),
  'get-objects-none-found': (r) => parseObjects(r.stdout),
  'get-secret-names': (r) => parseNames(r.stdout),
  'get-deployment': (r) => parseDeployment(r.stdout),
  'get-deployment-missing': (r) => parseDeployment(r.stdout),
  'get-pods': (r) => parsePods(r.stdout),
  'get-pods-none': (r) => parsePods(r.stdout),
};

let sim: Sim;
let served: Awaited<ReturnType<typeof serveSim>>;
beforeAll(async () => {
  sim = await createSim();
  await deployWorld(sim);
  served = await serveSim(sim);
});
afterAll(async () => {
  await served?.close();
  await sim?.cleanup();
});

const objectsOf = (stdout: string): Array<Record<string, unknown>> => {
  if (!stdout.trim().startsWith('{') || stdout.includes('clientVersion')) return [];
  const doc = JSON.parse(stdout) as Record<string, unknown> & { items?: Array<Record<string, unknown>> };
  return doc.kind === 'List' ? (doc.items ?? []) : [doc];
};

describe.each(Object.keys(kubectlVersions) as Kubectl[])('%s', (tool) => {
  it('has a recording of every case, and a reading for each', () => {
    const recorded = readdirSync(join(contractDir, 'recorded', tool)).map((f) => f.replace(/\.json$/, ''));
    expect(recorded.sort()).toEqual(kubectlCases.map((c) => c.name).sort());
    expect(Object.keys(productReading).sort()).toEqual(kubectlCases.map((c) => c.name).sort());
  });

  describe.each(kubectlCases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const recording = () => JSON.parse(readFileSync(kubectlRecordingPath(tool, name), 'utf8')) as Recording;

    it(`is what real kubectl ${kubectlVersions[tool]} prints today, and the simulator prints the same`, async () => {
      const real = await runRealKubectl(tool, c.argv, served.kubeconfig);
      const r = recording();
      expect({ exitCode: real.exitCode, stdout: normalizeKube(real.stdout), stderr: normalizeKube(real.stderr) }).toEqual({ exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr });

      // The simulator plays one kubectl version at a time.
      sim.update((s) => {
        s.tools.kubectl.version = kubectlVersions[tool];
      });
      const ran = await sim.exec('kubectl', c.argv);
      const simRun: Run = { ...ran, exitCode: ran.exitCode ?? -1 };
      expect(simRun.exitCode).toBe(r.exitCode);
      expect(simRun.stderr).toBe(r.stderr);
      if (name === 'version-client') {
        expect(jsonShape(JSON.parse(simRun.stdout))).toEqual(jsonShape(JSON.parse(r.stdout)));
      } else if (r.stdout.startsWith('{')) {
        expect(JSON.parse(normalizeKube(simRun.stdout))).toEqual(JSON.parse(r.stdout));
      } else {
        expect(simRun.stdout).toBe(r.stdout);
      }
      expect(productReading[name]!({ ...simRun, stdout: normalizeKube(simRun.stdout) })).toEqual(productReading[name]!(r));
      for (const object of objectsOf(simRun.stdout)) expect(schemaErrors(object)).toEqual([]);
    });
  });
});
