// What the user reads is right: each message of issue 16's item 3, as the user sees it.
import { describe, expect, it } from 'vitest';
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
