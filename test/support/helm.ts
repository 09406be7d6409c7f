// Runs the real helm binaries offline, with every place helm reads or writes (HOME, its cache,
// config and data dirs, KUBECONFIG) inside a temp dir, so tests never touch the machine's
// helm setup or a real cluster.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { realToolPath } from './real-tools.js';
import { tempDir } from './temp.js';

export const helmMajors = ['helm3', 'helm4'] as const;
export type HelmMajor = (typeof helmMajors)[number];
export type Service = 'frontend' | 'backend';
/** The shipped charts: the two app services and the in-cluster database. */
export type Chart = Service | 'database';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const chartDir = (service: Chart): string => join(repoRoot, 'charts', service);

const isolated = tempDir('todo-deploy-helm-');
const helmEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: isolated,
  HELM_CACHE_HOME: join(isolated, 'cache'),
  HELM_CONFIG_HOME: join(isolated, 'config'),
  HELM_DATA_HOME: join(isolated, 'data'),
  // Points at nothing: whatever would need a cluster fails instead of finding one.
  KUBECONFIG: join(isolated, 'kubeconfig'),
};

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together: `helm lint` prints its findings on stdout, the verdict on stderr. */
  output: string;
}

export function runHelm(major: HelmMajor, args: string[], input?: string): HelmResult {
  const r = spawnSync(realToolPath(major), args, { env: helmEnv, input, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: r.stdout + r.stderr };
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** YAML piped to helm on stdin with `-f -`, as todo-deploy does. */
  values?: string;
  extraArgs?: string[];
}

export type Manifest = Record<string, any>;

/** `helm template`, parsed; throws with helm's stderr when helm fails. */
export function renderChart(major: HelmMajor, service: Chart, opts: RenderOptions = {}): Manifest[] {
  const args = ['template', opts.release ?? service, chartDir(service), '--namespace', opts.namespace ?? 'todo'];
  if (opts.values !== undefined) args.push('-f', '-');
  args.push(...(opts.extraArgs ?? []));
  const r = runHelm(major, args, opts.values);
  if (r.status !== 0) throw new Error(`helm template ${service} failed (${r.status}):\n${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

export function findManifest(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && (name === undefined || m.metadata?.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} among ${manifests.map((m) => m.kind).join(', ')}`);
  return found;
}

export function isHelmTest(m: Manifest): boolean {
  return m.metadata?.annotations?.['helm.sh/hook'] === 'test';
}

/** The pod specs a manifest would create: Deployments' templates, Jobs', bare Pods. */
export function podSpecsOf(m: Manifest): Manifest[] {
  if (m.kind === 'Pod') return [m.spec];
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(m.kind)) return [m.spec.template.spec];
  if (m.kind === 'CronJob') return [m.spec.jobTemplate.spec.template.spec];
  return [];
}
