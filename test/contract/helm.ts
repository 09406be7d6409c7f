// The real helm binaries (3.17 and 4.1), run offline against a seeded world, and the simulator
// loaded with the same world: what both print for the argv the product passes.
//
// Helm's memory storage driver (HELM_DRIVER=memory) takes its releases from
// HELM_MEMORY_DRIVER_DATA, in Helm's own storage format (seeds/releases.yaml). Reads need no
// cluster. Install and upgrade ask the API server for its version and API groups first; a
// loopback server that answers only those discovery calls lets real helm install and upgrade a
// chart with no objects (fixtures/empty-chart), so what it prints — and refuses — is recorded too.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { helmHistoryArgs, helmListArgs, helmStatusArgs, helmUpgradeArgs, helmVersionArgs } from '../../src/tools/helm.js';
import type { Sim } from '../sim/harness.js';
import type { HelmHook, HelmRevision, HelmStatus } from '../sim/types.js';
import { realToolPath } from '../support/real-tools.js';
import { tempDir } from '../support/temp.js';

export const contractDir = new URL('.', import.meta.url).pathname;
export const repoRoot = join(contractDir, '../..');
const seedFile = join(contractDir, 'seeds/releases.yaml');
export const emptyChart = join(contractDir, 'fixtures/empty-chart');

export const helmVersions = { 3: 'v3.17.2', 4: 'v4.1.4' } as const;
export type Major = keyof typeof helmVersions;

export interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** One recorded call of a real binary, as stored under recorded/. */
export interface Recording extends Run {
  tool: string;
  version: string;
  /** How it was run, when not simply with the argv (the seed, the discovery server). */
  how: string;
  argv: string[];
  input?: string;
}

const ref = { namespace: 'todo', kubeContext: 'minikube' };

export interface HelmCase {
  name: string;
  argv: (major: Major) => string[];
  input?: string;
}

/** Each helm call whose output the product reads, in the states that matter. */
export const helmCases: HelmCase[] = [
  { name: 'version', argv: () => helmVersionArgs },
  { name: 'status-deployed', argv: () => helmStatusArgs({ ...ref, release: 'backend' }) },
  { name: 'status-pending-upgrade', argv: () => helmStatusArgs({ ...ref, release: 'frontend' }) },
  { name: 'status-not-found', argv: () => helmStatusArgs({ ...ref, release: 'nothing' }) },
  // The table holds the test suites, as `helm test` prints them.
  { name: 'status-table', argv: () => ['status', 'backend', '--namespace', 'todo', '--kube-context', 'minikube'] },
  { name: 'list', argv: () => helmListArgs(ref, ['frontend', 'backend']) },
  { name: 'list-none', argv: () => helmListArgs(ref, ['nothing']) },
  { name: 'history', argv: () => helmHistoryArgs({ ...ref, release: 'backend' }) },
  { name: 'history-not-found', argv: () => helmHistoryArgs({ ...ref, release: 'nothing' }) },
  { name: 'get-values', argv: () => ['get', 'values', 'backend', '--namespace', 'todo', '--kube-context', 'minikube', '--output', 'json'] },
  { name: 'get-values-none', argv: () => ['get', 'values', 'frontend-old', '--namespace', 'todo', '--kube-context', 'minikube', '--output', 'json'] },
  { name: 'get-manifest', argv: () => ['get', 'manifest', 'backend', '--namespace', 'todo', '--kube-context', 'minikube'] },
  ...(['install', 'upgrade', 'upgrade-pending'] as const).map((kind) => ({
    name: kind,
    argv: (major: Major) =>
      helmUpgradeArgs({ ...ref, release: { install: 'fresh', upgrade: 'backend', 'upgrade-pending': 'frontend' }[kind], chart: emptyChart, helmMajor: major, timeoutMs: 20_000, valuesFiles: [] }),
    input: JSON.stringify({ replicaCount: 1, image: { repository: 'todo-backend', tag: '8d41c07a55e2' } }),
  })),
];

/** Timestamps of the moment of the run, and this checkout's path, which differ between runs. */
export function normalize(text: string): string {
  return text.replaceAll(repoRoot, '<repo>/').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, '<now>').replaceAll('<repo>//', '<repo>/');
}

let discovery: Promise<{ server: Server; kubeconfig: string; env: NodeJS.ProcessEnv }> | undefined;

