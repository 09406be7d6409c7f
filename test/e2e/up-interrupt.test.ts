import type { ChildProcess } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { EVENT, useScenarios, waitUntilHeld } from './up-fixture.js';

const scenario = useScenarios();

describe('Ctrl-C during up', () => {
  it.each([
    // The Secrets are written alongside the builds: interrupted once they are done, only the builds run.
    ['a build', 'docker build', '✔ Create the secrets', 'Build the images', 'docker'],
    ['a Helm upgrade', 'helm upgrade', '✔ Build the images', 'Deploy with Helm', 'helm'],
  ] as const)('during %s: stops the children, says what was interrupted, exits 130; the next up converges', async (_, held, done, phase, tool) => {
    const { sim, up } = await scenario({ faults: { hold: [held] } });
    let child: ChildProcess | undefined;
    let stderr = '';
    const running = up([], {
      onSpawn: (c) => {
        child = c;
        c.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      },
    });
    // Both slow children are running (held where the real tools spend their time), and the phase beside them is over.
    await waitUntilHeld(sim, [held], 2);
    await vi.waitFor(() => expect(stderr).toContain(done), EVENT);
    child!.kill('SIGINT');
    const result = await running;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toContain(`✖ Interrupted during "${phase}".`);
    expect(result.stderr).toContain('Run the same command again: it picks up where this one stopped.');
    // The slow children got SIGINT (logged with 130) instead of being left running.
    expect(sim.calls().filter((c) => c.tool === tool && c.exitCode === 130).length).toBeGreaterThan(0);

    expect(sim.held()).toEqual([]);
    sim.release(held);
    const next = await up();
    // The release the interrupted run left pending-install is recovered at once: that run held the lock, and it is over.
    if (tool === 'helm') expect(next.stderr).toMatch(/Release backend is stuck pending-install \(revision 1, left by the run before this one, which was interrupted: pid \d+ on .* \(todo-deploy up in .*\), since .*\); recovering it\./);
    expect(next.stderr).toContain('✔ Verify rollouts and health');
    expect(next.exitCode).toBe(0);
  });
});
