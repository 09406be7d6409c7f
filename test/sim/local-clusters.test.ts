// The simulator's clusters on this machine (the cluster target without a registry) and how an
// app is reached on a cluster: `kind load docker-image`, `k3d image import` and `minikube image
// load` into the nodes' image store, Docker Desktop running the host's images; IngressClasses,
// Ingresses and LoadBalancer Services (README "The cluster target").
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Sim, SimOptions } from './harness.js';
import { useSims, writeApp } from './sim-fixture.js';

const sim = useSims();

const app = { 'frontend/Dockerfile': 'FROM node:22-alpine\nUSER 1001\n', 'frontend/server.js': 'console.log(1)\n', 'backend/Dockerfile': 'FROM python:3.13-slim\nUSER 1001\n', 'backend/main.py': 'print(1)\n' };

/** Builds the frontend (and backend) on the host daemon. */
async function build(s: Sim, refs: { frontend?: string; backend?: string }, platform?: string) {
  const cwd = writeApp(s, app);
  for (const [service, ref] of Object.entries(refs)) {
    const r = await s.exec('docker', ['build', '--tag', ref, ...(platform ? ['--platform', platform] : []), '--file', `${service}/Dockerfile`, service], { cwd, env: { DOCKER_BUILDKIT: '1' } });
    expect(r.exitCode, r.stderr).toBe(0);
  }
}

/** A sim with these clusters and the `todo` namespace in each. */
async function withClusters(options: SimOptions) {
  const s = await sim({ minikube: 'absent', ...options });
  s.update((st) => {
    for (const c of Object.values(st.kube.clusters)) c.namespaces.todo = { labels: { 'kubernetes.io/metadata.name': 'todo' }, created: new Date().toISOString() };
  });
  return s;
}

const apply = (context: string) => ['--context', context, 'apply', '--server-side', '--field-manager=todo-deploy', '--force-conflicts', '--filename', '-'];

/** A bare pod running `image` with this pull policy; returns its first container's state. */
async function runPod(s: Sim, context: string, image: string, policy: 'IfNotPresent' | 'Never' | 'Always' = 'IfNotPresent', restartPolicy = 'Always') {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'todo', labels: { app: 'web' } }, spec: { restartPolicy, containers: [{ name: 'web', image, imagePullPolicy: policy, command: ['node', 'server.js'] }] } };
  const r = await s.exec('kubectl', apply(context), { input: JSON.stringify(pod) });
  expect(r.exitCode, r.stderr).toBe(0);
  const got = await s.exec('kubectl', ['--context', context, '--namespace', 'todo', 'get', 'pod', 'web', '--output', 'json']);
  const json = JSON.parse(got.stdout) as { status: { phase: string; containerStatuses: Array<{ state: Record<string, { reason?: string; message?: string; exitCode?: number }>; lastState: Record<string, { exitCode?: number }> }> } };
  await s.exec('kubectl', ['--context', context, '--namespace', 'todo', 'delete', 'pod', 'web', '--wait=false']);
  return { phase: json.status.phase, ...json.status.containerStatuses[0]! };
}

