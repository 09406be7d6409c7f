// Re-records every kubectl output under recorded/kubectl134 and recorded/kubectl132 from the
// real binaries, against the simulator's cluster served on loopback (see kubectl.ts):
//   npm run record:kubectl
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createSim } from '../sim/harness.js';
import { ensureRealTools } from '../support/real-tools.js';
import type { Recording } from './helm.js';
import { deployWorld, kubectlCases, kubectlRecordingPath, kubectlVersions, normalizeKube, runRealKubectl, serveSim, type Kubectl } from './kubectl.js';

ensureRealTools();
const sim = await createSim();
await deployWorld(sim);
const served = await serveSim(sim);
for (const tool of Object.keys(kubectlVersions) as Kubectl[]) {
  for (const c of kubectlCases) {
    const run = await runRealKubectl(tool, c.argv, served.kubeconfig);
    const recording: Recording = {
      tool: 'kubectl',
      version: kubectlVersions[tool],
      how: c.clientOnly ? 'offline' : 'against a loopback API server that serves the simulator\'s objects one by one (test/contract/kubectl.ts)',
      argv: c.argv,
      exitCode: run.exitCode,
      stdout: normalizeKube(run.stdout),
      stderr: normalizeKube(run.stderr),
    };
    const path = kubectlRecordingPath(tool, c.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(recording, null, 2)}\n`);
    console.log(`kubectl ${kubectlVersions[tool]} ${c.name}: exit ${run.exitCode}`);
  }
}
await served.close();
await sim.cleanup();
