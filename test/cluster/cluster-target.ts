// The cluster target's external calls (docs: /work/design/cluster-target.md), made for real: the
// tier's Docker Engine pushing to the tier's registries (registry.ts), kubectl 1.34 against the
// real node, the node's containerd pulling by digest. Each call's output is one recording of
// test/contract/recorded/cluster-target/, written by test/contract/record-cluster-target.ts and
// re-checked by node/cluster-target.test.ts against a node tier run.
//
// The image pushed is small and built here (FROM scratch, static binaries made with gcc, as the
// pause image is): /bin/true (the pull probe's command) and /serve (a one-line HTTP answer on
// 8080, for port-forward). A manifest index without linux/amd64 is written straight to the
// registry's HTTP API (blob uploads and manifest PUTs) from this process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { realToolPath } from '../support/real-tools.js';
import { clusterContext } from './control-plane.js';
import { normalizeOutput } from './tools.js';

export const inspectFormat = '{"tags":{{json .RepoTags}},"digests":{{json .RepoDigests}},"platform":"{{.Os}}/{{.Architecture}}"}';
export const kubectlVersion = 'v1.34.5';
/** The local port of the recorded port-forward: the backend's default nodePort, as the product uses it. */
export const forwardPort = 30001;

export interface TargetRecording {
  tool: 'docker' | 'kubectl' | 'registry-api';
  /** The client's version (and for docker, the daemon's). */
  version: string;
  how: string;
  argv: string[];
  input?: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  note?: string;
}

export interface DockerClient {
  /** Recording suffix, e.g. docker-20.10. */
  id: string;
  path: string;
}

export interface TargetEnv {
  dockerHost: string;
  kubeconfig: string;
  registry: { host: string; authHost: string; username: string; password: string };
  /** host:port with nothing listening, in the daemon's insecure registries. */
  refusedHost: string;
  /** A plain-HTTP registry the daemon was not told is insecure (recorder only). */
  httpsOnlyHost?: string;
  /** The repository's name (todo-backend when recording; another in the tier, to stay clear of other tests). */
  repository: string;
  namespace: string;
  /** Temp folder for HOMEs and docker configs. */
  work: string;
  /** Called between clients: makes the registries empty again (recorder only). */
  freshRegistries?: () => Promise<void>;
}

export const tag = '8e1d0a6c5b2f-linux-amd64';

