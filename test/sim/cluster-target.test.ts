// The simulator's side of the cluster target (design/cluster-target.md): clusters not run by
// minikube, nodes and their platform, the KEP-1755 ConfigMap, images built and pushed from the
// user's own daemon, pods pulling from a registry, and `kubectl port-forward`.
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerConfigJson, localRegistryHosting, type Sim } from './harness.js';
import { useSims, writeApp } from './sim-fixture.js';

const sim = useSims();

const dev = ['--context', 'kind-dev'];
const INSPECT = '{"tags":{{json .RepoTags}},"digests":{{json .RepoDigests}},"platform":"{{.Os}}/{{.Architecture}}"}';
const app = { 'frontend/Dockerfile': 'FROM node:22-alpine\nUSER 1001\n', 'frontend/server.js': 'console.log(1)\n' };

async function buildAndPush(s: Sim, ref: string, platform?: string) {
  const cwd = writeApp(s, app);
  const build = await s.exec('docker', ['build', '--tag', ref, ...(platform ? ['--platform', platform] : []), '--file', 'frontend/Dockerfile', 'frontend'], { cwd, env: { DOCKER_BUILDKIT: '1' } });
  expect(build.exitCode).toBe(0);
  return s.exec('docker', ['push', ref]);
}

function digestOf(pushStdout: string): string {
  return /digest: (sha256:[0-9a-f]{64}) size: \d+\n$/.exec(pushStdout)![1]!;
}

function probePod(image: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'todo-deploy-pull-frontend', namespace: 'todo', labels: { 'app.kubernetes.io/managed-by': 'todo-deploy', 'todo-deploy.dev/probe': 'pull', 'todo-deploy.dev/service': 'frontend' } },
    spec: {
      restartPolicy: 'Never',
      containers: [{ name: 'probe', image, imagePullPolicy: 'Always', command: ['true'], securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
      ...extra,
    },
  });
}

const apply = [...dev, '--namespace', 'todo', 'apply', '--server-side', '--field-manager=todo-deploy', '--force-conflicts', '--filename', '-'];
const getProbe = [...dev, '--namespace', 'todo', 'get', 'pods', '--selector', 'todo-deploy.dev/probe=pull,todo-deploy.dev/service=frontend', '--output', 'json'];

async function probeState(s: Sim) {
  const r = await s.exec('kubectl', getProbe);
  expect(r.exitCode).toBe(0);
  const items = JSON.parse(r.stdout).items as Array<{ status: { phase: string; containerStatuses: Array<{ state: Record<string, { reason?: string; message?: string; exitCode?: number }> }> } }>;
  return items;
}

describe.concurrent('clusters not run by minikube', () => {
  it('the clusters option adds reachable clusters with their own contexts, objects and releases', async () => {
    const s = await sim({ clusters: { 'kind-dev': {}, 'prod-eu': { reachable: false } } });
    expect((await s.exec('kubectl', ['config', 'get-contexts', '-o', 'name'])).stdout).toBe('kind-dev\nminikube\nprod-eu\n');
    expect((await s.exec('kubectl', [...dev, 'create', 'namespace', 'todo'])).exitCode).toBe(0);
    expect(s.state().kube.clusters['kind-dev']!.namespaces).toHaveProperty('todo');
    expect(s.state().kube.clusters.minikube!.namespaces).not.toHaveProperty('todo');
    const down = await s.exec('kubectl', ['--context', 'prod-eu', 'get', 'nodes', '--output', 'json']);
    expect(down).toMatchObject({ exitCode: 1, stderr: 'The connection to the server 127.0.0.1:6444 was refused - did you specify the right host or port?\n' });
    // Safety holds for the new calls: no --context, no --kube-context.
    expect((await s.exec('kubectl', ['get', 'nodes', '--output', 'json'])).exitCode).toBe(98);
    expect((await s.exec('kubectl', ['--namespace', 'kube-public', 'get', 'configmap', 'local-registry-hosting', '--ignore-not-found', '--output', 'json'])).exitCode).toBe(98);
    expect((await s.exec('kubectl', ['--namespace', 'todo', 'apply', '--server-side', '--filename', '-'], { input: probePod('x:1') })).exitCode).toBe(98);
    expect((await s.exec('kubectl', ['--namespace', 'todo', 'port-forward', 'service/frontend', '30000:3000', '--address', '127.0.0.1'])).exitCode).toBe(98);
    expect((await s.exec('helm', ['list', '--namespace', 'todo', '--output', 'json'])).exitCode).toBe(98);
    expect(s.calls().filter((c) => c.safety)).toHaveLength(5);
  });

  it('a cluster given in part through kube.clusters gets the defaults under it', async () => {
    const s = await sim({ kube: { clusters: { 'prod-eu': { user: 'dev@example.com', forbidden: ['nodes'] } } } });
    expect(s.state().kube.contexts['prod-eu']).toEqual({ cluster: 'prod-eu', namespace: 'default' });
    const r = await s.exec('kubectl', ['--context', 'prod-eu', 'get', 'nodes', '--output', 'json']);
    expect(r).toMatchObject({
      exitCode: 1,
      stdout: `${JSON.stringify({ apiVersion: 'v1', items: [], kind: 'List', metadata: { resourceVersion: '' } }, null, 4)}\n`,
      stderr: 'Error from server (Forbidden): nodes is forbidden: User "dev@example.com" cannot list resource "nodes" in API group "" at the cluster scope\n',
    });
  });
});

