// The cluster target's push path, end to end against the simulator (design/cluster-target.md):
// an existing kube-context that is no cluster on this machine ("prod-eu"), images built with the
// user's own Docker for the nodes' platform, pushed to a registry, pulled by a probe pod and
// deployed by digest; the URLs served by kubectl port-forward. What a user sees and relies on:
// exit codes, messages, the calls made (each on the named context), and the simulated world.
// Loading into kind/k3d and Ingress/LoadBalancer exposure are cluster-local.test.ts's.
import { request } from 'node:http';
import { createServer } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createSim, dockerConfigJson, localRegistryHosting, type CallRecord, type ClusterState, type DeepPartial, type RegistryState, type Sim, type SimSnapshot } from '../sim/harness.js';
import { runCli, type CliResult, type RunCliOptions } from '../sim/run-cli.js';
import { appIn, createApp, freeForwardPort, secretValues, type App } from './app-fixture.js';
import { EVENT, waitUntilHeld } from './up-fixture.js';
import { processAlive } from '../../src/deployment/lock.js';

const CONTEXT = 'prod-eu';
const HOST = 'registry.example.com';
const REGISTRY = `${HOST}/todo`;
const TARGET = ['--target', 'cluster', '--context', CONTEXT, '--registry', REGISTRY];
/** The registry login the pull Secret is made from: neither the password nor docker's `auth` value may show anywhere. */
const LOGIN = { username: 'ci-bot', password: 'Rg7pXw2Lq9Zt4Vb8Nc3K' };
const LOGIN_AUTH = Buffer.from(`${LOGIN.username}:${LOGIN.password}`).toString('base64');
const LOGIN_FILE = 'registry-login.json';
const services = ['frontend', 'backend'] as const;
type Service = (typeof services)[number];

interface World {
  sim: Sim;
  app: App;
  /** The local ports kubectl port-forward serves (frontend.nodePort / backend.nodePort). */
  ports: Record<Service, number>;
  cli(args: string[], options?: Partial<RunCliOptions>): Promise<CliResult>;
  /** `up` on the cluster target, with --yes. */
  up(args?: string[], options?: Partial<RunCliOptions>): Promise<CliResult>;
}

