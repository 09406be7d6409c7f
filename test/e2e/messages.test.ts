// What the user reads is right: each message of issue 16's item 3, as the user sees it.
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { useScenarios } from './up-fixture.js';

const scenario = useScenarios();

describe('--dry-run says what would change, and fails on nothing it did not do', () => {
  it('up --dry-run on a running cluster with nothing deployed: exit 0, "would", never "Changed:"/"wrote"/"built"', async () => {
    const { sim, up } = await scenario({ minikube: 'running' });
    const result = await up(['--dry-run']);
    expect(result.exitCode, result.stderr).toBe(0);
    const printed = (result.stdout + result.stderr).split('\n').filter((line) => !line.startsWith('[dry-run]')).join('\n');
    expect(printed).not.toMatch(/Changed:|\bwrote\b|\bbuilt\b|\binstalled\b|\bcreated\b|\bupgraded\b/);
    const wouldChange = /^ {2}Would change: {2}(.*)$/m.exec(printed)?.[1]?.split('; ').sort();
    expect(wouldChange).toEqual(['build todo-backend:', 'build todo-frontend:', 'create namespace todo', 'install backend', 'install frontend', 'write backend-secrets', 'write frontend-secrets'].map((c) => expect.stringContaining(c)));
    expect(printed).toMatch(/Build the images: todo-frontend:\w+ \(would build\), todo-backend:\w+ \(would build\)/);
    expect(printed).toContain('Create the secrets: would write frontend-secrets, backend-secrets');
    expect(printed).toContain('Deploy with Helm: frontend: would install, backend: would install');
    expect(printed).toContain('Verify rollouts and health: skipped (dry run: nothing was deployed)');
    expect(printed).toContain('Dry run: nothing was changed.');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
    expect(sim.calls().filter((c) => c.command === 'rollout status')).toEqual([]);
  });

  it('up --dry-run on a stopped cluster says it would start it', async () => {
    const { up } = await scenario({ minikube: 'stopped' });
    const result = await up(['--dry-run']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('Start the cluster: would start profile "minikube"');
    expect(result.stdout).toMatch(/Would change: {2}start Minikube profile "minikube"; /);
  });

  it('up --dry-run on a deployed app: nothing would change', async () => {
    const { up } = await scenario({ minikube: 'running' });
    expect((await up()).exitCode).toBe(0);
    const result = await up(['--dry-run']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Nothing would change: images, secrets and releases are already up to date.');
  });
});

describe('"A Secret may be half-written" only when a Secret write was under way', () => {
  it('the Secrets phase stopped before writing says no Secret was written', async () => {
    // docker-env refuses a profile running cri-o while the Secrets phase waits for its reads.
    const { sim, up } = await scenario({ minikube: 'running', faults: { latency: { 'minikube docker-env': 300 } } });
    sim.update((s) => {
      s.minikube.profiles.minikube!.containerRuntime = 'cri-o';
    });
    const result = await up();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/✖ Create the secrets: stopped: "Point builds at Minikube's image store" failed\. No Secret was written\./);
    expect(result.stderr).not.toContain('half-written');
  });

  it('Ctrl-C while the Secrets are written says one may be half-written', async () => {
    const { sim, up } = await scenario({ minikube: 'running', faults: { latency: { 'kubectl apply': 30_000, 'docker build': 30_000 } } });
    let child: ChildProcess | undefined;
    const running = up([], { onSpawn: (c) => (child = c) });
    // The Secrets are read (one kubectl get), then written at once.
    await vi.waitFor(() => expect(sim.calls().some((c) => c.tool === 'kubectl' && c.command === 'get')).toBe(true), { timeout: 20_000, interval: 100 });
    await sleep(1000);
    child!.kill('SIGINT');
    const result = await running;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toContain('✖ Interrupted during "Create the secrets" and "Build the images".');
    expect(result.stderr).toContain('A Secret may be half-written; the next run writes it again.');
  });
});
