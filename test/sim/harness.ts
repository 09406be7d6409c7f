// Creates a simulated toolchain for one test: a temp folder with bin/ (the minikube, docker,
// kubectl, helm, kind and k3d executables), home/, an empty kubeconfig, state.json and calls.jsonl.
// `sim.env` holds PATH (bin/ only), HOME and KUBECONFIG, so nothing reaches a real binary,
// a real cluster or the developer's config.
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureRealTools, realToolPath } from '../support/real-tools.js';
import { newCluster } from './tools/cluster.mjs';
import { backendDatabase } from './tools/workloads.mjs';
import { callLogPath, readCalls, readState, statePath, updateState, withLock, writeState } from './tools/state.mjs';
import type { CallRecord, ClusterState, ConfigMapObject, DeepPartial, HeldCall, MinikubeState, ProfileState, SimState, ToolName } from './types.js';

export type * from './types.js';
export { newCluster };

/**
 * For a health server standing in for the backend on `nodePort`: 'unreachable' while its
 * DATABASE_URL (Secret backend-secrets, key database-url) names an in-cluster Service with no
 * ready pod, 'reachable' when it has one, undefined when the database is not in the cluster.
 */
export function backendDatabaseOf(sim: Pick<Sim, 'state'>, nodePort: number): 'reachable' | 'unreachable' | undefined {
  return backendDatabase(sim.state(), nodePort);
}

export const SIMULATED_TOOLS: readonly ToolName[] = ['docker', 'minikube', 'kubectl', 'helm', 'kind', 'k3d'];

const MAIN = fileURLToPath(new URL('./tools/main.mjs', import.meta.url));

export interface SimOptions extends DeepPartial<Omit<SimState, 'minikube' | 'config' | 'version'>> {
  /**
   * The default profile: running (default), stopped or absent. Or profiles by name, each a
   * partial ProfileState over a running default (with its own IP, cluster and context).
   */
  minikube?: 'running' | 'stopped' | 'absent' | DeepPartial<MinikubeState>;
  /** Name of the profile the shorthand creates (default "minikube"). */
  profile?: string;
  /** Helm 3 (v3.17.2, default) or Helm 4 (v4.1.4). */
  helmMajor?: 3 | 4;
  /** Tools whose executable is not created (spawning them fails with ENOENT). */
  missing?: ToolName[];
  /**
   * Clusters not run by minikube (the cluster target), e.g. `{ 'kind-dev': {}, 'prod-eu': { nodes: [{ name: 'eu-1', architecture: 'arm64' }] } }`:
   * each reachable, with the four namespaces, one node (linux/amd64: kind-X `X-control-plane`,
   * k3d-X `k3d-X-server-0`, docker-desktop `docker-desktop`, others `<name>-control-plane`) and a
   * kube-context of the same name (namespace default); the value is a partial ClusterState over that.
   */
  clusters?: Record<string, DeepPartial<ClusterState>>;
}

/** The KEP-1755 ConfigMap (`kube-public/local-registry-hosting`) a cluster with a local registry publishes, as kind's script writes it. */
export function localRegistryHosting(options: { host: string; hostFromContainerRuntime?: string; hostFromClusterNetwork?: string; help?: string }): ConfigMapObject {
  const lines = [`host: "${options.host}"`];
  if (options.hostFromContainerRuntime) lines.push(`hostFromContainerRuntime: "${options.hostFromContainerRuntime}"`);
  if (options.hostFromClusterNetwork) lines.push(`hostFromClusterNetwork: "${options.hostFromClusterNetwork}"`);
  lines.push(`help: "${options.help ?? 'https://kind.sigs.k8s.io/docs/user/local-registry/'}"`);
  return { data: { 'localRegistryHosting.v1': `${lines.join('\n')}\n` } };
}

/** A Docker config JSON (what `docker login` writes, and a `kubernetes.io/dockerconfigjson` Secret holds) for these hosts. */
export function dockerConfigJson(auths: Record<string, { username: string; password: string }>): string {
  return JSON.stringify({
    auths: Object.fromEntries(Object.entries(auths).map(([host, a]) => [host, { auth: Buffer.from(`${a.username}:${a.password}`).toString('base64') }])),
  });
}

/** The node a cluster's tool names: kind `<cluster>-control-plane`, k3d `k3d-<cluster>-server-0`, Docker Desktop `docker-desktop`; others `<name>-control-plane`. */
function firstNodeName(name: string): string {
  if (name.startsWith('k3d-')) return `${name}-server-0`;
  if (name === 'docker-desktop') return name;
  return `${name.replace(/^kind-/, '')}-control-plane`;
}

/** Adds a cluster not run by minikube, and its context (see SimOptions.clusters). */
export function addCluster(state: SimState, name: string, patch: DeepPartial<ClusterState> = {}): void {
  const index = Object.values(state.kube.clusters).filter((c) => !c.minikubeProfile).length;
  // Docker Desktop's Kubernetes runs the images of this machine's Docker, and publishes LoadBalancer Services on localhost.
  const base = newCluster(`https://127.0.0.1:${6443 + index}`, { nodes: [{ name: firstNodeName(name) }], ...(name === 'docker-desktop' && { hostImages: true, loadBalancer: { hostname: 'localhost' } }) });
  state.kube.clusters[name] = deepMerge(base, patch);
  state.kube.contexts[name] ??= { cluster: name, namespace: 'default' };
}