interface WorldOptions {
  cluster?: DeepPartial<ClusterState>;
  registry?: Partial<RegistryState>;
  /** More todo-deploy.yaml. */
  yaml?: string;
  /** Leave frontend.nodePort and backend.nodePort at 30000/30001 (only for runs that forward nothing). */
  defaultPorts?: boolean;
  /** Write LOGIN_FILE, a Docker config JSON with a login for HOST. */
  loginFile?: boolean;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A free port in the NodePort range (the schema's) on 127.0.0.1, where kubectl port-forward will listen. */

function configText(ports: Record<Service, number> | undefined, yaml = ''): string {
  return [
    'timeouts:\n  verify: 5s\n',
    ports ? `frontend:\n  nodePort: ${ports.frontend}\nbackend:\n  nodePort: ${ports.backend}\n` : '',
    // The stand-in backend allows CORS from its own port only, not from the forwarded UI's.
    'checks:\n  cors: false\n',
    yaml,
  ].join('');
}

function worldOf(sim: Sim, app: App, ports: Record<Service, number>): World {
  const cli = (args: string[], extra: Partial<RunCliOptions> = {}) => runCli(args, { sim, cwd: app.dir, timeoutMs: 60_000, ...extra, env: { CI: 'true', ...extra.env } });
  return { sim, app, ports, cli, up: (args = [], extra = {}) => cli(['up', ...TARGET, '--yes', ...args], extra) };
}

/**
 * A machine with Minikube running (todo-deploy must leave it alone) and the kube-context
 * prod-eu of a remote cluster whose Services `kubectl port-forward` connects to the app's
 * stand-in HTTP servers (app-fixture.ts).
 */
async function newWorld(options: WorldOptions = {}): Promise<World> {
  const sim = await createSim({ clusters: { [CONTEXT]: options.cluster ?? {} }, ...(options.registry && { docker: { registries: { [HOST]: { repositories: {}, ...options.registry } } } }) });
  const app = await createApp(sim);
  const frontend = await freeForwardPort([app.ports.frontend, app.ports.backend]);
  const ports = { frontend, backend: await freeForwardPort([app.ports.frontend, app.ports.backend, frontend]) };
  app.write('todo-deploy.yaml', configText(options.defaultPorts ? undefined : ports, options.yaml));
  if (options.loginFile) app.write(LOGIN_FILE, dockerConfigJson({ [HOST]: LOGIN }));
  sim.update((s) => {
    s.kube.clusters[CONTEXT]!.serviceTargets = { 'todo/frontend': `127.0.0.1:${app.ports.frontend}`, 'todo/backend': `127.0.0.1:${app.ports.backend}` };
  });
  return worldOf(sim, app, options.defaultPorts ? { frontend: 30000, backend: 30001 } : ports);
}

async function world(options: WorldOptions = {}): Promise<World> {
  const w = await newWorld(options);
  cleanups.push(() => w.app.close(), () => w.sim.cleanup());
  return w;
}

/**
 * The shared deployment: a private registry (push needs `docker login`, pulls a pull Secret),
 * cluster.pullSecret set, prod-* protected; deployed once by `up --yes --verbose`. Each test gets
 * a copy of the world it left (call log included) and the first run's result; the stand-in
 * servers are shared, so this file's tests run one at a time (vitest's default in a file).
 */
const deployedYaml = `cluster:\n  pullSecret: ${LOGIN_FILE}\n  protectedContexts: ['prod-*', 'gke_*']\n`;
let template: Promise<{ snapshot: SimSnapshot; app: App; ports: Record<Service, number>; first: CliResult }> | undefined;
afterAll(async () => {
  const made = await template?.catch(() => undefined);
  if (made) await Promise.all([made.snapshot.cleanup(), made.app.close()]);
});

async function deployed(): Promise<World & { first: CliResult }> {
  template ??= (async () => {
    const w = await newWorld({ registry: { auth: true, loggedIn: true }, yaml: deployedYaml, loginFile: true });
    const first = await w.up(['--verbose']);
    const snapshot = w.sim.snapshot();
    await w.sim.cleanup();
    if (first.exitCode !== 0) {
      await Promise.all([snapshot.cleanup(), w.app.close()]);
      throw new Error(`the first up failed (exit ${first.exitCode}):\n${first.stderr}`);
    }
    return { snapshot, app: w.app, ports: w.ports, first };
  })();
  const { snapshot, app: servers, ports, first } = await template;
  const sim = await createSim({ from: snapshot });
  cleanups.push(() => sim.cleanup());
  servers.setHealth('frontend', 200);
  servers.setHealth('backend', 200);
  return { ...worldOf(sim, appIn(sim, servers), ports), first };
}

// ---------------------------------------------------------------------------------------------
// What the call log says

const line = (c: CallRecord) => `${c.tool} ${c.argv.join(' ')}`;
const ofTool = (calls: CallRecord[], tool: string, command?: string) => calls.filter((c) => c.tool === tool && (command === undefined || c.command === command));
/** Calls that talk to a cluster (not `kubectl version`/`config`, `helm version`). */
const clusterCalls = (calls: CallRecord[]) => calls.filter((c) => (c.tool === 'kubectl' && !/^(version|config)/.test(c.command)) || (c.tool === 'helm' && c.command !== 'version'));

/** Every kubectl call starts `--context prod-eu`, every helm call has `--kube-context prod-eu`; no minikube call; the simulator refused nothing. */
function assertOnContext(calls: CallRecord[], output: string, hidden: string[] = []): void {
  expect(ofTool(calls, 'minikube').map(line)).toEqual([]);
  for (const call of calls) {
    expect(call.unexpected || call.safety || call.internalError, `${line(call)}: ${call.stderr}`).toBeFalsy();
    for (const secret of [...secretValues, ...hidden]) expect(call.argv.join(' ')).not.toContain(secret);
  }
  for (const call of clusterCalls(calls)) {
    if (call.tool === 'kubectl') expect(call.argv.slice(0, 2), line(call)).toEqual(['--context', CONTEXT]);
    else expect(call.argv[call.argv.indexOf('--kube-context') + 1], line(call)).toBe(CONTEXT);
  }
  for (const secret of [...secretValues, ...hidden]) expect(output).not.toContain(secret);
}

/** The manifests piped to `kubectl apply` (a List's items, or one object). */
interface Manifest {
  kind: string;
  type?: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { imagePullSecrets?: unknown; containers?: Array<{ image: string; imagePullPolicy: string }> };
}
function applied(call: CallRecord): Manifest[] {
  const doc = JSON.parse(call.stdin) as Manifest & { items?: Manifest[] };
  return doc.kind === 'List' ? doc.items! : [doc];
}
const probeApplies = (calls: CallRecord[]) => ofTool(calls, 'kubectl', 'apply').filter((c) => applied(c).some((o) => o.kind === 'Pod'));
const probedService = (c: CallRecord) => applied(c)[0]!.metadata.name.replace('todo-deploy-pull-', '') as Service;
const imageOf = (values: Record<string, unknown>) => values.image as { repository: string; tag: string; digest?: string; pullPolicy: string };
const releasesOf = (sim: Sim) => sim.state().helm.releases[CONTEXT] ?? {};
const lastValues = (sim: Sim, service: Service) => releasesOf(sim)[`todo/${service}`]!.at(-1)!.values;
const registryDigest = (sim: Sim, repository: string, tag: string) => sim.state().docker.registries![HOST]!.repositories[repository]?.tags[tag];
const since = (sim: Sim, mark: number) => sim.calls().slice(mark);
const probePods = (sim: Sim) => Object.keys(sim.state().kube.clusters[CONTEXT]!.pods).filter((k) => k.includes('todo-deploy-pull-'));

/** Nothing was changed past the point where the run stopped: no helm upgrade, no probe pod left. */
function assertNoRollout(sim: Sim, calls: CallRecord[]): void {
  expect(ofTool(calls, 'helm', 'upgrade').map(line)).toEqual([]);
  expect(releasesOf(sim)).toEqual({});
  expect(probePods(sim)).toEqual([]);
}

// ---------------------------------------------------------------------------------------------

describe('up --target cluster: build here, push, probe, deploy by digest', () => {
  it('deploys to the named context only: builds for the nodes on this machine, pushes both images, proves the cluster pulls them, upgrades by digest, checks through port-forward', async () => {
    const { sim, first, ports } = await deployed();
    const output = first.stdout + first.stderr;
    expect(first.exitCode, first.stderr).toBe(0);
    const calls = sim.calls();
    assertOnContext(calls, output, [LOGIN.password, LOGIN_AUTH]);

    // Built with the user's own daemon (no DOCKER_HOST injected), for the nodes' platform.
    const builds = ofTool(calls, 'docker', 'build');
    expect(builds.map((b) => b.argv[b.argv.indexOf('--tag') + 1])).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${REGISTRY}/todo-frontend:[0-9a-f]{12}$`)), expect.stringMatching(new RegExp(`^${REGISTRY}/todo-backend:[0-9a-f]{12}$`))]));
    expect(builds).toHaveLength(2);
    for (const build of builds) {
      expect(build.argv[build.argv.indexOf('--platform') + 1]).toBe('linux/amd64');
      expect(build.env.DOCKER_HOST).toBeUndefined();
      expect(build.env.DOCKER_BUILDKIT).toBe('1');
    }
    expect(Object.keys(sim.state().docker.images.host!).filter((r) => r.startsWith(REGISTRY))).toHaveLength(2);
    // The frontend's bundle calls the backend at the URL the port-forward serves.
    const frontendBuild = builds.find((b) => b.argv.some((a) => a.includes('todo-frontend')))!;
    expect(frontendBuild.argv).toContain(`NEXT_PUBLIC_BACKEND_URL=http://localhost:${ports.backend}`);

    // Both pushed, after their build; each probe pod applied over stdin, then deleted, before any upgrade.
    const pushes = ofTool(calls, 'docker', 'push');
    expect(pushes.map((p) => p.argv[1]).sort()).toEqual(builds.map((b) => b.argv[b.argv.indexOf('--tag') + 1]).sort());
    const probes = probeApplies(calls);
    expect(probes.map(probedService).sort()).toEqual(['backend', 'frontend']);
    const upgrades = ofTool(calls, 'helm', 'upgrade');
    expect(upgrades.map((u) => u.argv[2]).sort()).toEqual(['backend', 'frontend']);
    const firstUpgrade = Math.min(...upgrades.map((u) => u.start));
    for (const probe of probes) {
      const service = probedService(probe);
      expect(probe.argv).toEqual(['--context', CONTEXT, '--namespace', 'todo', 'apply', '--server-side', '--field-manager=todo-deploy', '--force-conflicts', '--filename', '-']);
      const [pod] = applied(probe);
      const { repository, tag, digest } = imageOf(lastValues(sim, service));
      expect(pod!.spec!.containers![0]).toMatchObject({ image: `${repository}:${tag}@${digest}`, imagePullPolicy: 'Always' });
      expect(pod!.spec!.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
      const deletes = ofTool(calls, 'kubectl', 'delete').filter((d) => d.argv.includes(`todo-deploy-pull-${service}`) && d.start > probe.end);
      expect(deletes.map((d) => d.argv.slice(4))).toEqual([['delete', 'pod', `todo-deploy-pull-${service}`, '--wait=false']]);
      expect(deletes[0]!.end).toBeLessThan(firstUpgrade);
      expect(pushes.find((p) => p.argv[1]!.includes(`todo-${service}:`))!.end).toBeLessThan(probe.start);
    }
    expect(probePods(sim)).toEqual([]);

    // Deployed by the digest the registry holds, as ClusterIP Services, with the pull Secret.
    for (const service of services) {
      const values = lastValues(sim, service);
      const image = imageOf(values);
      expect(image.repository).toBe(`${REGISTRY}/todo-${service}`);
      expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(image.digest).toBe(registryDigest(sim, `todo/todo-${service}`, image.tag));
      expect(values.service).toMatchObject({ type: 'ClusterIP' });
      expect(values.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
      expect(releasesOf(sim)[`todo/${service}`]!.at(-1)).toMatchObject({ revision: 1, status: 'deployed' });
    }
    // The pods run what was pushed, pulled from the registry by the nodes.
    const nodeImages = Object.keys(sim.state().kube.clusters[CONTEXT]!.nodeImages ?? {});
    for (const service of services) expect(nodeImages).toContain(`${HOST}/todo/todo-${service}@${imageOf(lastValues(sim, service)).digest}`);
    // Nothing went to Minikube's cluster.
    expect(sim.state().helm.releases.minikube ?? {}).toEqual({});

    // Checked through port-forwards on the nodePort numbers, stopped once checked.
    const forwards = ofTool(calls, 'kubectl', 'port-forward');
    expect(forwards.map((f) => f.argv.slice(4)).sort()).toEqual([
      ['port-forward', 'service/backend', `${ports.backend}:8000`, '--address', '127.0.0.1'],
      ['port-forward', 'service/frontend', `${ports.frontend}:3000`, '--address', '127.0.0.1'],
    ]);
    for (const f of forwards) expect([130, 143]).toContain(f.exitCode);
    expect(first.stderr).toMatch(new RegExp(`✔ Verify rollouts and health: http://localhost:${ports.frontend}/api/health → 200, http://localhost:${ports.backend}/api/health → 200; app checks: 4 passed`));

    // What the user is told.
    expect(first.stdout).toMatch(new RegExp(`App {7}http://localhost:${ports.frontend} {3}${REGISTRY}/todo-frontend:[0-9a-f]{12}@sha256:[0-9a-f]{64}`));
    expect(first.stdout).toMatch(new RegExp(`API docs {2}http://localhost:${ports.backend}/docs {3}${REGISTRY}/todo-backend:[0-9a-f]{12}@sha256:[0-9a-f]{64}`));
    expect(first.stdout).toContain(`The URLs are served on this machine while \`todo-deploy open\` runs (kubectl port-forward to context "${CONTEXT}").`);
    expect(first.stdout).toContain('wrote registry-credentials');
    for (const phase of ['Connect to the cluster', 'Choose where the images go', 'Get the images to the cluster', 'Check the cluster can pull', 'Deploy with Helm']) expect(first.stderr).toContain(`✔ ${phase}`);
  });

  it('the image pull Secret is made from the Docker config file through stdin, its login in no argv and no output, even with --verbose', async () => {
    const { sim, first } = await deployed();
    expect(first.stderr).toContain('kubectl --context prod-eu apply'); // --verbose logs each command
    const writes = ofTool(sim.calls(), 'kubectl', 'apply').filter((c) => applied(c).some((o) => o.metadata.name === 'registry-credentials'));
    expect(writes).toHaveLength(1);
    const secret = applied(writes[0]!).find((o) => o.metadata.name === 'registry-credentials')!;
    expect(secret).toMatchObject({ kind: 'Secret', type: 'kubernetes.io/dockerconfigjson' });
    expect(JSON.parse(Buffer.from(secret.data!['.dockerconfigjson']!, 'base64').toString('utf8'))).toEqual({ auths: { [HOST]: { auth: LOGIN_AUTH } } });
    expect(writes[0]!.argv).toContain('-');
    const stored = sim.state().kube.clusters[CONTEXT]!.secrets['todo/registry-credentials']!;
    expect(stored.type).toBe('kubernetes.io/dockerconfigjson');
    assertOnContext(sim.calls(), first.stdout + first.stderr, [LOGIN.password, LOGIN_AUTH]);
  });

  it('a second up changes nothing; after a backend change only the backend is built, pushed, probed and upgraded', async () => {
    const { sim, app, up } = await deployed();
    let mark = sim.calls().length;
    const again = await up(['--json']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(since(sim, mark).filter((c) => c.mutating).map(line)).toEqual([]);
    const doc = JSON.parse(again.stdout) as { access: string; urls: Record<string, string>; images: Record<Service, string>; changes: string[] };
    expect(doc.access).toBe('port-forward');
    expect(doc.changes).toEqual([]);
    for (const service of services) {
      const { tag, digest } = imageOf(lastValues(sim, service));
      expect(doc.images[service]).toBe(`${REGISTRY}/todo-${service}:${tag}@${digest}`);
    }
    assertOnContext(since(sim, mark), again.stdout + again.stderr, [LOGIN.password, LOGIN_AUTH]);

    const before = imageOf(lastValues(sim, 'frontend'));
    app.write('backend/main.py', 'from fastapi import FastAPI\napp = FastAPI(title="v2")\n');
    mark = sim.calls().length;
    const changed = await up();
    expect(changed.exitCode, changed.stderr).toBe(0);
    const calls = since(sim, mark);
    expect(ofTool(calls, 'docker', 'build').map((c) => c.argv[c.argv.indexOf('--tag') + 1])).toEqual([expect.stringContaining(`${REGISTRY}/todo-backend:`)]);
    expect(ofTool(calls, 'docker', 'push').map((c) => c.argv[1])).toEqual([expect.stringContaining(`${REGISTRY}/todo-backend:`)]);
    expect(probeApplies(calls).map(probedService)).toEqual(['backend']);
    expect(ofTool(calls, 'kubectl', 'delete').every((c) => c.argv.includes('todo-deploy-pull-backend'))).toBe(true);
    expect(ofTool(calls, 'helm', 'upgrade').map((c) => c.argv[2])).toEqual(['backend']);
    expect(calls.filter((c) => c.mutating && c.argv.join(' ').includes('frontend')).map(line)).toEqual([]);
    expect(imageOf(lastValues(sim, 'frontend'))).toEqual(before);
    expect(releasesOf(sim)['todo/backend']!.map((r) => r.revision)).toEqual([1, 2]);
    const backend = imageOf(lastValues(sim, 'backend'));
    expect(backend.digest).toBe(registryDigest(sim, 'todo/todo-backend', backend.tag));
    assertOnContext(calls, changed.stdout + changed.stderr, [LOGIN.password, LOGIN_AUTH]);
  });
});

describe('up --target cluster: the cluster must be able to pull', () => {
  it('a private registry without cluster.pullSecret stops before any upgrade with the fix; with it, the Secret is made and both charts use it', async () => {
    const { sim, app, ports, up } = await world({ registry: { auth: true, loggedIn: true } });
    const refused = await up();
    expect(refused.exitCode, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/The cluster may not pull the (frontend|backend) image from registry\.example\.com: the registry refused it credentials\./);
    expect(refused.stderr).toContain('401 Unauthorized');
    expect(refused.stderr).toContain('set cluster.pullSecret in todo-deploy.yaml to a Docker config file with a login for registry.example.com');
    // Pushed (the user is logged in), not rolled out.
    expect(ofTool(sim.calls(), 'docker', 'push')).toHaveLength(2);
    assertNoRollout(sim, sim.calls());
    assertOnContext(sim.calls(), refused.stdout + refused.stderr);

    app.write(LOGIN_FILE, dockerConfigJson({ [HOST]: LOGIN }));
    app.write('todo-deploy.yaml', configText(ports, `cluster:\n  pullSecret: ${LOGIN_FILE}\n`));
    const mark = sim.calls().length;
    const fixed = await up(['--verbose']);
    expect(fixed.exitCode, fixed.stderr).toBe(0);
    const calls = since(sim, mark);
    const secretWrite = ofTool(calls, 'kubectl', 'apply').find((c) => applied(c).some((o) => o.metadata.name === 'registry-credentials'))!;
    expect(applied(secretWrite).find((o) => o.metadata.name === 'registry-credentials')).toMatchObject({ kind: 'Secret', type: 'kubernetes.io/dockerconfigjson' });
    expect(sim.state().kube.clusters[CONTEXT]!.secrets['todo/registry-credentials']!.type).toBe('kubernetes.io/dockerconfigjson');
    for (const service of services) expect(lastValues(sim, service).imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
    // Already pushed: nothing to push again; both probed, now with the Secret.
    expect(probeApplies(calls).map(probedService).sort()).toEqual(['backend', 'frontend']);
    assertOnContext(calls, fixed.stdout + fixed.stderr, [LOGIN.password, LOGIN_AUTH]);
  });

  it('an image the registry lost between the push and the probe: "found no … image", before any upgrade', async () => {
    const { sim, up } = await world();
    // The Secrets' apply held, the probes (which need the Secrets) wait while both images are pushed.
    sim.update((s) => {
      s.faults.hold = ['kubectl apply'];
    });
    const running = up();
    await waitUntilHeld(sim, ['kubectl apply'], 1);
    await vi.waitFor(() => expect(sim.calls().filter((c) => c.tool === 'docker' && c.command === 'push' && c.exitCode === 0)).toHaveLength(2), EVENT);
    sim.update((s) => {
      s.docker.registries![HOST]!.repositories = {};
    });
    sim.release('kubectl apply');
    const result = await running;
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`The cluster found no (frontend|backend) image ${REGISTRY}/todo-(frontend|backend):[0-9a-f]{12}@sha256:[0-9a-f]{64} in the registry\\.`));
    expect(result.stderr).toContain(': not found');
    expect(result.stderr).toContain('check that it is the registry this machine pushed to');
    assertNoRollout(sim, sim.calls());
    assertOnContext(sim.calls(), result.stdout + result.stderr);
  });

  it('nodes the user may not list: --platform is asked for; a wrong one is caught by the probe ("no build for the nodes\' platform"); the right one deploys', async () => {
    const { sim, up } = await world({ cluster: { forbidden: ['nodes'], user: 'deployer@example.com', nodes: [{ name: 'eu-arm-1', architecture: 'arm64' }] } });
    const unknown = await up();
    expect(unknown.exitCode, unknown.stderr).toBe(3);
    expect(unknown.stderr).toContain(`todo-deploy cannot read the nodes of "${CONTEXT}" to build for their platform`);
    expect(unknown.stderr).toContain('User "deployer@example.com" cannot list resource "nodes"');
    expect(unknown.stderr).toContain('Pass --platform');
    expect(ofTool(sim.calls(), 'docker', 'build')).toEqual([]);

    let mark = sim.calls().length;
    const wrong = await up(['--platform', 'linux/amd64']);
    expect(wrong.exitCode, wrong.stderr).toBe(1);
    expect(wrong.stderr).toMatch(/The (frontend|backend) image \S+ has no build for the nodes' platform\./);
    expect(wrong.stderr).toContain('exec format error');
    expect(ofTool(since(sim, mark), 'docker', 'build').map((b) => b.argv[b.argv.indexOf('--platform') + 1])).toEqual(['linux/amd64', 'linux/amd64']);
    assertNoRollout(sim, sim.calls());

    mark = sim.calls().length;
    const right = await up(['--platform', 'linux/arm64']);
    expect(right.exitCode, right.stderr).toBe(0);
    expect(ofTool(since(sim, mark), 'docker', 'build').map((b) => b.argv[b.argv.indexOf('--platform') + 1])).toEqual(['linux/arm64', 'linux/arm64']);
    for (const service of services) expect(releasesOf(sim)[`todo/${service}`]!.at(-1)).toMatchObject({ status: 'deployed' });
    assertOnContext(sim.calls(), right.stdout + right.stderr);
  });

  it('--platform the nodes do not run is refused before anything is built ("exec format error")', async () => {
    const { sim, up } = await world();
    const result = await up(['--platform', 'linux/arm64']);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain(`--platform linux/arm64, but the nodes of "${CONTEXT}" run linux/amd64: the pods would fail with "exec format error".`);
    expect(result.stderr).toContain('Pass --platform linux/amd64');
    expect(ofTool(sim.calls(), 'docker', 'build')).toEqual([]);
    expect(ofTool(sim.calls(), 'docker', 'push')).toEqual([]);
    expect(sim.calls().filter((c) => c.mutating).map(line)).toEqual([]);
  });
});


describe('up --target cluster: the registry', () => {
  it('a registry that refuses the connection, then one the user is not logged in to: each stops at the push with the fix, before any helm call', async () => {
    const { sim, up } = await world({ registry: { status: 'refused' } });
    const refused = await up();
    expect(refused.exitCode, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`The registry ${HOST} cannot be reached from this machine, so ${REGISTRY}/todo-(frontend|backend):[0-9a-f]{12} was not pushed\\.`));
    expect(refused.stderr).toContain('connect: connection refused');
    expect(ofTool(sim.calls(), 'helm').filter((c) => c.command !== 'version' && c.command !== 'status' && c.command !== 'list').map(line)).toEqual([]);
    assertNoRollout(sim, sim.calls());

    sim.update((s) => {
      Object.assign(s.docker.registries![HOST]!, { status: 'up', auth: true, loggedIn: false });
    });
    const mark = sim.calls().length;
    const anonymous = await up();
    expect(anonymous.exitCode, anonymous.stderr).toBe(1);
    expect(anonymous.stderr).toMatch(new RegExp(`The registry ${HOST} refused the push of ${REGISTRY}/todo-(frontend|backend):[0-9a-f]{12}: not logged in`));
    expect(anonymous.stderr).toContain(`Run \`docker login ${HOST}\``);
    expect(probeApplies(since(sim, mark))).toEqual([]);
    assertNoRollout(sim, sim.calls());
    assertOnContext(sim.calls(), refused.stdout + refused.stderr + anonymous.stdout + anonymous.stderr);
  });

  it('without --registry a remote context that advertises no registry is a usage error, before anything is built', async () => {
    const { sim, cli } = await world();
    const result = await cli(['up', '--target', 'cluster', '--context', CONTEXT, '--yes']);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain(`There is no registry to push the images to: --registry is not set, and the context "${CONTEXT}" advertises no local registry`);
    expect(result.stderr).toContain('Pass --registry');
    expect(ofTool(sim.calls(), 'docker', 'build')).toEqual([]);
    expect(sim.calls().filter((c) => c.mutating).map(line)).toEqual([]);
  });

  it("the cluster's advertised local registry (KEP-1755): pushed to its host, deployed from hostFromContainerRuntime", async () => {
    const pushHost = 'localhost:5001';
    const pullHost = 'registry.internal:5000';
    const { sim, cli } = await world({ cluster: { configmaps: { 'kube-public/local-registry-hosting': localRegistryHosting({ host: pushHost, hostFromContainerRuntime: pullHost }) } } });
    sim.update((s) => {
      s.docker.registries = { [pushHost]: { aliases: [pullHost], repositories: {} } };
    });
    const result = await cli(['up', '--target', 'cluster', '--context', CONTEXT, '--yes']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`pushed to the cluster's local registry ${pushHost} (kube-public/local-registry-hosting)`);
    const calls = sim.calls();
    expect(ofTool(calls, 'docker', 'push').map((c) => c.argv[1]).sort()).toEqual([expect.stringMatching(new RegExp(`^${pushHost}/todo-backend:[0-9a-f]{12}$`)), expect.stringMatching(new RegExp(`^${pushHost}/todo-frontend:[0-9a-f]{12}$`))]);
    for (const service of services) {
      const image = imageOf(lastValues(sim, service));
      expect(image.repository).toBe(`${pullHost}/todo-${service}`);
      expect(image.digest).toBe(sim.state().docker.registries![pushHost]!.repositories[`todo-${service}`]!.tags[image.tag]);
    }
    expect(probeApplies(calls).map((c) => applied(c)[0]!.spec!.containers![0]!.image).every((i) => i.startsWith(`${pullHost}/`))).toBe(true);
    assertOnContext(calls, result.stdout + result.stderr);
  });
});

describe('up --target cluster: a local registry the nodes cannot reach', () => {
  it('hostFromContainerRuntime names a host no registry answers to: pushed, then stopped by the probe before any upgrade', async () => {
    const { sim, cli } = await world({ cluster: { configmaps: { 'kube-public/local-registry-hosting': localRegistryHosting({ host: 'localhost:5001', hostFromContainerRuntime: 'registry.internal:5000' }) } } });
    const result = await cli(['up', '--target', 'cluster', '--context', CONTEXT, '--yes']);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(ofTool(sim.calls(), 'docker', 'push')).toHaveLength(2);
    expect(result.stderr).toMatch(/The cluster's nodes cannot reach the registry registry\.internal:5000 to pull the (frontend|backend) image\./);
    expect(result.stderr).toContain('no such host');
    expect(result.stderr).toContain('its hostFromContainerRuntime is the name the nodes use');
    assertNoRollout(sim, sim.calls());
    assertOnContext(sim.calls(), result.stdout + result.stderr);
  });
});

describe('the cluster target acts only on a context named on purpose', () => {
  it('without --context it refuses and asks no cluster anything; an unknown context is named with the ones there are', async () => {
    const { sim, cli } = await world();
    const none = await cli(['up', '--target', 'cluster', '--registry', REGISTRY, '--yes']);
    expect(none.exitCode, none.stderr).toBe(2);
    expect(none.stderr).toContain('todo-deploy never acts on whatever context is current');
    expect(none.stderr).toContain('Pass --context NAME');
    expect(clusterCalls(sim.calls()).map(line)).toEqual([]);
    expect(ofTool(sim.calls(), 'minikube').map(line)).toEqual([]);

    const mark = sim.calls().length;
    const unknown = await cli(['up', '--target', 'cluster', '--context', 'prod-us', '--registry', REGISTRY, '--yes']);
    expect(unknown.exitCode, unknown.stderr).toBe(3);
    expect(unknown.stderr).toContain('kube-context ("prod-us" is not in your kubeconfig)');
    expect(unknown.stderr).toContain(`Known contexts: minikube, ${CONTEXT}.`);
    expect(clusterCalls(since(sim, mark)).map(line)).toEqual([]);
    expect(sim.calls().filter((c) => c.mutating).map(line)).toEqual([]);
  });

  it('a protected context: up without --yes changes nothing; --dry-run needs no --yes and prints the push and upgrades without doing them', async () => {
    const { sim, cli } = await world({ defaultPorts: true, yaml: "cluster:\n  protectedContexts: ['prod-*']\n" });
    const refused = await cli(['up', ...TARGET]);
    expect(refused.exitCode, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`The kube-context "${CONTEXT}" is protected (cluster.protectedContexts: prod-*)`);
    expect(refused.stderr).toContain('--yes');
    expect(clusterCalls(sim.calls()).map(line)).toEqual([]);
    expect(sim.calls().filter((c) => c.mutating).map(line)).toEqual([]);

    const dry = await cli(['up', ...TARGET, '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    const out = dry.stdout + dry.stderr;
    expect(out).toMatch(new RegExp(`\\[dry-run\\] docker build --tag ${REGISTRY}/todo-frontend:[0-9a-f]{12} .*--platform linux/amd64`));
    expect(out).toMatch(new RegExp(`\\[dry-run\\] docker push ${REGISTRY}/todo-frontend:[0-9a-f]{12}`));
    expect(out).toMatch(new RegExp(`\\[dry-run\\] docker push ${REGISTRY}/todo-backend:[0-9a-f]{12}`));
    expect(out).toContain(`[dry-run] helm upgrade --install frontend`);
    expect(out).toContain(`[dry-run] helm upgrade --install backend`);
    expect(out).toContain('--kube-context prod-eu');
    expect(dry.stdout).toContain('Dry run: nothing was changed.');
    // The URLs the forwards would serve: the services' nodePort numbers, as on Minikube.
    expect(dry.stdout).toContain('App       http://localhost:30000');
    expect(dry.stdout).toContain('API docs  http://localhost:30001/docs');
    expect(sim.calls().filter((c) => c.mutating).map(line)).toEqual([]);
    expect(sim.state().docker.registries?.[HOST]).toBeUndefined();
    expect(releasesOf(sim)).toEqual({});
    assertOnContext(sim.calls(), out);
  });
});

describe('day two on the cluster target', () => {
  const target = TARGET.slice(0, 4);

  it('verify checks through port-forwards it starts and stops', async () => {
    const { sim, cli, ports } = await deployed();
    const mark = sim.calls().length;
    const result = await cli(['verify', ...target]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ok\s+frontend health endpoint/);
    expect(result.stdout).toMatch(/ok\s+backend health endpoint/);
    const calls = since(sim, mark);
    const forwards = ofTool(calls, 'kubectl', 'port-forward');
    expect(forwards.map((f) => f.argv[5]).sort()).toEqual(['service/backend', 'service/frontend']);
    for (const f of forwards) expect([130, 143]).toContain(f.exitCode);
    await expectPortsFree(ports);
    // The charts' test hooks are all it runs in the cluster.
    expect(calls.filter((c) => c.mutating).map((c) => `${c.tool} ${c.command} ${c.argv[1]}`).sort()).toEqual(['helm test backend', 'helm test frontend']);
    assertOnContext(calls, result.stdout + result.stderr);
  });

  it('status shows the context and the digests the releases run', async () => {
    const { sim, cli } = await deployed();
    const mark = sim.calls().length;
    const result = await cli(['status', ...target]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Cluster   kube-context "${CONTEXT}", namespace todo`);
    for (const service of services) {
      const { tag, digest } = imageOf(lastValues(sim, service));
      expect(result.stdout).toContain(`image       ${REGISTRY}/todo-${service}:${tag}@${digest}`);
    }
    expect(since(sim, mark).filter((c) => c.mutating).map(line)).toEqual([]);
    assertOnContext(since(sim, mark), result.stdout + result.stderr);
  });

  it('logs backend reads the pods on the context', async () => {
    const { sim, cli } = await deployed();
    const pods = Object.keys(sim.state().kube.clusters[CONTEXT]!.pods).filter((k) => k.startsWith('todo/backend-'));
    expect(pods.length).toBeGreaterThan(0);
    sim.update((s) => {
      for (const pod of pods) s.kube.clusters[CONTEXT]!.pods[pod]!.logs = ['INFO: GET /api/health 200'];
    });
    const mark = sim.calls().length;
    const result = await cli(['logs', 'backend', ...target]);
    expect(result.exitCode, result.stderr).toBe(0);
    for (const pod of pods) expect(result.stdout).toContain(`${pod.split('/')[1]} │ INFO: GET /api/health 200`);
    expect(ofTool(since(sim, mark), 'kubectl', 'logs').length).toBe(pods.length);
    assertOnContext(since(sim, mark), result.stdout + result.stderr);
  });

  it('rollback backend goes back to the previous digest (protected: with --yes) and checks it through port-forward', async () => {
    const { sim, app, cli, up, ports } = await deployed();
    app.write('backend/main.py', 'version = 2\n');
    expect((await up()).exitCode).toBe(0);
    const [first, second] = releasesOf(sim)['todo/backend']!.map((r) => imageOf(r.values));
    expect(second!.digest).not.toBe(first!.digest);

    const mark = sim.calls().length;
    const unconfirmed = await cli(['rollback', 'backend', ...target]);
    expect(unconfirmed.exitCode, unconfirmed.stderr).toBe(2);
    expect(unconfirmed.stderr).toContain(`The kube-context "${CONTEXT}" is protected`);
    expect(since(sim, mark).filter((c) => c.mutating).map(line)).toEqual([]);

    const result = await cli(['rollback', 'backend', ...target, '--yes']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('Rolling back backend 2 → 1');
    expect(result.stdout).toMatch(/ok\s+backend health endpoint/);
    expect(result.stdout).toContain('Rolled back backend to revision 1.');
    const revisions = releasesOf(sim)['todo/backend']!;
    expect(revisions.at(-1)).toMatchObject({ revision: 3, status: 'deployed', description: 'Rollback to 1' });
    expect(imageOf(revisions.at(-1)!.values)).toEqual(first);
    const calls = since(sim, mark);
    expect(ofTool(calls, 'helm', 'rollback').map((c) => c.argv.slice(0, 3))).toEqual([['rollback', 'backend', '1']]);
    expect(ofTool(calls, 'kubectl', 'port-forward').map((f) => f.argv[5]).sort()).toEqual(['service/backend', 'service/frontend']);
    await expectPortsFree(ports);
    assertOnContext(calls, result.stdout + result.stderr);
  });

  it('teardown removes the releases and Secrets (the pull Secret too) and leaves the namespace; --cluster stop is not its to do', async () => {
    const { sim, cli } = await deployed();
    const mark = sim.calls().length;
    const stop = await cli(['teardown', ...target, '--cluster', 'stop', '--yes']);
    expect(stop.exitCode, stop.stderr).toBe(2);
    expect(stop.stderr).toContain(`the cluster target's context "${CONTEXT}" is not todo-deploy's to stop`);
    expect(since(sim, mark).filter((c) => c.mutating).map(line)).toEqual([]);

    const result = await cli(['teardown', ...target, '--yes']);
    expect(result.exitCode, result.stderr).toBe(0);
    for (const item of ['release frontend', 'release backend', 'secret frontend-secrets', 'secret backend-secrets', 'secret registry-credentials']) expect(result.stdout).toContain(item);
    const cluster = sim.state().kube.clusters[CONTEXT]!;
    expect(Object.keys(cluster.secrets).filter((k) => k.startsWith('todo/'))).toEqual([]);
    expect(Object.keys(cluster.deployments).filter((k) => k.startsWith('todo/'))).toEqual([]);
    expect(cluster.namespaces).toHaveProperty('todo');
    expect(Object.values(releasesOf(sim)).every((r) => r.length === 0)).toBe(true);
    const calls = since(sim, mark);
    expect(ofTool(calls, 'minikube').map(line)).toEqual([]);
    expect(ofTool(calls, 'kubectl', 'delete').some((c) => c.argv.includes('namespace'))).toBe(false);
    assertOnContext(calls, result.stdout + result.stderr);
  });

  it('Ctrl-C while the cluster pulls: no upgrade, the probe pod left is named; teardown removes it with the rest', async () => {
    const { sim, app, up, cli } = await deployed();
    app.write('backend/main.py', 'version = 2\n');
    // Held in turn where the probe applies its pod, then looks at it: interrupted while it pulls.
    sim.update((s) => {
      s.faults.hold = ['kubectl apply'];
    });
    let child: ChildProcess | undefined;
    const running = up([], { onSpawn: (c) => (child = c) });
    for (const [key, next] of [['kubectl apply', 'kubectl get']] as const) {
      await waitUntilHeld(sim, [key], 1);
      sim.update((s) => {
        s.faults.hold = [next];
      });
    }
    await waitUntilHeld(sim, ['kubectl get'], 1);
    expect(probePods(sim)).toEqual(['todo/todo-deploy-pull-backend']);
    child!.kill('SIGINT');
    const interrupted = await running;
    sim.update((s) => {
      s.faults.hold = [];
    });
    expect(interrupted.exitCode, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toContain('✖ Interrupted during "Check the cluster can pull".');
    expect(interrupted.stderr).toContain('A probe pod (todo-deploy-pull-…) may be left in the namespace');
    expect(releasesOf(sim)['todo/backend']).toHaveLength(1);
    expect(probePods(sim)).toEqual(['todo/todo-deploy-pull-backend']);

    const mark = sim.calls().length;
    const result = await cli(['teardown', ...TARGET.slice(0, 4), '--yes']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Pod todo/todo-deploy-pull-backend (a pull probe an interrupted up left)');
    expect(result.stdout).toContain('pod todo-deploy-pull-backend');
    expect(probePods(sim)).toEqual([]);
    expect(Object.keys(sim.state().kube.clusters[CONTEXT]!.pods).filter((k) => k.startsWith('todo/'))).toEqual([]);
    assertOnContext(since(sim, mark), result.stdout + result.stderr);
  });

  it('open serves the URLs through port-forwards until Ctrl-C, and leaves no kubectl behind', async () => {
    const { sim, cli, ports } = await deployed();
    const mark = sim.calls().length;
    let child: ChildProcess | undefined;
    let seen = '';
    let seenErr = '';
    const running = cli(['open', ...target], {
      onSpawn: (c) => {
        child = c;
        c.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
        c.stderr!.on('data', (chunk: Buffer) => (seenErr += chunk.toString()));
      },
    });
    await vi.waitFor(() => expect(seen).toContain('Press Ctrl-C to stop.'), EVENT);
    expect(seen).toContain(`Forwarding to kube-context "${CONTEXT}", namespace todo:`);
    expect(seen).toContain(`App       http://localhost:${ports.frontend}`);
    expect(seen).toContain(`API docs  http://localhost:${ports.backend}/docs`);
    const page = await get(`http://localhost:${ports.frontend}/`);
    expect(page).toMatchObject({ status: 200, body: expect.stringContaining('Todo Chatbot') });
    expect(await get(`http://localhost:${ports.backend}/api/health`)).toMatchObject({ status: 200 });

    // The backend's pods are replaced (a rollout, a crash): the forward's pod is gone, kubectl ends
    // at the next connection, and open starts it again.
    const backendPods = Object.keys(sim.state().kube.clusters[CONTEXT]!.pods).filter((k) => k.startsWith('todo/backend-')).map((k) => k.split('/')[1]!);
    expect((await sim.exec('kubectl', ['--context', CONTEXT, '--namespace', 'todo', 'delete', 'pod', ...backendPods, '--wait=false'])).exitCode).toBe(0);
    await vi.waitFor(async () => expect(await get(`http://localhost:${ports.backend}/api/health`)).toMatchObject({ status: 200 }), EVENT);
    expect(seenErr).toContain('the port-forward to backend ended (error: lost connection to pod); reconnecting');

    child!.kill('SIGINT');
    const ended = await running;
    expect(ended.exitCode, ended.stderr).toBe(0);
    const forwards = ofTool(since(sim, mark), 'kubectl', 'port-forward');
    expect(forwards.filter((f) => f.argv[5] === 'service/frontend')).toHaveLength(1);
    const backend = forwards.filter((f) => f.argv[5] === 'service/backend').sort((a, b) => a.start - b.start);
    expect(backend.length).toBeGreaterThan(1);
    expect(backend[0]!.exitCode).toBe(1);
    for (const f of [...forwards.filter((f) => f.argv[5] === 'service/frontend'), backend.at(-1)!]) expect([130, 143]).toContain(f.exitCode);
    for (const f of forwards) expect(processAlive(f.pid)).toBe(false);
    await expectPortsFree(ports);
    assertOnContext(since(sim, mark), ended.stdout + ended.stderr);
  });
});

describe('local ports already in use', () => {
  const target = TARGET.slice(0, 4);

  it("verify goes through the ports a `todo-deploy open` of the same app serves, and refuses ports another program holds", async () => {
    const { cli, ports } = await deployed();
    let child: ChildProcess | undefined;
    let seen = '';
    const running = cli(['open', ...target], {
      onSpawn: (c) => {
        child = c;
        c.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
      },
    });
    await vi.waitFor(() => expect(seen).toContain('Press Ctrl-C to stop.'), EVENT);
    const through = await cli(['verify', ...target]);
    expect(through.exitCode, through.stderr).toBe(0);
    expect(through.stderr).toContain(`localhost:${ports.frontend} is served by the \`todo-deploy open\` running as pid ${child!.pid}: the frontend is checked through it`);
    // A second open of the same app says so and ends, instead of serving nothing once the first ends.
    const second = await cli(['open', ...target]);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toContain(`The app is served already by the \`todo-deploy open\` running as pid ${child!.pid}:`);
    child!.kill('SIGINT');
    expect((await running).exitCode).toBe(0);

    // Not an open of this app: the check would test whatever answers there.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen({ port: ports.frontend, host: '127.0.0.1' }, resolve));
    try {
      const refused = await cli(['verify', ...target]);
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain(`The frontend cannot be checked: localhost:${ports.frontend}, where it is forwarded, is in use by another program.`);
      expect(refused.stderr).toContain('frontend.nodePort in todo-deploy.yaml');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});

/** A GET on a connection of its own (a pooled one would outlive the forward it went through). */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}


/** Nothing listens on the forwarded ports any more. */
async function expectPortsFree(ports: Record<Service, number>): Promise<void> {
  for (const port of Object.values(ports)) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
    });
    expect(free, `port ${port} is still in use`).toBe(true);
  }
}
