// The safety promise covers what the tools keep, not only what passes through argv and output:
// after `up`, no secret value (nor its base64) is in a Helm release — its values, computed
// values or manifest, as `helm get` shows them — nor in any image's build arguments or labels.
import { describe, expect, it } from 'vitest';
import { secretValues } from './app-fixture.js';
import { assertSafe, useScenarios } from './up-fixture.js';

const scenario = useScenarios();
const forms = secretValues.flatMap((v) => [v, Buffer.from(v).toString('base64')]);
const leaks = (text: string) => forms.filter((f) => text.includes(f)).map((f) => `${f.slice(0, 4)}…`);

describe.each([3, 4] as const)('after up with Helm %d', (helmMajor) => {
  it('no secret is in any release value or manifest, build argument, label or value sent to Helm', async () => {
    const { sim, up } = await scenario({ helmMajor });
    const result = await up();
    expect(result.exitCode, result.stderr).toBe(0);
    assertSafe(sim, result.stdout + result.stderr);

    const scope = ['--namespace', 'todo', '--kube-context', 'minikube'];
    for (const release of ['frontend', 'backend']) {
      for (const args of [['get', 'values', release, '--output', 'json'], ['get', 'values', release, '--all', '--output', 'json'], ['get', 'manifest', release]]) {
        const stored = await sim.exec('helm', [...args, ...scope]);
        expect(stored.exitCode, stored.stderr).toBe(0);
        expect(leaks(stored.stdout), `helm ${args.join(' ')}`).toEqual([]);
      }
    }
    const upgrades = sim.calls().filter((c) => c.tool === 'helm' && c.command === 'upgrade');
    expect(upgrades).toHaveLength(2);
    for (const call of upgrades) expect(leaks(call.stdin)).toEqual([]);

    const images = Object.values(sim.state().docker.images).flatMap((store) => Object.values(store));
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) expect(leaks(JSON.stringify({ buildArgs: image.buildArgs, labels: image.labels }))).toEqual([]);
  });
});
