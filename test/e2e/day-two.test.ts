import type { ChildProcess } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { EVENT, assertSafe, useDeployed, useScenarios } from './up-fixture.js';
import { secrets } from './app-fixture.js';

const scenario = useScenarios();
const deployed = useDeployed();

const podsOf = (sim: import('../sim/harness.js').Sim, release: string) =>
  Object.keys(sim.state().kube.clusters.minikube!.pods)
    .filter((k) => k.startsWith(`todo/${release}-`))
    .map((k) => k.split('/')[1]!);

describe('todo-deploy status', () => {
  it('shows the cluster, each release, its deployment and pods, and the URLs; --json has the same', async () => {
    const { sim, app, cli } = await deployed();
    const result = await cli(['status']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Cluster   Minikube profile "minikube": running, context minikube, namespace todo');
    expect(result.stdout).toMatch(/release {5}frontend revision 1, deployed, chart frontend-0\.1\.0, deployed \d+s ago/);
    expect(result.stdout).toMatch(/image {7}todo-backend:[0-9a-f]{12}/);
    expect(result.stdout).toContain('deployment  2/2 ready');
    for (const pod of podsOf(sim, 'frontend')) expect(result.stdout).toContain(`pod         ${pod}  ready  restarts 0`);
    expect(result.stdout).toContain(`App       http://localhost:${app.ports.frontend}`);
    expect(result.stdout).toContain(`API docs  http://localhost:${app.ports.backend}/docs`);
    expect(sim.calls().filter((c) => c.mutating && c.command !== 'start' && c.command !== 'build' && c.command !== 'upgrade' && c.command !== 'apply')).toEqual([]);

    sim.update((s) => {
      s.faults.pods = { backend: { state: 'CrashLoopBackOff' } };
    });
    const json = await cli(['status', '--json']);
    expect(json.exitCode).toBe(0);
    const doc = JSON.parse(json.stdout) as { cluster: { state: string }; services: Record<string, { release: { revision: number; status: string; image: string }; deployment: { ready: number; desired: number }; pods: Array<{ name: string; waiting?: string; restarts: number }> }> };
    expect(doc.cluster.state).toBe('running');
    expect(doc.services.backend!.release).toMatchObject({ revision: 1, status: 'deployed' });
    expect(doc.services.backend!.pods[0]).toMatchObject({ waiting: 'CrashLoopBackOff', restarts: 4 });
    expect(doc.services.frontend!.deployment).toEqual({ ready: 2, desired: 2, updated: 2 });
  });

  it('a stopped cluster is a state to show, not an error', async () => {
    const { sim, cli } = await scenario();
    const result = await cli(['status']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Minikube profile "minikube": stopped. `todo-deploy up` starts it and deploys the app.');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });
});

describe('todo-deploy logs', () => {
  it("prints recent lines of every pod of the service, each prefixed with its pod, secrets scrubbed", async () => {
    const { sim, cli } = await deployed();
    const [first, second] = podsOf(sim, 'frontend');
    sim.update((s) => {
      const pods = s.kube.clusters.minikube!.pods;
      pods[`todo/${first}`]!.logs = ['ready on 0.0.0.0:3000', 'GET /api/health 200'];
      pods[`todo/${second}`]!.logs = ['ready on 0.0.0.0:3000', `auth secret is ${secrets.BETTER_AUTH_SECRET}`];
    });
    const result = await cli(['logs', 'frontend', '--tail', '1']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${first} │ GET /api/health 200`);
    expect(result.stdout).toContain(`${second} │ auth secret is ••••••`);
    expect(result.stdout).not.toContain('ready on');
    const calls = sim.calls().filter((c) => c.tool === 'kubectl' && c.command === 'logs');
    expect(calls.map((c) => c.argv.slice(c.argv.indexOf('logs')))).toEqual(
      expect.arrayContaining([[ 'logs', first, '--container', 'frontend', '--tail=1' ]]),
    );
    assertSafe(sim, result.stdout + result.stderr);
  });

  it('--previous shows the crashed container, --since is passed on, and a pod that never restarted is said so', async () => {
    const { sim, cli } = await deployed();
    sim.update((s) => {
      s.faults.pods = { backend: { state: 'CrashLoopBackOff', previousLogs: ["KeyError: 'DATABASE_URL'"] } };
    });
    const [backend] = podsOf(sim, 'backend');
    const crashed = await cli(['logs', 'backend', '--previous', '--since', '10m']);
    expect(crashed.exitCode, crashed.stderr).toBe(0);
    expect(crashed.stdout).toContain(`${backend} │ KeyError: 'DATABASE_URL'`);
    const call = sim.calls().filter((c) => c.command === 'logs').at(-1)!;
    expect(call.argv).toEqual(expect.arrayContaining(['--previous', '--since=10m', '--context', 'minikube']));

    const healthy = await cli(['logs', 'frontend', '--previous']);
    expect(healthy.exitCode).toBe(0);
    expect(healthy.stderr).toMatch(/frontend-\S+: no previous container: it has not restarted/);
  });

  it('--follow streams new lines as the pods write them, until Ctrl-C', async () => {
    const { sim, cli } = await deployed();
    const [backend] = podsOf(sim, 'backend');
    let child: ChildProcess | undefined;
    let seen = '';
    const following = cli(['logs', 'backend', '--follow'], {
      onSpawn: (c) => {
        child = c;
        c.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
      },
    });
    const write = (line: string) =>
      sim.update((s) => {
        s.kube.clusters.minikube!.pods[`todo/${backend}`]!.logs.push(line);
      });
    // Once a first line is shown, kubectl logs -f has read the pod: the next line can only come through the stream.
    write('INFO: started');
    await vi.waitFor(() => expect(seen).toContain(`${backend} │ INFO: started`), EVENT);
    write('INFO: POST /api/chat 200');
    await vi.waitFor(() => expect(seen).toContain(`${backend} │ INFO: POST /api/chat 200`), EVENT);
    child!.kill('SIGINT');
    const result = await following;
    expect(result.exitCode).toBe(130);
    expect(sim.calls().filter((c) => c.command === 'logs').map((c) => c.argv.includes('--follow'))).toEqual([true]);
  });

  it('an unknown service name is a usage error naming the valid ones', async () => {
    const { sim, cli } = await scenario();
    const result = await cli(['logs', 'worker']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("argument 'service'. Allowed choices are frontend, backend, database.");
    expect(sim.calls()).toEqual([]);
  });

  it('rejects a malformed --since and --tail before calling anything', async () => {
    const { sim, cli } = await scenario();
    const since = await cli(['logs', '--since', 'yesterday']);
    expect(since.exitCode).toBe(2);
    expect(since.stderr).toContain('--since yesterday: expected a duration such as 30s, 10m or 1h30m.');
    const tail = await cli(['logs', '--tail', '-5']);
    expect(tail.exitCode).toBe(2);
    expect(sim.calls()).toEqual([]);
  });
});

describe('todo-deploy rollback', () => {
  it('goes back to the previous revision, then verifies it', async () => {
    const { sim, app, cli, up, callsSince } = await deployed();
    app.write('backend/main.py', 'version = 2\n');
    expect((await up()).exitCode).toBe(0);
    const tagOf = (rev: number) => ((sim.state().helm.releases.minikube!['todo/backend']![rev - 1]!.values.image as { tag: string }).tag);
    const mark = sim.calls().length;
    const result = await cli(['rollback', 'backend']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('Rolling back backend 2 → 1');
    expect(result.stdout).toMatch(/ok\s+backend health endpoint/);
    expect(result.stdout).not.toContain('frontend');
    expect(result.stdout).toContain('Rolled back backend to revision 1.');
    const revisions = sim.state().helm.releases.minikube!['todo/backend']!;
    expect(revisions.at(-1)).toMatchObject({ revision: 3, status: 'deployed', description: 'Rollback to 1' });
    expect((revisions.at(-1)!.values.image as { tag: string }).tag).toBe(tagOf(1));
    const rollbacks = callsSince(mark).filter((c) => c.tool === 'helm' && c.command === 'rollback');
    expect(rollbacks.map((c) => c.argv.slice(0, 3))).toEqual([['rollback', 'backend', '1']]);
    assertSafe(sim, result.stdout + result.stderr);
  });

  it('--dry-run prints the rollback and changes nothing', async () => {
    const { sim, app, cli, up } = await deployed();
    app.write('backend/main.py', 'version = 2\n');
    expect((await up()).exitCode).toBe(0);
    const mark = sim.calls().length;
    const result = await cli(['rollback', 'backend', '--dry-run']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('[dry-run] helm rollback backend 1 --namespace todo --kube-context minikube --wait');
    expect(result.stdout).toContain('Dry run: nothing was changed.');
    expect(sim.calls().slice(mark).filter((c) => c.mutating)).toEqual([]);
    expect(sim.state().helm.releases.minikube!['todo/backend']).toHaveLength(2);
  });

  it('--to N goes to that revision; a revision that does not exist is refused with the history', async () => {
    const { sim, app, cli, up } = await deployed();
    for (const n of [2, 3]) {
      app.write('backend/main.py', `version = ${n}\n`);
      expect((await up()).exitCode).toBe(0);
    }
    const mark = sim.calls().length;
    const missing = await cli(['rollback', 'backend', '--to', '7']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('backend has no revision 7.');
    expect(missing.stderr).toMatch(/Its revisions \(Helm keeps the last 10\): 1 \(superseded, .*\); 2 \(superseded, .*\); 3 \(deployed, /);
    expect(sim.calls().slice(mark).filter((c) => c.mutating)).toEqual([]);

    const both = await cli(['rollback', '--to', '1']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('--to needs a service');

    const result = await cli(['rollback', 'backend', '--to', '1']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(sim.state().helm.releases.minikube!['todo/backend']!.at(-1)).toMatchObject({ revision: 4, description: 'Rollback to 1' });
  });

  it('refuses when there is nothing to roll back to, and names an unknown service', async () => {
    const { sim, cli } = await deployed();
    const mark = sim.calls().length;
    const single = await cli(['rollback', 'frontend']);
    expect(single.exitCode).toBe(2);
    expect(single.stderr).toContain('frontend has only revision 1: there is no earlier one to go back to.');
    const unknown = await cli(['rollback', 'db']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('Allowed choices are frontend, backend.');
    expect(sim.calls().slice(mark).filter((c) => c.mutating)).toEqual([]);
  });
});
