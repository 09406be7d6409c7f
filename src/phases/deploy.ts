// `helm upgrade --install` of our charts — the in-cluster database's (when there is one) as soon
// as its Secret is there, the app's two at once, the backend's once the database is ready —
// values through stdin (never --set), waiting, rolled back automatically on failure. A release
// stuck pending-* is recovered first; a release whose chart and values are what would be sent
// gets no new revision.
import { isDeepStrictEqual } from 'node:util';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { assetPath } from '../assets.js';
import { services, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { describeRun, describeTarget, localTime, lockTargetOf, pendingOrigin } from '../deployment/lock.js';
import { ConfigError, OperationError, ToolError } from '../errors.js';
import { formatDuration } from '../format.js';
import { secretNames } from '../deployment/secret-keys.js';
import type { HelmMajor, ReleaseRef, ReleaseStatus } from '../tools/helm.js';
import { chartValues } from '../deployment/chart-values.js';
import { databaseSecret } from '../deployment/database.js';
import { pullSecretName } from '../deployment/registry-credentials.js';
import { watchPods, type Workload } from '../deployment/pods.js';
import { changeText, clusterRead, upStep, type UpInputs } from './results.js';

/** Our releases that exist. */
export const releasesRead = (ctx: Context, { config, database }: UpInputs) =>
  clusterRead('releases', new Map<string, ReleaseStatus>(), (kubeContext) =>
    ctx.tools.helm.releases({ namespace: config.namespace, kubeContext }, [...services.map((s) => config[s].release), ...(database ? [config.database.release] : [])]),
  );

/**
 * The in-cluster PostgreSQL's release, as soon as its Secret is there: alongside the builds,
 * before the backend, whose readiness needs it. A hidden step when the database is external.
 */
export const databasePhase = (ctx: Context, inputs: UpInputs) =>
  upStep({
    id: 'database',
    needs: ['prereqs', 'cluster', 'secrets', 'releases'],
    ...(inputs.database && { title: 'Deploy the database' }),
    leftBehind: 'The database release may be left pending; the next run recovers it. Its volume and data are untouched.',
    async run({ prereqs, cluster, releases }, progress) {
      if (!inputs.database) return { changes: [], detail: 'external (DATABASE_URL)' };
      const { config } = inputs;
      const [repository, tag] = splitImage(config.database.image);
      // Named after the release whatever it is (the chart's helm-create rule would make release
      // "pg" a "pg-database"): the Service, pod and claim names the product uses.
      const values = { fullnameOverride: config.database.release, image: { repository, tag }, persistence: { size: config.database.storage }, auth: { secretName: databaseSecret.name } };
      const target: Target = { ...inputs, helmMajor: prereqs.helmMajor, kubeContext: cluster.kubeContext, live: cluster.live, changes: [] };
      const workload = { config: { release: config.database.release, healthPath: '' } };
      const deployed = await deployRelease(ctx, target, { chart: assetPath.chart('database'), workload, values }, releases.get(config.database.release), progress);
      return { revision: deployed.revision, changes: target.changes, detail: deployed.detail };
    },
    detail: (result) => result.detail,
  });

export const deployPhase = (ctx: Context, inputs: UpInputs) =>
  upStep({
    id: 'deploy',
    needs: ['prereqs', 'cluster', 'build', 'push', 'pull', 'secrets', 'releases'],
    awaits: ['database'],
    title: 'Deploy with Helm',
    leftBehind: 'A release may be left pending-upgrade; the next run recovers it.',
    async run({ prereqs, cluster, build, push, secrets, releases, database }, progress) {
      const changes: string[] = [];
      // Settled, not raced: a failure (the database's, which the backend waits for) must not end
      // the phase while the other release's Helm is still being stopped.
      const outcomes = await Promise.allSettled(
        services.map(async (s) => {
          // The backend's readiness needs the database: the frontend does not wait for it.
          if (s === 'backend') await database;
          const image = { ...push.images[s], buildArgs: build.images[s].buildArgs };
          const where = inputs.config.target === 'cluster' ? { cluster: withPullSecret(pullSecretName(inputs.config)) } : {};
          const values = chartValues({ service: s, config: inputs.config[s], image, secretName: secretNames[s], secretChecksum: secrets.checksums[s], ...where });
          const target: Target = { ...inputs, helmMajor: prereqs.helmMajor, kubeContext: cluster.kubeContext, live: cluster.live, changes };
          const { valuesFile } = inputs.services[s].config;
          const workload = { config: inputs.services[s].config };
          return deployRelease(ctx, target, { chart: assetPath.chart(s), workload, values, ...(valuesFile && { valuesFile: resolve(ctx.appDir, valuesFile), service: s }) }, releases.get(inputs.config[s].release), progress);
        }),
      );
      const failed = outcomes.find((o) => o.status === 'rejected');
      if (failed) throw failed.reason;
      const deployed = outcomes.map((o) => (o as PromiseFulfilledResult<{ revision: number; detail: string }>).value);
      return { revisions: Object.fromEntries(services.map((s, i) => [s, deployed[i]!.revision])) as Record<Service, number>, changes, detail: deployed.map((d) => d.detail).join(', ') };
    },
    detail: (result) => result.detail,
  });

const withPullSecret = (name: string | undefined) => (name ? { pullSecret: name } : {});

/** `postgres:17.6-bookworm` → repository and tag. */
function splitImage(image: string): [string, string] {
  const at = image.lastIndexOf(':');
  return [image.slice(0, at), image.slice(at + 1)];
}

/** What deploying a release needs of the run: its inputs, where the cluster is, and the change log it adds to. */
interface Target extends UpInputs {
  helmMajor: HelmMajor;
  kubeContext: string;
  live: boolean;
  changes: string[];
}

/** A release to deploy: its chart, its values, the user's values file over them, and whose pods to watch. */
interface ReleaseSpec {
  chart: string;
  values: Record<string, unknown>;
  valuesFile?: string;
  /** For the values file's error message. */
  service?: Service;
  workload: Workload;
}

async function deployRelease(ctx: Context, target: Target, spec: ReleaseSpec, current: ReleaseStatus | undefined, progress: (text: string) => void): Promise<{ revision: number; detail: string }> {
  const ref: ReleaseRef = { release: spec.workload.config.release, namespace: target.config.namespace, kubeContext: target.kubeContext };
  const [id, userValues] = await Promise.all([chartId(spec.chart), spec.valuesFile ? readValuesFile(spec.valuesFile, spec.service ?? ref.release) : {}]);

  if (current?.status.startsWith('pending-')) await recover(ctx, target, ref, current);
  else if (current && isUnchanged(current, id, deepMerge(spec.values, userValues))) return { revision: current.revision, detail: `${ref.release} revision ${current.revision} (unchanged)` };

  const watch = target.live ? watchPods(ctx, target, spec.workload, (problem) => progress(`${ref.release}: ${problem}`)) : undefined;
  let result;
  try {
    const timeoutMs = target.config.timeouts.deploy;
    // Helm's own --timeout bounds each wait; the backstop is for Helm itself hanging.
    result = await ctx.tools.helm.upgrade({ ...ref, chart: spec.chart, helmMajor: target.helmMajor, timeoutMs, valuesFiles: spec.valuesFile ? [spec.valuesFile] : [] }, spec.values, timeoutMs * 2 + 60_000);
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
  const revision = result.revision ?? (current?.revision ?? 0) + 1;
  const verb = current ? 'upgrade' : 'install';
  if (result.dryRun) {
    target.changes.push(changeText(true, verb, ref.release));
    return { revision, detail: `${ref.release}: would ${verb}` };
  }
  target.changes.push(`${changeText(false, verb, ref.release)} (revision ${revision})`);
  return { revision, detail: `${ref.release} revision ${revision} (${current ? 'upgraded' : 'installed'})` };
}

/**
 * An interrupted install or upgrade leaves the release pending-*, and Helm refuses to touch it
 * again. But a release is pending-* too while a live run's Helm waits for it: it is recovered
 * (rolled back or uninstalled) only when the run that left it is known to have ended, or it has
 * been pending for longer than a run keeps it so; another run's is reported, never touched.
 */
async function recover(ctx: Context, target: Target, ref: ReleaseRef, current: ReleaseStatus): Promise<void> {
  const timeoutMs = target.config.timeouts.deploy;
  // Past the backstop deployRelease gives `helm upgrade` (twice Helm's --timeout: the wait, then
  // the automatic rollback's), no todo-deploy run's Helm is still at work on the release.
  const abandonedAfterMs = timeoutMs * 2 + 60_000;
  const since = current.lastDeployed ? ` since ${localTime(Date.parse(current.lastDeployed))}` : '';
  const origin = pendingOrigin(current.lastDeployed, target.previousRun, Date.now(), abandonedAfterMs);
  if (origin === 'live' && ctx.dryRun) {
    // A dry run holds no lock: this may be the very run it was told about, which a real run would wait for.
    ctx.out.warn(`Release ${ref.release} is ${current.status}${since}: another run is deploying it, so a real run would not recover it.`);
    return;
  }
  if (origin === 'live') {
    throw new OperationError(
      `Another run is deploying ${ref.release} (${current.status}${since}), so it is not recovered.`,
      [`It is no todo-deploy run of this machine (this run holds the lock of ${describeTarget(lockTargetOf(target.config))}): another machine's run, a CI job, or a helm command.`],
      `Wait for that run to finish, then run todo-deploy up again. A release still ${current.status} after ${formatDuration(abandonedAfterMs)} is taken as abandoned and recovered.`,
    );
  }
  const ended = { ok: 'succeeded', failed: 'failed', interrupted: 'was interrupted', died: 'died' };
  const why =
    origin === 'previous-run' && target.previousRun
      ? `left by the run before this one, which ${ended[target.previousRun.outcome]}: ${describeRun(target.previousRun)}`
      : `pending${since || ' for an unknown time'}, longer than a run keeps it so`;
  ctx.out.warn(`Release ${ref.release} is stuck ${current.status} (revision ${current.revision}, ${why}); recovering it.`);
  const lastGood = current.status === 'pending-install' || current.revision <= 1 ? undefined : await lastWorkingRevision(ctx, ref, current.revision);
  await (lastGood === undefined ? ctx.tools.helm.uninstall({ ...ref, timeoutMs }, timeoutMs + 60_000) : ctx.tools.helm.rollback({ ...ref, revision: lastGood, timeoutMs }, timeoutMs + 60_000));
  target.changes.push(changeText(ctx.dryRun, 'recover', `${ref.release} from ${current.status}`));
}

/**
 * The latest revision before `below` that worked (superseded or deployed), as Helm's own
 * automatic rollback chooses it (pkg/action/upgrade.go) — not simply the previous one: Helm
 * answers Ctrl-C during an --atomic upgrade by rolling back itself, and if that is cut short
 * the release is left pending-rollback on top of the interrupted upgrade's failed revision.
 */
async function lastWorkingRevision(ctx: Context, ref: ReleaseRef, below: number): Promise<number | undefined> {
  const entries = (await ctx.tools.helm.history(ref)) ?? [];
  const good = entries.filter((r) => r.revision < below && (r.status === 'superseded' || r.status === 'deployed'));
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
