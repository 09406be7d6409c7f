// The product's cluster-side calls against a real control plane (no kubelet: pods are admitted
// and stay Pending). With each Helm major, in a namespace of its own, what `up` does first:
// read the namespace, Secrets and releases of an empty cluster; create the restricted
// namespace and the Secrets by server-side apply; install both shipped charts. Then what the
// product reads back, and whether it would call the second run a no-op. Every output the
// product parses is held to its recording under test/contract/recorded/cluster.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaults } from '../../src/config/schema.js';
import { chartId, isUnchanged } from '../../src/phases/deploy.js';
import { readSecrets } from '../../src/phases/secrets.js';
import { secretNames } from '../../src/deployment/secret-keys.js';
import { helmListArgs, helmStatusArgs, isReleaseNotFound, parseHelmList, parseHelmStatus } from '../../src/tools/helm.js';
import { applyArgs, getDeploymentArgs, getObjectsArgs, getPodsArgs, kubectlArgs, parseDeployment, parseObjects, parsePods } from '../../src/tools/kubectl.js';
import { repoRoot } from '../contract/helm.js';
import { clusterContext } from './control-plane.js';
import { backendSecret, how, namespaceOf, privilegedPod, secretData, upgradeArgs, upManifest, valuesFor } from './scenario.js';
import { recordingOf, tools, type Tools } from './tools.js';