interface Ran {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export function runTool(bin: string, argv: string[], env: Record<string, string>, input?: string, timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

// Static C programs for the test image: true, and an HTTP answer for port-forward.
const trueSource = 'int main(void) { return 0; }\n';
const serveSource = `#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(8080)};
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 16) < 0) return 1;
  const char *r = "HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 3\\r\\n\\r\\nok\\n";
  char buf[4096];
  for (;;) {
    int c = accept(s, 0, 0);
    if (c < 0) continue;
    (void)read(c, buf, sizeof buf);
    (void)write(c, r, strlen(r));
    close(c);
  }
}
`;

/** Builds the test image as `ref` in the daemon (BuildKit, no network). */
export async function buildTestImage(docker: string, dockerHost: string, ref: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tdtarget-'));
  try {
    for (const [name, src] of [['true', trueSource], ['serve', serveSource]] as const) {
      writeFileSync(join(dir, `${name}.c`), src);
      const cc = spawnSync('gcc', ['-Os', '-Wall', '-static', '-o', join(dir, name), join(dir, `${name}.c`)], { encoding: 'utf8' });
      if (cc.status !== 0) throw new Error(`gcc ${name}: ${cc.stderr}`);
      spawnSync('strip', [join(dir, name)]);
    }
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY true /bin/true\nCOPY serve /serve\nENV PATH=/bin\nUSER 65535:65535\nEXPOSE 8080\nENTRYPOINT ["/serve"]\n');
    const r = await runTool(docker, ['build', '--network', 'none', '--tag', ref, dir], { PATH: process.env.PATH ?? '/usr/bin:/bin', DOCKER_HOST: dockerHost, DOCKER_BUILDKIT: '1' });
    if (r.exitCode !== 0) throw new Error(`docker build: ${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function putBlob(host: string, repo: string, body: Buffer): Promise<string> {
  const digest = sha(body);
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`blob upload start: ${start.status} ${await start.text()}`);
  const location = new URL(start.headers.get('location')!, `http://${host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
  return digest;
}

/**
 * Writes an OCI image index with a linux/arm64 image only (a one-file layer) as repo:tagName;
 * resolves with the index's digest.
 */
export async function pushArm64OnlyIndex(host: string, repo: string, tagName: string): Promise<string> {
  // A tar with one regular file, "arm64", 6 bytes.
  const header = Buffer.alloc(512);
  header.write('arm64', 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write('00000000006\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const content = Buffer.alloc(512);
  content.write('arm64\n');
  const tar = Buffer.concat([header, content, Buffer.alloc(1024)]);
  const layer = gzipSync(tar);
  const layerDigest = await putBlob(host, repo, layer);
  const config = Buffer.from(JSON.stringify({ architecture: 'arm64', os: 'linux', config: { Entrypoint: ['/arm64'] }, rootfs: { type: 'layers', diff_ids: [sha(tar)] } }));
  const configDigest = await putBlob(host, repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
    }),
  );
  const manifestDigest = sha(manifest);
  const putManifest = async (ref: string, body: Buffer, type: string) => {
    const r = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body, headers: { 'content-type': type } });
    if (r.status !== 201) throw new Error(`manifest ${ref}: ${r.status} ${await r.text()}`);
  };
  await putManifest(manifestDigest, manifest, 'application/vnd.oci.image.manifest.v1+json');
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, platform: { architecture: 'arm64', os: 'linux' } }],
    }),
  );
  await putManifest(tagName, index, 'application/vnd.oci.image.index.v1+json');
  return sha(index);
}

interface PodStatus {
  items: Array<{ status?: { containerStatuses?: Array<{ state?: { waiting?: { reason?: string; message?: string }; running?: object; terminated?: { reason?: string } } }> } }>;
}

/** The first container's state, from `kubectl get pods --output json`. */
export function containerState(stdout: string): { waiting?: { reason?: string; message?: string }; running?: object; terminated?: { reason?: string } } | undefined {
  return (JSON.parse(stdout) as PodStatus).items[0]?.status?.containerStatuses?.[0]?.state;
}

