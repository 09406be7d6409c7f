// A pod that cannot run, while Helm waits on it: up names the cause and what to do. Apart from
// up-faults.test.ts so that vitest runs the two files at once: each test here waits out rounds
// of the pod watch.
import { describe, expect, it, vi } from 'vitest';
import type { CallRecord } from '../sim/harness.js';
import { EVENT, assertSafe, useScenarios, waitUntilHeld } from './up-fixture.js';

const scenario = useScenarios();

const BACKEND = 'app.kubernetes.io/instance=backend';
const backendPodReads = (calls: CallRecord[]) => calls.filter((c) => c.command === 'get' && c.argv.includes(BACKEND)).length;

describe('todo-deploy up: a pod that cannot run gives exit 1 and its diagnosis', () => {
  it.each([
    ['CrashLoopBackOff', { state: 'CrashLoopBackOff', previousLogs: ['Traceback (most recent call last):', "KeyError: 'DATABASE_URL'"] }, [/CrashLoopBackOff: keeps crashing/, /│ KeyError: 'DATABASE_URL'/]],
    ['ErrImageNeverPull', { state: 'ErrImageNeverPull' }, [/ErrImageNeverPull: cannot get its image/, /minikube docker-env/]],
    ['ImagePullBackOff', { state: 'ImagePullBackOff' }, [/ImagePullBackOff: cannot get its image/, /IfNotPresent/]],
    ['CreateContainerConfigError', { state: 'CreateContainerConfigError', message: "couldn't find key auth-url in Secret todo/backend-secrets" }, [/CreateContainerConfigError: cannot be configured: couldn't find key auth-url/, /recreates frontend-secrets and backend-secrets/]],
    ['OOMKilled', { state: 'OOMKilled' }, [/OOMKilled: was killed for using more memory than its limit \(1Gi\), exit code 137/, /limits.memory/]],
    ['Unschedulable', { state: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.' }, [/Unschedulable: cannot be scheduled: 0\/1 nodes are available: 1 Insufficient memory/, /minikube.memory/]],
  ] as const)('a pod in %s: exit 1 with the diagnosis and its hint', async (_, fault, expected) => {
    const { sim, up } = await scenario({ faults: { pods: { backend: fault as never }, hold: ['helm upgrade'] } });
    const running = up();
    // Helm is held, its pods made, until the pod watch has seen them in a whole round; then its
    // wait fails, as it would on these pods. The watch reads round after round: a read logged
    // after the hold may have begun before it, the next one began after the pods were there.
    await waitUntilHeld(sim, ['helm upgrade'], 2);
    const mark = sim.calls().length;
    await vi.waitFor(() => expect(backendPodReads(sim.calls().slice(mark))).toBeGreaterThanOrEqual(2), EVENT);
    // The round after it is held at its start (so that round is over and kept) until Helm has
    // failed and removed the pods: a round reading them while they go would see less.
    sim.update((s) => void s.faults.hold!.push('kubectl get'));
    await vi.waitFor(() => expect(sim.held().filter((h) => h.key === 'kubectl get' && h.argv.includes(BACKEND))).not.toEqual([]), EVENT);
    sim.release('helm upgrade');
    await vi.waitFor(() => expect(sim.calls().filter((c) => c.command === 'upgrade' && c.argv.includes('backend'))).toHaveLength(1), EVENT);
    sim.release('kubectl get');
    const result = await running;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/Helm could not install backend|backend did not become ready/);
    for (const pattern of expected) expect(result.stderr).toMatch(pattern);
    assertSafe(sim, result.stdout + result.stderr);
  });
});