describe.concurrent('kind load docker-image', () => {
  it('copies the host images into the cluster whose context is kind-<name>; its IfNotPresent pods run them; again: already present, nothing changed', async () => {
    const s = await withClusters({ clusters: { 'kind-dev': {}, 'kind-other': {} } });
    await build(s, { frontend: 'todo-frontend:t1', backend: 'todo-backend:t1' });
    expect((await runPod(s, 'kind-dev', 'todo-frontend:t1', 'Never')).state.waiting).toEqual({ reason: 'ErrImageNeverPull', message: 'Container image "todo-frontend:t1" is not present with pull policy of Never' });
    expect((await runPod(s, 'kind-dev', 'todo-frontend:t1')).state.waiting!.reason).toBe('ImagePullBackOff');
    const id = s.state().docker.images.host!['todo-frontend:t1']!.id;
    const r = await s.exec('kind', ['load', 'docker-image', 'todo-frontend:t1', 'todo-backend:t1', '--name', 'dev']);
    expect(r).toMatchObject({ exitCode: 0, stdout: '' });
    expect(r.stderr.split('\n')[0]).toBe(`Image: "todo-frontend:t1" with ID "${id}" not yet present on node "dev-control-plane", loading...`);
    expect(Object.keys(s.state().kube.clusters['kind-dev']!.images!).sort()).toEqual(['todo-backend:t1', 'todo-frontend:t1']);
    expect(s.state().kube.clusters['kind-other']!.images).toBeUndefined();
    expect(await runPod(s, 'kind-dev', 'todo-frontend:t1')).toMatchObject({ phase: 'Running', state: { running: {} } });
    expect(await runPod(s, 'kind-dev', 'docker.io/library/todo-backend:t1', 'Never')).toMatchObject({ phase: 'Running' });
    expect((await runPod(s, 'kind-other', 'todo-frontend:t1')).state.waiting!.reason).toBe('ImagePullBackOff');

    const again = await s.exec('kind', ['load', 'docker-image', 'todo-frontend:t1', '--name', 'dev']);
    expect(again).toMatchObject({ exitCode: 0, stderr: `Image: "todo-frontend:t1" with ID "${id}" found to be already present on all nodes.\n` });
    const [first, second] = s.calls().filter((c) => c.tool === 'kind');
    expect([first!.mutating, first!.changed, second!.mutating, second!.changed]).toEqual([true, true, true, false]);
  });

  it('fails as kind does: an image not on the host, a cluster without nodes; the default name is "kind"', async () => {
    const s = await withClusters({ clusters: { 'kind-dev': {} } });
    await build(s, { frontend: 'todo-frontend:t1' });
    expect(await s.exec('kind', ['load', 'docker-image', 'todo-frontend:t1', 'todo-backend:nope', '--name', 'dev'])).toMatchObject({ exitCode: 1, stdout: '', stderr: 'ERROR: image: "todo-backend:nope" not present locally\n' });
    expect(await s.exec('kind', ['load', 'docker-image', 'todo-frontend:t1', '--name', 'prod'])).toMatchObject({ exitCode: 1, stderr: 'ERROR: no nodes found for cluster "prod"\n' });
    expect(await s.exec('kind', ['load', 'docker-image', 'todo-frontend:t1'])).toMatchObject({ exitCode: 1, stderr: 'ERROR: no nodes found for cluster "kind"\n' });
    expect(s.state().kube.clusters['kind-dev']!.images).toBeUndefined();
    expect((await s.exec('kind', ['version'])).stdout).toBe('kind v0.29.0 go1.24.2 linux/amd64\n');
  });

  it('missing: kind and k3d are absent like any tool; a loaded image of another architecture runs into exec format error', async () => {
    const gone = await withClusters({ clusters: { 'kind-dev': {} }, missing: ['kind', 'k3d'] });
    for (const tool of ['kind', 'k3d'] as const) {
      const error = await new Promise<NodeJS.ErrnoException>((resolve) => spawn(tool, ['version'], { env: gone.env }).on('error', resolve));
      expect(error.code).toBe('ENOENT');
    }
    const s = await withClusters({ clusters: { 'kind-dev': { nodes: [{ name: 'dev-control-plane', architecture: 'arm64' }] } } });
    await build(s, { frontend: 'todo-frontend:t1' }, 'linux/amd64');
    expect((await s.exec('kind', ['load', 'docker-image', 'todo-frontend:t1', '--name', 'dev'])).exitCode).toBe(0);
    const never = await runPod(s, 'kind-dev', 'todo-frontend:t1', 'IfNotPresent', 'Never');
    expect(never).toMatchObject({ phase: 'Failed', state: { terminated: { exitCode: 255 } } });
  });
});

