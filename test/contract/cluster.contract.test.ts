// The cluster tier's recordings (test/contract/recorded/cluster: real helm and kubectl against a
// real API server, npm run test:cluster) hold the simulator to what a real cluster prints. The
// same first `up` is replayed in the simulator — the reads of a missing namespace, the
// namespace and Secrets by server-side apply, both shipped charts installed — and each recorded
// call must give the same exit code and error text, the same keys, and the same answers from
// the product's parsers. Runs offline, in npm test.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../src/config/schema.js';
import { isReleaseNotFound, parseHelmList, parseHelmStatus } from '../../src/tools/helm.js';
import { parseDeployment, parseObjects, parsePods } from '../../src/tools/kubectl.js';
import { namespaceOf, upgradeArgs, valuesFor } from '../cluster/scenario.js';
import { normalizeOutput, normalizeText, recordedDir } from '../cluster/tools.js';
import { createSim, type Sim } from '../sim/harness.js';
import { contractDir, repoRoot, type Recording, type Run } from './helm.js';
import { jsonShape } from './shape.js';

type Major = 3 | 4;

/** The recorded calls of one major, in the order the tier made them: before the namespace exists, then after the install. */
const beforeInstall = ['kubectl-get-objects-no-namespace', 'helm-status-no-namespace', 'helm-list-no-namespace', 'kubectl-get-pods-no-namespace', 'helm-install-no-namespace', 'kubectl-apply-no-namespace', 'kubectl-apply'];
const afterInstall = ['helm-status-deployed', 'helm-list', 'kubectl-get-deployment', 'kubectl-get-pods-pending', 'kubectl-get-objects'];
/** Recorded, but not replayed: the product never applies a Pod, and the simulator does not simulate it. */
const notReplayed = ['kubectl-apply-privileged-pod'];

/**
 * What the simulator leaves out on purpose, and the product never reads: a chart's rendered
 * NOTES.txt; Helm 4's info.resources (the live objects, which real Helm 4 keys as
 * `v1/Deployment`, `v1/Service`, `v1/ServiceAccount` and `v1/Pod(related)`); and of the API
 * server's objects everything but what the product's parsers read (those are compared through
 * the parsers' readings, and the objects' shape against the OpenAPI schema in kubectl.contract).
 */
function comparable(name: string, doc: unknown): unknown {
  if (name.startsWith('kubectl-get-') && name !== 'kubectl-get-pods-no-namespace') return undefined;
  const release = doc as { info?: Record<string, unknown> };
  if (release?.info) {
    delete release.info.notes;
    delete release.info.resources;
  }
  return jsonShape(doc);
}

const fileOf = (name: string, major: Major) => (name.startsWith('helm-') ? `helm${major}-${name.slice(5)}` : `${name}-helm${major}`);

/** What the product makes of each output. */
const productReading: Record<string, (run: Run) => unknown> = {
  'kubectl-get-objects-no-namespace': (r) => parseObjects(r.stdout),
  'helm-status-no-namespace': (r) => isReleaseNotFound(r.stderr),
  'helm-list-no-namespace': (r) => parseHelmList(r.stdout),
  'kubectl-get-pods-no-namespace': (r) => parsePods(r.stdout),
  'helm-install-no-namespace': (r) => r.exitCode,
  'kubectl-apply-no-namespace': (r) => r.exitCode,
  'kubectl-apply': (r) => r.exitCode,
  'helm-status-deployed': (r) => parseHelmStatus(r.stdout),
  'helm-list': (r) => parseHelmList(r.stdout),
  'kubectl-get-deployment': (r) => parseDeployment(r.stdout),
  // The pod-template hash is the simulator's own: names are compared up to their release.
  'kubectl-get-pods-pending': (r) => parsePods(r.stdout).map((p) => ({ ...p, name: p.name.replace(/-[^-]+-[^-]+$/, '-<hash>-<pod>') })),
  'kubectl-get-objects': (r) => parseObjects(r.stdout).map((o) => `${o.kind}/${o.metadata.name}`),
};

const read = (name: string, major: Major) => JSON.parse(readFileSync(join(recordedDir, `${fileOf(name, major)}.json`), 'utf8')) as Recording;
const argvOf = (r: Recording) => r.argv.map((a) => a.replace('<repo>', repoRoot.replace(/\/$/, '')));

it('every recording of the cluster tier is replayed here', () => {
  const all = [...beforeInstall, ...afterInstall, ...notReplayed].flatMap((n) => [fileOf(n, 3), fileOf(n, 4)]);
  expect(readdirSync(recordedDir).map((f) => f.replace(/\.json$/, '')).sort()).toEqual(all.sort());
  expect(Object.keys(productReading).sort()).toEqual([...beforeInstall, ...afterInstall].sort());
  expect(recordedDir.startsWith(contractDir)).toBe(true);
});

describe.each([3, 4] as Major[])('helm %i: the simulator against a real API server', (major) => {
  let sim: Sim;
  const replay = async (name: string) => {
    const r = read(name, major);
    const ran = await sim.exec(r.tool as 'helm' | 'kubectl', argvOf(r), { input: r.input });
    return { recorded: r, sim: { exitCode: ran.exitCode ?? -1, stdout: normalizeOutput(ran.stdout), stderr: normalizeText(ran.stderr) } satisfies Run };
  };
  const check = async (name: string) => {
    const { recorded, sim: s } = await replay(name);
    expect({ exitCode: s.exitCode, stderr: s.stderr }).toEqual({ exitCode: recorded.exitCode, stderr: recorded.stderr });
    if (/^\s*[[{]/.test(recorded.stdout)) expect(comparable(name, JSON.parse(s.stdout))).toEqual(comparable(name, JSON.parse(recorded.stdout)));
    else expect(normalizeText(s.stdout)).toBe(recorded.stdout);
    expect(productReading[name]!(s)).toEqual(productReading[name]!(recorded));
  };

  beforeAll(async () => {
    // No kubelet in the tier: every pod is Pending, as the scheduler said.
    const pending = { state: 'Unschedulable' as const, message: 'no nodes available to schedule pods' };
    sim = await createSim({ helmMajor: major, faults: { pods: { frontend: pending, backend: pending } } });
  });
  afterAll(() => sim.cleanup());

  describe.each(beforeInstall)('%s', (name) => {
    it('prints what real helm and kubectl printed', () => check(name));
  });

  describe('after both charts are installed', () => {
    beforeAll(async () => {
      for (const service of services) {
        const ran = await sim.exec('helm', upgradeArgs(service, namespaceOf(major), major), { input: JSON.stringify(valuesFor(service, major)) });
        if (ran.exitCode !== 0) throw new Error(ran.stderr);
      }
    });
    describe.each(afterInstall)('%s', (name) => {
      it('prints what real helm and kubectl printed', () => check(name));
    });
  });
});