describe.concurrent('nodes and the local registry ConfigMap', () => {
  it('get nodes --output json: per-cluster nodes with their platform; minikube has its own', async () => {
    const s = await sim({ clusters: { 'kind-dev': { nodes: [{ name: 'dev-control-plane', architecture: 'arm64' }, { name: 'dev-worker', architecture: 'arm64' }] } } });
    const list = JSON.parse((await s.exec('kubectl', [...dev, 'get', 'nodes', '--output', 'json'])).stdout);
    expect(list.kind).toBe('List');
    expect(list.items.map((n: { metadata: { name: string }; status: { nodeInfo: { operatingSystem: string; architecture: string } } }) => [n.metadata.name, n.status.nodeInfo.operatingSystem, n.status.nodeInfo.architecture])).toEqual([
      ['dev-control-plane', 'linux', 'arm64'],
      ['dev-worker', 'linux', 'arm64'],
    ]);
    expect(list.items[0].metadata.labels).toMatchObject({ 'kubernetes.io/arch': 'arm64', 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/control-plane': '' });
    const mk = JSON.parse((await s.exec('kubectl', ['--context', 'minikube', 'get', 'nodes', '--output', 'json'])).stdout);
    expect(mk.items.map((n: { metadata: { name: string }; status: { nodeInfo: { architecture: string } } }) => [n.metadata.name, n.status.nodeInfo.architecture])).toEqual([['minikube', 'amd64']]);
  });

  it('get configmap local-registry-hosting --ignore-not-found: empty when absent, the KEP-1755 YAML when seeded; Forbidden in a namespace', async () => {
    const s = await sim({ clusters: { 'kind-dev': {}, 'kind-reg': { configmaps: { 'kube-public/local-registry-hosting': localRegistryHosting({ host: 'localhost:5001', hostFromContainerRuntime: 'kind-registry:5000' }) } } } });
    const args = ['--namespace', 'kube-public', 'get', 'configmap', 'local-registry-hosting', '--ignore-not-found', '--output', 'json'];
    expect(await s.exec('kubectl', [...dev, ...args])).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    const present = await s.exec('kubectl', ['--context', 'kind-reg', ...args]);
    expect(present.exitCode).toBe(0);
    const cm = JSON.parse(present.stdout);
    expect(cm).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'local-registry-hosting', namespace: 'kube-public' } });
    expect(cm.data['localRegistryHosting.v1']).toBe('host: "localhost:5001"\nhostFromContainerRuntime: "kind-registry:5000"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n');
    s.update((st) => {
      st.kube.clusters['kind-dev']!.forbidden = ['kube-public/configmaps'];
    });
    expect(await s.exec('kubectl', [...dev, ...args])).toMatchObject({
      exitCode: 1,
      stderr: 'Error from server (Forbidden): configmaps "local-registry-hosting" is forbidden: User "kubernetes-admin" cannot get resource "configmaps" in API group "" in the namespace "kube-public"\n',
    });
  });
});

