import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import type { Sim } from '../sim/harness.js';
import { useScenarios } from './up-fixture.js';

const scenario = useScenarios();

// The call log gets a record when a call ends, so "a build is running" is read off the state
// the calls before it leave behind.
const buildsStarting = (sim: Sim) => sim.calls().filter((c) => c.tool === 'docker' && c.command === 'image inspect').length > 0;
const upgradeWaiting = (sim: Sim) => sim.state().helm.releases.minikube?.['todo/backend']?.at(-1)?.status === 'pending-install';

describe('Ctrl-C during up', () => {
  it.each([
    ['a build', { 'docker build': 30_000 }, buildsStarting, 'Build the images', 'docker'],
    ['a Helm upgrade', { 'helm upgrade': 30_000 }, upgradeWaiting, 'Deploy with Helm', 'helm'],
  ] as const)('during %s: stops the children, says what was interrupted, exits 130; the next up converges', async (_, latency, reached, phase, tool) => {
    const { sim, up } = await scenario({ faults: { latency } });
    let child: ChildProcess | undefined;
    const running = up([], { onSpawn: (c) => (child = c) });
    await vi.waitFor(() => expect(reached(sim)).toBe(true), { timeout: 20_000, interval: 100 });
    await sleep(1000); // let the slow children start
    child!.kill('SIGINT');
    const result = await running;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toContain(`✖ Interrupted during "${phase}".`);
    expect(result.stderr).toContain('Run the same command again: it picks up where this one stopped.');
    // The slow children got SIGINT (logged with 130) instead of being left running.
    expect(sim.calls().filter((c) => c.tool === tool && c.exitCode === 130).length).toBeGreaterThan(0);

    sim.update((s) => {
      s.faults.latency = {};
    });
    const next = await up();
    // The release the interrupted run left pending-install is recovered at once: that run held the lock, and it is over.
    if (tool === 'helm') expect(next.stderr).toMatch(/Release backend is stuck pending-install \(revision 1, left by the run before this one, which was interrupted: pid \d+ on .* \(todo-deploy up in .*\), since .*\); recovering it\./);
    expect(next.stderr).toContain('✔ Verify rollouts and health');
    expect(next.exitCode).toBe(0);
  });
});
