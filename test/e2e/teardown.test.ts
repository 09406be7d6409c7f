import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { teardown } from '../../src/commands/teardown.js';
import { CancelledError } from '../../src/errors.js';
import { ScriptedPrompter } from '../support/scripted-prompter.js';
import { testContext } from '../support/setup-fixture.js';
import { assertSafe, useDeployed, useScenarios } from './up-fixture.js';

const scenario = useScenarios();
const deployed = useDeployed();

const releasesOf = (state: ReturnType<import('../sim/harness.js').Sim['state']>) => Object.keys(state.helm.releases.minikube ?? {});
const secretsOf = (state: ReturnType<import('../sim/harness.js').Sim['state']>) => Object.keys(state.kube.clusters.minikube?.secrets ?? {});

describe('todo-deploy teardown', () => {
  it('after up, removes both releases and both secrets, keeps the cluster; a second teardown is a clean no-op', async () => {
    const { sim, cli, callsSince } = await deployed();
    expect(releasesOf(sim.state())).toHaveLength(2);
    expect(secretsOf(sim.state())).toEqual(expect.arrayContaining(['todo/frontend-secrets', 'todo/backend-secrets']));

    const mark = sim.calls().length;
    const result = await cli(['teardown', '--yes']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('This removes:');
    expect(result.stdout).toContain('• Helm release frontend (revision 1) in namespace todo');
    expect(result.stdout).toContain('• Secret todo/backend-secrets');
    expect(result.stdout).toContain('Torn down: release frontend, release backend, secret frontend-secrets, secret backend-secrets.');
    expect(releasesOf(sim.state())).toEqual([]);
    expect(secretsOf(sim.state()).filter((k) => k.startsWith('todo/'))).toEqual([]);
    expect(Object.keys(sim.state().kube.clusters.minikube!.pods)).toEqual([]);
    expect(sim.state().minikube.profiles.minikube!.status).toBe('Running');
    const uninstalls = callsSince(mark).filter((c) => c.tool === 'helm' && c.command === 'uninstall');
    expect(uninstalls).toHaveLength(2);
    for (const u of uninstalls) expect(u.argv).toContain('--wait');
    assertSafe(sim, result.stdout + result.stderr);

    const again = sim.calls().length;
    const second = await cli(['teardown', '--yes']);
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toContain('Nothing to tear down in namespace todo of Minikube profile "minikube".');
    expect(callsSince(again).filter((c) => c.mutating)).toEqual([]);
  });

  it('without a terminal and without --yes, changes nothing and exits 2', async () => {
    const { sim, cli } = await deployed();
    const mark = sim.calls().length;
    const result = await cli(['teardown']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain('• Helm release backend (revision 1)');
    expect(result.stderr).toContain('teardown removes the items above and needs a confirmation, but there is no terminal to ask on.');
    expect(result.stderr).toContain('--yes');
    expect(sim.calls().slice(mark).filter((c) => c.mutating)).toEqual([]);
    expect(releasesOf(sim.state())).toHaveLength(2);
  });

  it('in a terminal, asks first: "no" removes nothing, "yes" removes what it listed', async () => {
    const { sim, app } = await deployed();
    const tools = Object.fromEntries(['minikube', 'kubectl', 'helm', 'docker'].map((t) => [t, join(sim.binDir, t)]));
    const ask = async (answer: boolean) => {
      const prompter = new ScriptedPrompter([{ kind: 'confirm', message: /^Remove all of this\?$/, type: [answer] }]);
      const { ctx, stdout } = await testContext({ appDir: app.dir, interactive: true, prompts: prompter, tools });
      await teardown(ctx, {});
      expect(prompter.remaining).toEqual([]);
      expect(prompter.asked[0]!.default).toBe(false);
      return stdout();
    };
    const mark = sim.calls().length;
    // A "no" ends it as a "no" ends setup: cancelled (exit 130), nothing changed.
    const no = await ask(false).catch((e: unknown) => e);
    expect(no).toBeInstanceOf(CancelledError);
    expect(no).toMatchObject({ kind: 'cancelled', message: 'Teardown cancelled: nothing was removed.' });
    expect(sim.calls().slice(mark).filter((c) => c.mutating)).toEqual([]);
    expect(releasesOf(sim.state())).toHaveLength(2);
    expect(await ask(true)).toContain('Torn down: release frontend, release backend');
    expect(releasesOf(sim.state())).toEqual([]);
  });

  it('--dry-run lists what would go and the commands, and changes nothing', async () => {
    const { sim, cli } = await deployed();
    const mark = sim.calls().length;
    const result = await cli(['teardown', '--dry-run', '--cluster', 'delete']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Would remove:');
    expect(result.stdout).toMatch(/\[dry-run\] helm uninstall frontend --namespace todo --kube-context minikube --wait/);
    expect(result.stdout).toMatch(/\[dry-run\] kubectl --context minikube --namespace todo delete secret frontend-secrets backend-secrets --ignore-not-found/);
    expect(result.stdout).toContain('[dry-run] minikube delete -p minikube');
    expect(sim.calls().slice(mark).filter((c) => c.mutating)).toEqual([]);
    expect(sim.state().minikube.profiles.minikube).toBeDefined();
  });

  it('--cluster stop stops the profile; --cluster delete deletes it', async () => {
    const { sim, cli } = await deployed();
    const stop = await cli(['teardown', '--yes', '--cluster', 'stop']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stdout).toContain('• Minikube profile "minikube": stopped');
    expect(sim.state().minikube.profiles.minikube!.status).toBe('Stopped');
    expect(releasesOf(sim.state())).toEqual([]);

    // Stopped: there is nothing left to uninstall, but the profile can still be deleted.
    const del = await cli(['teardown', '--yes', '--cluster', 'delete']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(del.stdout).toContain('• Minikube profile "minikube": deleted, with its cluster, its images and its kube-context');
    expect(sim.state().minikube.profiles.minikube).toBeUndefined();

    const none = await cli(['teardown', '--yes', '--cluster', 'delete']);
    expect(none.exitCode).toBe(0);
    expect(none.stdout).toContain('Nothing to tear down: the Minikube profile "minikube" does not exist.');
  });

  it('on an unhealthy profile, changes nothing unless told to delete it', async () => {
    const { sim, cli } = await deployed();
    sim.update((s) => {
      s.minikube.profiles.minikube!.status = 'Paused';
    });
    const mark = sim.calls().length;
    const result = await cli(['teardown', '--yes']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('The Minikube profile "minikube" is not healthy');
    expect(result.stderr).toContain('todo-deploy teardown --cluster delete');
    expect(sim.calls().slice(mark).filter((c) => c.mutating)).toEqual([]);
  });

  it('rejects an unknown --cluster action with the valid ones', async () => {
    const { sim, cli } = await scenario();
    const result = await cli(['teardown', '--cluster', 'destroy']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("Allowed choices are keep, stop, delete.");
    expect(sim.calls()).toEqual([]);
  });
});
