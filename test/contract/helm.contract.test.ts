// helm's outputs, held to the real binaries. Each recording under recorded/helm3 and
// recorded/helm4 is what real helm printed for the argv the product passes (npm run
// record:helm); here it is checked against the real binary again, and the simulator, loaded
// with the same releases, must print the same keys (no more, no fewer), the same exit code and
// error text, and give the product's parsers the same answers.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isReleaseNotFound, parseHelmHistory, parseHelmList, parseHelmStatus, parseHelmTestSuites, parseHelmVersion } from '../../src/tools/helm.js';
import { createSim } from '../sim/harness.js';
import { contractDir, helmCases, helmVersions, loadSeed, normalize, readRecording, recordingPath, runRealHelm, stopRealHelm, type Major, type Run } from './helm.js';
import { jsonShape } from './shape.js';

afterAll(stopRealHelm);

/** What the product makes of each output (undefined where it reads only the exit code and stderr). */
const productReading: Record<string, (run: Run) => unknown> = {
  version: (r) => parseHelmVersion(r.stdout),
  'status-deployed': (r) => parseHelmStatus(r.stdout),
  'status-pending-upgrade': (r) => parseHelmStatus(r.stdout),
  'status-table': (r) => parseHelmTestSuites(r.stdout),
  list: (r) => parseHelmList(r.stdout),
  'list-none': (r) => parseHelmList(r.stdout),
  history: (r) => parseHelmHistory(r.stdout),
  'get-values': (r) => JSON.parse(r.stdout),
  'get-values-none': (r) => JSON.parse(r.stdout),
  'get-manifest': (r) => r.stdout,
  install: (r) => (JSON.parse(r.stdout) as { version: number }).version,
  upgrade: (r) => (JSON.parse(r.stdout) as { version: number }).version,
  'status-not-found': (r) => isReleaseNotFound(r.stderr),
  'history-not-found': (r) => isReleaseNotFound(r.stderr),
  'upgrade-pending': (r) => /another operation \(install\/upgrade\/rollback\) is in progress/.test(r.stderr),
};

/**
 * The only keys left out of the comparison, each one the product never reads: info.notes (the
 * simulator does not render a chart's NOTES.txt), and info.resources, which Helm 4's status asks
 * the cluster for (pkg/action/status.go) and so cannot be recorded offline.
 */
function withoutUnread(shape: unknown): unknown {
  const release = shape as { info?: Record<string, unknown> };
  if (release?.info) {
    delete release.info.notes;
    delete release.info.resources;
  }
  return shape;
}

describe.each([3, 4] as Major[])('helm %i', (major) => {
  it('has a recording of every case, and a reading for each', () => {
    const recorded = readdirSync(join(contractDir, 'recorded', `helm${major}`)).map((f) => f.replace(/\.json$/, ''));
    expect(recorded.sort()).toEqual(helmCases.map((c) => c.name).sort());
    expect(Object.keys(productReading).sort()).toEqual(helmCases.map((c) => c.name).sort());
  });

  describe.each(helmCases.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const recording = () => readRecording(recordingPath(major, name));

    it(`is what real helm ${helmVersions[major]} prints today`, async () => {
      const real = await runRealHelm(major, c.argv(major), c.input);
      const r = recording();
      expect({ exitCode: real.exitCode, stdout: normalize(real.stdout), stderr: normalize(real.stderr) }).toEqual({ exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr });
    });

    it('the simulator prints the same keys and errors, and the product reads the same from both', async () => {
      const sim = await createSim({ helmMajor: major });
      try {
        loadSeed(sim);
        const r = recording();
        const ran = await sim.exec('helm', c.argv(major), { input: c.input });
        const simRun: Run = { ...ran, exitCode: ran.exitCode ?? -1 };
        expect(simRun.exitCode).toBe(r.exitCode);
        expect(normalize(simRun.stderr)).toBe(r.stderr);
        if (/^[[{]/.test(r.stdout)) expect(withoutUnread(jsonShape(JSON.parse(simRun.stdout)))).toEqual(withoutUnread(jsonShape(JSON.parse(r.stdout))));
        expect(productReading[name]!(simRun)).toEqual(productReading[name]!(r));
      } finally {
        await sim.cleanup();
      }
    });
  });
});
