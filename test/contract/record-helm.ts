// Re-records every helm output under recorded/helm3 and recorded/helm4 from the real binaries:
//   npm run record:helm
// Offline: the memory storage driver and a loopback discovery server (see helm.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureRealTools } from '../support/real-tools.js';
import { helmCases, helmVersions, normalize, recordingPath, runRealHelm, stopRealHelm, type Major, type Recording } from './helm.js';

ensureRealTools();
for (const major of [3, 4] as Major[]) {
  for (const c of helmCases) {
    const argv = c.argv(major);
    const run = await runRealHelm(major, argv, c.input);
    const recording: Recording = {
      tool: 'helm',
      version: helmVersions[major],
      how: 'HELM_DRIVER=memory with test/contract/seeds/releases.yaml; API discovery answered on loopback',
      argv: argv.map(normalize),
      ...(c.input !== undefined && { input: c.input }),
      exitCode: run.exitCode,
      stdout: normalize(run.stdout),
      stderr: normalize(run.stderr),
    };
    const path = recordingPath(major, c.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(recording, null, 2)}\n`);
    console.log(`helm ${helmVersions[major]} ${c.name}: exit ${run.exitCode}`);
  }
}
await stopRealHelm();
