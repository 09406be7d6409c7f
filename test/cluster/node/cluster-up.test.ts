// The cluster target (`up --target cluster --context C --registry R`) on the tier's real node:
// images built with the user's own daemon (the tier's Docker Engine) for the nodes' platform,
// pushed to a real OCI registry (distribution v3, ../registry.ts), pulled by the node's
// containerd by digest, the pull probe pod, both Helm releases with ClusterIP Services, and every
// check through real `kubectl port-forward`s on this machine's 127.0.0.1. No minikube: a minikube
// call fails (and is logged, so it is caught). What is asserted is what a user sees and relies
// on: exit codes, the summary, the digest the registry holds, the objects in the cluster, the
// URLs answering while `todo-deploy open` runs, and — from the call log — the safety promises
// (every kubectl call on --context, every helm call on --kube-context, no secret in any argv).
// Three apps, each in a namespace of its own and one after the other on the same local ports (a
// port-forward holds its port only while a command runs): the plain registry (the shared
// deployment: no-op re-run, day-two commands, teardown), the registry with authentication (the
// image pull Secret), and KEP-1755's advertised registry (with the refusals that change nothing).
// Figures go to $CACHE/last-report-node-cluster-up.txt (and the output).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { realToolPath } from '../../support/real-tools.js';
import { dockerBin, run } from '../images.mjs';
import { CACHE } from './global-setup.js';
import { appSecrets, createProduct, isMutating, type Call, type Product } from './product.js';

/** The node's kube-context, as global-setup gives it (the third app uses another name for it: see there). */
const nodeContext = 'minikube';
const helm = 'helm4';
// Local ports (the services' nodePort numbers): free on this machine's loopback, used by one app at a time.
const nodePorts = { frontend: 30420, backend: 30421 };
const report: string[] = [];
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const fileStarted = Date.now();

/**
 * The tier's Docker Engine keeps its images between runs (its data root is cached): the tags
 * and repository digests of this file's repositories are removed before and after, so every run's
 * first `up` is a first one (its builds come from BuildKit's cache) and no run inherits a
 * record of a push to a registry that a later tier start made empty.
 */