export interface ExecResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface Sim {
  readonly dir: string;
  readonly binDir: string;
  readonly home: string;
  readonly kubeconfig: string;
  /** PATH=binDir only, HOME, KUBECONFIG. */
  readonly env: Readonly<Record<string, string>>;
  state(): SimState;
  /** Mutates the state under the tools' lock (fault injection mid-test). */
  update(fn: (state: SimState) => void): void;
  calls(): CallRecord[];
  /** Calls waiting on a `faults.hold` key right now. */
  held(): HeldCall[];
  /** Removes keys from `faults.hold`: the calls they held go on. */
  release(...keys: string[]): void;
  /** Symlinks a real executable (found on the test runner's PATH) into binDir, e.g. git. */
  linkReal(name: string): void;
  /** Creates or removes a simulated tool's executable mid-test. */
  setInstalled(tool: ToolName, installed: boolean): void;
  /** Runs a simulated tool directly with sim.env (for tests of the simulator and scenario set-up). */
  exec(tool: ToolName, args: string[], options?: { input?: string; cwd?: string; env?: Record<string, string | undefined> }): Promise<ExecResult>;
  /** A copy of the sim's folder as it is now: `createSim({ from })` starts new sims from it. */
  snapshot(): SimSnapshot;
  cleanup(): Promise<void>;
}

const HELM = {
  3: { version: 'v3.17.2', gitCommit: 'cc0bbbd6d6276b83880042c1ecb34087e84d41eb', goVersion: 'go1.23.7', real: 'helm3' },
  4: { version: 'v4.1.4', gitCommit: '05fa37973dc9e42b76e1d2883494c87174b6074f', goVersion: 'go1.25.9', real: 'helm4' },
} as const;

export function defaultProfile(overrides: Partial<ProfileState> = {}): ProfileState {
  return {
    status: 'Running',
    driver: 'docker',
    containerRuntime: 'docker',
    cpus: 2,
    memory: 3072,
    kubernetesVersion: 'v1.34.0',
    ip: '192.168.49.2',
    ports: [],
    serviceHosts: {},
    ...overrides,
  };
}

function addProfile(state: SimState, name: string, profile: ProfileState): void {
  state.minikube.profiles[name] = profile;
  state.kube.clusters[name] = newCluster(`https://${profile.ip}:8443`, { minikubeProfile: name });
  state.kube.contexts[name] = { cluster: name, namespace: 'default' };
  state.kube.currentContext ??= name;
}

function baseState(paths: SimState['config'], helmMajor: 3 | 4): SimState {
  const helm = HELM[helmMajor];
  const state: SimState = {
    version: 1,
    tools: {
      docker: { installed: true, clientVersion: '28.2.2', apiVersion: '1.50', serverVersion: '28.2.2' },
      minikube: { installed: true, version: 'v1.38.1', commit: 'c93a4cb9311efc66b90d33ea03f75f2c4120e9b0' },
      helm: { installed: true, version: helm.version, gitCommit: helm.gitCommit, goVersion: helm.goVersion },
      kubectl: { installed: true, version: 'v1.34.5', serverVersion: 'v1.34.0' },
      kind: { installed: true, version: 'v0.29.0' },
      k3d: { installed: true, version: 'v5.8.3', k3sVersion: 'v1.31.5-k3s1' },
    },
    docker: { daemon: 'up', images: { host: {} }, registry: {} },
    minikube: { profiles: {} },
    kube: { currentContext: null, contexts: {}, clusters: {} },
    helm: { releases: {} },
    faults: {},
    config: paths,
  };
  return state;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; arrays and scalars replace. */
export function deepMerge<T>(base: T, patch: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(patch)) return (patch === undefined ? base : patch) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    out[key] = isPlainObject(out[key]) && isPlainObject(value) ? deepMerge(out[key], value) : value;
  }
  return out as T;
}

function writeShim(binDir: string, tool: ToolName, dir: string): void {
  const path = join(binDir, tool);
  // Valid as CommonJS and as ESM, whatever package.json a temp dir's ancestors may hold.
  writeFileSync(path, `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(MAIN).href)}).then((m) => m.main(${JSON.stringify(tool)}, ${JSON.stringify(dir)}));\n`);
  chmodSync(path, 0o755);
}

function findOnPath(name: string, exclude: string): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (!folder || folder === exclude) continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** A frozen copy of a sim's folder (state, call log, home, app…) that new sims start from. */
export interface SimSnapshot {
  readonly dir: string;
  cleanup(): Promise<void>;
}

/**
 * A new sim: from options, or `{ from: snapshot }` — a copy of the snapshot's world and call
 * log in a folder of its own (e.g. an app deployed once, for many tests to change each its way).
 */
