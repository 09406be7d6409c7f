// `helm upgrade --install` of both charts, at once: values through stdin (never --set), waiting,
// rolled back automatically on failure. A release stuck pending-* is recovered first; a release
// whose chart and values are what would be sent gets no new revision.
import { isDeepStrictEqual } from 'node:util';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { services } from '../config/schema.js';
import type { Context } from '../context.js';
import { describeRun, localTime, pendingOrigin } from '../deployment/lock.js';
import { ConfigError, OperationError, ToolError } from '../errors.js';
import { formatDuration } from '../format.js';
import type { Phase } from '../pipeline/runner.js';
import { helmHistoryArgs, helmRollbackArgs, helmUninstallArgs, helmUpgradeArgs, parseHelmHistory, type ReleaseRef, type ReleaseStatus } from '../tools/helm.js';
import { watchPods } from './verify.js';
import { changeText, type ServicePlan, type UpState } from './state.js';

export function deployPhase(ctx: Context): Phase<UpState> {
  return {
    id: 'deploy',
    after: ['build', 'secrets'],
    title: 'Deploy with Helm',
    leftBehind: 'A release may be left pending-upgrade; the next run recovers it.',
    async run(state, progress) {
      const results = await Promise.all(services.map((s) => deployService(ctx, state, state.services[s], progress)));
      return results.join(', ');
    },
  };
}

/** The values the tool gives a chart. Nothing secret: the Secrets are referenced by name. */
export function chartValues(state: Pick<UpState, 'config'>, plan: Pick<ServicePlan, 'service' | 'config' | 'image' | 'secretName' | 'secretChecksum' | 'buildArgs'>): Record<string, unknown> {
  return {
    image: { repository: plan.image.repository, tag: plan.image.tag, pullPolicy: 'IfNotPresent' },
    replicaCount: plan.config.replicas,
    containerPort: plan.config.port,
    service: { type: 'NodePort', port: plan.config.port, nodePort: plan.config.nodePort },
    secretName: plan.secretName,
    secretChecksum: plan.secretChecksum,
    healthPath: plan.config.healthPath,
    ...(plan.service === 'frontend' && { backendUrl: plan.buildArgs.NEXT_PUBLIC_BACKEND_URL }),
  };
}

async function deployService(ctx: Context, state: UpState, plan: ServicePlan, progress: (text: string) => void): Promise<string> {
  const ref: ReleaseRef = { release: plan.config.release, namespace: state.config.namespace, kubeContext: state.kubeContext };
  const values = chartValues(state, plan);
  const userValuesFile = plan.config.valuesFile ? resolve(ctx.appDir, plan.config.valuesFile) : undefined;
  const [chart, userValues, current] = await Promise.all([
    chartId(plan.chart),
    userValuesFile ? readValuesFile(userValuesFile, plan.service) : {},
    state.reads?.releases.then((releases) => releases.get(ref.release)),
  ]);

  if (current?.status.startsWith('pending-')) await recover(ctx, state, ref, current);
  else if (current && isUnchanged(current, chart, deepMerge(values, userValues))) {
    plan.release = { revision: current.revision, changed: false };
    return `${ref.release} revision ${current.revision} (unchanged)`;
  }

  const watch = state.clusterLive ? watchPods(ctx, state, plan, (problem) => progress(`${ref.release}: ${problem}`)) : undefined;
  let result;
  try {
    result = await ctx.exec({
      tool: 'helm',
      args: helmUpgradeArgs({ ...ref, chart: plan.chart, helmMajor: state.helmMajor, timeoutMs: state.config.timeouts.deploy, valuesFiles: userValuesFile ? [userValuesFile] : [] }),
      input: JSON.stringify(values),
      inputLabel: 'values (no secrets)',
      mutates: true,
      // Helm's own --timeout bounds each wait; this is the backstop if Helm itself hangs.
      timeoutMs: state.config.timeouts.deploy * 2 + 60_000,
    });
  } catch (error) {
    const pods = (await watch?.stop()) ?? [];
    if (!(error instanceof ToolError)) throw error;
    throw new OperationError(
      `Helm could not ${current ? 'upgrade' : 'install'} ${ref.release}; it ${current ? 'rolled the release back' : 'removed the failed install'}.`,
      [`command: ${error.command}`, ...error.stderrTail.split('\n').map((line) => `│ ${line}`), ...(pods.length ? ['While Helm waited, the pods showed:', ...pods] : [])],
      pods.length ? 'The pod states above say why.' : "Helm's last lines are above.",
    );
  }
  await watch?.stop();
  const revision = result.dryRun ? (current?.revision ?? 0) + 1 : (JSON.parse(result.stdout) as { version?: number }).version ?? 0;
  plan.release = { revision, changed: true };
  const verb = current ? 'upgrade' : 'install';
  if (result.dryRun) {
    state.changes.push(changeText(true, verb, ref.release));
    return `${ref.release}: would ${verb}`;
  }
  state.changes.push(`${changeText(false, verb, ref.release)} (revision ${revision})`);
  return `${ref.release} revision ${revision} (${current ? 'upgraded' : 'installed'})`;
}

