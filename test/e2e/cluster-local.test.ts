// The cluster target on a cluster of this machine, end to end against the simulated tools: no
// registry, so the images are built on the user's own Docker for the nodes' platform and loaded
// into the cluster (kind load docker-image, k3d image import, minikube image load; Docker
// Desktop runs this machine's images as they are); and how the app is reached there: an Ingress
// on cluster.host, LoadBalancer Services, or port-forward (design/cluster-target.md).
//
// The app's HTTP servers (app-fixture.ts) stand behind the Services: `kubectl port-forward`
// listens on the nodePort numbers (other free ports than the servers') and pipes to them
// (serviceTargets). The CORS check is off there: the fixture's backend allows the servers' own
// origin, not the forwarded one. An Ingress host or a load balancer address cannot be reached
// from this machine (no name resolves to it), so those tests turn the app checks off and assert
// the objects, the URLs and the backend URL baked into the frontend instead.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CallRecord, SimOptions } from '../sim/harness.js';
import { assertSafe, useScenarios, type Scenario } from './up-fixture.js';
import { freeForwardPort } from './app-fixture.js';

const scenario = useScenarios();

/** A port in the NodePort range nothing listens on now: `kubectl port-forward` listens there. */

const ALL_CHECKS_OFF = { ui: false, backendUrl: false, apiDocs: false, cors: false, auth: false };

interface ClusterOptions {
  sim: SimOptions;
  context: string;
  /** Lines under `cluster:` (besides its context), e.g. { host: 'todo.example.com' }. */
  cluster?: Record<string, string>;
  /** Other top-level keys of todo-deploy.yaml. */
  yaml?: string;
  /** Under `timeouts:` besides verify: 5s. */
  timeouts?: Record<string, string>;
  checks?: Record<string, boolean>;
  /** 'app': the Services' ports (frontend.port, backend.port) are the app's servers' own, not 3000 and 8000. */
  servicePorts?: 'app';
}

type ClusterScenario = Scenario & { ports: { frontend: number; backend: number } };

/** A cluster-target checkout: todo-deploy.yaml names the context; the Services lead to the app's servers. */
async function onCluster({ sim, context, cluster = {}, yaml = '', timeouts = {}, checks = { cors: false }, servicePorts }: ClusterOptions): Promise<ClusterScenario> {
  const s = await scenario({ minikube: 'absent', ...sim });
  const frontend = await freeForwardPort([s.app.ports.frontend, s.app.ports.backend]);
  const ports = { frontend, backend: await freeForwardPort([s.app.ports.frontend, s.app.ports.backend, frontend]) };
  const port = servicePorts === 'app' ? s.app.ports : undefined;
  const lines = [
    'target: cluster',
    'cluster:',
    `  context: ${context}`,
    ...Object.entries(cluster).map(([k, v]) => `  ${k}: ${v}`),
    'timeouts:',
    '  verify: 5s',
    ...Object.entries(timeouts).map(([k, v]) => `  ${k}: ${v}`),
    `frontend:\n  nodePort: ${ports.frontend}${port ? `\n  port: ${port.frontend}` : ''}`,
    `backend:\n  nodePort: ${ports.backend}${port ? `\n  port: ${port.backend}` : ''}`,
    ...(Object.keys(checks).length > 0 ? ['checks:', ...Object.entries(checks).map(([k, v]) => `  ${k}: ${v}`)] : []),
  ];
  s.app.write('todo-deploy.yaml', `${lines.join('\n')}\n${yaml}`);
  s.sim.update((state) => {
    const c = state.kube.clusters[state.kube.contexts[context]!.cluster]!;
    c.serviceTargets = { 'todo/frontend': `127.0.0.1:${s.app.ports.frontend}`, 'todo/backend': `127.0.0.1:${s.app.ports.backend}` };
  });
  return { ...s, ports };
}

