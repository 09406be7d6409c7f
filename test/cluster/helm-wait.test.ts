// Helm's waits and its automatic rollback on a real API server, with the product's own argv
// (--wait, --atomic / --rollback-on-failure). No kubelet: no pod ever gets ready, so every wait
// runs out — which is what a failing deploy looks like to Helm. And Ctrl-C as the product
// delivers it to helm (SIGINT, then SIGKILL after exec's 5 s grace): real Helm answers SIGINT by
// undoing its own work — an install is uninstalled at once (exit 1), an upgrade rolled back, and
// that rollback waits too, so the release is left pending-rollback — where the simulator exits
// 130 and leaves pending-install or pending-upgrade. The product's recovery must then skip the
// interrupted revision.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { helmHistoryArgs, helmStatusArgs, helmUpgradeArgs, parseHelmHistory, parseHelmStatus } from '../../src/tools/helm.js';
import { applyArgs, kubectlArgs } from '../../src/tools/kubectl.js';
import { repoRoot } from '../contract/helm.js';
import { clusterContext } from './control-plane.js';
import { upgradeArgs, upManifest, valuesFor } from './scenario.js';
import { tools, type Tools } from './tools.js';

/** createExec's default grace between SIGINT and SIGKILL (src/tools/exec.ts). */
const graceMs = 5_000;

describe.each([3, 4] as const)('helm %i waits on a real API server', (major) => {
  const namespace = `todo-wait-helm${major}`;
  const helm = major === 3 ? 'helm3' : 'helm4';
  const scope = { namespace, kubeContext: clusterContext };
  let t: Tools;
  const productArgs = (timeoutMs: number) => helmUpgradeArgs({ release: 'backend', ...scope, chart: join(repoRoot, 'charts', 'backend'), helmMajor: major, timeoutMs, valuesFiles: [] });
  // NodePorts of their own: the other files' releases hold theirs.
  const values = (replicaCount: number) => {
    const v = valuesFor('backend', major);
    return JSON.stringify({ ...v, replicaCount, service: { ...(v.service as object), nodePort: 30500 + major } });
  };

  beforeAll(async () => {
    t = tools(inject('kubeconfig'), inject('clusterDir'), helm);
    const r = await t.run('kubectl134', kubectlArgs(clusterContext, undefined, ...applyArgs), upManifest(namespace));
    if (r.exitCode !== 0) throw new Error(r.stderr);
  });
  afterAll(() => t.cleanup());

  it('an install that never gets ready is removed again, and the product then reads no release', async () => {
    const r = await t.run(helm, productArgs(3_000), values(1));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(major === 3 ? /has been uninstalled due to atomic being set: context deadline exceeded/ : /has been uninstalled due to rollback-on-failure being set: resource Deployment\/todo-wait-helm4\/backend not ready/);
    expect((await t.ctx.tools.helm.releases(scope, ['backend'])).size).toBe(0);
  });

  it('Ctrl-C during an install: Helm removes the release itself at once and exits 1 (not 130), leaving nothing to recover', async () => {
    const install = t.start(helm, productArgs(60_000), values(1));
    await expect
      .poll(async () => {
        const s = await t.run(helm, helmStatusArgs({ release: 'backend', ...scope }));
        return s.exitCode === 0 ? parseHelmStatus(s.stdout).status : '';
      }, { timeout: 20_000, interval: 100 })
      .toBe('pending-install');
    install.child.kill('SIGINT');
    const kill = setTimeout(() => install.child.kill('SIGKILL'), graceMs);
    const r = await install.done;
    clearTimeout(kill);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/has been uninstalled due to (atomic|rollback-on-failure) being set: context canceled/);
    expect((await t.ctx.tools.helm.releases(scope, ['backend'])).size).toBe(0);
  });

  it('Ctrl-C during an upgrade leaves it pending-rollback, on top of the interrupted revision', async () => {
    expect((await t.run(helm, upgradeArgs('backend', namespace, major), values(1))).exitCode).toBe(0);
    const upgrade = t.start(helm, productArgs(60_000), values(3));
    await expect
      .poll(async () => {
        const s = await t.run(helm, helmStatusArgs({ release: 'backend', ...scope }));
        return s.exitCode === 0 ? parseHelmStatus(s.stdout).status : '';
      }, { timeout: 20_000, interval: 100 })
      .toBe('pending-upgrade');
    upgrade.child.kill('SIGINT');
    const kill = setTimeout(() => upgrade.child.kill('SIGKILL'), graceMs);
    const started = Date.now();
    await upgrade.done;
    clearTimeout(kill);
    // Helm did not exit on SIGINT: it began its own rollback, which waits, and was killed.
    expect(Date.now() - started).toBeGreaterThanOrEqual(graceMs - 100);

    const history = parseHelmHistory((await t.run(helm, helmHistoryArgs({ release: 'backend', ...scope }))).stdout);
    expect(history.map((h) => [h.revision, h.status])).toEqual([
      [1, 'deployed'],
      [2, 'failed'],
      [3, 'pending-rollback'],
    ]);
    const current = (await t.ctx.tools.helm.releases(scope, ['backend'])).get('backend');
    expect(current).toMatchObject({ status: 'pending-rollback', revision: 3, config: { replicaCount: 1 } });
  });
});
