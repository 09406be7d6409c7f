import { describe, expect, it } from 'vitest';
import { assertSafe, useScenarios } from './up-fixture.js';

const scenario = useScenarios();

describe('todo-deploy up: each fault gives the right exit code and an error a user can act on', () => {
  it('a missing tool: exit 3, named with its install hint, nothing changed', async () => {
    const { sim, up } = await scenario({ missing: ['helm'] });
    const result = await up();
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('✖ Missing or unreachable: helm (not found on PATH).');
    expect(result.stderr).toContain('https://helm.sh/docs/intro/install/');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('the Docker daemon down: exit 3', async () => {
    const { sim, up } = await scenario({ docker: { daemon: 'down' } });
    const result = await up();
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/docker daemon \(not reachable: Cannot connect to the Docker daemon/);
    expect(result.stderr).toContain('Start Docker Desktop');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('the cluster fails to start: exit 1, with minikube\'s last lines and what to try', async () => {
    const { up } = await scenario({ faults: { minikubeStart: { message: 'Failed to start host: creating host: create: creating: prepare kic ssh: exit status 1' } } });
    const result = await up();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('✖ Minikube could not start the profile "minikube".');
    expect(result.stderr).toContain('command: minikube start -p minikube');
    expect(result.stderr).toContain('prepare kic ssh');
    expect(result.stderr).toContain('minikube delete -p minikube');
  });

  it('one phase fails while others run: they are stopped, nothing more changes, and its error is the one shown', async () => {
    // docker-env refuses a profile running cri-o; the Secrets phase runs alongside and would write them.
    const { sim, up } = await scenario({ minikube: 'running', faults: { latency: { 'minikube docker-env': 300 } } });
    sim.update((s) => {
      s.minikube.profiles.minikube!.containerRuntime = 'cri-o';
    });
    const result = await up();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('the docker-env command only supports the docker and containerd runtimes');
    expect(result.stderr).toMatch(/✖ Create the secrets: stopped: "Point builds at Minikube's image store" failed\./);
    expect(result.stderr).not.toContain('Interrupted');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('a build fails: exit 1, with the tail of the build log', async () => {
    const { sim, up } = await scenario({ faults: { builds: [{ match: 'todo-backend', log: ['#9 [builder 4/6] RUN uv sync --locked', 'error: The lockfile at `uv.lock` needs to be updated'] }] } });
    const result = await up();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('✖ The backend image failed to build.');
    expect(result.stderr).toContain('│ error: The lockfile at `uv.lock` needs to be updated');
    expect(result.stderr).toMatch(/command: docker build --tag todo-backend:[0-9a-f]{12}/);
    expect(sim.calls().some((c) => c.tool === 'helm' && c.command === 'upgrade')).toBe(false);
  });

  it('a Helm upgrade fails: exit 1, rolled back to the previous revision', async () => {
    const { sim, app, up } = await scenario();
    expect((await up()).exitCode).toBe(0);
    sim.update((s) => {
      s.faults.helmUpgrade = [{ release: 'backend', message: 'cannot patch "backend" with kind Deployment: Internal error occurred' }];
    });
    app.write('backend/main.py', 'changed = True\n');
    const result = await up();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('✖ Helm could not upgrade backend; it rolled the release back.');
    expect(result.stderr).toContain('cannot patch "backend" with kind Deployment');
    const revisions = sim.state().helm.releases.minikube!['todo/backend']!;
    expect(revisions.at(-1)).toMatchObject({ status: 'deployed', description: 'Rollback to 1' });
  });

  it('a release stuck pending-upgrade is recovered, and the deploy goes on', async () => {
    const { sim, app, up, callsSince } = await scenario();
    expect((await up()).exitCode).toBe(0);
    app.write('backend/main.py', 'changed = True\n');
    expect((await up()).exitCode).toBe(0);
    sim.update((s) => {
      s.helm.releases.minikube!['todo/backend']!.at(-1)!.status = 'pending-upgrade';
    });
    app.write('backend/main.py', 'changed = 2\n');
    const mark = sim.calls().length;
    const result = await up();
    expect(result.stderr).toContain('Release backend is stuck pending-upgrade');
    expect(result.exitCode).toBe(0);
    const helmMutations = callsSince(mark).filter((c) => c.tool === 'helm' && c.mutating).map((c) => `${c.command} ${c.argv[1]}`);
    expect(helmMutations).toEqual(['rollback backend', 'upgrade --install']);
    expect(sim.state().helm.releases.minikube!['todo/backend']!.at(-1)!.status).toBe('deployed');
  });

  it('a release left pending-rollback (Ctrl-C during --atomic\'s own rollback, as real helm does) goes back to the last revision that worked, not to the interrupted one', async () => {
    const { sim, app, up, callsSince } = await scenario();
    expect((await up()).exitCode).toBe(0);
    app.write('backend/main.py', 'changed = True\n');
    expect((await up()).exitCode).toBe(0);
    // What real helm 3.17 and 4.1 leave after SIGINT and, 5 s later, SIGKILL during an --atomic
    // upgrade (test/cluster/helm-wait.test.ts): the upgrade failed, its rollback cut short.
    sim.update((s) => {
      const revs = s.helm.releases.minikube!['todo/backend']!;
      const good = revs.at(-1)!;
      const interrupted = { ...structuredClone(good), revision: good.revision + 1, status: 'failed' as const, description: 'Upgrade "backend" failed: context canceled', values: { ...good.values, replicaCount: 9 } };
      good.status = 'superseded';
      revs.push(interrupted, { ...structuredClone(good), revision: good.revision + 2, status: 'pending-rollback' as const, description: `Rollback to ${good.revision}` });
    });
    const lastGood = sim.state().helm.releases.minikube!['todo/backend']!.at(-3)!.revision;
    app.write('backend/main.py', 'changed = 2\n');
    const mark = sim.calls().length;
    const result = await up();
    expect(result.stderr).toContain('Release backend is stuck pending-rollback');
    expect(result.exitCode).toBe(0);
    const rollback = callsSince(mark).find((c) => c.tool === 'helm' && c.command === 'rollback');
    expect(rollback?.argv.slice(0, 3)).toEqual(['rollback', 'backend', String(lastGood)]);
  });

  it.each([
    ['CrashLoopBackOff', { state: 'CrashLoopBackOff', previousLogs: ['Traceback (most recent call last):', "KeyError: 'DATABASE_URL'"] }, [/CrashLoopBackOff: keeps crashing/, /│ KeyError: 'DATABASE_URL'/]],
    ['ErrImageNeverPull', { state: 'ErrImageNeverPull' }, [/ErrImageNeverPull: cannot get its image/, /minikube docker-env/]],
    ['ImagePullBackOff', { state: 'ImagePullBackOff' }, [/ImagePullBackOff: cannot get its image/, /IfNotPresent/]],
    ['CreateContainerConfigError', { state: 'CreateContainerConfigError', message: "couldn't find key auth-url in Secret todo/backend-secrets" }, [/CreateContainerConfigError: cannot be configured: couldn't find key auth-url/, /recreates frontend-secrets and backend-secrets/]],
    ['OOMKilled', { state: 'OOMKilled' }, [/OOMKilled: was killed for using more memory than its limit \(1Gi\), exit code 137/, /limits.memory/]],
    ['Unschedulable', { state: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.' }, [/Unschedulable: cannot be scheduled: 0\/1 nodes are available: 1 Insufficient memory/, /minikube.memory/]],
  ] as const)('a pod in %s: exit 1 with the diagnosis and its hint', async (_, fault, expected) => {
    const { sim, up } = await scenario({ faults: { pods: { backend: fault as never }, latency: { 'helm upgrade': 2500 } } });
    const result = await up();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/Helm could not install backend|backend did not become ready/);
    for (const pattern of expected) expect(result.stderr).toMatch(pattern);
    assertSafe(sim, result.stdout + result.stderr);
  });

  it.each([
    ['failing', 503, /Health check failed: http:\/\/localhost:\d+\/api\/health \(HTTP 503 after \d+ attempts/],
    ['not answering', 0, /Health check failed: http:\/\/localhost:\d+\/api\/health \((no answer within|ECONNREFUSED)/],
  ])('a health endpoint %s: exit 1, naming the URL', async (_, status, message) => {
    const { app, up } = await scenario();
    if (status) app.setHealth('backend', status);
    else await app.close();
    const result = await up();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('DATABASE_URL');
  });
});