describe.each([3, 4] as const)('helm %i against a real API server', (major) => {
  const namespace = namespaceOf(major);
  const helm = major === 3 ? 'helm3' : 'helm4';
  const releases = ['frontend', 'backend'] as const;
  let t: Tools;
  const kubectl = (...args: string[]) => kubectlArgs(clusterContext, namespace, ...args);
  /** A real call, compared with its recording: `name` is the recording's file name. */
  async function real(name: string, tool: 'kubectl134' | 'helm3' | 'helm4', argv: string[], input?: string) {
    const run = await t.run(tool, argv, input);
    const { recorded, live } = recordingOf(name, tool, how, argv, run, input);
    expect(live).toEqual(recorded);
    return run;
  }

  beforeAll(() => {
    t = tools(inject('kubeconfig'), inject('clusterDir'), helm);
  });
  afterAll(() => t.cleanup());

  it('the API server is the pinned version', () => {
    expect(inject('serverVersion')).toBe('v1.34.4');
  });

  describe('before the namespace exists (a first `up`)', () => {
    it('the product reads no namespace and no Secrets', async () => {
      const objects = [`namespace/${namespace}`, ...releases.map((s) => `secret/${secretNames[s]}`)];
      await real(`kubectl-get-objects-no-namespace-helm${major}`, 'kubectl134', kubectl(...getObjectsArgs(objects)));
      expect(await readSecrets(t.ctx, clusterContext, { ...defaults, namespace }, false)).toEqual({ namespace: false, data: {} });
    });

    it('helm status says "release: not found", so the product reads no releases', async () => {
      const status = await real(`helm${major}-status-no-namespace`, helm, helmStatusArgs({ release: 'backend', namespace, kubeContext: clusterContext }));
      expect(status.exitCode).toBe(1);
      expect(isReleaseNotFound(status.stderr)).toBe(true);
      const list = await real(`helm${major}-list-no-namespace`, helm, helmListArgs({ namespace, kubeContext: clusterContext }, releases));
      expect(parseHelmList(list.stdout)).toEqual([]);
      expect((await t.ctx.tools.helm.releases({ namespace, kubeContext: clusterContext }, releases)).size).toBe(0);
    });

    it('kubectl get pods finds none (and says so on stderr only without --output)', async () => {
      const pods = await real(`kubectl-get-pods-no-namespace-helm${major}`, 'kubectl134', kubectl(...getPodsArgs('app.kubernetes.io/instance=backend')));
      expect(parsePods(pods.stdout)).toEqual([]);
    });

    it('helm cannot install into it, and a Secret cannot be applied into it', async () => {
      const install = await real(`helm${major}-install-no-namespace`, helm, upgradeArgs('backend', namespace, major), JSON.stringify(valuesFor('backend', major)));
      expect(install.exitCode).toBe(1);
      expect(install.stderr).toMatch(new RegExp(`namespaces "${namespace}" not found`));
      const apply = await real(`kubectl-apply-no-namespace-helm${major}`, 'kubectl134', kubectlArgs(clusterContext, undefined, ...applyArgs), backendSecret(namespace));
      expect(apply.exitCode).toBe(1);
      expect(apply.stderr).toMatch(new RegExp(`namespaces "${namespace}" not found`));
    });
  });

  describe('as `up` makes it', () => {
    it('creates the restricted namespace and both Secrets in one server-side apply from stdin', async () => {
      const apply = await real(`kubectl-apply-helm${major}`, 'kubectl134', kubectlArgs(clusterContext, undefined, ...applyArgs), upManifest(namespace));
      expect(apply.exitCode).toBe(0);
      expect(await readSecrets(t.ctx, clusterContext, { ...defaults, namespace }, false)).toEqual({ namespace: true, data: secretData });
    });

    it('installs both shipped charts; Pod Security admits their pods, which stay Pending and unscheduled', async () => {
      for (const service of releases) {
        // Not recorded: the output holds the whole chart; the product reads only the revision.
        const install = await t.run(helm, upgradeArgs(service, namespace, major), JSON.stringify(valuesFor(service, major)));
        expect(install.exitCode, install.stderr).toBe(0);
        expect((JSON.parse(install.stdout) as { version: number }).version).toBe(1);
        expect(install.stderr).not.toMatch(/PodSecurity|violate/i);
      }
      // The ReplicaSet controller creates the pods only if admission lets it; the scheduler then marks them unschedulable.
      const want = { frontend: defaults.frontend.replicas, backend: defaults.backend.replicas };
      for (const service of releases) {
        await expect
          .poll(async () => parsePods((await t.run('kubectl134', kubectl(...getPodsArgs(`app.kubernetes.io/instance=${service}`)))).stdout).filter((p) => p.unschedulable).length, { timeout: 30_000, interval: 250 })
          .toBe(want[service]);
        await expect
          .poll(async () => parseDeployment((await t.run('kubectl134', kubectl(...getDeploymentArgs(service)))).stdout)?.updated, { timeout: 30_000, interval: 250 })
          .toBe(want[service]);
      }
      const events = await t.run('kubectl134', kubectl('get', 'events', '--field-selector', 'reason=FailedCreate', '--output', 'name'));
      expect(events.stdout).toBe('');
    });

    it('Pod Security admission rejects a privileged pod in that namespace', async () => {
      const apply = await real(`kubectl-apply-privileged-pod-helm${major}`, 'kubectl134', kubectlArgs(clusterContext, undefined, ...applyArgs), privilegedPod(namespace));
      expect(apply.exitCode).toBe(1);
      expect(apply.stderr).toMatch(/violates PodSecurity "restricted:latest": privileged/);
    });
  });

  describe('what the product reads back', () => {
    it('helm status: deployed, revision 1, the values sent', async () => {
      const status = await real(`helm${major}-status-deployed`, helm, helmStatusArgs({ release: 'backend', namespace, kubeContext: clusterContext }));
      expect(parseHelmStatus(status.stdout)).toMatchObject({ status: 'deployed', revision: 1, config: valuesFor('backend', major) });
      // Helm status never prints the chart: the product takes it from helm list.
      expect(JSON.parse(status.stdout)).not.toHaveProperty('chart');
    });

    it('helm list: both releases, with their charts', async () => {
      const list = await real(`helm${major}-list`, helm, helmListArgs({ namespace, kubeContext: clusterContext }, releases));
      expect(parseHelmList(list.stdout).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { name: 'backend', revision: 1, status: 'deployed', chart: 'backend-0.1.0' },
        { name: 'frontend', revision: 1, status: 'deployed', chart: 'frontend-0.1.0' },
      ]);
    });

    it('kubectl get deployment: desired and updated, none ready', async () => {
      const d = await real(`kubectl-get-deployment-helm${major}`, 'kubectl134', kubectl(...getDeploymentArgs('frontend')));
      expect(parseDeployment(d.stdout)).toEqual({ name: 'frontend', desired: 2, ready: 0, updated: 2 });
    });

    it('kubectl get pods: Pending, not ready, no container statuses, and why the scheduler could not place them', async () => {
      const pods = await real(`kubectl-get-pods-pending-helm${major}`, 'kubectl134', kubectl(...getPodsArgs('app.kubernetes.io/instance=backend')));
      const [pod, ...others] = parsePods(pods.stdout);
      expect(others).toEqual([]);
      expect(pod).toMatchObject({ phase: 'Pending', ready: false, containers: [] });
      expect(pod!.unschedulable).toMatch(/no nodes available|0\/0 nodes are available/);
    });

    it('kubectl get namespace and Secrets together: a List the product reads as three objects', async () => {
      const objects = [`namespace/${namespace}`, ...releases.map((s) => `secret/${secretNames[s]}`), 'secret/missing'];
      const got = await real(`kubectl-get-objects-helm${major}`, 'kubectl134', kubectl(...getObjectsArgs(objects)));
      expect(parseObjects(got.stdout).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([`Namespace/${namespace}`, 'Secret/frontend-secrets', 'Secret/backend-secrets']);
    });
  });

  describe('the no-op re-run', () => {
    it('what helm list and helm status print after the first install is enough for the product to call each release unchanged', async () => {
      const read = await t.ctx.tools.helm.releases({ namespace, kubeContext: clusterContext }, releases);
      for (const service of releases) {
        const current = read.get(service);
        expect(current).toBeDefined();
        expect(isUnchanged(current!, await chartId(join(repoRoot, 'charts', service)), valuesFor(service, major))).toBe(true);
        // And a real change is seen as one.
        expect(isUnchanged(current!, await chartId(join(repoRoot, 'charts', service)), { ...valuesFor(service, major), replicaCount: 3 })).toBe(false);
      }
    });

    it('an identical second `helm upgrade --install` is what it saves: helm itself would make revision 2', async () => {
      const again = await t.run(helm, upgradeArgs('backend', namespace, major), JSON.stringify(valuesFor('backend', major)));
      expect(again.exitCode, again.stderr).toBe(0);
      expect((JSON.parse(again.stdout) as { version: number }).version).toBe(2);
      const current = (await t.ctx.tools.helm.releases({ namespace, kubeContext: clusterContext }, ['backend'])).get('backend')!;
      expect(current).toMatchObject({ revision: 2, status: 'deployed', chart: 'backend-0.1.0' });
      expect(isUnchanged(current, 'backend-0.1.0', valuesFor('backend', major))).toBe(true);
    });
  });
});
