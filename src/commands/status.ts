// `todo-deploy status`: the cluster, each release, its Deployment and pods, and the URLs, on
// one screen. Read-only; a stopped or missing cluster is a state to show, not an error.
import { services, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { connect, loadSettings } from '../deployment/connect.js';
import { describeRun, lockTargetOf, peekLock } from '../deployment/lock.js';
import { databaseVolume } from '../deployment/database.js';
import { readPods } from '../deployment/pods.js';
import { openedUrl, scopeOf, type Deployment } from '../deployment/view.js';
import type { ReleaseStatus } from '../tools/helm.js';
import { podRestarts, waitingReason, type DeploymentInfo, type PodInfo } from '../tools/kubectl.js';

interface ServiceStatus {
  url: string;
  release?: { name: string; revision: number; status: string; chart: string; image?: string; lastDeployed?: string };
  deployment?: Pick<DeploymentInfo, 'ready' | 'desired' | 'updated'>;
  pods: Array<{ name: string; phase: string; ready: boolean; restarts: number; waiting?: string }>;
}

export async function status(ctx: Context): Promise<void> {
  const config = await loadSettings(ctx);
  const { profile } = config.minikube;
  const onCluster = config.target === 'cluster';
  // The cluster target's context is read as it is: it runs, or connect says why not.
  const [cluster, { holder }] = await Promise.all([onCluster ? ({ state: 'running' } as const) : ctx.tools.minikube.status(profile), peekLock(ctx, lockTargetOf(config))]);
  const { style } = ctx.out;
  // A run under way explains a release pending-* or a cluster starting.
  const deploying = holder ? [`Deploying ${style.yellow(describeRun(holder))}`] : [];
  if (holder) ctx.out.result({ deploying: holder });
  if (cluster.state !== 'running') {
    const state = cluster.state === 'absent' ? 'does not exist yet' : cluster.state === 'stopped' ? 'stopped' : `not healthy (host ${cluster.host}, apiserver ${cluster.apiServer}, kubelet ${cluster.kubelet})`;
    ctx.out.print([`Cluster   Minikube profile "${profile}": ${style.yellow(state)}. \`todo-deploy up\` ${cluster.state === 'absent' ? 'creates' : 'starts'} it and deploys the app.`, ...deploying].join('\n'));
    ctx.out.result({ cluster: { profile, state: cluster.state }, services: {} });
    return;
  }
  const deployment = await connect(ctx, config, cluster);
  const inCluster = config.database.mode === 'in-cluster';
  const releases = ctx.tools.helm.releases(scopeOf(deployment), [...services.map((s) => config[s].release), ...(inCluster ? [config.database.release] : [])]);
  const [entries, database] = await Promise.all([
    Promise.all(services.map(async (service) => [service, await serviceStatus(ctx, deployment, service, releases)] as const)),
    inCluster ? databaseStatus(ctx, deployment, releases) : undefined,
  ]);
  const byService = Object.fromEntries(entries) as Record<Service, ServiceStatus>;

  const where = onCluster ? `kube-context "${deployment.kubeContext}"` : `Minikube profile "${profile}": ${style.green('running')}, context ${deployment.kubeContext}`;
  const lines = [`Cluster   ${where}, namespace ${config.namespace}`, ...deploying];
  for (const [service, s] of entries) {
    lines.push('', style.bold(service));
    if (!s.release) {
      lines.push(`  release     ${style.yellow('not installed')} (todo-deploy up installs it)`);
      continue;
    }
    const r = s.release;
    const paint = r.status === 'deployed' ? style.green : style.red;
    lines.push(`  release     ${r.name} revision ${r.revision}, ${paint(r.status)}, chart ${r.chart}${r.lastDeployed ? `, deployed ${ago(r.lastDeployed)}` : ''}`);
    if (r.image) lines.push(`  image       ${r.image}`);
    if (s.deployment) {
      const d = s.deployment;
      const paintReady = d.ready >= d.desired ? style.green : style.yellow;
      lines.push(`  deployment  ${paintReady(`${d.ready}/${d.desired} ready`)}${d.updated < d.desired ? `, ${d.updated} updated` : ''}`);
    }
    for (const pod of s.pods) {
      const state = pod.waiting ? style.red(pod.waiting) : pod.ready ? style.green('ready') : style.yellow(`${pod.phase}, not ready`);
      lines.push(`  pod         ${pod.name}  ${state}  restarts ${pod.restarts > 0 ? style.yellow(String(pod.restarts)) : '0'}`);
    }
    if (s.pods.length === 0) lines.push(`  pods        ${style.yellow('none')}`);
  }
  if (database) {
    lines.push('', style.bold('database'), database.release ? `  release     ${database.release.name} revision ${database.release.revision}, ${(database.release.status === 'deployed' ? style.green : style.red)(database.release.status)}, image ${database.release.image ?? '?'}` : `  release     ${style.yellow('not installed')} (todo-deploy up installs it)`);
    for (const pod of database.pods) {
      const state = pod.waiting ? style.red(pod.waiting) : pod.ready ? style.green('ready') : style.yellow(`${pod.phase}, not ready`);
      lines.push(`  pod         ${pod.name}  ${state}  restarts ${pod.restarts > 0 ? style.yellow(String(pod.restarts)) : '0'}`);
    }
    lines.push(`  volume      ${database.volume ? `${database.volume} (kept by teardown unless --purge-data)` : style.yellow('none yet')}`);
  } else {
    lines.push('', `Database  external (DATABASE_URL in .env)`);
  }
  lines.push('', `App       ${style.cyan(byService.frontend.url)}`, `API docs  ${style.cyan(`${byService.backend.url}/docs`)}`);
  if (deployment.forwarded && !deployment.services.frontend.publicUrl) lines.push(style.dim('          served on this machine while `todo-deploy open` runs (kubectl port-forward)'));
  ctx.out.print(lines.join('\n'));
  ctx.out.result({ cluster: { profile, state: cluster.state, kubeContext: deployment.kubeContext, namespace: config.namespace }, services: byService, database: database ?? { mode: 'external' } });
}

async function serviceStatus(ctx: Context, deployment: Deployment, service: Service, releases: Promise<Map<string, ReleaseStatus>>): Promise<ServiceStatus> {
  const plan = deployment.services[service];
  const [release, object, pods] = await Promise.all([
    releases.then((found) => found.get(plan.config.release)),
    ctx.tools.kubectl.deployment({ kubeContext: deployment.kubeContext, namespace: deployment.config.namespace }, plan.config.release),
    readPods(ctx, deployment, plan),
  ]);
  return {
    url: openedUrl(plan),
    ...(release && { release: describeRelease(plan.config.release, release) }),
    ...(object && { deployment: { ready: object.ready, desired: object.desired, updated: object.updated } }),
    pods: pods.map(describePod),
  };
}

/** The in-cluster PostgreSQL: its release, its pod and its volume. */
async function databaseStatus(ctx: Context, deployment: Deployment, releases: Promise<Map<string, ReleaseStatus>>) {
  const { release } = deployment.config.database;
  const [current, pods, claims] = await Promise.all([
    releases.then((found) => found.get(release)),
    readPods(ctx, deployment, { config: { release, healthPath: '' } }),
    ctx.tools.kubectl.getObjects(scopeOf(deployment), [`persistentvolumeclaim/${databaseVolume(deployment.config)}`]),
  ]);
  return {
    mode: 'in-cluster' as const,
    ...(current && { release: describeRelease(release, current) }),
    pods: pods.map(describePod),
    ...(claims.length > 0 && { volume: databaseVolume(deployment.config) }),
  };
}

function describeRelease(name: string, r: ReleaseStatus): NonNullable<ServiceStatus['release']> {
  const image = r.config.image as { repository?: unknown; tag?: unknown; digest?: unknown } | undefined;
  return {
    name,
    revision: r.revision,
    status: r.status,
    chart: r.chart,
    // The cluster target deploys by digest: shown as the pods run it, repository:tag@sha256:….
    ...(typeof image?.repository === 'string' && { image: `${image.repository}${typeof image.tag === 'string' && image.tag ? `:${image.tag}` : ''}${typeof image.digest === 'string' && image.digest ? `@${image.digest}` : ''}` }),
    ...(r.lastDeployed && { lastDeployed: r.lastDeployed }),
  };
}

function describePod(pod: PodInfo): ServiceStatus['pods'][number] {
  const waiting = pod.terminating ? 'Terminating' : (waitingReason(pod) ?? (pod.unschedulable ? 'Unschedulable' : undefined));
  return { name: pod.name, phase: pod.phase, ready: pod.ready, restarts: podRestarts(pod), ...(waiting && { waiting }) };
}

/** The age of a timestamp as kubectl shows it: 45s, 12m, 3h, 2d. */
function ago(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (Number.isNaN(seconds)) return iso;
  const [n, unit] = seconds < 60 ? [seconds, 's'] : seconds < 3600 ? [Math.floor(seconds / 60), 'm'] : seconds < 86_400 ? [Math.floor(seconds / 3600), 'h'] : [Math.floor(seconds / 86_400), 'd'];
  return `${n}${unit} ago`;
}