describe.concurrent('k3d image import', () => {
  const INFO = (message: string) => `\x1b[36mINFO\x1b[0m[`;
  it('imports into the cluster whose context is k3d-<name>, logging as k3d does; a missing image is only warned about', async () => {
    const s = await withClusters({ clusters: { 'k3d-dev': {} } });
    await build(s, { frontend: 'todo-frontend:t1', backend: 'todo-backend:t1' });
    const r = await s.exec('k3d', ['image', 'import', 'todo-frontend:t1', 'todo-backend:t1', '--cluster', 'dev']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`\x1b[36mINFO\x1b[0m[0000] ${"Importing image(s) into cluster 'dev'".padEnd(44)} `);
    expect(lines).toContainEqual(expect.stringMatching(/^\x1b\[36mINFO\x1b\[0m\[0001\] Importing images from tarball '\/k3d\/images\/k3d-dev-images-\d{14}\.tar' into node 'k3d-dev-server-0'\.\.\. $/));
    expect(lines.at(-1)).toContain('Successfully imported 2 image(s) into 1 cluster(s)');
    expect(lines.every((l) => l.startsWith(INFO('')))).toBe(true);
    expect(Object.keys(s.state().kube.clusters['k3d-dev']!.images!).sort()).toEqual(['todo-backend:t1', 'todo-frontend:t1']);
    expect(await runPod(s, 'k3d-dev', 'todo-backend:t1')).toMatchObject({ phase: 'Running' });

    const partly = await s.exec('k3d', ['image', 'import', 'todo-frontend:t1', 'todo-frontend:nope', '--cluster', 'dev']);
    expect(partly.exitCode).toBe(0);
    expect(partly.stderr).toBe(`\x1b[33mWARN\x1b[0m[0000] Image 'todo-frontend:nope' is not a file and couldn't be found in the container runtime \n`);
    expect(s.calls().filter((c) => c.tool === 'k3d').map((c) => c.changed)).toEqual([true, false]);
  });

  it('fails as k3d does: an unknown cluster is fatal, no image found is an error for that cluster', async () => {
    const s = await withClusters({ clusters: { 'k3d-dev': {} } });
    await build(s, { frontend: 'todo-frontend:t1' });
    expect(await s.exec('k3d', ['image', 'import', 'todo-frontend:t1', '--cluster', 'prod'])).toMatchObject({ exitCode: 1, stdout: '', stderr: "\x1b[31mFATA\x1b[0m[0000] failed to get cluster prod: No nodes found for given cluster \n" });
    expect(await s.exec('k3d', ['image', 'import', 'todo-frontend:t1'])).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('failed to get cluster k3s-default: No nodes found for given cluster') });
    const none = await s.exec('k3d', ['image', 'import', 'todo-backend:t1', '--cluster', 'dev']);
    expect(none.exitCode).toBe(1);
    expect(none.stderr.split('\n').slice(0, 3)).toEqual([
      `\x1b[33mWARN\x1b[0m[0000] Image 'todo-backend:t1' is not a file and couldn't be found in the container runtime `,
      `\x1b[31mERRO\x1b[0m[0000] Failed to import image(s) into cluster 'dev': no valid images specified `,
      `\x1b[33mWARN\x1b[0m[0002] At least one error occured while trying to import the image(s) into the selected cluster(s) `,
    ]);
    expect(s.state().kube.clusters['k3d-dev']!.images).toBeUndefined();
    expect((await s.exec('k3d', ['version'])).stdout).toBe('k3d version v5.8.3\nk3s version v1.31.5-k3s1 (default)\n');
  });
});

describe.concurrent('Minikube and Docker Desktop', () => {
  it("minikube image load puts the host's images in the profile's store, where its pods find them", async () => {
    const s = await withClusters({ minikube: { profiles: { dev: {} } } });
    await build(s, { frontend: 'todo-frontend:t1' });
    expect((await runPod(s, 'dev', 'todo-frontend:t1')).state.waiting!.reason).toBe('ImagePullBackOff');
    expect((await s.exec('minikube', ['image', 'load', 'todo-frontend:t1', '--profile', 'dev'])).exitCode).toBe(0);
    expect(Object.keys(s.state().docker.images['minikube/dev']!)).toEqual(['todo-frontend:t1']);
    expect(await runPod(s, 'dev', 'todo-frontend:t1')).toMatchObject({ phase: 'Running' });
  });

  it("docker-desktop's pods run the host daemon's images as they are; its node is docker-desktop", async () => {
    const s = await withClusters({ clusters: { 'docker-desktop': {}, 'k3d-dev': {} } });
    expect(s.state().kube.clusters['docker-desktop']).toMatchObject({ hostImages: true, nodes: [{ name: 'docker-desktop' }] });
    expect(s.state().kube.clusters['k3d-dev']!.nodes).toEqual([{ name: 'k3d-dev-server-0' }]);
    expect((await runPod(s, 'docker-desktop', 'todo-frontend:t1')).state.waiting!.reason).toBe('ImagePullBackOff');
    await build(s, { frontend: 'todo-frontend:t1' });
    expect(await runPod(s, 'docker-desktop', 'todo-frontend:t1', 'Never')).toMatchObject({ phase: 'Running' });
  });
});

const ingressList = (ingress: Record<string, unknown>, namespace = false) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      ...(namespace ? [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'app.kubernetes.io/managed-by': 'todo-deploy' } } }] : []),
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'todo-deploy', namespace: namespace ? 'shop' : 'todo', labels: { 'app.kubernetes.io/managed-by': 'todo-deploy' }, annotations: { 'todo-deploy.dev/spec': 'abc' } }, spec: ingress },
    ],
  });