describe.concurrent("the user's docker: build --platform, inspect, push", () => {
  it('records the platform (default linux/amd64); inspect prints one line per found image and fails for a missing one', async () => {
    const s = await sim({ minikube: 'absent' });
    const cwd = writeApp(s, app);
    await s.exec('docker', ['build', '--tag', 'localhost:5001/todo-frontend:a', '--platform', 'linux/arm64', '--file', 'frontend/Dockerfile', 'frontend'], { cwd });
    await s.exec('docker', ['build', '--tag', 'localhost:5001/todo-frontend:b', '--file', 'frontend/Dockerfile', 'frontend'], { cwd });
    const r = await s.exec('docker', ['image', 'inspect', '--format', INSPECT, 'localhost:5001/todo-frontend:a', 'localhost:5001/todo-frontend:missing', 'localhost:5001/todo-frontend:b']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('{"tags":["localhost:5001/todo-frontend:a"],"digests":[],"platform":"linux/arm64"}\n{"tags":["localhost:5001/todo-frontend:b"],"digests":[],"platform":"linux/amd64"}\n');
    expect(r.stderr).toBe('Error: No such image: localhost:5001/todo-frontend:missing\n');
    expect(s.calls().map((c) => c.env.DOCKER_HOST)).toEqual([undefined, undefined, undefined]);
  });

  it('push: the registry holds the image by a digest from its id; RepoDigests gain it; an unchanged push changes nothing', async () => {
    const s = await sim();
    const push = await buildAndPush(s, 'ghcr.io/acme/todo/todo-frontend:c0ffee');
    expect(push.exitCode).toBe(0);
    const lines = push.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('The push refers to repository [ghcr.io/acme/todo/todo-frontend]');
    expect(lines.at(-1)).toMatch(/^c0ffee: digest: sha256:[0-9a-f]{64} size: \d+$/);
    const digest = digestOf(push.stdout);
    const image = s.state().docker.images.host!['ghcr.io/acme/todo/todo-frontend:c0ffee']!;
    expect(s.state().docker.registries!['ghcr.io']!.repositories['acme/todo/todo-frontend']).toEqual({
      tags: { c0ffee: digest },
      manifests: { [digest]: { imageId: image.id, platform: 'linux/amd64', size: expect.any(Number) } },
    });
    const inspect = await s.exec('docker', ['image', 'inspect', '--format', INSPECT, 'ghcr.io/acme/todo/todo-frontend:c0ffee']);
    expect(JSON.parse(inspect.stdout)).toEqual({ tags: ['ghcr.io/acme/todo/todo-frontend:c0ffee'], digests: [`ghcr.io/acme/todo/todo-frontend@${digest}`], platform: 'linux/amd64' });
    const again = await s.exec('docker', ['push', 'ghcr.io/acme/todo/todo-frontend:c0ffee']);
    expect(digestOf(again.stdout)).toBe(digest);
    expect(again.stdout).toContain(': Layer already exists\n');
    expect(s.calls().filter((c) => c.command === 'push').map((c) => [c.mutating, c.changed])).toEqual([
      [true, true],
      [true, false],
    ]);
  });

  it('push fails like the client: registry down, no such host, HTTP-only, not logged in, denied', async () => {
    const s = await sim({
      docker: {
        registries: {
          'localhost:5001': { status: 'refused', repositories: {} },
          'registry.internal:5000': { status: 'http', repositories: {} },
          'gone.example:443': { status: 'no-such-host', repositories: {} },
          'ghcr.io': { auth: true, authScheme: 'bearer', repositories: {} },
          'docker.io': { auth: true, loggedIn: false, pushError: 'denied: requested access to the resource is denied', repositories: {} },
          'registry.basic:5000': { auth: true, authScheme: 'basic', repositories: {} },
        },
      },
    });
    const cases: Array<[string, string]> = [
      ['localhost:5001/todo-frontend:t', 'Get "http://localhost:5001/v2/": dial tcp 127.0.0.1:5001: connect: connection refused'],
      ['registry.internal:5000/todo-frontend:t', 'Get "https://registry.internal:5000/v2/": http: server gave HTTP response to HTTPS client'],
      ['gone.example:443/todo-frontend:t', 'Get "https://gone.example:443/v2/": dial tcp: lookup gone.example on 127.0.0.53:53: no such host'],
      ['ghcr.io/acme/todo-frontend:t', 'unauthorized: authentication required'],
      ['acme/todo-frontend:t', 'denied: requested access to the resource is denied'],
      ['registry.basic:5000/todo-frontend:t', 'no basic auth credentials'],
    ];
    for (const [ref, stderr] of cases) {
      const r = await buildAndPush(s, ref);
      expect(r.exitCode, ref).toBe(1);
      expect(r.stderr, ref).toBe(`${stderr}\n`);
      expect(r.stdout.split('\n')[0]).toBe(`The push refers to repository [${ref.startsWith('acme/') ? 'docker.io/' : ''}${ref.replace(/:t$/, '')}]`);
    }
    expect(s.state().docker.registry).toEqual({});
    s.update((st) => {
      st.docker.registries!['ghcr.io']!.loggedIn = true;
    });
    expect((await s.exec('docker', ['push', 'ghcr.io/acme/todo-frontend:t'])).exitCode).toBe(0);
  });
});

describe.concurrent('pods pulling from a registry', () => {
  async function cluster(options: Parameters<typeof sim>[0] = {}) {
    const s = await sim({ clusters: { 'kind-dev': {} }, ...options });
    await s.exec('kubectl', [...dev, 'create', 'namespace', 'todo']);
    return s;
  }

  it('a bare probe Pod with restartPolicy Never and command true: pulled, Succeeded, exit 0; delete --wait=false removes it', async () => {
    const s = await cluster();
    const digest = digestOf((await buildAndPush(s, 'localhost:5001/todo-frontend:t1')).stdout);
    const r = await s.exec('kubectl', apply, { input: probePod(`localhost:5001/todo-frontend:t1@${digest}`) });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'pod/todo-deploy-pull-frontend serverside-applied\n' });
    const [pod] = await probeState(s);
    expect(pod!.status.phase).toBe('Succeeded');
    expect(pod!.status.containerStatuses[0]!.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    // Both labels of the selector filter: another service's probe is not listed.
    await s.exec('kubectl', apply, { input: probePod(`localhost:5001/todo-frontend:t1@${digest}`).replaceAll('"todo-deploy.dev/service":"frontend"', '"todo-deploy.dev/service":"backend"').replace('todo-deploy-pull-frontend', 'todo-deploy-pull-backend') });
    expect(await probeState(s)).toHaveLength(1);
    const del = await s.exec('kubectl', [...dev, '--namespace', 'todo', 'delete', 'pod', 'todo-deploy-pull-frontend', '--wait=false']);
    expect(del).toMatchObject({ exitCode: 0, stdout: 'pod "todo-deploy-pull-frontend" deleted from todo namespace\n' });
    expect(await probeState(s)).toEqual([]);
  });

  it('auth: no imagePullSecrets → ErrImagePull, then ImagePullBackOff, with the recorded unauthorized text; a dockerconfigjson Secret fixes it', async () => {
    const s = await cluster({ docker: { registries: { 'registry.example.com:5001': { auth: true, loggedIn: true, repositories: {} } } }, faults: { imagePullBackOffAfterMs: 600_000 } });
    const digest = digestOf((await buildAndPush(s, 'registry.example.com:5001/todo-frontend:t1')).stdout);
    const image = `registry.example.com:5001/todo-frontend:t1@${digest}`;
    await s.exec('kubectl', apply, { input: probePod(image, { imagePullSecrets: [{ name: 'registry-credentials' }] }) });
    const unauthorized = `failed to pull and unpack image "registry.example.com:5001/todo-frontend@${digest}": failed to resolve reference "registry.example.com:5001/todo-frontend@${digest}": pulling from host registry.example.com:5001 failed with status code [manifests ${digest}]: 401 Unauthorized`;
    expect((await probeState(s))[0]!.status.containerStatuses[0]!.state.waiting).toEqual({ reason: 'ErrImagePull', message: unauthorized });
    s.update((st) => {
      st.faults.imagePullBackOffAfterMs = 0;
    });
    expect((await probeState(s))[0]!.status.containerStatuses[0]!.state.waiting).toEqual({ reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ErrImagePull: ${unauthorized}` });
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'registry-credentials', namespace: 'todo' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(dockerConfigJson({ 'registry.example.com:5001': { username: 'u', password: 'p' } })).toString('base64') } };
    expect((await s.exec('kubectl', apply, { input: JSON.stringify(secret) })).exitCode).toBe(0);
    expect((await probeState(s))[0]!.status.phase).toBe('Succeeded');
  });

  it('not found, no matching platform in an index, unreachable from the node, single manifest of another arch', async () => {
    // ErrImagePull however long the calls take (a loaded machine passed the default 1 s back-off).
    const s = await cluster({ clusters: { 'kind-dev': { nodes: [{ name: 'dev-control-plane', architecture: 'arm64' }] } }, faults: { imagePullBackOffAfterMs: 600_000 } });
    const push = await buildAndPush(s, 'localhost:5001/todo-frontend:amd', 'linux/amd64');
    const digest = digestOf(push.stdout);
    const missing = `sha256:${'0'.repeat(64)}`;
    s.update((st) => {
      const repo = st.docker.registries!['localhost:5001']!.repositories['todo-frontend']!;
      repo.manifests[`sha256:${'1'.repeat(64)}`] = { platforms: ['linux/amd64', 'unknown/unknown'] };
    });
    const cases: Array<[string, string, string]> = [
      [`localhost:5001/todo-frontend:t@${missing}`, 'ErrImagePull', `rpc error: code = NotFound desc = failed to pull and unpack image "localhost:5001/todo-frontend@${missing}": failed to resolve reference "localhost:5001/todo-frontend@${missing}": localhost:5001/todo-frontend@${missing}: not found`],
      [`localhost:5001/todo-frontend:idx@sha256:${'1'.repeat(64)}`, 'ErrImagePull', `rpc error: code = NotFound desc = failed to pull and unpack image "localhost:5001/todo-frontend@sha256:${'1'.repeat(64)}": no match for platform in manifest: not found`],
    ];
    for (const [image, reason, message] of cases) {
      await s.exec('kubectl', [...dev, '--namespace', 'todo', 'delete', 'pod', 'todo-deploy-pull-frontend', '--ignore-not-found', '--wait=false']);
      await s.exec('kubectl', apply, { input: probePod(image) });
      expect((await probeState(s))[0]!.status.containerStatuses[0]!.state.waiting, image).toEqual({ reason, message });
    }
    // A single-platform manifest for amd64 is pulled on the arm64 node; the binary then fails to exec.
    await s.exec('kubectl', [...dev, '--namespace', 'todo', 'delete', 'pod', 'todo-deploy-pull-frontend', '--wait=false']);
    await s.exec('kubectl', apply, { input: probePod(`localhost:5001/todo-frontend:amd@${digest}`) });
    const [failed] = await probeState(s);
    expect(failed!.status.phase).toBe('Failed');
    expect(failed!.status.containerStatuses[0]!.state.terminated).toMatchObject({ exitCode: 255, reason: 'Error' });
    const logs = await s.exec('kubectl', [...dev, '--namespace', 'todo', 'logs', 'todo-deploy-pull-frontend']);
    expect(logs.stdout).toBe('exec /usr/bin/true: exec format error\n');
    expect(failed!.status.containerStatuses[0]!.state.terminated).not.toHaveProperty('message');
    // With terminationMessagePolicy FallbackToLogsOnError the kubelet makes the log's tail the message.
    await s.exec('kubectl', [...dev, '--namespace', 'todo', 'delete', 'pod', 'todo-deploy-pull-frontend', '--wait=false']);
    const fallback = JSON.parse(probePod(`localhost:5001/todo-frontend:amd@${digest}`)) as { spec: { containers: Array<Record<string, unknown>> } };
    fallback.spec.containers[0]!.terminationMessagePolicy = 'FallbackToLogsOnError';
    await s.exec('kubectl', apply, { input: JSON.stringify(fallback) });
    expect((await probeState(s))[0]!.status.containerStatuses[0]!.state.terminated).toMatchObject({ exitCode: 255, reason: 'Error', message: 'exec /usr/bin/true: exec format error\n' });
    // The registry is down, as the node sees it.
    s.update((st) => {
      st.docker.registries!['localhost:5001']!.status = 'refused';
    });
    await s.exec('kubectl', [...dev, '--namespace', 'todo', 'delete', 'pod', 'todo-deploy-pull-frontend', '--wait=false']);
    await s.exec('kubectl', apply, { input: probePod(`localhost:5001/todo-frontend:amd@${digest}`) });
    expect((await probeState(s))[0]!.status.containerStatuses[0]!.state.waiting!.message).toBe(
      `failed to pull and unpack image "localhost:5001/todo-frontend@${digest}": failed to resolve reference "localhost:5001/todo-frontend@${digest}": failed to do request: Head "https://localhost:5001/v2/todo-frontend/manifests/${digest}": dial tcp 127.0.0.1:5001: connect: connection refused`,
    );
  });

  it('an alias (hostFromContainerRuntime) reaches the same registry; re-applying with another command is refused', async () => {
    const s = await cluster({ docker: { registries: { 'localhost:5001': { aliases: ['kind-registry:5000'], repositories: {} } } } });
    const digest = digestOf((await buildAndPush(s, 'localhost:5001/todo-frontend:t1')).stdout);
    await s.exec('kubectl', apply, { input: probePod(`kind-registry:5000/todo-frontend:t1@${digest}`) });
    expect((await probeState(s))[0]!.status.phase).toBe('Succeeded');
    const changed = await s.exec('kubectl', apply, { input: probePod(`kind-registry:5000/todo-frontend:t1@${digest}`).replace('["true"]', '["false"]') });
    expect(changed.exitCode).toBe(1);
    expect(changed.stderr).toMatch(/^The Pod "todo-deploy-pull-frontend" is invalid: spec: Forbidden: pod updates may not change fields other than/);
  });

  it('a host no registry or alias answers to is a name the node cannot resolve', async () => {
    const s = await cluster({ docker: { registries: { 'localhost:5001': { aliases: ['kind-registry:5000'], repositories: {} } } }, faults: { imagePullBackOffAfterMs: 600_000 } });
    const digest = digestOf((await buildAndPush(s, 'localhost:5001/todo-frontend:t1')).stdout);
    await s.exec('kubectl', apply, { input: probePod(`registry.internal:5000/todo-frontend:t1@${digest}`) });
    expect((await probeState(s))[0]!.status.containerStatuses[0]!.state.waiting).toEqual({
      reason: 'ErrImagePull',
      message: `failed to pull and unpack image "registry.internal:5000/todo-frontend@${digest}": failed to resolve reference "registry.internal:5000/todo-frontend@${digest}": failed to do request: Head "https://registry.internal:5000/v2/todo-frontend/manifests/${digest}": dial tcp: lookup registry.internal on 127.0.0.53:53: no such host`,
    });
  });
});

describe.concurrent('kubectl port-forward', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  async function httpServer(body: string): Promise<number> {
    const server = createServer((_, res) => res.end(body));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return (server.address() as { port: number }).port;
  }

  async function freePort(): Promise<number> {
    const srv = createTcpServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    return port;
  }

  /** A deployed service: a Deployment's pod and a Service, written straight into the state. */
  async function withService(s: Sim, target?: string) {
    s.update((st) => {
      const c = st.kube.clusters['kind-dev']!;
      c.namespaces.todo = { labels: {}, created: new Date().toISOString() };
      c.deployments['todo/frontend'] = {
        labels: {},
        selector: { app: 'frontend' },
        replicas: 1,
        generation: 1,
        templateHash: 'abc',
        podLabels: { app: 'frontend' },
        podAnnotations: {},
        containers: [{ name: 'frontend', image: 'frontend:1', imagePullPolicy: 'IfNotPresent', secretRefs: [], ports: [3000], runAsNonRoot: false }],
        created: new Date().toISOString(),
      };
      c.services['todo/frontend'] = { type: 'ClusterIP', selector: { app: 'frontend' }, ports: [{ name: 'http', port: 3000, targetPort: 3000 }] };
      st.docker.registry['frontend:1'] = `sha256:${'9'.repeat(64)}`;
      if (target) c.serviceTargets = { 'todo/frontend': target };
    });
  }

  function start(s: Sim, args: string[]) {
    const child = spawn('kubectl', args, { env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const listening = async () => {
      for (let i = 0; i < 200 && !stdout.includes('Forwarding from'); i++) await new Promise((r) => setTimeout(r, 25));
      return stdout;
    };
    return { child, exited, listening, output: () => ({ stdout, stderr }) };
  }

  it('listens on 127.0.0.1:<local>, forwards to the test server, stops on SIGTERM (logged 143)', async () => {
    const s = await sim({ clusters: { 'kind-dev': {} } });
    await withService(s, `127.0.0.1:${await httpServer('hello from the frontend')}`);
    const local = await freePort();
    const pf = start(s, [...dev, '--namespace', 'todo', 'port-forward', 'service/frontend', `${local}:3000`, '--address', '127.0.0.1']);
    expect(await pf.listening()).toBe(`Forwarding from 127.0.0.1:${local} -> 3000\n`);
    const body = await (await fetch(`http://127.0.0.1:${local}/`)).text();
    expect(body).toBe('hello from the frontend');
    pf.child.kill('SIGTERM');
    await pf.exited;
    const call = s.calls().find((c) => c.command === 'port-forward')!;
    expect(call).toMatchObject({ exitCode: 143, mutating: false });
    expect(call.stdout).toBe(`Forwarding from 127.0.0.1:${local} -> 3000\nHandling connection for ${local}\n`);
  });

  it('fails like kubectl for a missing service and a local port in use; ends when its pod is gone', async () => {
    const s = await sim({ clusters: { 'kind-dev': {} } });
    const missing = await s.exec('kubectl', [...dev, '--namespace', 'todo', 'port-forward', 'service/frontend', '30000:3000', '--address', '127.0.0.1']);
    expect(missing).toMatchObject({ exitCode: 1, stderr: 'Error from server (NotFound): services "frontend" not found\n' });

    await withService(s, '127.0.0.1:1');
    const busy = createTcpServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const taken = await s.exec('kubectl', [...dev, '--namespace', 'todo', 'port-forward', 'service/frontend', `${port}:3000`, '--address', '127.0.0.1']);
    busy.close();
    expect(taken.exitCode).toBe(1);
    expect(taken.stderr).toBe(
      `Unable to listen on port ${port}: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 127.0.0.1:${port}: bind: address already in use]\nerror: unable to listen on any of the requested ports: [{${port} 3000}]\n`,
    );

    // As recorded: the pod deleted, kubectl runs on until the next connection, then gives up.
    const local = await freePort();
    const pf = start(s, [...dev, '--namespace', 'todo', 'port-forward', 'service/frontend', `${local}:3000`, '--address', '127.0.0.1']);
    await pf.listening();
    s.update((st) => {
      delete st.kube.clusters['kind-dev']!.deployments['todo/frontend'];
    });
    // The next cluster read runs the controller, which removes the pod.
    await s.exec('kubectl', [...dev, '--namespace', 'todo', 'get', 'pods', '--output', 'json']);
    await new Promise((r) => setTimeout(r, 300));
    expect(pf.child.exitCode).toBeNull();
    await fetch(`http://127.0.0.1:${local}/`).catch(() => undefined);
    expect(await pf.exited).toBe(1);
    expect(pf.output().stdout).toBe(`Forwarding from 127.0.0.1:${local} -> 3000\nHandling connection for ${local}\n`);
    expect(pf.output().stderr).toMatch(/^E\d{4} [\d:.]+ +\d+ portforward\.go:424\] "Unhandled Error" err="an error occurred forwarding \d+ -> 3000: error forwarding port 3000 to pod [0-9a-f]{64}, uid : network namespace for sandbox \\"[0-9a-f]{64}\\" is closed"\nerror: lost connection to pod\n$/);
  });
});

/** The recordings from a real node and registries (test/contract/recorded/cluster-target/), replayed on the sim. */
describe.concurrent('held to the recordings', () => {
  const dir = join(import.meta.dirname, '..', 'contract', 'recorded', 'cluster-target');
  const recorded = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as { argv: string[]; exitCode: number; stdout: string; stderr: string };
  const names = readdirSync(dir);
  const digestIn = (name: string) => /@(sha256:[0-9a-f]{64})/.exec(JSON.parse(recorded(name).stdout).items[0].spec.containers[0].image)![1]!;
  /** The pushed image's digest, and an OCI index with linux/arm64 only, as the recordings name them. */
  const DIGEST = digestIn('pull-ok.json');
  const INDEX = digestIn('pull-platform-errimagepull.json');
  /** An image id whose push digest (registry.mjs pushDigest) is the recorded one. */
  const imageId = `sha256:${DIGEST.slice(7).split('').reverse().join('')}`;
  const TAG = '8e1d0a6c5b2f-linux-amd64';

  async function recordedWorld(options: { loggedIn?: boolean; pushed?: boolean } = {}) {
    const manifests = { [DIGEST]: { imageId, platform: 'linux/amd64' }, [INDEX]: { platforms: ['linux/arm64'] } };
    const repo = { 'todo-backend': { tags: options.pushed === false ? {} : { [TAG]: DIGEST }, manifests } };
    const s = await sim({
      kube: { clusters: { minikube: { user: 'system:serviceaccount:cluster-target:nobody' } } },
      docker: {
        images: { host: { [`10.213.1.2:5000/todo-backend:${TAG}`]: { id: imageId, created: '2026-12-01T08:00:00.000Z', labels: {}, buildArgs: {}, secretIds: [], size: 1, platform: 'linux/amd64' } } },
        registries: {
          '10.213.1.2:5000': { insecure: true, repositories: options.pushed === false ? {} : repo },
          '10.213.1.2:5001': { auth: true, loggedIn: options.loggedIn ?? false, repositories: options.pushed === false ? {} : repo },
          '10.213.1.2:5002': { status: 'http', repositories: {} },
          '10.213.1.2:5009': { status: 'refused', insecure: true, repositories: {} },
        },
      },
      faults: { imagePullBackOffAfterMs: 600_000 },
    });
    await s.exec('kubectl', ['--context', 'minikube', 'create', 'namespace', 'cluster-target']);
    return s;
  }

  it('get nodes, Forbidden; the registry ConfigMap, absent', async () => {
    const s = await recordedWorld();
    for (const name of ['get-nodes-forbidden.json', 'registry-hosting-absent.json']) {
      const r = recorded(name);
      if (name.includes('forbidden')) s.update((st) => void (st.kube.clusters.minikube!.forbidden = ['nodes']));
      expect(await s.exec('kubectl', r.argv), name).toMatchObject({ exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr });
    }
    const nodes = recorded('get-nodes.json');
    s.update((st) => void (st.kube.clusters.minikube!.forbidden = []));
    const simulated = JSON.parse((await s.exec('kubectl', nodes.argv)).stdout).items[0];
    const real = JSON.parse(nodes.stdout).items[0];
    expect(Object.keys(simulated.status.nodeInfo).sort()).toEqual(Object.keys(real.status.nodeInfo).sort());
    expect(simulated.status.nodeInfo).toMatchObject({ operatingSystem: real.status.nodeInfo.operatingSystem, architecture: real.status.nodeInfo.architecture });
  });

  it.each(names.filter((n) => /^pull-.*(errimagepull|backoff)\.json$/.test(n)))('%s: the same waiting reason and message', async (name) => {
    const s = await recordedWorld();
    if (name.endsWith('backoff.json')) s.update((st) => void (st.faults.imagePullBackOffAfterMs = 0));
    const r = recorded(name);
    const real = JSON.parse(r.stdout).items[0];
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: real.metadata, spec: { restartPolicy: 'Never', containers: real.spec.containers, ...(real.spec.imagePullSecrets && { imagePullSecrets: real.spec.imagePullSecrets }) } };
    expect((await s.exec('kubectl', ['--context', 'minikube', '--namespace', 'cluster-target', 'apply', '--server-side', '--filename', '-'], { input: JSON.stringify(pod) })).exitCode).toBe(0);
    const simulated = JSON.parse((await s.exec('kubectl', r.argv)).stdout).items[0];
    expect(simulated.status.containerStatuses[0].state).toEqual(real.status.containerStatuses[0].state);
  });

  it.each(['pull-ok.json', 'pull-auth-ok.json'])('%s: terminated, exit 0, imageID the repo digest', async (name) => {
    const s = await recordedWorld();
    const r = recorded(name);
    const real = JSON.parse(r.stdout).items[0];
    if (real.spec.imagePullSecrets) {
      const config = Buffer.from(dockerConfigJson({ '10.213.1.2:5001': { username: 'todo-deploy', password: 'x' } })).toString('base64');
      const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'registry-credentials', namespace: 'cluster-target' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': config } };
      await s.exec('kubectl', ['--context', 'minikube', 'apply', '--server-side', '--filename', '-'], { input: JSON.stringify(secret) });
    }
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: real.metadata, spec: { restartPolicy: 'Never', containers: real.spec.containers, ...(real.spec.imagePullSecrets && { imagePullSecrets: real.spec.imagePullSecrets }) } };
    await s.exec('kubectl', ['--context', 'minikube', '--namespace', 'cluster-target', 'apply', '--server-side', '--filename', '-'], { input: JSON.stringify(pod) });
    const cs = JSON.parse((await s.exec('kubectl', r.argv)).stdout).items[0].status.containerStatuses[0];
    const realCs = real.status.containerStatuses[0];
    expect(cs.state.terminated).toMatchObject({ exitCode: realCs.state.terminated.exitCode, reason: realCs.state.terminated.reason });
    // (The real node had pulled the same image from the plain registry first, and names it by that.)
    expect(cs.imageID.replace(/^[^/]+/, '')).toBe(realCs.imageID.replace(/^[^/]+/, ''));
  });

  it.each(names.filter((n) => /^push.*\.docker-28\.json$/.test(n)))('%s: same exit, stderr, repository line and digest line', async (name) => {
    const r = recorded(name);
    const s = await recordedWorld({ loggedIn: name.startsWith('push-auth'), pushed: name.startsWith('push-again') ? undefined : false });
    s.update((st) => {
      const store = st.docker.images.host!;
      const ref = r.argv[1]!;
      store[ref] = { ...store[`10.213.1.2:5000/todo-backend:${TAG}`]! };
    });
    const simulated = await s.exec('docker', r.argv);
    expect(simulated.exitCode).toBe(r.exitCode);
    expect(simulated.stderr).toBe(r.stderr);
    const lines = (text: string) => text.trimEnd().split('\n');
    expect(lines(simulated.stdout)[0]).toBe(lines(r.stdout)[0]);
    const shape = (text: string) => lines(text).slice(1).map((l) => l.replace(/^[0-9a-f]{12}: /, '<layer>: ').replace(/sha256:[0-9a-f]{64} size: \d+$/, '<digest> size: <n>'));
    expect([...new Set(shape(simulated.stdout))]).toEqual([...new Set(shape(r.stdout))]);
  });

  it('port-forward: the Forwarding line names the pod port', async () => {
    const r = recorded('port-forward.json');
    const s = await recordedWorld();
    s.update((st) => {
      const c = st.kube.clusters.minikube!;
      c.deployments['cluster-target/serve'] = { labels: {}, selector: { app: 'serve' }, replicas: 1, generation: 1, templateHash: 'h', podLabels: { app: 'serve' }, podAnnotations: {}, containers: [{ name: 'serve', image: 'serve:1', imagePullPolicy: 'IfNotPresent', secretRefs: [], ports: [8080], runAsNonRoot: false }], created: new Date().toISOString() };
      c.services['cluster-target/todo-backend'] = { type: 'ClusterIP', selector: { app: 'serve' }, ports: [{ port: 8000, targetPort: 8080 }] };
      st.docker.registry['serve:1'] = `sha256:${'9'.repeat(64)}`;
    });
    const port = await new Promise<number>((resolve) => {
      const srv = createTcpServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const argv = r.argv.map((a) => a.replace(/^30001:/, `${port}:`));
    const child = spawn('kubectl', argv, { env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    for (let i = 0; i < 200 && !stdout.includes('\n'); i++) await new Promise((res) => setTimeout(res, 25));
    child.kill('SIGINT');
    await new Promise((res) => child.on('close', res));
    expect(stdout).toBe(r.stdout.split('\n')[0]!.replace('30001', String(port)) + '\n');
    expect(s.calls().find((c) => c.command === 'port-forward')!.exitCode).toBe(130);
  });
});