const line = (c: CallRecord) => `${c.tool} ${c.argv.join(' ')}`;
const mutating = (calls: CallRecord[]) => calls.filter((c) => c.mutating).map(line);
const builds = (calls: CallRecord[]) => calls.filter((c) => c.tool === 'docker' && c.command === 'build');
const loads = (calls: CallRecord[]) => calls.filter((c) => ['load docker-image', 'image import', 'image load'].includes(c.command));
/** The kubectl apply calls' objects (the List they sent on stdin). */
const applied = (calls: CallRecord[]) =>
  calls.filter((c) => c.tool === 'kubectl' && c.command === 'apply').flatMap((c) => {
    const doc = JSON.parse(c.stdin) as { kind: string; items?: Array<{ kind: string; metadata: { name: string } }> };
    return doc.kind === 'List' ? doc.items! : [doc as { kind: string; metadata: { name: string } }];
  });
const bakedBackendUrl = (calls: CallRecord[]) => builds(calls).flatMap((c) => c.argv.map((a) => /^NEXT_PUBLIC_BACKEND_URL=(.*)$/.exec(a)?.[1]).filter(Boolean))[0];
const refOf = (argv: string[], repo: string) => argv.find((a) => a.startsWith(`${repo}:`))!;
/** The refs the builds among these calls tagged: [frontend, backend]. */
const builtRefs = (calls: CallRecord[]) => ['todo-frontend', 'todo-backend'].map((repo) => refOf(builds(calls).find((b) => b.argv.some((a) => a.startsWith(`${repo}:`)))!.argv, repo)) as [string, string];