function discoveryOnly(): Server {
  const answers: Record<string, unknown> = {
    '/version': { major: '1', minor: '34', gitVersion: 'v1.34.0', gitCommit: '', gitTreeState: 'clean', buildDate: '2025-08-27T00:00:00Z', goVersion: 'go1.24.6', compiler: 'gc', platform: 'linux/amd64' },
    '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
    '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
    '/api/v1': { kind: 'APIResourceList', groupVersion: 'v1', resources: [] },
  };
  return createServer((req, res) => {
    const answer = answers[(req.url ?? '').split('?')[0]!];
    res.writeHead(answer ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
  });
}

async function realHelmEnv() {
  discovery ??= (async () => {
    const server = discoveryOnly();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const home = tempDir('todo-deploy-contract-');
    const kubeconfig = join(home, 'kubeconfig');
    const { port } = server.address() as AddressInfo;
    writeKubeconfig(kubeconfig, `http://127.0.0.1:${port}`);
    const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig, HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data'), HELM_DRIVER: 'memory', HELM_MEMORY_DRIVER_DATA: seedFile };
    return { server, kubeconfig, env };
  })();
  return discovery;
}

export async function stopRealHelm(): Promise<void> {
  const d = await discovery;
  discovery = undefined;
  await new Promise((resolve) => d?.server.close(resolve) ?? resolve(undefined));
}

/** The real helm of that major in the seeded world; each call starts from the seed again. */
export async function runRealHelm(major: Major, argv: string[], input?: string): Promise<Run> {
  const { env } = await realHelmEnv();
  return runBinary(realToolPath(major === 3 ? 'helm3' : 'helm4'), argv, env, input);
}

/** A kubeconfig whose one context, `minikube`, points at a loopback server of the test's own. */
export function writeKubeconfig(path: string, server: string): void {
  writeFileSync(
    path,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: minikube\n  cluster: {server: "${server}"}\ncontexts:\n- name: minikube\n  context: {cluster: minikube, user: minikube, namespace: default}\ncurrent-context: minikube\nusers:\n- name: minikube\n  user: {token: contract}\n`,
    { mode: 0o600 },
  );
}

/** Runs a real binary; a non-zero exit is a result, not an error. */
export function runBinary(path: string, argv: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(path, argv, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ exitCode: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

export const recordingPath = (major: Major, name: string) => join(contractDir, 'recorded', `helm${major}`, `${name}.json`);

export function readRecording(path: string): Recording {
  return JSON.parse(readFileSync(path, 'utf8')) as Recording;
}

interface SeedRelease {
  name: string;
  namespace: string;
  version: number;
  info: { status: HelmStatus; first_deployed?: string; last_deployed: string; description?: string };
  chart: { metadata: { name: string; version: string; appVersion?: string } };
  config?: Record<string, unknown>;
  manifest?: string;
  hooks?: HelmHook[];
}

/** The seed's releases as the simulator's state holds them, in its default cluster. */
export function loadSeed(sim: Sim): void {
  const seed = parse(readFileSync(seedFile, 'utf8')) as SeedRelease[];
  sim.update((s) => {
    const releases: Record<string, HelmRevision[]> = {};
    for (const r of seed) {
      const { name, version, appVersion = '' } = r.chart.metadata;
      (releases[`${r.namespace}/${r.name}`] ??= []).push({
        revision: r.version,
        status: r.info.status,
        chart: `${name}-${version}`,
        chartName: name,
        chartVersion: version,
        app_version: appVersion,
        updated: r.info.last_deployed,
        first_deployed: r.info.first_deployed ?? r.info.last_deployed,
        description: r.info.description ?? '',
        values: r.config ?? {},
        chartPath: '',
        ...(r.manifest !== undefined && { manifest: r.manifest }),
        objects: { deployments: {}, services: {}, secrets: {}, tests: [], others: [] },
        ...(r.hooks && { hooks: r.hooks }),
        tests: (r.hooks ?? []).filter((h) => h.events.includes('test')).map((h) => h.name),
      });
    }
    s.helm.releases.minikube = releases;
    // Helm keeps releases in their namespace: it exists wherever the seed has one.
    for (const ns of new Set(seed.map((r) => r.namespace))) {
      s.kube.clusters.minikube!.namespaces[ns] ??= { labels: { 'kubernetes.io/metadata.name': ns }, created: '2026-11-29T09:00:00Z' };
    }
  });
}
