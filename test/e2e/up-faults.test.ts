import { describe, expect, it, vi } from 'vitest';
import { EVENT, useDeployed, useScenarios, waitUntilHeld } from './up-fixture.js';

const scenario = useScenarios();
const deployed = useDeployed();

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
    // docker-env refuses a multi-node profile; the Secrets phase runs alongside and would
    // write them. docker-env is held (it is read while the cluster is checked) until that phase has begun.
    const { sim, up } = await scenario({ minikube: 'running', faults: { hold: ['minikube docker-env'] } });
    sim.update((s) => {
      s.minikube.profiles.minikube!.nodes = 2;
    });
    let stderr = '';
    const running = up([], { onSpawn: (c) => c.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString())) });
    await waitUntilHeld(sim, ['minikube docker-env'], 1);
    await vi.waitFor(() => expect(stderr).toContain('… Create the secrets'), EVENT);
    sim.release('minikube docker-env');
    const result = await running;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('The docker-env command is incompatible with multi-node clusters.');
    expect(result.stderr).toMatch(/✖ Create the secrets: stopped: "Point builds at Minikube's image store" failed\./);
    expect(result.stderr).not.toContain('Interrupted');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('a build fails: exit 1, with the tail of the build log', async () => {
    const { sim, up } = await scenario({ faults: { builds: [{ match: 'todo-backend', log: ['#9 [builder 4/6] RUN uv sync --locked', 'error: The lockfile at `uv.lock` needs to be updated'] }] } });
    const result = await up();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('✖ The backend image failed to build.');
    // BuildKit prefixes each line of a step's output with its time (test/contract/recorded/docker/build-fails.*).
    expect(result.stderr).toContain('│ 0.512 error: The lockfile at `uv.lock` needs to be updated');
    expect(result.stderr).toMatch(/command: docker build --tag todo-backend:[0-9a-f]{12}/);
    expect(sim.calls().some((c) => c.tool === 'helm' && c.command === 'upgrade')).toBe(false);
  });

  it('a Helm upgrade fails: exit 1, rolled back to the previous revision', async () => {
    const { sim, app, up } = await deployed();
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

  it('a release stuck pending-upgrade for longer than a run keeps it so is recovered, and the deploy goes on', async () => {
    const { sim, app, up, callsSince } = await deployed();
    app.write('backend/main.py', 'changed = True\n');
    expect((await up()).exitCode).toBe(0);
    sim.update((s) => {
      const last = s.helm.releases.minikube!['todo/backend']!.at(-1)!;
      last.status = 'pending-upgrade';
      // Older than twice timeouts.deploy (5m) and a minute: no run's Helm is at work on it.
      last.updated = new Date(Date.now() - 12 * 60_000).toISOString();
    });
    app.write('backend/main.py', 'changed = 2\n');
    const mark = sim.calls().length;
    const result = await up();
    expect(result.stderr).toMatch(/Release backend is stuck pending-upgrade \(revision 2, pending since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, longer than a run keeps it so\); recovering it\./);
    expect(result.exitCode).toBe(0);
    const helmMutations = callsSince(mark).filter((c) => c.tool === 'helm' && c.mutating).map((c) => `${c.command} ${c.argv[1]}`);
    expect(helmMutations).toEqual(['rollback backend', 'upgrade --install']);
    expect(sim.state().helm.releases.minikube!['todo/backend']!.at(-1)!.status).toBe('deployed');
  });

  it('a release pending-upgrade since just now, left by no run of this machine, is not touched: exit 1, "another run is deploying"', async () => {
    const { sim, app, up, callsSince } = await scenario();
    expect((await up()).exitCode).toBe(0);
    // As another machine's `helm upgrade` leaves it while it waits.
    sim.update((s) => {
      const last = s.helm.releases.minikube!['todo/backend']!.at(-1)!;
      last.status = 'pending-upgrade';
      last.updated = new Date().toISOString();
    });
    app.write('backend/main.py', 'changed = True\n');
    const mark = sim.calls().length;
    const result = await up();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/✖ Another run is deploying backend \(pending-upgrade since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\), so it is not recovered\./);
    expect(result.stderr).toContain('It is no todo-deploy run of this machine');
    expect(result.stderr).toContain('Wait for that run to finish, then run todo-deploy up again. A release still pending-upgrade after 11m is taken as abandoned and recovered.');
    expect(callsSince(mark).filter((c) => c.tool === 'helm' && c.mutating)).toEqual([]);
    expect(sim.state().helm.releases.minikube!['todo/backend']!.at(-1)!.status).toBe('pending-upgrade');
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
      // Left long enough ago that no live run can still be at work on it.
      const updated = new Date(Date.now() - 12 * 60_000).toISOString();
      revs.push(interrupted, { ...structuredClone(good), revision: good.revision + 2, status: 'pending-rollback' as const, description: `Rollback to ${good.revision}`, updated });
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
    // Above the error, the checks as `verify` shows them: what passed, what failed, what did not run.
    expect(result.stdout).toMatch(/^ok {4}backend rollout complete +deployment\/backend rolled out$/m);
    expect(result.stdout).toMatch(/^FAIL {2}backend health endpoint +http:\/\/localhost:\d+\/api\/health: /m);
    expect(result.stdout).toMatch(/^skip {2}backend CORS for the UI +not run: the \w+ health endpoint check failed$/m);
  });
});