describe('the cluster target on a kind cluster: images loaded, no registry', () => {
  it('builds for the nodes\' platform on the user\'s Docker, loads both images, deploys them by tag; a re-run changes nothing; a backend change loads only the backend', async () => {
    const s = await onCluster({ sim: { clusters: { 'kind-dev': { nodes: [{ name: 'dev-control-plane', architecture: 'arm64' }] } } }, context: 'kind-dev' });
    const first = await s.up(['--yes']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toContain('✔ Choose where the images go: built here for linux/arm64, loaded into kind cluster "dev"');
    expect(first.stdout).toContain(`App       http://localhost:${s.ports.frontend}`);
    assertSafe(s.sim, first.stdout + first.stderr);

    const calls = s.sim.calls();
    // Built by the user's own daemon (no DOCKER_HOST), for the arm64 node.
    expect(builds(calls)).toHaveLength(2);
    for (const b of builds(calls)) {
      expect(b.env.DOCKER_HOST).toBeUndefined();
      expect(b.argv.join(' ')).toContain('--platform linux/arm64');
      // docker 28 builds through buildx: without the provenance attestation `kind load` cannot import.
      expect(b.argv).toContain('--provenance=false');
    }
    const [frontendRef, backendRef] = builtRefs(calls);
    // One kind load of both, into cluster "dev" (the context kind-dev); no push, no probe pod.
    expect(loads(calls).map(line)).toEqual([`kind load docker-image ${frontendRef} ${backendRef} --name dev`]);
    expect(calls.filter((c) => c.tool === 'docker' && c.command === 'push')).toEqual([]);
    expect(applied(calls).filter((o) => o.kind === 'Pod')).toEqual([]);
    expect(calls.some((c) => c.tool === 'kubectl' && c.argv.includes('todo-deploy.dev/probe=pull,todo-deploy.dev/service=frontend'))).toBe(false);
    // The images are in the cluster's nodes, for their platform; the releases run them by tag, no digest.
    const cluster = s.sim.state().kube.clusters['kind-dev']!;
    expect(Object.keys(cluster.images ?? {}).sort()).toEqual([backendRef, frontendRef]);
    expect(cluster.images![frontendRef]!.platform).toBe('linux/arm64');
    const releases = s.sim.state().helm.releases['kind-dev']!;
    for (const [release, ref] of [['frontend', frontendRef], ['backend', backendRef]] as const) {
      const image = releases[`todo/${release}`]!.at(-1)!.values.image as Record<string, unknown>;
      expect(image).toEqual({ repository: ref.split(':')[0], tag: ref.split(':')[1], pullPolicy: 'IfNotPresent' });
    }
    const pods = await s.sim.exec('kubectl', ['--context', 'kind-dev', '--namespace', 'todo', 'get', 'pods', '--output', 'json']);
    const items = JSON.parse(pods.stdout).items as Array<{ metadata: { labels: Record<string, string> }; status: { phase: string; containerStatuses: Array<{ ready: boolean }> } }>;
    expect(items.map((p) => [p.metadata.labels['app.kubernetes.io/instance'], p.status.phase, p.status.containerStatuses[0]!.ready]).sort()).toEqual([
      ['backend', 'Running', true],
      ['frontend', 'Running', true],
      ['frontend', 'Running', true],
    ]);

    // Again: the releases run those tags, so nothing is loaded, built or changed.
    let mark = s.sim.calls().length;
    const second = await s.up(['--yes']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toContain('Nothing changed');
    expect(mutating(s.callsSince(mark))).toEqual([]);
    expect(loads(s.callsSince(mark))).toEqual([]);

    // A backend change: built and loaded alone.
    s.app.write('backend/main.py', 'from fastapi import FastAPI\napp = FastAPI(title="changed")\n');
    mark = s.sim.calls().length;
    const third = await s.up(['--yes']);
    expect(third.exitCode, third.stderr).toBe(0);
    const rebuilt = builds(s.callsSince(mark));
    expect(rebuilt).toHaveLength(1);
    const newBackend = refOf(rebuilt[0]!.argv, 'todo-backend');
    expect(newBackend).not.toBe(backendRef);
    expect(loads(s.callsSince(mark)).map(line)).toEqual([`kind load docker-image ${newBackend} --name dev`]);
    expect(s.sim.state().helm.releases['kind-dev']!['todo/backend']!.at(-1)!.values.image).toMatchObject({ tag: newBackend.split(':')[1] });
    expect(s.sim.state().helm.releases['kind-dev']!['todo/frontend']!).toHaveLength(1);
  });

  it('without kind on PATH: exit 3, with the install hint and --registry as the other way, before any build', async () => {
    const s = await onCluster({ sim: { clusters: { 'kind-dev': {} }, missing: ['kind'] }, context: 'kind-dev' });
    const r = await s.up(['--yes']);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toContain('✖ Choose where the images go: kind was not found on PATH.');
    expect(builds(s.sim.calls())).toEqual([]);
    expect(r.stderr).toContain('Install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), or pass --registry to push the images instead of loading them.');
    expect(s.sim.calls().filter((c) => c.tool === 'helm' && c.command === 'upgrade')).toEqual([]);
    assertSafe(s.sim, r.stdout + r.stderr);
  });
});

describe('the cluster target on other clusters of this machine', () => {
  it('k3d: k3d image import of both images into the cluster the context k3d-dev names', async () => {
    const s = await onCluster({ sim: { clusters: { 'k3d-dev': {} } }, context: 'k3d-dev' });
    const r = await s.up(['--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    const calls = s.sim.calls();
    const [frontendRef, backendRef] = builtRefs(calls);
    expect(loads(calls).map(line)).toEqual([`k3d image import ${frontendRef} ${backendRef} --cluster dev`]);
    expect(Object.keys(s.sim.state().kube.clusters['k3d-dev']!.images ?? {}).sort()).toEqual([backendRef, frontendRef]);
    expect(calls.filter((c) => c.tool === 'docker' && c.command === 'push')).toEqual([]);
    assertSafe(s.sim, r.stdout + r.stderr);
  });

  it("a Minikube profile's context: minikube image load into the profile, no other minikube call", async () => {
    const s = await onCluster({ sim: { minikube: { profiles: { dev: {} } } }, context: 'dev', yaml: 'minikube:\n  profile: dev\n' });
    const r = await s.up(['--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    const calls = s.sim.calls();
    const [frontendRef, backendRef] = builtRefs(calls);
    expect(loads(calls).map(line)).toEqual([`minikube image load ${frontendRef} ${backendRef} --profile dev`]);
    expect(calls.filter((c) => c.tool === 'minikube').map(line)).toEqual(loads(calls).map(line));
    // Built on the user's daemon, loaded into the profile's.
    for (const b of builds(calls)) expect(b.env.DOCKER_HOST).toBeUndefined();
    expect(Object.keys(s.sim.state().docker.images['minikube/dev'] ?? {}).sort()).toEqual([backendRef, frontendRef]);
    assertSafe(s.sim, r.stdout + r.stderr);
  });

  it('docker-desktop: nothing loaded, its Kubernetes runs the images of this machine\'s Docker by tag', async () => {
    const s = await onCluster({ sim: { clusters: { 'docker-desktop': {} } }, context: 'docker-desktop' });
    const r = await s.up(['--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    const calls = s.sim.calls();
    expect(loads(calls)).toEqual([]);
    expect(calls.filter((c) => c.tool === 'docker' && c.command === 'push')).toEqual([]);
    expect(r.stderr).toContain('shared with Docker Desktop');
    const [, backendRef] = builtRefs(calls);
    expect(s.sim.state().helm.releases['docker-desktop']!['todo/backend']!.at(-1)!.values.image).toEqual({ repository: 'todo-backend', tag: backendRef.split(':')[1], pullPolicy: 'IfNotPresent' });
    assertSafe(s.sim, r.stdout + r.stderr);
  });
});

const HOST = 'todo.example.com';
const ingressCluster = (extra: Record<string, unknown> = {}) => ({ clusters: { 'kind-dev': { ingressClasses: [{ name: 'traefik' }, { name: 'nginx', isDefault: true }], ...extra } } });

describe('the cluster target behind an Ingress on cluster.host', () => {
  it('applies the Ingress (with the namespace), bakes and prints its URL, re-applies nothing; status and open show it; teardown deletes it', async () => {
    const s = await onCluster({ sim: ingressCluster(), context: 'kind-dev', cluster: { host: HOST }, checks: ALL_CHECKS_OFF });
    const first = await s.up(['--yes']);
    expect(first.exitCode, first.stderr).toBe(0);
    assertSafe(s.sim, first.stdout + first.stderr);
    const calls = s.sim.calls();
    // The namespace did not exist yet: it comes in the same List, before the Ingress.
    const exposeApply = calls.find((c) => c.tool === 'kubectl' && c.command === 'apply' && c.stdin.includes('"Ingress"'))!;
    expect(exposeApply.argv).toEqual(['--context', 'kind-dev', 'apply', '--server-side', '--field-manager=todo-deploy', '--force-conflicts', '--filename', '-']);
    const list = JSON.parse(exposeApply.stdin) as { items: Array<{ kind: string; metadata: { name: string; namespace?: string }; spec?: any }> };
    expect(list.items.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/todo', 'Ingress/todo-deploy']);
    const ingress = s.sim.state().kube.clusters['kind-dev']!.ingresses!['todo/todo-deploy']!;
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.rules).toHaveLength(1);
    expect(ingress.spec.rules![0]!.host).toBe(HOST);
    expect(ingress.spec.rules![0]!.http!.paths.map((p) => [p.path, p.pathType, p.backend.service!.name, p.backend.service!.port.number])).toEqual([
      ['/api/auth', 'Prefix', 'frontend', 3000],
      ['/api', 'Prefix', 'backend', 8000],
      ['/docs', 'Exact', 'backend', 8000],
      ['/openapi.json', 'Exact', 'backend', 8000],
      ['/', 'Prefix', 'frontend', 3000],
    ]);
    // One origin: the frontend calls the API on the Ingress's host.
    expect(bakedBackendUrl(calls)).toBe(`http://${HOST}`);
    expect(first.stdout).toContain(`App       http://${HOST}`);
    expect(first.stdout).toContain(`API docs  http://${HOST}/docs`);
    // Health is still checked on each service, through a port-forward.
    expect(first.stderr).toContain(`http://localhost:${s.ports.frontend}/api/health → 200`);
    expect(first.stderr).toContain(`http://localhost:${s.ports.backend}/api/health → 200`);
    expect(calls.filter((c) => c.command === 'port-forward').map((c) => c.argv.slice(5, 7).join(' ')).sort()).toEqual([`service/backend ${s.ports.backend}:8000`, `service/frontend ${s.ports.frontend}:3000`]);

    const mark = s.sim.calls().length;
    const second = await s.up(['--yes']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(mutating(s.callsSince(mark))).toEqual([]);
    expect(second.stdout).toContain(`App       http://${HOST}`);

    const status = await s.cli(['status']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toContain(`App       http://${HOST}`);
    expect(status.stdout).toContain(`API docs  http://${HOST}/docs`);
    const openMark = s.sim.calls().length;
    const open = await s.cli(['open']);
    expect([open.exitCode, open.timedOut], open.stderr).toEqual([0, false]);
    expect(open.stdout).toContain(`http://${HOST}`);
    expect(open.stdout).toContain('served by the Ingress or LoadBalancers of the cluster');
    expect(s.callsSince(openMark).filter((c) => c.command === 'port-forward')).toEqual([]);

    const down = await s.cli(['teardown', '--yes']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stdout).toContain('Ingress todo/todo-deploy');
    expect(s.sim.calls().filter((c) => c.tool === 'kubectl' && c.command === 'delete').map(line)).toContainEqual('kubectl --context kind-dev --namespace todo delete ingress/todo-deploy --ignore-not-found --wait=false');
    expect(s.sim.state().kube.clusters['kind-dev']!.ingresses).toEqual({});
  });

  it('cluster.expose: ingress without cluster.host → exit 2; with a host on a cluster without an IngressClass → exit 3; both before any build', async () => {
    const noHost = await onCluster({ sim: ingressCluster(), context: 'kind-dev', cluster: { expose: 'ingress' } });
    const r1 = await noHost.up(['--yes']);
    expect(r1.exitCode, r1.stderr).toBe(2);
    expect(r1.stderr).toContain('cluster.expose is ingress, but cluster.host is empty');
    expect(builds(noHost.sim.calls())).toEqual([]);

    const noClass = await onCluster({ sim: { clusters: { 'kind-dev': {} } }, context: 'kind-dev', cluster: { expose: 'ingress', host: HOST } });
    const r2 = await noClass.up(['--yes']);
    expect(r2.exitCode, r2.stderr).toBe(3);
    expect(r2.stderr).toContain('has no IngressClass (no ingress controller)');
    expect(builds(noClass.sim.calls())).toEqual([]);
    expect(noClass.sim.calls().filter((c) => c.tool === 'helm' && c.command === 'upgrade')).toEqual([]);
  });
});

describe('the cluster target behind LoadBalancer Services', () => {
  const IP = '198.51.100.20';

  it('with a load balancer controller: two <release>-public Services, their addresses baked and printed', async () => {
    const s = await onCluster({ sim: { clusters: { 'kind-dev': { loadBalancer: { ip: IP } } } }, context: 'kind-dev', cluster: { expose: 'loadbalancer' }, checks: ALL_CHECKS_OFF });
    const r = await s.up(['--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    assertSafe(s.sim, r.stdout + r.stderr);
    const calls = s.sim.calls();
    expect(applied(calls).filter((o) => o.kind === 'Service').map((o) => o.metadata.name)).toEqual(['frontend-public', 'backend-public']);
    const services = s.sim.state().kube.clusters['kind-dev']!.services;
    expect(services['todo/frontend-public']).toMatchObject({ type: 'LoadBalancer', ports: [{ port: 3000, targetPort: 'http' }] });
    expect(services['todo/backend-public']).toMatchObject({ type: 'LoadBalancer', ports: [{ port: 8000, targetPort: 'http' }] });
    expect(bakedBackendUrl(calls)).toBe(`http://${IP}:8000`);
    expect(r.stdout).toContain(`App       http://${IP}:3000`);
    expect(r.stdout).toContain(`API docs  http://${IP}:8000/docs`);
    const mark = s.sim.calls().length;
    const again = await s.up(['--yes']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(mutating(s.callsSince(mark))).toEqual([]);
    // The day-two commands read the addresses; open has nothing to forward.
    expect((await s.cli(['status'])).stdout).toContain(`App       http://${IP}:3000`);
    const open = await s.cli(['open']);
    expect([open.exitCode, open.timedOut]).toEqual([0, false]);
    expect(open.stdout).toContain(`http://${IP}:8000/docs`);
    const down = await s.cli(['teardown', '--yes']);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(Object.keys(s.sim.state().kube.clusters['kind-dev']!.services)).toEqual([]);
  });

  it("Docker Desktop's (localhost): every app check passes at the LoadBalancers' URLs, CORS included", async () => {
    // The Services' ports are the app's servers' own: Docker Desktop publishes each LoadBalancer on localhost at its port.
    const s = await onCluster({ sim: { clusters: { 'docker-desktop': {} } }, context: 'docker-desktop', cluster: { expose: 'loadbalancer' }, checks: {}, servicePorts: 'app' });
    const r = await s.up(['--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    const [front, back] = [`http://localhost:${s.app.ports.frontend}`, `http://localhost:${s.app.ports.backend}`];
    expect(bakedBackendUrl(s.sim.calls())).toBe(back);
    expect(r.stdout).toContain(`App       ${front}`);
    expect(r.stderr).toContain('app checks: 5 passed');
    expect(loads(s.sim.calls())).toEqual([]);
  });

  it('without one (as on kind): exit 1 "got no address within 2s", before any build or helm call', async () => {
    const s = await onCluster({ sim: { clusters: { 'kind-dev': {} } }, context: 'kind-dev', cluster: { expose: 'loadbalancer' }, timeouts: { expose: '2s' } });
    const r = await s.up(['--yes']);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain('got no address within 2s');
    const calls = s.sim.calls();
    expect(builds(calls)).toEqual([]);
    expect(calls.filter((c) => c.tool === 'helm' && c.command !== 'version' && c.command !== 'list' && c.command !== 'status')).toEqual([]);
  });
});

describe('switching how the app is reached', () => {
  it('from an Ingress to port-forward (cluster.host removed): the Ingress goes, and status shows the forwarded URLs', async () => {
    const s = await onCluster({ sim: ingressCluster(), context: 'kind-dev', cluster: { host: HOST }, checks: ALL_CHECKS_OFF });
    expect((await s.up(['--yes'])).exitCode).toBe(0);
    s.app.write('todo-deploy.yaml', readFileSync(join(s.app.dir, 'todo-deploy.yaml'), 'utf8').replace(`  host: ${HOST}\n`, ''));
    const r = await s.up(['--yes']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`App       http://localhost:${s.ports.frontend}`);
    const status = await s.cli(['status']);
    expect(status.stdout).toContain(`App       http://localhost:${s.ports.frontend}`);
    expect(s.sim.state().kube.clusters['kind-dev']!.ingresses ?? {}).toEqual({});
  });
});

describe('--dry-run on a cluster of this machine', () => {
  it('says what it would apply, build and load, each change once, and changes nothing', async () => {
    const s = await onCluster({ sim: ingressCluster(), context: 'kind-dev', cluster: { host: HOST }, checks: ALL_CHECKS_OFF });
    const r = await s.up(['--yes', '--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(mutating(s.sim.calls())).toEqual([]);
    expect(r.stdout).toContain(`App       http://${HOST}`);
    const would = /Would change: {2}(.*)/.exec(r.stdout)![1]!.split('; ');
    expect(would.filter((c) => c === 'create namespace todo')).toHaveLength(1);
    expect(would).toContain('apply Ingress/todo-deploy');
    expect(would.filter((c) => c.startsWith('load '))).toHaveLength(2);
    expect(r.stderr).toMatch(/Get the images to the cluster: todo-frontend:\w+ \(would load\), todo-backend:\w+ \(would load\)/);
    expect(r.stdout).toContain(`[dry-run] kind load docker-image`);
  });
});