const rules = (host = 'todo.example.com', path: Record<string, unknown> = {}) => ({
  ingressClassName: 'nginx',
  rules: [{ host, http: { paths: [{ path: '/api', pathType: 'Prefix', backend: { service: { name: 'backend', port: { number: 8000 } } }, ...path }, { path: '/', pathType: 'Prefix', backend: { service: { name: 'frontend', port: { number: 3000 } } } }] } }],
});
const loadBalancer = (name: string, port: number) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'todo', labels: { 'app.kubernetes.io/managed-by': 'todo-deploy' }, annotations: { 'todo-deploy.dev/spec': String(port) } }, spec: { type: 'LoadBalancer', selector: { 'app.kubernetes.io/name': name }, ports: [{ name: 'http', port, targetPort: 'http' }] } });
const getExposure = ['--namespace', 'todo', 'get', 'ingress/todo-deploy', 'service/frontend-public', 'service/backend-public', '--ignore-not-found', '--output', 'json'];

describe.concurrent('IngressClasses, Ingresses and LoadBalancer Services', () => {
  it('get ingressclass --output json: a List, the default one annotated; none by default', async () => {
    const s = await withClusters({ clusters: { 'kind-dev': { ingressClasses: [{ name: 'nginx', isDefault: true }, { name: 'traefik', controller: 'traefik.io/ingress-controller' }] }, 'kind-bare': {} } });
    const r = await s.exec('kubectl', ['--context', 'kind-dev', 'get', 'ingressclass', '--output', 'json']);
    expect(r.exitCode).toBe(0);
    const list = JSON.parse(r.stdout) as { kind: string; items: Array<{ apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec: { controller: string } }> };
    expect(list.kind).toBe('List');
    expect(list.items.map((c) => [c.apiVersion, c.kind, c.metadata.name, c.metadata.annotations, c.spec.controller])).toEqual([
      ['networking.k8s.io/v1', 'IngressClass', 'nginx', { 'ingressclass.kubernetes.io/is-default-class': 'true' }, 'k8s.io/ingress-nginx'],
      ['networking.k8s.io/v1', 'IngressClass', 'traefik', undefined, 'traefik.io/ingress-controller'],
    ]);
    const bare = await s.exec('kubectl', ['--context', 'kind-bare', 'get', 'ingressclass', '--output', 'json']);
    expect(JSON.parse(bare.stdout)).toEqual({ apiVersion: 'v1', items: [], kind: 'List', metadata: { resourceVersion: '' } });
    expect((await s.exec('kubectl', ['get', 'ingressclass', '--output', 'json'])).exitCode).toBe(98);
  });

  it('an Ingress: server-side applied in a List with its namespace, read back with its annotations among missing objects, deleted without waiting', async () => {
    const s = await withClusters({ clusters: { 'kind-dev': {} } });
    expect((await s.exec('kubectl', ['--context', 'kind-dev', ...getExposure])).stdout).toBe('');
    const r = await s.exec('kubectl', apply('kind-dev'), { input: ingressList(rules(), true) });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'namespace/shop serverside-applied\ningress.networking.k8s.io/todo-deploy serverside-applied\n' });
    const got = await s.exec('kubectl', ['--context', 'kind-dev', '--namespace', 'shop', ...getExposure.slice(2)]);
    const list = JSON.parse(got.stdout) as { kind: string; items: Array<{ kind: string; metadata: { name: string; annotations: Record<string, string>; managedFields?: unknown }; spec: unknown; status: unknown }> };
    expect(list.kind).toBe('List');
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ kind: 'Ingress', metadata: { name: 'todo-deploy', annotations: { 'todo-deploy.dev/spec': 'abc' } }, spec: rules(), status: { loadBalancer: {} } });
    expect(list.items[0]!.metadata.managedFields).toBeUndefined();
    // The same again changes nothing; another spec does.
    await s.exec('kubectl', apply('kind-dev'), { input: ingressList(rules(), true) });
    await s.exec('kubectl', apply('kind-dev'), { input: ingressList(rules('todo.example.org'), true) });
    expect(s.calls().filter((c) => c.command === 'apply').map((c) => c.changed)).toEqual([true, false, true]);
    const del = await s.exec('kubectl', ['--context', 'kind-dev', '--namespace', 'shop', 'delete', 'ingress/todo-deploy', 'service/frontend-public', 'service/backend-public', '--ignore-not-found', '--wait=false']);
    expect(del).toMatchObject({ exitCode: 0, stdout: 'ingress.networking.k8s.io "todo-deploy" deleted from shop namespace\n' });
    expect(s.state().kube.clusters['kind-dev']!.ingresses).toEqual({});
  });

  it('an invalid Ingress is refused with the API server\'s words: a host that is not a DNS name, no pathType, a relative path', async () => {
    const s = await withClusters({ clusters: { 'kind-dev': {} } });
    const refused = async (spec: Record<string, unknown>) => (await s.exec('kubectl', apply('kind-dev'), { input: ingressList(spec) })).stderr;
    expect(await refused(rules('Todo.example.com'))).toBe(
      `The Ingress "todo-deploy" is invalid: spec.rules[0].host: Invalid value: "Todo.example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n`,
    );
    expect(await refused(rules('127.0.0.1'))).toBe('The Ingress "todo-deploy" is invalid: spec.rules[0].host: Invalid value: "127.0.0.1": must be a DNS name, not an IP address\n');
    expect(await refused(rules(undefined, { pathType: undefined }))).toBe('The Ingress "todo-deploy" is invalid: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified\n');
    expect(await refused(rules(undefined, { path: 'api' }))).toBe('The Ingress "todo-deploy" is invalid: spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path\n');
    expect(s.state().kube.clusters['kind-dev']!.ingresses ?? {}).toEqual({});
  });

  it('LoadBalancer Services: node ports allocated and kept; pending without a controller, the chosen address with one', async () => {
    const s = await withClusters({ clusters: { 'kind-dev': {} } });
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [loadBalancer('frontend-public', 3000), loadBalancer('backend-public', 8000)] });
    expect(await s.exec('kubectl', apply('kind-dev'), { input: list })).toMatchObject({ exitCode: 0, stdout: 'service/frontend-public serverside-applied\nservice/backend-public serverside-applied\n' });
    const read = async () => JSON.parse((await s.exec('kubectl', ['--context', 'kind-dev', ...getExposure])).stdout).items as Array<{ metadata: { name: string; annotations: Record<string, string> }; spec: { type: string; ports: Array<{ port: number; targetPort: unknown; nodePort: number }> }; status: { loadBalancer: { ingress?: Array<{ ip: string }> } } }>;
    const pending = await read();
    expect(pending.map((o) => [o.metadata.name, o.metadata.annotations['todo-deploy.dev/spec'], o.spec.type, o.spec.ports[0]!.port, o.spec.ports[0]!.targetPort, o.status])).toEqual([
      ['frontend-public', '3000', 'LoadBalancer', 3000, 'http', { loadBalancer: {} }],
      ['backend-public', '8000', 'LoadBalancer', 8000, 'http', { loadBalancer: {} }],
    ]);
    const nodePorts = pending.map((o) => o.spec.ports[0]!.nodePort);
    for (const p of nodePorts) expect(p).toBeGreaterThanOrEqual(30000);
    expect(new Set(nodePorts).size).toBe(2);
    s.update((st) => {
      st.kube.clusters['kind-dev']!.loadBalancer = { ip: '198.51.100.20' };
    });
    const served = await read();
    expect(served.map((o) => o.status.loadBalancer.ingress)).toEqual([[{ ip: '198.51.100.20', ipMode: 'VIP' }], [{ ip: '198.51.100.20', ipMode: 'VIP' }]]);
    expect(served.map((o) => o.spec.ports[0]!.nodePort)).toEqual(nodePorts);
    await s.exec('kubectl', apply('kind-dev'), { input: list });
    expect(s.calls().filter((c) => c.command === 'apply').map((c) => c.changed)).toEqual([true, false]);
    const del = await s.exec('kubectl', ['--context', 'kind-dev', '--namespace', 'todo', 'delete', 'ingress/todo-deploy', 'service/frontend-public', 'service/backend-public', '--ignore-not-found', '--wait=false']);
    expect(del.stdout).toBe('service "frontend-public" deleted from todo namespace\nservice "backend-public" deleted from todo namespace\n');
  });

  it("Docker Desktop's LoadBalancer Services are published on localhost (a hostname, no ip)", async () => {
    const s = await withClusters({ clusters: { 'docker-desktop': {} } });
    expect((await s.exec('kubectl', apply('docker-desktop'), { input: JSON.stringify(loadBalancer('frontend-public', 3000)) })).exitCode).toBe(0);
    const got = JSON.parse((await s.exec('kubectl', ['--context', 'docker-desktop', '--namespace', 'todo', 'get', 'service', 'frontend-public', '--output', 'json'])).stdout) as { status: unknown };
    expect(got.status).toEqual({ loadBalancer: { ingress: [{ hostname: 'localhost' }] } });
  });
});
