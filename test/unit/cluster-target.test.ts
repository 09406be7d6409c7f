// The cluster target's rules and parsers, held to outputs recorded from the real tools on the
// node tier (test/contract/recorded/cluster-target/: docker 20.10 and 28 against a real
// distribution registry, kubectl 1.34 and containerd on a real node).
import { readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../support/temp.js';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { defaults, type Config } from '../../src/config/schema.js';
import { chartValues } from '../../src/deployment/chart-values.js';
import { checkTarget, protectedBy } from '../../src/deployment/access.js';
import { failedForGood, probePod, probeState, PULL_SECRET_RETRY_MS, pullFailure } from '../../src/deployment/pull-probe.js';
import { readPullCredentials } from '../../src/deployment/registry-credentials.js';
import { localClusterOf, pushError, resolvePlacement } from '../../src/deployment/registry.js';
import { tagOf } from '../../src/images/content-tag.js';
import { pushedDigest } from '../../src/phases/build.js';
import { Redactor } from '../../src/redact.js';
import { dockerBuildArgs, parseImageDetails, parsePushDigest } from '../../src/tools/docker.js';
import { ToolError, UsageError } from '../../src/errors.js';
import { parseLocalRegistry, parseNodePlatforms, parsePods, type KubeObject } from '../../src/tools/kubectl.js';
import { exposeApp, ingressManifest, loadBalancerManifest } from '../../src/deployment/expose.js';
import { authUrlMismatch } from '../../src/phases/cluster.js';

interface Recording {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}
const recorded = (name: string): Recording => JSON.parse(readFileSync(new URL(`../contract/recorded/cluster-target/${name}.json`, import.meta.url), 'utf8')) as Recording;
const clusterConfig = (cluster: Partial<Config['cluster']> = {}): Config => ({ ...structuredClone(defaults), target: 'cluster', cluster: { ...defaults.cluster, context: 'kind-dev', ...cluster } });

describe('choosing the cluster target', () => {
  it('refuses a cluster target without a named context: the current one is never used', () => {
    expect(() => checkTarget(clusterConfig({ context: '' }))).toThrow(UsageError);
    expect(() => checkTarget(clusterConfig({ context: '' }))).toThrow(/never acts on whatever context is current/);
  });

  it('changes a protected context only with --yes, and says which pattern protects it', () => {
    const config = clusterConfig({ context: 'prod-eu', protectedContexts: ['staging', 'prod-*'] });
    expect(() => checkTarget(config, { yes: false })).toThrow(/"prod-eu" is protected \(cluster.protectedContexts: prod-\*\)/);
    expect(() => checkTarget(config, { yes: true })).not.toThrow();
    // Reading (day-two commands, --dry-run) needs no --yes.
    expect(() => checkTarget(config)).not.toThrow();
  });

  it('matches protected names whole, with * for any characters and no other pattern syntax', () => {
    expect(protectedBy('gke_acme_europe-west1_prod', ['gke_*_prod'])).toBe('gke_*_prod');
    expect(protectedBy('prod-eu-2', ['prod-eu'])).toBeUndefined();
    expect(protectedBy('gkeXacme', ['gke.acme'])).toBeUndefined();
    expect(protectedBy('dev', [])).toBeUndefined();
  });

  it('keeps refusing another context on the Minikube target', () => {
    const config = { ...structuredClone(defaults), cluster: { ...defaults.cluster, context: 'prod-eu' } };
    expect(() => checkTarget(config)).toThrow(/not the Minikube profile's context/);
  });
});

describe('reading the cluster (recorded from kubectl 1.34 on a real node)', () => {
  it("reads the nodes' platform", () => {
    expect(parseNodePlatforms(recorded('get-nodes').stdout)).toEqual(['linux/amd64']);
  });

  it('reads a local registry advertised by kube-public/local-registry-hosting, and none when it is absent', () => {
    expect(parseLocalRegistry(recorded('registry-hosting-present').stdout, parseYaml)).toEqual({ host: '10.213.1.2:5000', hostFromContainerRuntime: '10.213.1.2:5000' });
    expect(parseLocalRegistry(recorded('registry-hosting-absent').stdout, parseYaml)).toBeUndefined();
    const kind = JSON.stringify({ data: { 'localRegistryHosting.v1': 'host: "localhost:5001"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n' } });
    expect(parseLocalRegistry(kind, parseYaml)).toEqual({ host: 'localhost:5001', hostFromContainerRuntime: 'localhost:5001' });
  });

  it('says Forbidden in the words the API server uses when RBAC hides the nodes', () => {
    const r = recorded('get-nodes-forbidden');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/forbidden/i);
  });
});

describe('pushing (recorded from docker 20.10 and 28 against a real registry)', () => {
  it.each(['docker-20.10', 'docker-28'])('%s: the digest of a push and of a push of what is there already', (client) => {
    const digest = parsePushDigest(recorded(`push.${client}`).stdout);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(parsePushDigest(recorded(`push-again.${client}`).stdout)).toBe(digest);
  });

  it.each(['docker-20.10', 'docker-28'])('%s: an image pushed is known by its repository digest, of its own repository only', (client) => {
    const before = parseImageDetails(recorded(`inspect-before-push.${client}`).stdout);
    const after = parseImageDetails(recorded(`inspect-after-push.${client}`).stdout);
    const [backend, frontend] = recorded(`inspect-after-push.${client}`).argv.slice(4);
    expect(before[0]!.platform).toBe('linux/amd64');
    expect(pushedDigest(before[0]!.digests, backend!)).toBeUndefined();
    expect(pushedDigest(after[0]!.digests, backend!)).toBe(parsePushDigest(recorded(`push.${client}`).stdout));
    // The same image under the frontend's name was not pushed to the frontend's repository.
    expect(pushedDigest(after[1]!.digests, frontend!)).toBeUndefined();
    // A missing ref only writes stderr: one line per image found.
    expect(after).toHaveLength(2);
  });

  it.each([
    ['push-unauthorized', /refused the push .*not logged in/, /docker login 10\.213\.1\.2:5001/],
    ['push-refused', /cannot be reached from this machine/, /Check the registry's address/],
    ['push-http-registry', /cannot be reached from this machine/, /insecure-registries/],
  ])('%s: the cause and the fix', (name, message, hint) => {
    for (const client of ['docker-20.10', 'docker-28']) {
      const r = recorded(`${name}.${client}`);
      const ref = r.argv.at(-1)!;
      const error = pushError(new ToolError('docker failed (exit code 1).', `docker push ${ref}`, 1, r.stderr.trim(), false), ref);
      expect(error.message).toMatch(message);
      expect(error.hint).toMatch(hint);
    }
  });

  it('builds for the platform asked, and a platform is part of the content tag', () => {
    expect(dockerBuildArgs({ ref: 'r:t', dockerfile: 'D', context: '.', buildArgs: {}, labels: {}, platform: 'linux/arm64' })).toEqual(expect.arrayContaining(['--platform', 'linux/arm64']));
    const digest = { dockerfile: 'x', entries: ['a'], files: [] } as unknown as Parameters<typeof tagOf>[0];
    expect(tagOf(digest, {}, 'linux/amd64')).not.toBe(tagOf(digest, {}, 'linux/arm64'));
    expect(tagOf(digest, {})).toBe(tagOf(digest, {}, ''));
  });
});

describe('the pull probe (containerd on a real node)', () => {
  const stateOf = (name: string) => probeState(parsePods(recorded(name).stdout)[0]);

  it('takes a container that ran as pulled', () => {
    expect(stateOf('pull-ok')).toEqual({ pulled: true });
    expect(stateOf('pull-auth-ok')).toEqual({ pulled: true });
  });

  it.each([
    ['pull-unauthorized', 'unauthorized'],
    ['pull-missing-tag', 'not-found'],
    ['pull-missing-digest', 'not-found'],
    ['pull-platform', 'platform'],
    ['pull-refused', 'unreachable'],
  ])('%s: sorted as %s, from ErrImagePull and from ImagePullBackOff', (name, cause) => {
    for (const phase of ['errimagepull', 'backoff']) {
      const state = stateOf(`${name}-${phase}`);
      expect(state && 'failed' in state ? pullFailure(state.failed) : state).toBe(cause);
    }
  });

  it("with a pull secret, takes a refusal as the registry's answer only once it outlasted the kubelet's retry", () => {
    // The real node's first pull of a new pod can go without the secret (FailedToRetrieveImagePullSecret, then 401).
    const state = probeState(parsePods(recorded('pull-unauthorized-errimagepull').stdout)[0]);
    const refused = pullFailure(state && 'failed' in state ? state.failed : '');
    expect(refused).toBe('unauthorized');
    expect(failedForGood(refused, { pullSecret: true, failingForMs: 0 })).toBe(false);
    expect(failedForGood(refused, { pullSecret: true, failingForMs: PULL_SECRET_RETRY_MS - 1 })).toBe(false);
    expect(failedForGood(refused, { pullSecret: true, failingForMs: PULL_SECRET_RETRY_MS })).toBe(true);
    // Without a pull secret, nothing will change on a retry; any other cause is the answer at once.
    expect(failedForGood(refused, { pullSecret: false, failingForMs: 0 })).toBe(true);
    for (const cause of ['not-found', 'platform', 'unreachable', 'other'] as const) expect(failedForGood(cause, { pullSecret: true, failingForMs: 0 })).toBe(true);
    // Longer than the kubelet's first back-off (10 s) and the pod worker's jittered requeue (up to 15 s).
    expect(PULL_SECRET_RETRY_MS).toBeGreaterThan(15_000);
  });

  it('asks for nothing the restricted Pod Security Standard refuses, and always pulls', () => {
    const pod = probePod(clusterConfig({ pullSecret: 'docker.json' }), 'backend', 'r.example/todo-backend:t@sha256:' + 'a'.repeat(64)) as {
      spec: { imagePullSecrets: unknown; securityContext: Record<string, unknown>; containers: Array<Record<string, unknown> & { securityContext: Record<string, unknown> }> };
    };
    const [container] = pod.spec.containers;
    expect(container!.imagePullPolicy).toBe('Always');
    expect(pod.spec.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  it("sees an image for another architecture: the exec error, on the container's stderr, is made its termination message", () => {
    const pod = probePod(clusterConfig(), 'backend', 'r.example/todo-backend:t@sha256:' + 'a'.repeat(64)) as { spec: { containers: Array<Record<string, unknown>> } };
    // By default (File) the kubelet leaves the message empty, and the probe would take the pull as good.
    expect(pod.spec.containers[0]!.terminationMessagePolicy).toBe('FallbackToLogsOnError');
    const ended = (message: string) => probeState({ name: 'todo-deploy-pull-backend', phase: 'Failed', ready: false, containers: [{ name: 'probe', ready: false, restartCount: 0, terminated: { reason: 'Error', exitCode: 255, message } }] });
    expect(ended('exec /usr/bin/true: exec format error\n')).toEqual({ failed: 'exec /usr/bin/true: exec format error\n', reason: 'Error' });
    expect(pullFailure('exec /usr/bin/true: exec format error')).toBe('platform');
  });
});

describe('the image pull Secret', () => {
  const write = (content: unknown) => {
    const dir = tempDir('todo-pull-secret-');
    writeFileSync(join(dir, 'config.json'), typeof content === 'string' ? content : JSON.stringify(content));
    return dir;
  };

  it("keeps only the file's logins, and masks each credential", async () => {
    const auth = Buffer.from('robot:s3cr3t-Pull-T0ken').toString('base64');
    const dir = write({ auths: { 'ghcr.io': { auth } }, psFormat: 'table', proxies: { default: { httpProxy: 'http://p' } } });
    const redactor = new Redactor();
    const json = await readPullCredentials(dir, clusterConfig({ pullSecret: 'config.json' }), redactor);
    expect(JSON.parse(json)).toEqual({ auths: { 'ghcr.io': { auth } } });
    expect(redactor.scrub(`token ${auth}`)).not.toContain(auth);
  });

  it('names a file whose logins a credential helper keeps', async () => {
    const dir = write({ auths: { 'ghcr.io': {} }, credsStore: 'desktop' });
    await expect(readPullCredentials(dir, clusterConfig({ pullSecret: 'config.json' }), new Redactor())).rejects.toThrow(/holds no registry login\. Its logins are kept by a credential helper \(desktop\)/);
  });

  it('names a missing file and one that is not JSON', async () => {
    const dir = write('{ not json');
    await expect(readPullCredentials(dir, clusterConfig({ pullSecret: 'missing.json' }), new Redactor())).rejects.toThrow(/missing\.json does not exist/);
    await expect(readPullCredentials(dir, clusterConfig({ pullSecret: 'config.json' }), new Redactor())).rejects.toThrow(/is not JSON/);
  });
});

describe("the charts' values on the cluster target", () => {
  it('deploy by digest, with ClusterIP Services and the pull Secret', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const values = chartValues({
      service: 'backend',
      config: defaults.backend,
      image: { repository: 'ghcr.io/acme/todo/todo-backend', tag: 'abc', digest, buildArgs: {} },
      secretName: 'backend-secrets',
      secretChecksum: 'x',
      cluster: { pullSecret: 'registry-credentials' },
    });
    expect(values).toMatchObject({ image: { repository: 'ghcr.io/acme/todo/todo-backend', tag: 'abc', digest }, service: { type: 'ClusterIP' }, imagePullSecrets: [{ name: 'registry-credentials' }] });
    expect((values.service as Record<string, unknown>).nodePort).toBeUndefined();
  });
});

describe('where the images go', () => {
  const tools = (nodes: { platforms: string[] } | { forbidden: string }, local?: { host: string; hostFromContainerRuntime: string }) =>
    ({ tools: { kubectl: { nodePlatforms: async () => nodes, localRegistry: async () => local } } }) as unknown as Parameters<typeof resolvePlacement>[0];
  const amd64 = { platforms: ['linux/amd64'] };

  it('knows the local clusters by the contexts their tools write', () => {
    expect(localClusterOf('kind-dev', 'minikube')).toEqual({ tool: 'kind', name: 'dev' });
    expect(localClusterOf('k3d-k3s-default', 'minikube')).toEqual({ tool: 'k3d', name: 'k3s-default' });
    expect(localClusterOf('docker-desktop', 'minikube')).toEqual({ tool: 'docker-desktop', name: 'docker-desktop' });
    expect(localClusterOf('demo', 'demo')).toEqual({ tool: 'minikube', name: 'demo' });
    expect(localClusterOf('gke_acme_europe-west1_prod', 'minikube')).toBeUndefined();
  });

  it('pushes to --registry first, then to an advertised local registry, then loads into a local cluster', async () => {
    const local = { host: 'localhost:5001', hostFromContainerRuntime: 'kind-registry:5000' };
    expect(await resolvePlacement(tools(amd64, local), clusterConfig({ registry: 'ghcr.io/acme/todo' }), 'kind-dev')).toMatchObject({ push: 'ghcr.io/acme/todo', pull: 'ghcr.io/acme/todo', platform: 'linux/amd64' });
    expect(await resolvePlacement(tools(amd64, local), clusterConfig(), 'kind-dev')).toMatchObject({ push: 'localhost:5001', pull: 'kind-registry:5000' });
    expect(await resolvePlacement(tools(amd64), clusterConfig(), 'kind-dev')).toMatchObject({ load: { tool: 'kind', name: 'dev' } });
  });

  it('stops with the cause and the fix when there is nowhere to put the images', async () => {
    await expect(resolvePlacement(tools(amd64), clusterConfig({ context: 'eks-prod' }), 'eks-prod')).rejects.toThrow(/no registry to push the images to: --registry is not set/);
  });

  it('builds for the nodes, refuses a --platform they do not run, and needs --platform when RBAC hides them', async () => {
    expect((await resolvePlacement(tools({ platforms: ['linux/arm64'] }), clusterConfig({ registry: 'r.example/t' }), 'c')).platform).toBe('linux/arm64');
    await expect(resolvePlacement(tools(amd64), clusterConfig({ registry: 'r.example/t', platform: 'linux/arm64' }), 'c')).rejects.toThrow(/--platform linux\/arm64, but the nodes of "c" run linux\/amd64/);
    await expect(resolvePlacement(tools({ forbidden: 'Error from server (Forbidden): nodes is forbidden' }), clusterConfig({ registry: 'r.example/t' }), 'c')).rejects.toThrow(/cannot read the nodes/);
    expect((await resolvePlacement(tools({ forbidden: 'Forbidden' }), clusterConfig({ registry: 'r.example/t', platform: 'linux/arm64' }), 'c')).platform).toBe('linux/arm64');
    await expect(resolvePlacement(tools({ platforms: ['linux/amd64', 'linux/arm64'] }), clusterConfig({ registry: 'r.example/t' }), 'c')).rejects.toThrow(/run linux\/amd64 and linux\/arm64/);
  });
});

describe('how the app is reached on the cluster target', () => {
  const forwarded = { frontend: 'http://localhost:30000', backend: 'http://localhost:30001' };
  interface Fake {
    classes?: Array<{ name: string; isDefault: boolean }>;
    unreadable?: string;
    objects?: KubeObject[];
  }
  const fake = (f: Fake = {}) => {
    const applied: unknown[] = [];
    const deleted: string[][] = [];
    const warnings: string[] = [];
    const ctx = {
      dryRun: false,
      signal: new AbortController().signal,
      out: { warn: (text: string) => warnings.push(text) },
      tools: {
        kubectl: {
          ingressClasses: async () => (f.unreadable ? { unreadable: f.unreadable } : { classes: f.classes ?? [] }),
          getObjects: async (_scope: unknown, names: string[]) => (f.objects ?? []).filter((o) => names.includes(`${o.kind.toLowerCase()}/${o.metadata.name}`)),
          apply: async (_scope: unknown, manifest: unknown) => applied.push(manifest),
          deleteObjects: async (_scope: unknown, names: string[]) => deleted.push(names),
        },
      },
    } as unknown as Parameters<typeof exposeApp>[0];
    return { ctx, applied, deleted, warnings };
  };

  it('uses an Ingress on cluster.host when the cluster has a default IngressClass: one origin, the API under /api, Better Auth left to the UI', async () => {
    const { ctx, applied } = fake({ classes: [{ name: 'nginx', isDefault: true }, { name: 'traefik', isDefault: false }] });
    const exposure = await exposeApp(ctx, clusterConfig({ host: 'todo.example.com' }), 'kind-dev', forwarded);
    expect(exposure).toMatchObject({ mode: 'ingress', urls: { frontend: 'http://todo.example.com', backend: 'http://todo.example.com' } });
    const list = applied[0] as { items: Array<{ kind: string; spec?: { ingressClassName: string; rules: Array<{ http: { paths: Array<{ path: string; backend: { service: { name: string } } }> } }> } }> };
    expect(list.items.map((i) => i.kind)).toEqual(['Namespace', 'Ingress']);
    const ingress = list.items[1]!.spec!;
    expect(ingress.ingressClassName).toBe('nginx');
    expect(ingress.rules[0]!.http.paths.map((p) => `${p.path} → ${p.backend.service.name}`)).toEqual(['/api/auth → frontend', '/api → backend', '/docs → backend', '/openapi.json → backend', '/ → frontend']);
  });

  it('applies nothing when the Ingress in the cluster has the same spec', async () => {
    const config = clusterConfig({ host: 'todo.example.com' });
    const current = ingressManifest(config, 'nginx') as unknown as KubeObject;
    const { ctx, applied } = fake({ classes: [{ name: 'nginx', isDefault: false }], objects: [current] });
    expect((await exposeApp(ctx, config, 'kind-dev', forwarded)).changes).toEqual([]);
    expect(applied).toEqual([]);
  });

  it('falls back to port-forward without a host, or, saying why, without a usable IngressClass', async () => {
    expect(await exposeApp(fake({ classes: [{ name: 'nginx', isDefault: true }] }).ctx, clusterConfig(), 'kind-dev', forwarded)).toMatchObject({ mode: 'port-forward', urls: forwarded });
    const none = fake();
    expect(await exposeApp(none.ctx, clusterConfig({ host: 'todo.example.com' }), 'kind-dev', forwarded)).toMatchObject({ mode: 'port-forward' });
    expect(none.warnings.join()).toMatch(/has no IngressClass/);
    const several = fake({ classes: [{ name: 'a', isDefault: false }, { name: 'b', isDefault: false }] });
    expect(await exposeApp(several.ctx, clusterConfig({ host: 'todo.example.com' }), 'kind-dev', forwarded)).toMatchObject({ mode: 'port-forward' });
    expect(several.warnings.join()).toMatch(/several IngressClasses \(a, b\) and none is the default/);
  });

  it('does not take IngressClasses it may not read for none: it never falls back (and removes a working Ingress) for that', async () => {
    const forbidden = 'Error from server (Forbidden): ingressclasses.networking.k8s.io is forbidden: User "dev" cannot list resource "ingressclasses"';
    await expect(exposeApp(fake({ unreadable: forbidden }).ctx, clusterConfig({ host: 'todo.example.com' }), 'kind-dev', forwarded)).rejects.toThrow(/cannot tell whether "kind-dev" has an ingress controller/);
    const asked = fake({ unreadable: forbidden });
    expect(await exposeApp(asked.ctx, clusterConfig({ host: 'todo.example.com', expose: 'ingress' }), 'kind-dev', forwarded)).toMatchObject({ mode: 'ingress' });
    const list = asked.applied[0] as { items: Array<{ kind: string; spec?: Record<string, unknown> }> };
    expect(list.items.find((i) => i.kind === 'Ingress')!.spec).not.toHaveProperty('ingressClassName');
  });

  it('refuses an Ingress asked for without a host or without an IngressClass', async () => {
    await expect(exposeApp(fake().ctx, clusterConfig({ expose: 'ingress' }), 'kind-dev', forwarded)).rejects.toThrow(/cluster.host is empty/);
    await expect(exposeApp(fake().ctx, clusterConfig({ expose: 'ingress', host: 'todo.example.com' }), 'kind-dev', forwarded)).rejects.toThrow(/has no IngressClass/);
  });

  it("puts LoadBalancers in front of the charts' pods (their selector labels) and uses their addresses", async () => {
    const config = clusterConfig({ expose: 'loadbalancer' });
    const withAddress = (s: 'frontend' | 'backend', ip: string) => ({ ...(loadBalancerManifest(config, s) as unknown as KubeObject), status: { loadBalancer: { ingress: [{ ip }] } } });
    const { ctx, applied } = fake({ objects: [withAddress('frontend', '203.0.113.7'), withAddress('backend', '203.0.113.8')] });
    expect(await exposeApp(ctx, config, 'eks', forwarded)).toMatchObject({ mode: 'loadbalancer', urls: { frontend: 'http://203.0.113.7:3000', backend: 'http://203.0.113.8:8000' }, changes: [] });
    expect(applied).toEqual([]);
    expect((loadBalancerManifest(config, 'backend') as { spec: { selector: object } }).spec.selector).toEqual({ 'app.kubernetes.io/name': 'backend', 'app.kubernetes.io/instance': 'backend' });
  });

  it('deletes the objects of another way than the one chosen now, once it is in place (the day-two commands read what exists)', async () => {
    const lb = clusterConfig({ expose: 'loadbalancer' });
    const withAddress = (s: 'frontend' | 'backend') => ({ ...(loadBalancerManifest(lb, s) as unknown as KubeObject), status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } });
    const ingressObject = ingressManifest(clusterConfig({ host: 'todo.example.com' }), 'nginx') as unknown as KubeObject;
    // From an Ingress to port-forward (cluster.host removed).
    const toForward = fake({ classes: [{ name: 'nginx', isDefault: true }], objects: [ingressObject] });
    expect(await exposeApp(toForward.ctx, clusterConfig(), 'kind-dev', forwarded)).toMatchObject({ mode: 'port-forward', changes: ['deleted Ingress/todo-deploy'] });
    expect(toForward.deleted).toEqual([['ingress/todo-deploy']]);
    // From LoadBalancers to an Ingress: the paid load balancers go.
    const toIngress = fake({ classes: [{ name: 'nginx', isDefault: true }], objects: [withAddress('frontend'), withAddress('backend')] });
    const exposure = await exposeApp(toIngress.ctx, clusterConfig({ host: 'todo.example.com' }), 'kind-dev', forwarded);
    expect(exposure.mode).toBe('ingress');
    expect(exposure.changes.slice(-2)).toEqual(['deleted Service/frontend-public', 'deleted Service/backend-public']);
    expect(toIngress.deleted).toEqual([['service/frontend-public', 'service/backend-public']]);
    // The chosen way's own objects stay; a way that cannot be put in place deletes nothing.
    const kept = fake({ objects: [withAddress('frontend'), withAddress('backend')] });
    expect((await exposeApp(kept.ctx, lb, 'eks', forwarded)).changes).toEqual([]);
    expect(kept.deleted).toEqual([]);
    const failing = fake({ objects: [withAddress('frontend'), withAddress('backend')] });
    await expect(exposeApp(failing.ctx, clusterConfig({ expose: 'ingress', host: 'todo.example.com' }), 'eks', forwarded)).rejects.toThrow(/has no IngressClass/);
    expect(failing.deleted).toEqual([]);
  });
});

describe('BETTER_AUTH_URL on the cluster target', () => {
  it('is said to differ from the URL users open, with the line to write', () => {
    expect(authUrlMismatch('http://localhost:30000', 'http://todo.example.com', '/app/.env')).toMatch(/Set BETTER_AUTH_URL=http:\/\/todo\.example\.com in \/app\/\.env/);
    expect(authUrlMismatch('http://todo.example.com/', 'http://todo.example.com', '.env')).toBeUndefined();
    expect(authUrlMismatch(undefined, 'http://todo.example.com', '.env')).toBeUndefined();
  });
});

describe('review fixes', () => {
  it('reads a pull secret file written as ~/…, in the home folder', async () => {
    const home = tempDir('todo-home-');
    writeFileSync(join(home, 'config.json'), JSON.stringify({ auths: { 'ghcr.io': { auth: Buffer.from('u:p-Secret-123').toString('base64') } } }));
    const previous = process.env.HOME;
    process.env.HOME = home;
    try {
      expect(JSON.parse(await readPullCredentials('/nowhere', clusterConfig({ pullSecret: '~/config.json' }), new Redactor()))).toHaveProperty('auths.ghcr\\.io');
    } finally {
      process.env.HOME = previous;
    }
  });

  it('refuses an image setting that names a registry of its own when the images are pushed', async () => {
    const tools = { tools: { kubectl: { nodePlatforms: async () => ({ platforms: ['linux/amd64'] }), localRegistry: async () => undefined } } } as unknown as Parameters<typeof resolvePlacement>[0];
    const config = clusterConfig({ registry: 'ghcr.io/acme/todo' });
    config.frontend.image = 'registry:5000/team/todo-frontend';
    await expect(resolvePlacement(tools, config, 'eks')).rejects.toThrow(/frontend.image is registry:5000\/team\/todo-frontend: on the cluster target the images are pushed to ghcr.io\/acme\/todo\/<image>/);
  });

  it('takes a --platform with a variant for the os/arch the nodes and docker report', async () => {
    const tools = { tools: { kubectl: { nodePlatforms: async () => ({ platforms: ['linux/arm64'] }), localRegistry: async () => undefined } } } as unknown as Parameters<typeof resolvePlacement>[0];
    expect((await resolvePlacement(tools, clusterConfig({ registry: 'r.example/t', platform: 'linux/arm64/v8' }), 'c')).platform).toBe('linux/arm64/v8');
  });
});
