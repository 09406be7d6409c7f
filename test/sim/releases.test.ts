import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { Sim } from './harness.js';
import { dockerEnv, fixtureChart, useSims, writeApp } from './sim-fixture.js';

const sim = useSims();
const kctx = ['--context', 'minikube', '-n', 'todo'];
const hctx = ['--kube-context', 'minikube', '-n', 'todo'];

interface Values {
  image?: { repository?: string; tag?: string; pullPolicy?: string };
  replicaCount?: number;
  secretEnv?: Array<{ name: string; secret: string; key: string }>;
  service?: { nodePort?: number; type?: string };
  runAsNonRoot?: boolean;
}

/**
 * The namespace, the image in minikube's daemon and the secret the values reference, seeded
 * straight into the state (each tool call costs a node start-up; the build and apply paths have
 * their own tests).
 */
function ready(s: Sim, user = '1001'): void {
  s.update((st) => {
    const cluster = st.kube.clusters.minikube!;
    const created = new Date().toISOString();
    cluster.namespaces.todo = { labels: { 'kubernetes.io/metadata.name': 'todo' }, created };
    st.docker.images['minikube/minikube'] = {
      'todo-backend:v1': { id: `sha256:${'1'.repeat(64)}`, created, labels: {}, buildArgs: {}, secretIds: [], user, size: 1e8 },
    };
    const data = { DATABASE_URL: 'postgres://x', OPENAI_API_KEY: 'sk-x' };
    cluster.secrets['todo/backend-secrets'] = {
      type: 'Opaque',
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      labels: {},
      annotations: {},
      resourceVersion: 1001,
      created,
      managers: ['todo-deploy'],
    };
  });
}

const values = (v: Values = {}): Values => ({
  image: { repository: 'todo-backend', tag: 'v1', pullPolicy: 'IfNotPresent' },
  replicaCount: 1,
  secretEnv: [{ name: 'DATABASE_URL', secret: 'backend-secrets', key: 'DATABASE_URL' }],
  service: { nodePort: 30001 },
  ...v,
});

function upgrade(s: Sim, v: Values, extra: string[] = [], release = 'backend') {
  return s.exec('helm', ['upgrade', '--install', release, fixtureChart, ...hctx, '-f', '-', ...extra], { input: JSON.stringify(v) });
}

async function pods(s: Sim, release = 'backend') {
  const r = await s.exec('kubectl', ['get', 'pods', ...kctx, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'json']);
  return JSON.parse(r.stdout).items as Array<{
    metadata: { name: string; labels: Record<string, string> };
    spec: { containers: Array<{ image: string }> };
    status: {
      phase: string;
      conditions: Array<{ type: string; status: string; reason?: string; message?: string }>;
      containerStatuses?: Array<{ ready: boolean; restartCount: number; state: { waiting?: { reason: string; message?: string }; running?: object }; lastState: { terminated?: { reason: string; exitCode: number } } }>;
    };
  }>;
}

const waitingReason = (p: Awaited<ReturnType<typeof pods>>[number]) => p.status.containerStatuses?.[0]?.state.waiting?.reason;