async function removeOurImages(): Promise<void> {
  const { host, authHost } = inject('registry');
  const ours = [`${host}/todo/`, `${authHost}/todo/`, `${host}/todo-`];
  const env = { ...process.env, DOCKER_HOST: inject('node').dockerHost };
  // The tags first; a repository digest left without a tag of its repository is listed as such afterwards.
  for (const kind of ['tag', 'digest'] as const) {
    const listed = (await run(dockerBin, ['image', 'ls', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}'], { env })) as string;
    const refs = listed
      .split('\n')
      .map((line) => line.split(' '))
      .filter(([repository]) => repository && ours.some((prefix) => repository.startsWith(prefix)))
      .flatMap(([repository, tag, digest]) => (kind === 'tag' ? (tag && tag !== '<none>' ? [`${repository}:${tag}`] : []) : digest && digest !== '<none>' ? [`${repository}@${digest}`] : []));
    if (refs.length > 0) await run(dockerBin, ['image', 'rm', ...new Set(refs)], { env });
  }
}

beforeAll(removeOurImages);

afterAll(async () => {
  await removeOurImages();
  report.push(`${'this file'.padEnd(44)} ${s(Date.now() - fileStarted).padStart(7)}`);
  const text = ['', 'cluster tier: the cluster target on a real node', ...report.map((l) => `  ${l}`), ''].join('\n');
  writeFileSync(join(CACHE, 'last-report-node-cluster-up.txt'), text);
  console.log(text);
});

/** A call's words: its argv without flags and without the values of the scope flags (`--context C --namespace N`, `--kube-context C`). */
const words = (c: Call) => c.argv.filter((a, i) => !a.startsWith('-') && !['--context', '--namespace', '--kube-context'].includes(c.argv[i - 1]!));
const callsOf = (calls: Call[], tool: string, ...w: string[]) => calls.filter((c) => c.tool === tool && w.every((x, i) => words(c)[i] === x));
const upgraded = (calls: Call[]) => callsOf(calls, 'helm', 'upgrade').map((c) => words(c)[1]);
const pushed = (calls: Call[]) => callsOf(calls, 'docker', 'push').map((c) => words(c)[1]!);

/**
 * The safety promises, for every call a run made: kubectl on the context named (its first
 * arguments, whatever reads the cluster; `config …` and `version --client` read no cluster),
 * helm on --kube-context, no minikube at all, no secret value in any argv.
 */
function assertCalls(calls: Call[], secrets: string[], context: string): void {
  expect(calls.filter((c) => c.tool === 'minikube')).toEqual([]);
  for (const c of calls.filter((c) => c.tool === 'kubectl' && words(c)[0] !== 'config' && !c.argv.includes('--client'))) {
    expect(c.argv.slice(0, 2), c.argv.join(' ')).toEqual(['--context', context]);
  }
  for (const c of calls.filter((c) => c.tool === 'helm' && words(c)[0] !== 'version')) {
    expect(c.argv[c.argv.indexOf('--kube-context') + 1], c.argv.join(' ')).toBe(context);
  }
  for (const secret of secrets) for (const c of calls) expect(c.argv.join(' ')).not.toContain(secret);
}

/** The digest a registry holds for repository:tag, from its HTTP API (Docker-Content-Digest), as the node would resolve it. */
async function registryDigest(host: string, repository: string, tag: string, auth?: { username: string; password: string }): Promise<string | null> {
  const res = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      accept: [
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.docker.distribution.manifest.list.v2+json',
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.oci.image.index.v1+json',
      ].join(', '),
      ...(auth && { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` }),
    },
    signal: AbortSignal.timeout(10_000),
  });
  expect(res.status, `${host}/${repository}:${tag}`).toBe(200);
  return res.headers.get('docker-content-digest');
}

/** kubectl processes of this machine forwarding into `namespace` (a command's, left behind). */
function forwardsInto(namespace: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv.includes('port-forward') && argv.join(' ').includes(`--namespace ${namespace} `)) found.push(`${pid}: ${argv.join(' ')}`);
  }
  return found;
}

interface App {
  p: Product;
  context: string;
  namespace: string;
  secrets: string[];
  kubectl(...args: string[]): Promise<string>;
  helmJson<T>(...args: string[]): Promise<T>;
  timed(what: string, args: string[], options?: Parameters<Product['run']>[1]): ReturnType<Product['run']>;
  /** Until no pull probe pod is left in the namespace (deleted with --wait=false: it may still be terminating). */
  probesGone(): Promise<string>;
}

function app(namespace: string, { extraYaml = '', kubeconfig = inject('node').kubeconfig, context = nodeContext } = {}): App {
  const node = inject('node');
  const p = createProduct({ helm, namespace, nodePorts, kubeconfig, dockerHost: node.dockerHost, containerd: node.containerd, databaseUrl: node.databaseUrl, target: 'cluster', extraYaml });
  const kubectl = (...args: string[]) => run(realToolPath('kubectl134'), ['--context', context, '--namespace', namespace, ...args], { env: p.env }) as Promise<string>;
  const a: App = {
    p,
    context,
    namespace,
    secrets: [...Object.values(appSecrets), new URL(node.databaseUrl).password, inject('registry').password],
    kubectl,
    helmJson: async <T>(...args: string[]) => JSON.parse(await run(realToolPath(helm), [...args, '--namespace', namespace, '--kube-context', context, '--output', 'json'], { env: p.env })) as T,
    async timed(what, args, options) {
      const started = Date.now();
      const r = await p.run(args, options);
      report.push(`${what.padEnd(44)} ${s(Date.now() - started).padStart(7)}  exit ${r.exitCode}, ${r.calls.length} calls, ${r.calls.filter(isMutating).length} mutating${pushed(r.calls).length ? `, pushed ${pushed(r.calls).length}` : ''}`);
      assertCalls(r.calls, a.secrets, context);
      for (const secret of a.secrets) expect(r.stdout + r.stderr).not.toContain(secret);
      // Whatever it forwarded while it ran, it stopped.
      expect(forwardsInto(namespace)).toEqual([]);
      return r;
    },
    async probesGone() {
      const deadline = Date.now() + 30_000;
      let left = await kubectl('get', 'pods', '--selector', 'todo-deploy.dev/probe=pull', '--output', 'name');
      while (left && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        left = await kubectl('get', 'pods', '--selector', 'todo-deploy.dev/probe=pull', '--output', 'name');
      }
      return left;
    },
  };
  return a;
}

/** Each Deployment's image, as the pods run it. */
async function deployedImages(a: App): Promise<Record<'frontend' | 'backend', string>> {
  const image = (name: string) => a.kubectl('get', 'deployment', name, '--output', 'jsonpath={.spec.template.spec.containers[0].image}');
  return { frontend: await image('frontend'), backend: await image('backend') };
}

/** repository:tag@sha256:… → its parts. */
function splitRef(ref: string): { host: string; repository: string; tag: string; digest: string } {
  const match = /^([^/]+)\/(.+):([^:@/]+)@(sha256:[0-9a-f]{64})$/.exec(ref);
  expect(match, ref).not.toBeNull();
  return { host: match![1]!, repository: match![2]!, tag: match![3]!, digest: match![4]! };
}

/** Both Deployments run repository:tag@digest, and the digest is what the registry holds for that tag. */
async function expectDeployedByDigest(a: App, registryPath: string, auth?: { username: string; password: string }): Promise<Record<'frontend' | 'backend', string>> {
  const images = await deployedImages(a);
  for (const service of ['frontend', 'backend'] as const) {
    const ref = splitRef(images[service]);
    expect(`${ref.host}/${ref.repository}`).toBe(`${registryPath}/todo-${service}`);
    expect(await registryDigest(ref.host, ref.repository, ref.tag, auth)).toBe(ref.digest);
    // The pods run that very image (containerd's imageID names the manifest's digest).
    const ids = await a.kubectl('get', 'pods', '--selector', `app.kubernetes.io/instance=${service}`, '--output', 'jsonpath={.items[*].status.containerStatuses[0].imageID}');
    for (const id of ids.split(' ').filter(Boolean)) expect(id.endsWith(ref.digest), id).toBe(true);
  }
  return images;
}

const upArgs = (a: App, ...more: string[]) => ['up', '--target', 'cluster', '--context', a.context, ...more];
const dayTwo = (a: App, command: string, ...more: string[]) => [command, '--target', 'cluster', '--context', a.context, ...more];

/** The namespace's events, oldest first: what the kubelet said, for a failure's message. */
const events = (a: App) => a.kubectl('get', 'events', '--sort-by', '.lastTimestamp').catch((error: Error) => error.message);

describe('the cluster target on a real node: a plain registry', () => {
  let a: App;
  const registry = () => `${inject('registry').host}/todo`;
  let images: Record<'frontend' | 'backend', string>;

  beforeAll(() => {
    // The node's context protected: every change needs --yes.
    a = app('todo-ct', { extraYaml: ['cluster:', '  protectedContexts: [mini*]', ''].join('\n') });
  });
  afterAll(async () => {
    if (a) await a.p.run(dayTwo(a, 'teardown', '--yes')).catch(() => undefined);
    a?.p.cleanup();
  });

  it('a protected context: up without --yes is refused (exit 2) and changes nothing', async () => {
    const r = await a.timed('up, protected context, no --yes', upArgs(a, '--registry', registry()));
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toContain(`The kube-context "${a.context}" is protected`);
    expect(r.stderr).toContain('--yes');
    expect(r.calls.filter(isMutating)).toEqual([]);
    expect(await run(realToolPath('kubectl134'), ['--context', a.context, 'get', 'namespace', a.namespace, '--ignore-not-found', '--output', 'name'], { env: a.p.env })).toBe('');
  });

  it('first up --yes: built here, pushed, pulled by a probe, both releases by digest, ClusterIP Services, checked through port-forwards', async () => {
    const r = await a.timed('first up', upArgs(a, '--registry', registry(), '--yes'));
    report.push(...(r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('✔')).map((l) => `    ${l}`));
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    // Built with the user's own daemon (no DOCKER_HOST of Minikube's) for the nodes' platform, then pushed.
    const builds = callsOf(r.calls, 'docker', 'build');
    expect(builds).toHaveLength(2);
    for (const b of builds) expect(b.argv[b.argv.indexOf('--platform') + 1]).toBe('linux/amd64');
    expect(pushed(r.calls).sort()).toEqual(builds.map((b) => b.argv[b.argv.indexOf('--tag') + 1]!).sort());
    expect(upgraded(r.calls).sort()).toEqual(['backend', 'frontend']);
    // A probe pod per image, polled and deleted before the first helm upgrade; none is left.
    const probeDeletes = r.calls.flatMap((c, i) => (c.tool === 'kubectl' && words(c)[0] === 'delete' && words(c)[2]?.startsWith('todo-deploy-pull-') ? [i] : []));
    expect([...new Set(probeDeletes.map((i) => words(r.calls[i]!)[2]))].sort()).toEqual(['todo-deploy-pull-backend', 'todo-deploy-pull-frontend']);
    expect(Math.max(...probeDeletes)).toBeLessThan(r.calls.findIndex((c) => c.tool === 'helm' && words(c)[0] === 'upgrade'));
    expect(callsOf(r.calls, 'kubectl', 'get', 'pods').some((c) => c.argv.includes('todo-deploy.dev/probe=pull,todo-deploy.dev/service=backend'))).toBe(true);
    expect(await a.probesGone()).toBe('');
    images = await expectDeployedByDigest(a, registry());
    expect(await a.kubectl('get', 'service', 'frontend', 'backend', '--output', 'jsonpath={.items[*].spec.type}')).toBe('ClusterIP ClusterIP');
    // The summary: the URLs on localhost, each with the image by digest.
    expect(r.stdout).toMatch(new RegExp(`App +http://localhost:${nodePorts.frontend} +${images.frontend.replace(/[.]/g, '\\.')}`));
    expect(r.stdout).toMatch(new RegExp(`API docs +http://localhost:${nodePorts.backend}/docs +${images.backend.replace(/[.]/g, '\\.')}`));
    expect(r.stdout).toContain('todo-deploy open');
    // The frontend was built for the URL the browser uses: the backend's forward on localhost.
    const frontendBuild = builds.find((b) => b.argv.some((x) => x.includes('todo-frontend')))!;
    expect(frontendBuild.argv).toContain(`NEXT_PUBLIC_BACKEND_URL=http://localhost:${nodePorts.backend}`);
  });

  it('a second up changes nothing: no push, no probe pod, no apply, no helm upgrade', async () => {
    const r = await a.timed('no-op up', upArgs(a, '--registry', registry(), '--yes'));
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.calls.filter(isMutating)).toEqual([]);
    expect(r.stdout).toContain('Nothing changed');
    expect(await deployedImages(a)).toEqual(images);
    expect((await a.helmJson<Array<{ revision: number }>>('history', 'frontend')).at(-1)!.revision).toBe(1);
    expect((await a.helmJson<Array<{ revision: number }>>('history', 'backend')).at(-1)!.revision).toBe(1);
  });

  it('verify passes through port-forwards; status shows the context and the digests; logs backend prints its lines', async () => {
    const v = await a.timed('verify', dayTwo(a, 'verify'));
    expect(v.exitCode, `${v.stdout}\n${v.stderr}`).toBe(0);
    report.push(...v.calls.filter(isMutating).map((c) => `    verify's change: ${c.tool} ${c.argv.join(' ')}`));
    expect(callsOf(v.calls, 'kubectl', 'port-forward').map((c) => words(c)[2]).sort()).toEqual([`${nodePorts.backend}:8000`, `${nodePorts.frontend}:3000`].sort());

    const st = await a.timed('status', dayTwo(a, 'status'));
    expect(st.exitCode, `${st.stdout}\n${st.stderr}`).toBe(0);
    expect(st.stdout).toContain(`kube-context "${a.context}", namespace ${a.namespace}`);
    expect(st.stdout).toContain(images.frontend);
    expect(st.stdout).toContain(images.backend);
    expect(st.stdout).toContain(`http://localhost:${nodePorts.frontend}`);

    const l = await a.timed('logs backend', dayTwo(a, 'logs', 'backend', '--tail', '20'));
    expect(l.exitCode, `${l.stdout}\n${l.stderr}`).toBe(0);
    expect(l.stdout).toMatch(/GET \/api\/health HTTP\/1\.1" 200/);
  });

  it('open serves the URLs on localhost until Ctrl-C, then exits 0 and leaves no kubectl behind', async () => {
    let out = '';
    const answers: Record<string, { status: number; body: string } | { error: string }> = {};
    const get = async (url: string) => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        return { status: res.status, body: await res.text() };
      } catch (error) {
        return { error: String((error as Error).cause ?? error) };
      }
    };
    const r = await a.timed('open (until Ctrl-C)', dayTwo(a, 'open'), {
      timeoutMs: 120_000,
      onSpawn: (child) => {
        let asked = false;
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (asked || !out.includes('Press Ctrl-C to stop.')) return;
          asked = true;
          // The URLs as open printed them.
          const app = /App +(http:\/\/\S+)/.exec(out)![1]!;
          const docs = /API docs +(http:\/\/\S+)/.exec(out)![1]!;
          void (async () => {
            answers.app = await get(app);
            answers.health = await get(docs.replace(/\/docs$/, '/api/health'));
            answers.docs = await get(docs);
            child.kill('SIGINT');
          })();
        });
      },
    });
    expect(r.stdout).toContain(`App       http://localhost:${nodePorts.frontend}`);
    expect(answers.app).toMatchObject({ status: 200 });
    expect((answers.app as { body: string }).body).toContain('</html>');
    // The page the browser gets calls the backend where the browser reaches it: the backend's forward.
    expect((answers.app as { body: string }).body).toContain(`http://localhost:${nodePorts.backend}`);
    expect(answers.health).toEqual({ status: 200, body: '{"status":"ok","database":"ok"}' });
    expect(answers.docs).toMatchObject({ status: 200 });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(callsOf(r.calls, 'kubectl', 'port-forward')).toHaveLength(2);
  });

  it('teardown --cluster delete is refused; teardown --yes removes the releases and Secrets and keeps the namespace', async () => {
    const d = await a.timed('teardown --cluster delete', dayTwo(a, 'teardown', '--yes', '--cluster', 'delete'));
    expect(d.exitCode, `${d.stdout}\n${d.stderr}`).toBe(2);
    expect(d.calls.filter(isMutating)).toEqual([]);
    expect(await a.helmJson<unknown[]>('list')).toHaveLength(2);

    const t = await a.timed('teardown', dayTwo(a, 'teardown', '--yes'));
    expect(t.exitCode, `${t.stdout}\n${t.stderr}`).toBe(0);
    expect(await a.helmJson<unknown[]>('list', '--deployed', '--failed', '--pending', '--uninstalling')).toEqual([]);
    expect(await a.kubectl('get', 'secrets', '--output', 'name')).toBe('');
    expect(await a.kubectl('get', 'namespace', a.namespace, '--output', 'jsonpath={.status.phase}')).toBe('Active');
    expect(callsOf(t.calls, 'kubectl', 'delete', 'namespace')).toEqual([]);
  });

  it('the registry lost the images this machine pushed (emptied, or a new one at the same address): up pushes them again and deploys', async () => {
    // This daemon still holds the images with the repository digests they were pushed as.
    for (const ref of Object.values(images)) {
      const { host, repository, digest } = splitRef(ref);
      const res = await fetch(`http://${host}/v2/${repository}/manifests/${digest}`, { method: 'DELETE', signal: AbortSignal.timeout(10_000) });
      expect(res.status).toBe(202);
    }
    const r = await a.timed('up, the registry lost the images', upArgs(a, '--registry', registry(), '--yes'));
    expect(r.exitCode, `${r.stdout}\n${r.stderr}\n${await events(a)}`).toBe(0);
    expect(callsOf(r.calls, 'docker', 'build')).toEqual([]);
    expect(pushed(r.calls)).toHaveLength(2);
    expect(await expectDeployedByDigest(a, registry())).toEqual(images);
    expect(await a.probesGone()).toBe('');
  });
});

