// What `up` asks of the tools and in which order, from the simulator's call log (each call's
// start and end): independent calls overlap, nothing is read twice, and a re-run on an unchanged
// app asks only what it must. Structure only — how fast any of it is, is for `npm run bench`.
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../sim/harness.js';
import { assertSafe, releaseWhenHeld, useScenarios } from './up-fixture.js';

const scenario = useScenarios();

const named = (c: CallRecord) => `${c.tool} ${c.argv.join(' ')}`;
/** Every call of the group was running at one moment: the last one started before the first one ended. */
const overlapping = (calls: CallRecord[]) => calls.length > 1 && Math.max(...calls.map((c) => c.start)) < Math.min(...calls.map((c) => c.end));
const of = (calls: CallRecord[], tool: string, ...commands: string[]) => calls.filter((c) => c.tool === tool && commands.includes(c.command));

describe('up, from the call log', () => {
  it('overlaps every independent call of a first deployment and reads nothing twice', async () => {
    // Each group of independent calls is held until all of its calls are running at once: had
    // the product made one wait for another, the group would never be complete and this test
    // would fail waiting, whatever the machine's load.
    const groups = [
      { keys: ['docker version', 'minikube version', 'minikube status', 'helm version', 'kubectl version'], count: 5 },
      // The Secrets and the images need nothing of each other.
      { keys: ['docker build', 'kubectl apply'], count: 3 },
      { keys: ['helm upgrade'], count: 2 },
      { keys: ['kubectl rollout status'], count: 2 },
    ];
    const { sim, up } = await scenario({ faults: { hold: groups.flatMap((g) => g.keys) } });
    const running = up();
    for (const group of groups) await releaseWhenHeld(sim, group.keys, group.count);
    const result = await running;
    expect(result.exitCode).toBe(0);
    assertSafe(sim, result.stdout + result.stderr);
    const calls = sim.calls();

    const checks = [...of(calls, 'docker', 'version'), ...of(calls, 'minikube', 'version', 'status'), ...of(calls, 'helm', 'version'), ...of(calls, 'kubectl', 'version')];
    expect(checks).toHaveLength(5);
    expect(overlapping(checks)).toBe(true);
    const builds = of(calls, 'docker', 'build');
    expect(builds).toHaveLength(2);
    expect(overlapping(builds)).toBe(true);
    const upgrades = of(calls, 'helm', 'upgrade');
    expect(upgrades).toHaveLength(2);
    expect(overlapping(upgrades)).toBe(true);
    const rollouts = of(calls, 'kubectl', 'rollout status');
    expect(rollouts).toHaveLength(2);
    expect(overlapping(rollouts)).toBe(true);

    // The builds did not wait for the apply.
    const [apply] = of(calls, 'kubectl', 'apply');
    expect(overlapping([apply!, ...builds])).toBe(true);
    // …and each Helm upgrade waited for both.
    for (const upgrade of upgrades) expect(upgrade.start).toBeGreaterThan(Math.max(apply!.end, ...builds.map((b) => b.end)));

    // (The pods are watched while Helm waits, on purpose more than once: not counted.)
    const reads = calls.filter((c) => !c.mutating && !(c.command === 'get' && c.argv.includes('pods'))).map(named);
    expect(reads.filter((r, i) => reads.indexOf(r) !== i)).toEqual([]);
  });

  it('re-run on an unchanged app: at most 15 calls, none that changes anything, each thing read once', async () => {
    const { sim, up, callsSince } = await scenario();
    expect((await up()).exitCode).toBe(0);
    const mark = sim.calls().length;
    const second = await up();
    expect(second.exitCode).toBe(0);
    const calls = callsSince(mark);
    expect(calls.filter((c) => c.mutating).map(named)).toEqual([]);
    expect(calls.length).toBeLessThanOrEqual(15);
    expect(calls.map((c) => `${c.tool} ${c.command}`).sort()).toEqual(
      [
        // Tools, versions and the cluster's state: the prerequisites.
        'docker version',
        'helm version',
        'kubectl version',
        'minikube status',
        'minikube version',
        // The running cluster: its context, its published ports, its docker-env.
        'kubectl config get-contexts',
        'minikube profile list',
        'minikube docker-env',
        // What is there to compare with: both images, the namespace and both Secrets, each release.
        'docker image inspect',
        'kubectl get',
        'helm list',
        'helm status',
        'helm status',
        // Proof that it runs.
        'kubectl rollout status',
        'kubectl rollout status',
      ].sort(),
    );
  });
});