describe.concurrent('helm releases', () => {
  it('upgrade --install creates a deployment and pods from the values on stdin', async () => {
    const s = await sim();
    ready(s);
    const r = await upgrade(s, values({ replicaCount: 2 }), ['--wait', '--timeout', '120s', '-o', 'json']);
    expect(r.exitCode).toBe(0);
    const release = JSON.parse(r.stdout);
    expect(release).toMatchObject({ name: 'backend', namespace: 'todo', version: 1, info: { status: 'deployed', description: 'Install complete' }, chart: { metadata: { name: 'app', version: '0.1.0' } } });
    const ps = await pods(s);
    expect(ps).toHaveLength(2);
    expect(ps[0]!.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'backend', 'app.kubernetes.io/name': 'app' });
    expect(ps[0]!.spec.containers[0]!.image).toBe('todo-backend:v1');
    expect(ps.every((p) => p.status.phase === 'Running' && p.status.containerStatuses![0]!.ready)).toBe(true);
    expect((await s.exec('kubectl', ['rollout', 'status', 'deployment/backend', ...kctx, '--timeout=60s'])).stdout).toBe('deployment "backend" successfully rolled out\n');
    const deployment = JSON.parse((await s.exec('kubectl', ['get', 'deployment', 'backend', ...kctx, '-o', 'json'])).stdout);
    expect(deployment).toMatchObject({ spec: { replicas: 2 }, status: { readyReplicas: 2, updatedReplicas: 2 } });
    expect((await s.exec('minikube', ['service', 'backend', '--url', '-n', 'todo', '-p', 'minikube'])).stdout).toBe('http://192.168.49.2:30001\n');
    s.update((st) => {
      st.minikube.profiles.minikube!.serviceHosts['30001'] = '127.0.0.1:43210';
    });
    expect((await s.exec('minikube', ['service', 'backend', '--url', '-n', 'todo'])).stdout).toBe('http://127.0.0.1:43210\n');
  });

  it('upgrade, history, rollback, list, get values, uninstall round trip', async () => {
    const s = await sim();
    ready(s);
    await upgrade(s, values());
    const second = await upgrade(s, values({ replicaCount: 2 }));
    expect(second.stdout).toContain('Release "backend" has been upgraded. Happy Helming!');
    const history = JSON.parse((await s.exec('helm', ['history', 'backend', ...hctx, '-o', 'json'])).stdout);
    expect(history.map((h: { revision: number; status: string }) => [h.revision, h.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    expect(history[0]).toMatchObject({ chart: 'app-0.1.0', app_version: '1.0.0', description: 'Install complete', updated: expect.any(String) });
    expect(await pods(s)).toHaveLength(2);

    expect((await s.exec('helm', ['rollback', 'backend', ...hctx, '--wait', '--timeout', '60s'])).stdout).toBe('Rollback was a success! Happy Helming!\n');
    const afterRollback = JSON.parse((await s.exec('helm', ['history', 'backend', ...hctx, '-o', 'json', '--max', '2'])).stdout);
    expect(afterRollback.map((h: { revision: number; status: string; description: string }) => [h.revision, h.status, h.description])).toEqual([
      [2, 'superseded', 'Upgrade complete'],
      [3, 'deployed', 'Rollback to 1'],
    ]);
    expect(await pods(s)).toHaveLength(1);
    expect(JSON.parse((await s.exec('helm', ['get', 'values', 'backend', ...hctx, '-o', 'json'])).stdout)).toMatchObject({ replicaCount: 1 });
    const list = JSON.parse((await s.exec('helm', ['list', ...hctx, '-o', 'json'])).stdout);
    expect(list).toEqual([{ name: 'backend', namespace: 'todo', revision: '3', updated: expect.stringMatching(/ \+0000 UTC$/), status: 'deployed', chart: 'app-0.1.0', app_version: '1.0.0' }]);

    expect((await s.exec('helm', ['uninstall', 'backend', ...hctx, '--wait'])).stdout).toBe('release "backend" uninstalled\n');
    expect(await s.exec('helm', ['status', 'backend', ...hctx, '-o', 'json'])).toMatchObject({ exitCode: 1, stderr: 'Error: release: not found\n' });
    expect(await pods(s)).toEqual([]);
    expect((await s.exec('helm', ['uninstall', 'backend', ...hctx, '--ignore-not-found'])).exitCode).toBe(0);
    expect((await s.exec('helm', ['uninstall', 'backend', ...hctx])).stderr).toBe('Error: uninstall: Release not loaded: backend: release: not found\n');
    expect(s.calls().filter((c) => c.tool === 'helm').map((c) => `${c.command}:${c.mutating}`)).toEqual([
      'upgrade:true',
      'upgrade:true',
      'history:false',
      'rollback:true',
      'history:false',
      'get values:false',
      'list:false',
      'uninstall:true',
      'status:false',
      'uninstall:true',
      'uninstall:true',
    ]);
  });

  it('a release stuck pending-upgrade makes the next upgrade fail, and a rollback recovers it', async () => {
    const s = await sim();
    ready(s);
    await upgrade(s, values());
    await upgrade(s, values());
    s.update((st) => {
      st.helm.releases.minikube!['todo/backend']!.at(-1)!.status = 'pending-upgrade';
    });
    const r = await upgrade(s, values());
    expect(r).toMatchObject({ exitCode: 1, stderr: 'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n' });
    expect((await s.exec('helm', ['rollback', 'backend', ...hctx])).exitCode).toBe(0);
    expect(s.state().helm.releases.minikube!['todo/backend']!.at(-1)).toMatchObject({ status: 'deployed', description: 'Rollback to 1' });
  });

  it('an upgrade killed mid-way leaves the release pending-upgrade, and the call is logged with 143', async () => {
    const s = await sim();
    ready(s);
    await upgrade(s, values());
    s.update((st) => {
      st.faults.latency = { 'helm upgrade': 10_000 };
    });
    const child = spawn('helm', ['upgrade', '--install', 'backend', fixtureChart, ...hctx, '--set', 'replicaCount=3'], { env: s.env, stdio: 'ignore' });
    const last = () => s.state().helm.releases.minikube!['todo/backend']!.at(-1)!.status;
    await vi.waitFor(() => expect(last()).toBe('pending-upgrade'), { timeout: 60_000, interval: 50 });
    child.kill('SIGTERM');
    await once(child, 'close');
    expect(s.calls().at(-1)).toMatchObject({ command: 'upgrade', exitCode: 143, mutating: true, changed: true });
    expect(last()).toBe('pending-upgrade');
  });

  it('--wait on pods that never get ready fails; --atomic rolls back (helm 3)', async () => {
    const s = await sim();
    ready(s);
    await upgrade(s, values());
    const plain = await upgrade(s, values({ image: { repository: 'todo-backend', tag: 'missing' } }), ['--wait', '--timeout', '30s']);
    expect(plain).toMatchObject({ exitCode: 1, stderr: 'Error: UPGRADE FAILED: context deadline exceeded\n' });
    const atomic = await upgrade(s, values({ image: { repository: 'todo-backend', tag: 'missing' } }), ['--atomic', '--timeout', '30s']);
    expect(atomic.stderr).toBe('Error: UPGRADE FAILED: release backend failed, and has been rolled back due to atomic being set: context deadline exceeded\n');
    const history = JSON.parse((await s.exec('helm', ['history', 'backend', ...hctx, '-o', 'json'])).stdout);
    expect(history.map((h: { status: string; description: string }) => `${h.status}: ${h.description}`)).toEqual([
      'superseded: Install complete',
      'failed: Upgrade "backend" failed: context deadline exceeded',
      'failed: Upgrade "backend" failed: context deadline exceeded',
      'deployed: Rollback to 1',
    ]);
    const ps = await pods(s);
    expect(ps.map((p) => p.spec.containers[0]!.image)).toEqual(['todo-backend:v1']);
  });

  it('helm 4: --rollback-on-failure, the watcher message, and --atomic deprecated', async () => {
    const s = await sim({ helmMajor: 4 });
    ready(s);
    await upgrade(s, values());
    const r = await upgrade(s, values({ image: { repository: 'todo-backend', tag: 'missing' } }), ['--wait', '--rollback-on-failure', '--timeout', '30s']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Error: UPGRADE FAILED: release backend failed, and has been rolled back due to rollback-on-failure being set: resource Deployment/todo/backend not ready. status: InProgress');
    const atomic = await upgrade(s, values(), ['--atomic']);
    expect(atomic.exitCode).toBe(0);
    expect(atomic.stderr).toBe('Flag --atomic has been deprecated, use --rollback-on-failure instead\n');
    expect((await s.exec('helm', ['status', 'backend', ...hctx, '--show-resources'])).stderr).toBe('Error: unknown flag: --show-resources\n');
    const status = JSON.parse((await s.exec('helm', ['status', 'backend', ...hctx, '-o', 'json'])).stdout);
    expect(status.info.resources['apps/v1/Deployment'][0].metadata.name).toBe('backend');
  });

  it('helm 3 rejects helm 4 flags with its own errors', async () => {
    const s = await sim({ helmMajor: 3 });
    expect(await upgrade(s, values(), ['--rollback-on-failure'])).toMatchObject({ exitCode: 1, stderr: 'Error: unknown flag: --rollback-on-failure\n' });
    expect((await upgrade(s, values(), ['--wait=watcher'])).stderr).toBe('Error: invalid argument "watcher" for "--wait" flag: strconv.ParseBool: parsing "watcher": invalid syntax\n');
    expect(s.calls().every((c) => !c.changed)).toBe(true);
  });

  it('an upgrade fault fails the upgrade and records a failed revision', async () => {
    const s = await sim({ faults: { helmUpgrade: [{ release: 'backend', message: 'boom', times: 1 }] } });
    ready(s);
    expect((await upgrade(s, values())).stderr).toBe('Error: boom\n');
    expect((await upgrade(s, values())).exitCode).toBe(0);
    const history = JSON.parse((await s.exec('helm', ['history', 'backend', ...hctx, '-o', 'json'])).stdout);
    expect(history.map((h: { status: string }) => h.status)).toEqual(['failed', 'deployed']);
  });

  it('install without --create-namespace needs the namespace; a missing chart fails like helm', async () => {
    const s = await sim();
    expect((await upgrade(s, values())).stderr).toBe('Error: create: failed to create: namespaces "todo" not found\n');
    expect((await upgrade(s, values(), ['--create-namespace'])).exitCode).toBe(0);
    expect(s.state().kube.clusters.minikube!.namespaces.todo!.labels).toEqual({ name: 'todo', 'kubernetes.io/metadata.name': 'todo' });
    expect((await s.exec('helm', ['upgrade', '--install', 'x', './nope', ...hctx])).stderr).toBe('Error: path "./nope" not found\n');
  });

  it('helm test passes on a healthy release and fails on a fault', async () => {
    const s = await sim({ faults: { helmTest: [{ release: 'backend', logs: ['wget: server returned error: HTTP/1.1 500'], times: 1 }] } });
    ready(s);
    await upgrade(s, values());
    const failed = await s.exec('helm', ['test', 'backend', ...hctx, '--logs']);
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).toContain('HTTP/1.1 500');
    const ok = await s.exec('helm', ['test', 'backend', ...hctx]);
    expect(ok.stdout).toContain('TEST SUITE:     backend-test-connection');
  });
});

describe.concurrent('pods follow the cluster and the faults', () => {
  it('an image missing from minikube gives ImagePullBackOff (IfNotPresent) or ErrImageNeverPull (Never); building it heals them', async () => {
    const s = await sim();
    ready(s);
    const clusterIP = { type: 'ClusterIP' };
    await upgrade(s, values({ image: { repository: 'todo-backend', tag: 'v2', pullPolicy: 'Never' }, service: clusterIP }), [], 'never');
    await upgrade(s, values({ image: { repository: 'todo-backend', tag: 'v2', pullPolicy: 'IfNotPresent' }, service: clusterIP }), [], 'ifnotpresent');
    const never = (await pods(s, 'never'))[0]!;
    expect(never.status.phase).toBe('Pending');
    expect(never.status.containerStatuses![0]!.state.waiting).toEqual({ reason: 'ErrImageNeverPull', message: 'Container image "todo-backend:v2" is not present with pull policy of Never' });
    expect(waitingReason((await pods(s, 'ifnotpresent'))[0]!)).toBe('ImagePullBackOff');
    // Built on the host daemon (no docker-env): still not in the cluster.
    const app = writeApp(s, { 'backend/Dockerfile': 'FROM python:3.13-slim\nUSER 1001\n' });
    await s.exec('docker', ['build', '-t', 'todo-backend:v2', 'backend'], { cwd: app });
    expect(waitingReason((await pods(s, 'never'))[0]!)).toBe('ErrImageNeverPull');
    await s.exec('docker', ['build', '-t', 'todo-backend:v2', 'backend'], { cwd: app, env: await dockerEnv(s) });
    expect((await pods(s, 'never'))[0]!.status.containerStatuses![0]!.ready).toBe(true);
    expect((await pods(s, 'ifnotpresent'))[0]!.status.containerStatuses![0]!.ready).toBe(true);
  });

  it('a missing secret or key gives CreateContainerConfigError with the real messages', async () => {
    const s = await sim();
    ready(s);
    await upgrade(s, values({ secretEnv: [{ name: 'X', secret: 'nope', key: 'X' }], service: { nodePort: 30001 } }), [], 'nosecret');
    await upgrade(s, values({ secretEnv: [{ name: 'BETTER_AUTH_SECRET', secret: 'backend-secrets', key: 'BETTER_AUTH_SECRET' }], service: { nodePort: 30002 } }), [], 'nokey');
    expect((await pods(s, 'nosecret'))[0]!.status.containerStatuses![0]!.state.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'secret "nope" not found' });
    expect((await pods(s, 'nokey'))[0]!.status.containerStatuses![0]!.state.waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: "couldn't find key BETTER_AUTH_SECRET in Secret todo/backend-secrets",
    });
  });

  it('runAsNonRoot with a named image USER fails to start', async () => {
    const s = await sim();
    ready(s, 'nextjs');
    await upgrade(s, values({ runAsNonRoot: true }));
    expect((await pods(s))[0]!.status.containerStatuses![0]!.state.waiting!.message).toMatch(/^container has runAsNonRoot and image has non-numeric user \(nextjs\), cannot verify user is non-root/);
  });

  it('CrashLoopBackOff with last logs, and kubectl logs --previous', async () => {
    const s = await sim({ faults: { pods: { backend: { state: 'CrashLoopBackOff', previousLogs: ['Traceback (most recent call last):', 'sqlalchemy.exc.OperationalError: could not connect'], exitCode: 3 } } } });
    ready(s);
    await upgrade(s, values());
    const pod = (await pods(s))[0]!;
    const cs = pod.status.containerStatuses![0]!;
    expect(cs.state.waiting!.reason).toBe('CrashLoopBackOff');
    expect(cs.lastState.terminated).toMatchObject({ reason: 'Error', exitCode: 3 });
    expect(cs.restartCount).toBeGreaterThan(0);
    const logs = await s.exec('kubectl', ['logs', pod.metadata.name, ...kctx, '-c', 'app', '--previous', '--tail', '1']);
    expect(logs.stdout).toBe('sqlalchemy.exc.OperationalError: could not connect\n');
    const prefixed = await s.exec('kubectl', ['logs', ...kctx, '-l', 'app.kubernetes.io/instance=backend', '--previous', '--prefix']);
    expect(prefixed.stdout.split('\n')[0]).toBe(`[pod/${pod.metadata.name}/app] Traceback (most recent call last):`);
  });

  it('OOMKilled (137), ImagePullBackOff and Unschedulable faults', async () => {
    const s = await sim({ faults: { pods: { oom: { state: 'OOMKilled' }, pull: { state: 'ImagePullBackOff' }, pending: { state: 'Unschedulable' } } } });
    ready(s);
    for (const release of ['oom', 'pull', 'pending']) await upgrade(s, values({ service: { type: 'ClusterIP' } }), [], release);
    expect((await pods(s, 'oom'))[0]!.status.containerStatuses![0]!.lastState.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    expect(waitingReason((await pods(s, 'pull'))[0]!)).toBe('ImagePullBackOff');
    const pending = (await pods(s, 'pending'))[0]!;
    expect(pending.status.phase).toBe('Pending');
    expect(pending.status.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' })]);
    s.update((st) => {
      delete st.faults.pods;
    });
    expect((await pods(s, 'oom'))[0]!.status.containerStatuses![0]!.ready).toBe(true);
  });

  it('rollout status: timeout and progress-deadline faults; no --timeout is refused', async () => {
    const s = await sim({ faults: { rollout: { backend: 'timeout' } } });
    ready(s);
    await upgrade(s, values());
    const timeout = await s.exec('kubectl', ['rollout', 'status', 'deployment/backend', ...kctx, '--timeout=5s']);
    expect(timeout).toMatchObject({ exitCode: 1, stdout: 'Waiting for deployment "backend" rollout to finish: 0 of 1 updated replicas are available...\n', stderr: 'error: timed out waiting for the condition\n' });
    s.update((st) => {
      st.faults.rollout = { backend: 'progressDeadline' };
    });
    expect((await s.exec('kubectl', ['rollout', 'status', 'deployment/backend', ...kctx, '--timeout=5s'])).stderr).toBe('error: deployment "backend" exceeded its progress deadline\n');
    expect((await s.exec('kubectl', ['rollout', 'status', 'deployment/backend', ...kctx])).exitCode).toBe(98);
    expect((await s.exec('kubectl', ['rollout', 'status', 'deployment/nope', ...kctx, '--timeout=5s'])).stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
  });

  it('a failed rollout keeps the old pods serving next to the new failing one', async () => {
    const s = await sim();
    ready(s);
    await upgrade(s, values({ replicaCount: 2 }));
    await upgrade(s, values({ replicaCount: 2, image: { repository: 'todo-backend', tag: 'missing' } }));
    const ps = await pods(s);
    expect(ps.map((p) => `${p.spec.containers[0]!.image}:${p.status.containerStatuses![0]!.ready}`).sort()).toEqual(['todo-backend:missing:false', 'todo-backend:v1:true', 'todo-backend:v1:true']);
  });

  it('logs -f streams lines appended mid-test and ends when the pod is gone', async () => {
    const s = await sim();
    ready(s);
    await upgrade(s, values());
    const [pod] = await pods(s);
    const key = `todo/${pod!.metadata.name}`;
    s.update((st) => {
      st.kube.clusters.minikube!.pods[key]!.logs = ['INFO: started'];
    });
    const child = spawn('kubectl', ['logs', '-f', pod!.metadata.name, ...kctx], { env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await vi.waitFor(() => expect(out).toBe('INFO: started\n'), { timeout: 60_000, interval: 50 });
    s.update((st) => {
      st.kube.clusters.minikube!.pods[key]!.logs.push('GET /api/health 200');
    });
    await vi.waitFor(() => expect(out).toBe('INFO: started\nGET /api/health 200\n'), { timeout: 60_000, interval: 50 });
    s.update((st) => {
      delete st.kube.clusters.minikube!.pods[key];
      delete st.kube.clusters.minikube!.deployments['todo/backend'];
    });
    const [code] = await once(child, 'close');
    expect(code).toBe(0);
  });

  it('deleting a pod brings a replacement with a new name', async () => {
    const s = await sim();
    ready(s);
    await upgrade(s, values());
    const [before] = await pods(s);
    expect((await s.exec('kubectl', ['delete', 'pod', before!.metadata.name, ...kctx, '--wait=true'])).stdout).toBe(`pod "${before!.metadata.name}" deleted from todo namespace\n`);
    const [after] = await pods(s);
    expect(after!.metadata.name).not.toBe(before!.metadata.name);
    expect((await s.exec('kubectl', ['wait', '--for=condition=Ready', 'pod', '-l', 'app.kubernetes.io/instance=backend', ...kctx, '--timeout=60s'])).stdout).toBe(`pod/${after!.metadata.name} condition met\n`);
  });
});