export async function createSim(options: SimOptions | { from: SimSnapshot } = {}): Promise<Sim> {
  ensureRealTools();
  const dir = mkdtempSync(join(tmpdir(), 'todo-deploy-sim-'));
  if ('from' in options) restore(options.from, dir);
  else prepare(dir, options);
  return openSim(dir);
}

function prepare(dir: string, options: SimOptions): void {
  const binDir = join(dir, 'bin');
  const home = join(dir, 'home');
  const kubeconfig = join(dir, 'kubeconfig');
  mkdirSync(binDir);
  mkdirSync(home);
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\ncurrent-context: ""\nusers: []\n', { mode: 0o600 });

  const { minikube = 'running', profile = 'minikube', helmMajor = 3, missing = [], clusters = {}, ...statePatch } = options;
  const realHelm = realToolPath(HELM[helmMajor].real);
  let state = baseState({ dir, home, kubeconfig, realHelm }, helmMajor);
  if (typeof minikube === 'string') {
    if (minikube !== 'absent') addProfile(state, profile, defaultProfile({ status: minikube === 'running' ? 'Running' : 'Stopped' }));
  } else {
    Object.entries(minikube.profiles ?? {}).forEach(([name, patch], i) => {
      addProfile(state, name, deepMerge(defaultProfile({ ip: `192.168.${49 + 9 * i}.2` }), patch));
    });
  }
  for (const [name, patch] of Object.entries(clusters)) addCluster(state, name, patch);
  state = deepMerge(state, statePatch);
  // A cluster given only in part through `kube.clusters` gets a new cluster's defaults under it.
  for (const [name, cluster] of Object.entries(state.kube.clusters)) {
    if (!cluster.namespaces) addCluster(state, name, cluster as DeepPartial<ClusterState>);
  }
  for (const tool of missing) state.tools[tool].installed = false;
  writeState(dir, state);
  for (const tool of SIMULATED_TOOLS) if (state.tools[tool].installed) writeShim(binDir, tool, dir);
}

/** The snapshot's files in `dir`; the state, the call log and the shims name the sim's folder, so they move to `dir`. */
function restore(snapshot: SimSnapshot, dir: string): void {
  cpSync(snapshot.dir, dir, { recursive: true });
  const from = readState(dir).config.dir;
  for (const file of [statePath(dir), callLogPath(dir)]) {
    if (existsSync(file)) writeFileSync(file, readFileSync(file, 'utf8').replaceAll(from, dir));
  }
  const state = readState(dir);
  for (const tool of SIMULATED_TOOLS) if (state.tools[tool].installed) writeShim(join(dir, 'bin'), tool, dir);
}

function openSim(dir: string): Sim {
  const binDir = join(dir, 'bin');
  const home = join(dir, 'home');
  const kubeconfig = join(dir, 'kubeconfig');
  const env = { PATH: binDir, HOME: home, KUBECONFIG: kubeconfig };
  const sim: Sim = {
    dir,
    binDir,
    home,
    kubeconfig,
    env,
    state: () => readState(dir),
    update: (fn) => updateState(dir, (s) => void fn(s)),
    calls: () => readCalls(dir),
    held: () => readState(dir).held ?? [],
    release: (...keys) =>
      updateState(dir, (s) => {
        s.faults.hold = (s.faults.hold ?? []).filter((k) => !keys.includes(k));
      }),
    linkReal(name) {
      if ((SIMULATED_TOOLS as readonly string[]).includes(name)) throw new Error(`${name} is simulated; it cannot be linked to a real binary`);
      const real = findOnPath(name, binDir);
      if (!real) throw new Error(`no real ${name} on PATH`);
      const link = join(binDir, name);
      if (!existsSync(link)) symlinkSync(real, link);
    },
    setInstalled(tool, installed) {
      updateState(dir, (s) => {
        s.tools[tool].installed = installed;
      });
      if (installed) writeShim(binDir, tool, dir);
      else rmSync(join(binDir, tool), { force: true });
    },
    exec(tool, args, execOptions = {}) {
      return new Promise((resolve, reject) => {
        const childEnv: Record<string, string> = { ...env };
        for (const [key, value] of Object.entries(execOptions.env ?? {})) {
          if (value === undefined) delete childEnv[key];
          else childEnv[key] = value;
        }
        // Resolved through the sim's PATH, exactly as the product's execa calls would be.
        const child = spawn(tool, args, { cwd: execOptions.cwd ?? home, env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
        // A tool that reads no stdin may exit before the write lands (EPIPE): that is no error.
        child.stdin.on('error', () => {});
        child.stdin.end(execOptions.input ?? '');
      });
    },
    snapshot() {
      const copy = mkdtempSync(join(tmpdir(), 'todo-deploy-snapshot-'));
      // Under the tools' lock, so no call is half-way through a change; the lock itself stays behind.
      withLock(dir, () => cpSync(dir, copy, { recursive: true, filter: (src) => basename(src) !== 'state.lock' }));
      return { dir: copy, cleanup: async () => rmSync(copy, { recursive: true, force: true }) };
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return sim;
}
