// The restricted-profile checker the offline tests rely on (test/support/pod-security.ts) is a
// claim about Kubernetes, like a simulator: here its tables meet the real Pod Security admission.
// Every pod the charts render is admitted; every mutation the checker calls a restricted-profile
// violation is refused by the API server — by Pod Security, or earlier as an invalid object —
// and the ones that break only issue #3's stricter rules are admitted, as they should be.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectlArgs } from '../../src/tools/kubectl.js';
import { podSpecsOf, renderChart, type Manifest, type Service } from '../support/helm.js';
import { allowedMutations, allowedPod, mutations } from '../support/pod-security-mutations.js';
import { clusterContext } from './control-plane.js';
import { tools, type Tools } from './tools.js';

const namespace = 'todo-pod-security';

/** Rules of issue #3 that the restricted profile does not have: the API server admits these. */
const issue3Only = new Set([
  'pod runAsUser removed',
  'pod runAsGroup removed',
  'pod runAsGroup 0',
  'readOnlyRootFilesystem removed',
  'readOnlyRootFilesystem false',
  'service account token mounted',
  'writable mount not an emptyDir',
]);

/** Refused before admission, as objects the API server cannot take, each for its own reason. */
const invalid: Record<string, RegExp> = {
  'pod runAsUser a string': /BadRequest.*cannot unmarshal string .*runAsUser/,
  // privileged with allowPrivilegeEscalation=false (which the chart sets) is a contradiction.
  privileged: /is invalid: spec\.containers\[0\]\.securityContext: Invalid value/,
  'procMount Unmasked': /`hostUsers` must be false to use `Unmasked`/,
  'Windows hostProcess': /hostNetwork must be true if pod contains any hostProcess containers/,
};

let t: Tools;
beforeAll(async () => {
  t = tools(inject('kubeconfig'), inject('clusterDir'), 'helm4');
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } };
  // The charts' pods run as their own ServiceAccounts, which must exist for a pod to be admitted.
  const accounts = (['frontend', 'backend'] as const).map((name) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }));
  const r = await t.run('kubectl134', kubectlArgs(clusterContext, undefined, 'apply', '--server-side', '--filename', '-'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [ns, ...accounts] }));
  if (r.exitCode !== 0) throw new Error(r.stderr);
});
afterAll(() => t.cleanup());

/** A server-side dry run: every admission plugin runs, nothing is stored. '' when admitted, else kubectl's error. */
async function admit(spec: Manifest): Promise<string> {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', namespace }, spec };
  const r = await t.run('kubectl134', kubectlArgs(clusterContext, namespace, 'create', '--dry-run=server', '--output', 'name', '--filename', '-'), JSON.stringify(pod));
  return r.exitCode === 0 ? '' : r.stderr.trim();
}

const rendered = (service: Service) => renderChart('helm4', service).flatMap((m) => podSpecsOf(m).map((spec) => ({ label: `${m.kind} ${m.metadata.name}`, spec })));
const backendPod = () => structuredClone(rendered('backend').find((p) => p.label.startsWith('Deployment'))!.spec);

describe.each(['frontend', 'backend'] as Service[])('the %s chart', (service) => {
  it('renders pods (app and helm test) that Pod Security admits', async () => {
    const pods = rendered(service);
    expect(pods.length).toBeGreaterThanOrEqual(2);
    for (const pod of pods) expect(await admit(pod.spec), pod.label).toBe('');
  });
});

describe("the checker's mutations, on the backend's pod", () => {
  it('every row is classified here', () => {
    const names = mutations.map(([name]) => name);
    for (const name of [...issue3Only, ...Object.keys(invalid)]) expect(names).toContain(name);
  });

  it.each(mutations.map(([name, mutate]) => [name, mutate] as const))('%s', async (name, mutate) => {
    const spec = backendPod();
    mutate(spec, spec.containers[0]);
    const refusal = await admit(spec);
    if (issue3Only.has(name)) expect(refusal).toBe('');
    else if (invalid[name]) expect(refusal).toMatch(invalid[name]);
    else expect(refusal).toMatch(/is forbidden: violates PodSecurity "restricted:latest"/);
  });
});

describe('what the checker allows, Pod Security admits', () => {
  it.each(allowedMutations)('%s', async (_name, mutate) => {
    const spec = allowedPod();
    spec.containers[0].image = 'todo-backend:c1a2b3d4e5f6';
    mutate(spec, spec.containers[0]);
    expect(await admit(spec)).toBe('');
  });
});