/**
 * An interrupted install or upgrade leaves the release pending-*, and Helm refuses to touch it
 * again. But a release is pending-* too while a live run's Helm waits for it: it is recovered
 * (rolled back or uninstalled) only when the run that left it is known to have ended, or it has
 * been pending for longer than a run keeps it so; another run's is reported, never touched.
 */
async function recover(ctx: Context, state: UpState, ref: ReleaseRef, current: ReleaseStatus): Promise<void> {
  const timeoutMs = state.config.timeouts.deploy;
  // Past the backstop deployService gives `helm upgrade` (twice Helm's --timeout: the wait, then
  // the automatic rollback's), no todo-deploy run's Helm is still at work on the release.
  const abandonedAfterMs = timeoutMs * 2 + 60_000;
  const since = current.lastDeployed ? ` since ${localTime(Date.parse(current.lastDeployed))}` : '';
  const origin = pendingOrigin(current.lastDeployed, state.previousRun, Date.now(), abandonedAfterMs);
  if (origin === 'live' && ctx.dryRun) {
    // A dry run holds no lock: this may be the very run it was told about, which a real run would wait for.
    ctx.out.warn(`Release ${ref.release} is ${current.status}${since}: another run is deploying it, so a real run would not recover it.`);
    return;
  }
  if (origin === 'live') {
    throw new OperationError(
      `Another run is deploying ${ref.release} (${current.status}${since}), so it is not recovered.`,
      [`It is no todo-deploy run of this machine (this run holds the lock of Minikube profile "${state.config.minikube.profile}", namespace ${ref.namespace}): another machine's run, a CI job, or a helm command.`],
      `Wait for that run to finish, then run todo-deploy up again. A release still ${current.status} after ${formatDuration(abandonedAfterMs)} is taken as abandoned and recovered.`,
    );
  }
  const ended = { ok: 'succeeded', failed: 'failed', interrupted: 'was interrupted', died: 'died' };
  const why =
    origin === 'previous-run' && state.previousRun
      ? `left by the run before this one, which ${ended[state.previousRun.outcome]}: ${describeRun(state.previousRun)}`
      : `pending${since || ' for an unknown time'}, longer than a run keeps it so`;
  ctx.out.warn(`Release ${ref.release} is stuck ${current.status} (revision ${current.revision}, ${why}); recovering it.`);
  const lastGood = current.status === 'pending-install' || current.revision <= 1 ? undefined : await lastWorkingRevision(ctx, ref, current.revision);
  const args = lastGood === undefined ? helmUninstallArgs({ ...ref, timeoutMs }) : helmRollbackArgs({ ...ref, revision: lastGood, timeoutMs });
  await ctx.exec({ tool: 'helm', args, mutates: true, timeoutMs: timeoutMs + 60_000 });
  state.changes.push(changeText(ctx.dryRun, 'recover', `${ref.release} from ${current.status}`));
}

/**
 * The latest revision before `below` that worked (superseded or deployed), as Helm's own
 * automatic rollback chooses it (pkg/action/upgrade.go) — not simply the previous one: Helm
 * answers Ctrl-C during an --atomic upgrade by rolling back itself, and if that is cut short
 * the release is left pending-rollback on top of the interrupted upgrade's failed revision.
 */
async function lastWorkingRevision(ctx: Context, ref: ReleaseRef, below: number): Promise<number | undefined> {
  const result = await ctx.exec({ tool: 'helm', args: helmHistoryArgs(ref), timeoutMs: 30_000 });
  const good = parseHelmHistory(result.stdout).filter((r) => r.revision < below && (r.status === 'superseded' || r.status === 'deployed'));
  return good.at(-1)?.revision;
}

/**
 * A deployed release needs no new revision when it runs this chart (`name-version`, as `helm
 * list` prints it) with exactly these values (as `helm status` prints them).
 */
export function isUnchanged(current: ReleaseStatus, chart: string, values: Record<string, unknown>): boolean {
  return current.status === 'deployed' && current.chart === chart && isDeepStrictEqual(current.config, values);
}

/** `name-version` of the chart in a directory, as `helm list` prints it. */
export async function chartId(chartDir: string): Promise<string> {
  const meta = parseYaml(await readFile(join(chartDir, 'Chart.yaml'), 'utf8')) as { name: string; version: string };
  return `${meta.name}-${meta.version}`;
}

async function readValuesFile(file: string, service: string): Promise<Record<string, unknown>> {
  try {
    // Merge keys as Helm reads them (and the preflight's check of the same file).
    const values = parseYaml(await readFile(file, 'utf8'), { merge: true }) as unknown;
    if (values === null || values === undefined) return {};
    if (typeof values !== 'object' || Array.isArray(values)) throw new Error('it is not a mapping');
    return values as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`${service}.valuesFile ${file} cannot be used: ${(error as Error).message}`, [], 'Point it at a Helm values file (YAML mapping), or leave it empty.');
  }
}

/** Helm's coalescing of values files: later files win, mappings merge, everything else is replaced. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isObject(prev) && isObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