describe('the cluster target on a real node: a registry that asks for credentials', () => {
  let a: App;
  let dockerConfig: string;
  const registry = () => `${inject('registry').authHost}/todo`;

  let yaml: string;

  beforeAll(async () => {
    a = app('todo-ct-auth');
    yaml = readFileSync(join(a.p.appDir, 'todo-deploy.yaml'), 'utf8');
    // The user's `docker login` (its own config folder, the password on stdin): for the push only.
    dockerConfig = join(a.p.dir, 'docker-config');
    const { authHost, username, password } = inject('registry');
    await run(dockerBin, ['--config', dockerConfig, 'login', '--username', username, '--password-stdin', authHost], { env: { ...process.env, DOCKER_HOST: inject('node').dockerHost }, input: password });
    const config = JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8')) as { auths: Record<string, { auth?: string }> };
    expect(config.auths[authHost]?.auth).toBeTruthy();
  });
  afterAll(async () => {
    if (a) await a.p.run(dayTwo(a, 'teardown', '--yes'), { env: { DOCKER_CONFIG: dockerConfig } }).catch(() => undefined);
    a?.p.cleanup();
  });

  it('no cluster.pullSecret: up fails before any helm upgrade, saying the registry refused credentials, with the pullSecret hint', async () => {
    const r = await a.timed('up, auth registry, no pullSecret', upArgs(a, '--registry', registry()), { env: { DOCKER_CONFIG: dockerConfig } });
    const out = r.stdout + r.stderr;
    report.push(...out.split('\n').filter((l) => /refused|pullSecret|kubelet said/.test(l)).slice(0, 4).map((l) => `    ${l.trim().slice(0, 200)}`));
    expect(r.exitCode, `${out}\n${await events(a)}`).toBe(1);
    expect(pushed(r.calls)).toHaveLength(2);
    expect(callsOf(r.calls, 'helm', 'upgrade')).toEqual([]);
    expect(out).toContain('the registry refused it credentials');
    expect(out).toContain('cluster.pullSecret');
    expect(await a.probesGone()).toBe('');
  });

  it('a cluster.pullSecret whose login the registry refuses: up fails before any helm upgrade, naming the file and the fix', async () => {
    // A login for the right registry with a wrong password (as after a password change).
    const wrong = join(a.p.dir, 'wrong-login.json');
    const wrongAuth = Buffer.from(`${inject('registry').username}:Wr0ng-Regi5try-Pass`).toString('base64');
    writeFileSync(wrong, JSON.stringify({ auths: { [inject('registry').authHost]: { auth: wrongAuth } } }), { mode: 0o600 });
    a.secrets.push('Wr0ng-Regi5try-Pass', wrongAuth);
    a.p.write('todo-deploy.yaml', `${yaml}\ncluster:\n  pullSecret: ${wrong}\n`);
    const r = await a.timed('up, auth registry, wrong pullSecret', upArgs(a, '--registry', registry()), { env: { DOCKER_CONFIG: dockerConfig } });
    const out = r.stdout + r.stderr;
    expect(r.exitCode, `${out}\n${await events(a)}`).toBe(1);
    expect(callsOf(r.calls, 'helm', 'upgrade')).toEqual([]);
    expect(out).toContain('the registry refused it credentials');
    expect(out).toContain(`The pull secret made from ${wrong} has no credentials that ${inject('registry').authHost} accepts`);
    expect(await a.kubectl('get', 'secret', 'registry-credentials', '--output', 'jsonpath={.type}')).toBe('kubernetes.io/dockerconfigjson');
    expect(await a.probesGone()).toBe('');
  });

  it('with cluster.pullSecret: a dockerconfigjson Secret over stdin, the pods pull by digest, the password nowhere', async () => {
    a.p.write('todo-deploy.yaml', `${yaml}\ncluster:\n  pullSecret: ${join(dockerConfig, 'config.json')}\n`);
    const r = await a.timed('up, auth registry, pullSecret', upArgs(a, '--registry', registry()), { env: { DOCKER_CONFIG: dockerConfig } });
    const seen = await events(a);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}\n${seen}`).toBe(0);
    // Whether the kubelet's first pull went without the secret (the Node authorizer's race), and how the probe took it.
    const raced = seen.split('\n').filter((l) => l.includes('FailedToRetrieveImagePullSecret') && l.includes('todo-deploy-pull-'));
    report.push(`    the kubelet could not read the pull secret at first: ${raced.length > 0 ? `yes (${raced.map((l) => /pod\/(\S+)/.exec(l)?.[1]).join(', ')}); the probe waited for its retry` : 'no'}`);
    // Made from the file, over stdin: the apply's argv names no value.
    expect(callsOf(r.calls, 'kubectl', 'apply').every((c) => c.argv.includes('--filename') && c.argv.at(c.argv.indexOf('--filename') + 1) === '-')).toBe(true);
    expect(await a.kubectl('get', 'secret', 'registry-credentials', '--output', 'jsonpath={.type}')).toBe('kubernetes.io/dockerconfigjson');
    const stored = JSON.parse(Buffer.from(await a.kubectl('get', 'secret', 'registry-credentials', '--output', 'jsonpath={.data.\\.dockerconfigjson}'), 'base64').toString()) as { auths: Record<string, unknown> };
    expect(Object.keys(stored.auths)).toEqual([inject('registry').authHost]);
    const { username, password } = inject('registry');
    await expectDeployedByDigest(a, registry(), { username, password });
    expect(await a.kubectl('get', 'deployment', 'backend', '--output', 'jsonpath={.spec.template.spec.imagePullSecrets[*].name}')).toBe('registry-credentials');
    expect(await a.probesGone()).toBe('');
    // The password in no argv of any run of this app, and in no output (timed checks each run's).
    assertCalls(a.p.calls(), [password, Buffer.from(`${username}:${password}`).toString('base64')], a.context);
  });

  it('teardown removes the image pull Secret with the others', async () => {
    const t = await a.timed('teardown (auth registry)', dayTwo(a, 'teardown', '--yes'));
    expect(t.exitCode, `${t.stdout}\n${t.stderr}`).toBe(0);
    expect(await a.kubectl('get', 'secrets', '--output', 'name')).toBe('');
  });
});

// The node under a second context name, in a kubeconfig of the test whose current context is
// still the first: a context named "minikube" (or kind-*, k3d-*) is one the product may load
// images into without a registry, and this app is about a cluster that has none of that. Every
// call must name the context the user gave, never the current one.
describe('the cluster target on a real node: the registry the cluster advertises (KEP-1755), and refusals', () => {
  let a: App;
  let dir: string;
  const kubePublic = (...args: string[]) => run(realToolPath('kubectl134'), ['--context', a.context, '--namespace', 'kube-public', ...args], { env: a.p.env });

  beforeAll(async () => {
    dir = mkdtempSync(join('/tmp', 'todo-node-kubeconfig-'));
    const kubeconfig = join(dir, 'config');
    const config = parse(await run(realToolPath('kubectl134'), ['config', 'view', '--raw'], { env: { ...process.env, KUBECONFIG: inject('node').kubeconfig } })) as { contexts: Array<{ name: string; context: object }>; 'current-context': string };
    const node = config.contexts.find((c) => c.name === nodeContext)!;
    config.contexts.push({ name: 'tier-node', context: node.context });
    config['current-context'] = nodeContext;
    writeFileSync(kubeconfig, stringify(config), { mode: 0o600 });
    a = app('todo-ct-local', { kubeconfig, context: 'tier-node' });
    expect(await kubePublic('get', 'configmap', 'local-registry-hosting', '--ignore-not-found', '--output', 'name')).toBe('');
  });
  afterAll(async () => {
    if (a) {
      await a.p.run(dayTwo(a, 'teardown', '--yes')).catch(() => undefined);
      await kubePublic('delete', 'configmap', 'local-registry-hosting', '--ignore-not-found').catch(() => undefined);
    }
    a?.p.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--platform linux/arm64 on linux/amd64 nodes: refused (exit 2) before any build', async () => {
    const r = await a.timed('up --platform linux/arm64', upArgs(a, '--registry', `${inject('registry').host}/todo`, '--platform', 'linux/arm64'));
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toContain('linux/arm64');
    expect(r.stderr).toContain('linux/amd64');
    expect(callsOf(r.calls, 'docker', 'build')).toEqual([]);
    expect(r.calls.filter(isMutating)).toEqual([]);
  });

  it('no --registry and no advertised registry: refused (exit 2), nothing built or deployed', async () => {
    const r = await a.timed('up, no registry', upArgs(a));
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toContain('no registry to push the images to');
    expect(r.calls.filter(isMutating)).toEqual([]);
    expect(await run(realToolPath('kubectl134'), ['--context', a.context, 'get', 'namespace', a.namespace, '--ignore-not-found', '--output', 'name'], { env: a.p.env })).toBe('');
  });

  it('with kube-public/local-registry-hosting: up without --registry pushes there and deploys', async () => {
    const { host } = inject('registry');
    const hosting = ['localRegistryHosting.v1: |', `  host: "${host}"`, `  hostFromContainerRuntime: "${host}"`, '  help: "https://kind.sigs.k8s.io/docs/user/local-registry/"'].map((l) => `  ${l}`);
    await run(realToolPath('kubectl134'), ['--context', a.context, 'apply', '--filename', '-'], {
      env: a.p.env,
      input: ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: local-registry-hosting', '  namespace: kube-public', 'data:', ...hosting, ''].join('\n'),
    });
    const r = await a.timed('up, advertised registry', upArgs(a));
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(pushed(r.calls).every((ref) => ref.startsWith(`${host}/todo-`))).toBe(true);
    expect(pushed(r.calls)).toHaveLength(2);
    await expectDeployedByDigest(a, host);
    expect(await a.probesGone()).toBe('');
  });
});