/** The probe Pod the product applies (design, step 8), with the image and pull secret given. */
export function probePod(name: string, service: string, image: string, pullSecret?: string, command: string[] | null = ['true']): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'todo-deploy', 'todo-deploy.dev/probe': 'pull', 'todo-deploy.dev/service': service } },
    spec: {
      restartPolicy: command ? 'Never' : 'Always',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65535, runAsGroup: 65535, seccompProfile: { type: 'RuntimeDefault' } },
      ...(pullSecret && { imagePullSecrets: [{ name: pullSecret }] }),
      containers: [
        {
          name: 'probe',
          image,
          imagePullPolicy: 'Always',
          ...(command && { command }),
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

/** Makes every recording of the cluster target, in order; `record(name, recording)` receives each. */
export async function recordClusterTarget(e: TargetEnv, clients: DockerClient[], record: (name: string, r: TargetRecording) => void): Promise<void> {
  const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const { host, authHost } = e.registry;
  const ref = `${host}/${e.repository}:${tag}`;
  const authRef = `${authHost}/${e.repository}:${tag}`;
  const missingRef = `${host}/${e.repository}:000000000000-linux-amd64`;
  let daemonVersion = '';
  const dockerCall = async (c: DockerClient, name: string, how: string, argv: string[], extra: { env?: Record<string, string>; input?: string; note?: string } = {}) => {
    const config = join(e.work, `docker-config-${c.id}`);
    const r = await runTool(c.path, argv, { ...baseEnv, HOME: e.work, DOCKER_CONFIG: config, DOCKER_HOST: e.dockerHost, ...extra.env }, extra.input);
    record(`${name}.${c.id}`, { tool: 'docker', version: `client ${clientVersion.get(c.id)}, daemon ${daemonVersion}`, how, argv, ...(extra.input !== undefined && { input: '<password>' }), exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, ...(extra.note && { note: extra.note }) });
    return r;
  };
  const clientVersion = new Map<string, string>();
  for (const c of clients) {
    const v = await runTool(c.path, ['version', '--format', '{{json .}}'], { ...baseEnv, HOME: e.work, DOCKER_HOST: e.dockerHost });
    const json = JSON.parse(v.stdout) as { Client: { Version: string }; Server: { Version: string } };
    clientVersion.set(c.id, json.Client.Version);
    daemonVersion = json.Server.Version;
  }

  // a, b: the pushes and the image lookups around them, with each client.
  let pushedDigest = '';
  const frontendRef = `${host}/${e.repository.replace('backend', 'frontend')}:${tag}`;
  const refusedRef = `${e.refusedHost}/${e.repository}:${tag}`;
  const httpsRef = e.httpsOnlyHost && `${e.httpsOnlyHost}/${e.repository}:${tag}`;
  const docker = (c: DockerClient, argv: string[]) => runTool(c.path, argv, { ...baseEnv, HOME: e.work, DOCKER_HOST: e.dockerHost });
  for (const c of clients) {
    await e.freshRegistries?.();
    // No reference left by an earlier client or run (the daemon's data root may be kept): tags,
    // then the digests its pushes left, so the image is made anew, never pushed.
    for (const r of [ref, authRef, frontendRef, refusedRef, ...(httpsRef ? [httpsRef] : [])]) await docker(c, ['image', 'rm', '--force', r]);
    for (const repo of [`${host}/${e.repository}`, `${authHost}/${e.repository}`]) {
      const left = await docker(c, ['image', 'ls', '--digests', '--format', '{{.Repository}}@{{.Digest}}', repo]);
      for (const d of left.stdout.split('\n').filter((l) => l.includes('@sha256:'))) await docker(c, ['image', 'rm', '--force', d]);
    }
    await buildTestImage('/usr/bin/docker', e.dockerHost, ref);
    // Any other name the same image (the same content, so the same id) was given by an earlier
    // run — another registry's, a recorder's — goes with its id; then it is built anew.
    const id = (await docker(c, ['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
    await docker(c, ['image', 'rm', '--force', id]);
    await buildTestImage('/usr/bin/docker', e.dockerHost, ref);
    const inspect = (name: string, how: string) => dockerCall(c, name, how, ['image', 'inspect', '--format', inspectFormat, ref, frontendRef, missingRef]);
    // todo-frontend: the same image under a second name, never pushed (as a service whose push is still to come).
    await docker(c, ['tag', ref, frontendRef]);
    await inspect('inspect-before-push', 'after `docker build --tag <ref>` (and `docker tag` to the frontend ref), before any push; the third ref does not exist');
    const push = await dockerCall(c, 'push', 'the first push of the image to the plain registry (nothing in it)', ['push', ref]);
    pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1] ?? pushedDigest;
    await inspect('inspect-after-push', 'after the push of the backend ref; the frontend ref (same image id) is not pushed');
    await dockerCall(c, 'push-again', 'the same image pushed again', ['push', ref]);
    await docker(c, ['tag', ref, authRef]);
    await dockerCall(c, 'push-unauthorized', 'to the registry with htpasswd auth, no `docker login` (an empty DOCKER_CONFIG)', ['push', authRef]);
    await docker(c, ['tag', ref, refusedRef]);
    await dockerCall(c, 'push-refused', 'to host:port where nothing listens (an insecure registry of the daemon: plain HTTP)', ['push', refusedRef]);
    if (httpsRef) {
      await docker(c, ['tag', ref, httpsRef]);
      await dockerCall(c, 'push-http-registry', 'to a plain-HTTP registry the daemon was not told is insecure (it asks https:// first)', ['push', httpsRef]);
    }
    const login = await dockerCall(c, 'login', '`docker login --password-stdin` to the auth registry (for the pushes after it)', ['login', authHost, '--username', e.registry.username, '--password-stdin'], { input: e.registry.password });
    if (login.exitCode !== 0) throw new Error(`docker login: ${login.stderr}`);
    await dockerCall(c, 'push-auth', 'to the auth registry after `docker login`', ['push', authRef]);
  }

  // c: the node.
  const kubeHome = join(e.work, 'kube-home');
  const kubectlEnv = { ...baseEnv, HOME: kubeHome, KUBECONFIG: e.kubeconfig };
  const kubectl = (argv: string[], input?: string, env: Record<string, string> = kubectlEnv) => runTool(realToolPath('kubectl134'), argv, env, input);
  const kubectlRecord = async (name: string, how: string, argv: string[], input?: string, env?: Record<string, string>) => {
    const r = await kubectl(argv, input, env);
    record(name, { tool: 'kubectl', version: kubectlVersion, how, argv, ...(input !== undefined && { input }), exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr });
    return r;
  };
  const must = async (argv: string[], input?: string) => {
    const r = await kubectl(argv, input);
    if (r.exitCode !== 0) throw new Error(`kubectl ${argv.join(' ')}: ${r.stderr}`);
    return r;
  };
  const ctx = ['--context', clusterContext];
  const ns = [...ctx, '--namespace', e.namespace];
  const apply = (doc: object) => must([...ns, 'apply', '--server-side', '--field-manager=todo-deploy', '--force-conflicts', '--filename', '-'], JSON.stringify(doc));

  await kubectlRecord('get-nodes', 'the node of the tier (only items[].status.nodeInfo matters to the product)', [...ctx, 'get', 'nodes', '--output', 'json']);
  // A user with no rights at all: a ServiceAccount's token in a kubeconfig of its own (never in argv).
  await must([...ctx, 'create', 'namespace', e.namespace]);
  await must([...ns, 'create', 'serviceaccount', 'nobody']);
  const token = (await must([...ns, 'create', 'token', 'nobody'])).stdout.trim();
  const server = /server: "?([^"\s,}]+)/.exec((await must([...ctx, 'config', 'view', '--minify', '--raw'])).stdout)?.[1];
  const nobody = join(e.work, 'nobody.kubeconfig');
  writeFileSync(nobody, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }], users: [{ name: 'nobody', user: { token } }], contexts: [{ name: clusterContext, context: { cluster: 'c', user: 'nobody' } }], 'current-context': clusterContext }), { mode: 0o600 });
  await kubectlRecord('get-nodes-forbidden', 'as a ServiceAccount with no RBAC rights', [...ctx, 'get', 'nodes', '--output', 'json'], undefined, { ...kubectlEnv, KUBECONFIG: nobody });

  const hostingArgv = [...ctx, '--namespace', 'kube-public', 'get', 'configmap', 'local-registry-hosting', '--ignore-not-found', '--output', 'json'];
  await kubectlRecord('registry-hosting-absent', 'no ConfigMap local-registry-hosting in kube-public', hostingArgv);
  const hosting = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'local-registry-hosting', namespace: 'kube-public' },
    // KEP-1755's LocalRegistryHostingV1 (what kind's and k3d's docs write).
    data: { 'localRegistryHosting.v1': `host: "${host}"\nhostFromContainerRuntime: "${host}"\nhostFromClusterNetwork: "${host}"\nhelp: "https://github.com/kubernetes/enhancements/tree/master/keps/sig-cluster-lifecycle/generic/1755-communicating-a-local-registry"\n` },
  };
  await must([...ctx, '--namespace', 'kube-public', 'apply', '--server-side', '--field-manager=todo-deploy-test', '--filename', '-'], JSON.stringify(hosting));
  await kubectlRecord('registry-hosting-present', 'after applying KEP-1755\'s ConfigMap (host, hostFromContainerRuntime, hostFromClusterNetwork, help)', hostingArgv);
  await must([...ctx, '--namespace', 'kube-public', 'delete', 'configmap', 'local-registry-hosting']);

  // The pull secret for the auth registry (type kubernetes.io/dockerconfigjson), applied from stdin.
  const { username, password } = e.registry;
  const dockerconfig = JSON.stringify({ auths: { [authHost]: { username, password, auth: Buffer.from(`${username}:${password}`).toString('base64') } } });
  await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'registry-credentials' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(dockerconfig).toString('base64') } });

  const index = await pushArm64OnlyIndex(host, e.repository, 'arm64-only');
  const zeros = `sha256:${'0'.repeat(64)}`;
  const probes: Array<{ service: string; image: string; secret?: string; how: string; expect: 'fail' | 'ok' }> = [
    { service: 'unauthorized', image: `${authRef}@${pushedDigest}`, how: 'by digest from the auth registry, no imagePullSecrets', expect: 'fail' },
    { service: 'missing-tag', image: missingRef, how: 'a tag the registry does not have (no digest)', expect: 'fail' },
    { service: 'missing-digest', image: `${ref}@${zeros}`, how: 'tag@digest, the digest unknown to the registry', expect: 'fail' },
    { service: 'platform', image: `${host}/${e.repository}:arm64-only@${index}`, how: 'an OCI index with linux/arm64 only (pushed through the registry API), on a linux/amd64 node', expect: 'fail' },
    { service: 'refused', image: `${e.refusedHost}/${e.repository}:${tag}@${pushedDigest}`, how: 'host:port where nothing listens (containerd: no hosts.toml, so https)', expect: 'fail' },
    { service: 'ok', image: `${ref}@${pushedDigest}`, how: 'by digest (repo:tag@sha256:…) from the plain registry; command ["true"]', expect: 'ok' },
    { service: 'auth-ok', image: `${authRef}@${pushedDigest}`, secret: 'registry-credentials', how: 'by digest from the auth registry with imagePullSecrets [registry-credentials] (kubernetes.io/dockerconfigjson)', expect: 'ok' },
  ];
  for (const p of probes) await apply(probePod(`todo-deploy-pull-${p.service}`, p.service, p.image, p.secret));
  const getArgv = (service: string) => [...ns, 'get', 'pods', '--selector', `todo-deploy.dev/probe=pull,todo-deploy.dev/service=${service}`, '--output', 'json'];
  // Polled as the product polls, until each state of interest is seen (ErrImagePull, then
  // ImagePullBackOff; or the container terminated).
  const seen = new Set<string>();
  const deadline = Date.now() + 180_000;
  const wanted = (p: (typeof probes)[number]) => (p.expect === 'ok' ? ['terminated'] : ['ErrImagePull', 'ImagePullBackOff']);
  while (probes.some((p) => wanted(p).some((w) => !seen.has(`${p.service}/${w}`)))) {
    if (Date.now() > deadline) throw new Error(`probe pods did not reach their states; seen: ${[...seen].join(', ')}`);
    for (const p of probes) {
      const r = await kubectl(getArgv(p.service));
      const state = containerState(r.stdout);
      const key = state?.waiting?.reason ?? (state?.terminated ? 'terminated' : state?.running ? 'running' : undefined);
      if (!key || seen.has(`${p.service}/${key}`) || !wanted(p).includes(key)) continue;
      seen.add(`${p.service}/${key}`);
      const suffix = key === 'ErrImagePull' ? '-errimagepull' : key === 'ImagePullBackOff' ? '-backoff' : '';
      record(`pull-${p.service}${suffix}`, { tool: 'kubectl', version: kubectlVersion, how: `the probe Pod (imagePullPolicy Always): ${p.how}; state ${key}`, argv: getArgv(p.service), exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  for (const p of probes) await must([...ns, 'delete', 'pod', `todo-deploy-pull-${p.service}`, '--wait=false']);

  // d: port-forward to a Service, then the pod behind it deleted.
  await apply({ ...probePod('serve', 'serve', `${ref}@${pushedDigest}`, undefined, null), metadata: { name: 'serve', labels: { app: 'serve' } } });
  await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'todo-backend' }, spec: { type: 'ClusterIP', selector: { app: 'serve' }, ports: [{ port: 8000, targetPort: 8080 }] } });
  await must([...ns, 'wait', '--for=condition=Ready', 'pod/serve', '--timeout=90s']);
  const forwardArgv = [...ns, 'port-forward', 'service/todo-backend', `${forwardPort}:8000`, '--address', '127.0.0.1'];
  const child: ChildProcess = spawn(realToolPath('kubectl134'), forwardArgv, { env: kubectlEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const timeline: string[] = [];
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const waitFor = async (check: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    return check();
  };
  let exitCode: number | null = null;
  let stillRunning = false;
  try {
    await waitFor(() => out.includes('Forwarding from'), 20_000);
    timeline.push(`started; stdout: ${JSON.stringify(out)}`);
    const get = async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${forwardPort}/`, { signal: AbortSignal.timeout(5_000) });
        return `${res.status} ${JSON.stringify(await res.text())}`;
      } catch (error) {
        return `error: ${(error as Error).cause ? String((error as Error).cause) : (error as Error).message}`;
      }
    };
    timeline.push(`GET http://127.0.0.1:${forwardPort}/ → ${await get()}`);
    await must([...ns, 'delete', 'pod', 'serve', '--wait=true', '--grace-period=1']);
    timeline.push('pod serve deleted (kubectl delete --wait=true --grace-period=1)');
    let code: number | null | undefined;
    void exited.then((c) => (code = c));
    await waitFor(() => code !== undefined, 10_000);
    timeline.push(code !== undefined ? `exited ${code} without another connection` : 'still running 10 s after the deletion, with no connection');
    if (code === undefined) {
      timeline.push(`GET http://127.0.0.1:${forwardPort}/ → ${await get()}`);
      await waitFor(() => code !== undefined, 10_000);
      timeline.push(code !== undefined ? `exited ${code} after that connection` : 'still running 10 s after that connection');
    }
    if (code === undefined) {
      timeline.push(`GET http://127.0.0.1:${forwardPort}/ → ${await get()}`);
      await waitFor(() => code !== undefined, 10_000);
      timeline.push(code !== undefined ? `exited ${code} after a second connection` : 'still running 10 s after a second connection: stopped (SIGTERM)');
    }
    stillRunning = code === undefined;
    exitCode = code ?? null;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }
  record('port-forward', {
    tool: 'kubectl',
    version: kubectlVersion,
    how: 'a ClusterIP Service (port 8000 → targetPort 8080) with one Running pod; one GET through the forward, then the pod deleted',
    argv: forwardArgv,
    exitCode: stillRunning ? null : exitCode,
    stdout: out,
    stderr: err,
    note: timeline.join('\n'),
  });
  await must([...ctx, 'delete', 'namespace', e.namespace, '--wait=false']);
}

/** A recording as stored: stdout JSON normalized as the cluster tier's (times, uids), other text as is. */
export function stored(r: TargetRecording): TargetRecording {
  return { ...r, stdout: r.tool === 'kubectl' && r.argv.includes('json') ? normalizeOutput(r.stdout) : r.stdout, stderr: r.stderr.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, '<time>') };
}
