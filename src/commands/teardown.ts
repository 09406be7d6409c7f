// `todo-deploy teardown`: uninstall our releases (waiting for their objects to go), delete the
// app's secrets, then keep, stop or delete the Minikube profile. The in-cluster database's
// volume and password are kept unless --purge-data. It lists exactly what it will remove (and
// keep) and asks first (unless --yes); what is already gone is not an error.
import { services, type Config } from '../config/schema.js';
import type { Context } from '../context.js';
import { connect, loadSettings } from '../deployment/connect.js';
import { withDeployLock } from '../deployment/lock.js';
import { CancelledError, PrereqError, UsageError } from '../errors.js';
import { databaseSecret, databaseVolume } from '../deployment/database.js';
import { secretNames } from '../deployment/secret-keys.js';
import { checkTarget } from '../deployment/access.js';
import { PULL_SECRET } from '../deployment/registry-credentials.js';
import { exposureObjects } from '../deployment/expose.js';
import { probeName } from '../deployment/pull-probe.js';
import type { MinikubeStatus } from '../tools/minikube.js';

export interface TeardownOptions {
  /** What happens to the Minikube profile (the CLI checks the choice). */
  cluster?: 'keep' | 'stop' | 'delete';
  /** false with --no-wait-for-lock. */
  waitForLock?: boolean;
  /** Also delete the in-cluster database's volume (its data) and its password Secret. */
  purgeData?: boolean;
}

export async function teardown(ctx: Context, options: TeardownOptions): Promise<void> {
  const config = await loadSettings(ctx);
  await withDeployLock(ctx, config, { command: 'teardown', wait: options.waitForLock ?? true }, () => tearDown(ctx, config, options.cluster ?? 'keep', options.purgeData ?? false));
}

async function tearDown(ctx: Context, config: Config, action: NonNullable<TeardownOptions['cluster']>, purgeData: boolean): Promise<void> {
  const { profile } = config.minikube;
  const { namespace } = config;
  const onCluster = config.target === 'cluster';
  if (onCluster && action !== 'keep') {
    throw new UsageError(`--cluster ${action} stops or deletes a Minikube profile; the cluster target's context "${config.cluster.context}" is not todo-deploy's to ${action}.`, 'Run teardown without --cluster: it removes the releases and Secrets and leaves the cluster (and its namespaces) as they are.');
  }
  if (onCluster) checkTarget(config, ctx.dryRun ? undefined : { yes: ctx.yes });
  // The cluster target's context is read as it is: it runs, or connect says why not.
  const status: MinikubeStatus = onCluster ? { state: 'running' } : await ctx.tools.minikube.status(profile);
  const where = onCluster ? `context "${config.cluster.context}"` : `Minikube profile "${profile}"`;
  if (status.state === 'degraded' && action !== 'delete') {
    throw new PrereqError(
      `The Minikube profile "${profile}" is not healthy (host ${status.host}, apiserver ${status.apiServer}, kubelet ${status.kubelet}), so its releases cannot be uninstalled.`,
      `Run \`minikube start -p ${profile}\` and then teardown again, or \`todo-deploy teardown --cluster delete\` to delete the profile with everything in it.`,
    );
  }

  // What exists, read-only; a profile that is not running holds nothing we can uninstall.
  const releases: Array<{ release: string; revision: number }> = [];
  let secrets: string[] = [];
  // The in-cluster database's data: its volume claim and the Secret with the password it was made with.
  let data: { claim?: string; secret?: string } = {};
  let deployment: Awaited<ReturnType<typeof connect>> | undefined;
  let exposure: string[] = [];
  // Pull probe pods an interrupted `up` left (it cannot remove them once stopped; the next up would).
  let probes: string[] = [];
  if (purgeData && status.state !== 'running' && action !== 'delete') {
    throw new UsageError(
      `--purge-data deletes the database's volume from the cluster, but the Minikube profile "${profile}" ${status.state === 'absent' ? 'does not exist' : 'is not running'}.`,
      status.state === 'absent' ? 'There is no data to purge.' : `Start it (minikube start -p ${profile}) and run teardown --purge-data again, or delete the profile with everything in it: teardown --cluster delete.`,
    );
  }
  if (status.state === 'running') {
    deployment = await connect(ctx, config, status);
    const scope = { kubeContext: deployment.kubeContext, namespace };
    // The database's objects whatever database.mode says now: one deployed before a switch to an
    // external database is still ours to remove (and its data still to keep unless asked).
    const names = [...services.map((s) => config[s].release), config.database.release];
    const [found, existing, claims, exposed, leftProbes] = await Promise.all([
      ctx.tools.helm.releases(scope, names),
      ctx.tools.kubectl.secretNames(scope, [...Object.values(secretNames), databaseSecret.name, ...(onCluster ? [PULL_SECRET] : [])]),
      ctx.tools.kubectl.getObjects(scope, [`persistentvolumeclaim/${databaseVolume(config)}`]),
      // The cluster target's Ingress and LoadBalancer Services (src/deployment/expose.ts).
      onCluster ? ctx.tools.kubectl.getObjects(scope, exposureObjects(config)) : [],
      onCluster ? ctx.tools.kubectl.getObjects(scope, services.map((s) => `pod/${probeName(s)}`)) : [],
    ]);
    probes = leftProbes.map((o) => o.metadata.name);
    exposure = exposed.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`);
    for (const release of names) {
      const current = found.get(release);
      if (current) releases.push({ release, revision: current.revision });
    }
    secrets = existing.filter((name) => name !== databaseSecret.name);
    data = { ...(claims.length > 0 && { claim: databaseVolume(config) }), ...(existing.includes(databaseSecret.name) && { secret: databaseSecret.name }) };
  }
  const profileAction = status.state === 'absent' ? undefined : action === 'delete' ? 'delete' : action === 'stop' && status.state !== 'stopped' ? 'stop' : undefined;
  const hasData = data.claim !== undefined || data.secret !== undefined;
  // Deleting the profile deletes its volumes anyway.
  const purge = hasData && (purgeData || profileAction === 'delete');

  const plan = [
    ...releases.map((r) => `Helm release ${r.release} (revision ${r.revision}) in namespace ${namespace}, with its pods and services`),
    ...secrets.map((name) => `Secret ${namespace}/${name}`),
    ...exposure.map((object) => `${object.startsWith('ingress/') ? 'Ingress' : 'LoadBalancer Service'} ${namespace}/${object.split('/')[1]}`),
    ...probes.map((name) => `Pod ${namespace}/${name} (a pull probe an interrupted up left)`),
    ...(purge && data.claim ? [`PersistentVolumeClaim ${namespace}/${data.claim}: the database's volume, with all its data`] : []),
    ...(purge && data.secret ? [`Secret ${namespace}/${data.secret} (the database's password)`] : []),
    ...(profileAction === 'delete' ? [`Minikube profile "${profile}": deleted, with its cluster, its images and its kube-context`] : []),
    ...(profileAction === 'stop' ? [`Minikube profile "${profile}": stopped (start it again with todo-deploy up)`] : []),
  ];
  const kept = hasData && !purge ? `Kept: the database's data (${[data.claim && `volume ${data.claim}`, data.secret && `Secret ${data.secret}`].filter(Boolean).join(' and ')}); the next todo-deploy up finds it again. --purge-data deletes it.` : undefined;
  if (plan.length === 0) {
    ctx.out.print(`Nothing to tear down${status.state === 'running' ? ` in namespace ${namespace} of ${where}` : `: the ${where} ${status.state === 'absent' ? 'does not exist' : 'is stopped'}`}.`);
    if (kept) ctx.out.print(kept);
    if (status.state === 'stopped') ctx.out.print(`Releases inside the stopped profile stay there; \`todo-deploy teardown --cluster delete\` deletes the profile and all of it.`);
    ctx.out.result({ removed: [], cluster: status.state, ...(kept && { keptData: true }) });
    return;
  }

  ctx.out.print(`${ctx.dryRun ? 'Would remove' : 'This removes'}:\n${plan.map((line) => `  • ${line}`).join('\n')}${kept ? `\n${kept}` : ''}`);
  if (!ctx.dryRun && !ctx.yes) {
    if (!ctx.interactive) {
      throw new UsageError('teardown removes the items above and needs a confirmation, but there is no terminal to ask on.', 'Run it again with --yes to confirm, or from a terminal.');
    }
    // A "no" ends the run as in setup: cancelled, exit 130, nothing changed.
    if (!(await ctx.prompts.confirm({ message: 'Remove all of this?', default: false }))) {
      throw new CancelledError('Teardown cancelled: nothing was removed.', 'Run todo-deploy teardown again when you are ready (--yes skips the question).');
    }
  }

  const removed: string[] = [];
  if (deployment) {
    const ref = deployment;
    const task = ctx.out.task(releases.length ? `Uninstalling ${releases.map((r) => r.release).join(' and ')}` : 'Deleting the secrets');
    const timeoutMs = config.timeouts.deploy;
    await Promise.all(
      releases.map((r) => ctx.tools.helm.uninstall({ release: r.release, namespace, kubeContext: ref.kubeContext, timeoutMs }, timeoutMs + 30_000)),
    );
    removed.push(...releases.map((r) => `release ${r.release}`));
    if (exposure.length > 0) {
      await ctx.tools.kubectl.deleteObjects({ kubeContext: ref.kubeContext, namespace }, exposure);
      removed.push(...exposure);
    }
    if (probes.length > 0) {
      await ctx.tools.kubectl.deletePods({ kubeContext: ref.kubeContext, namespace }, probes);
      removed.push(...probes.map((name) => `pod ${name}`));
    }
    // Deleted after the releases, so no pod of theirs is left waiting for a missing secret.
    // After the release, whose pod held it (a claim in use is not deleted until no pod uses it),
    // and before the password: a volume never outlives the Secret that opens it.
    if (purge && profileAction !== 'delete' && data.claim) {
      await ctx.tools.kubectl.deleteClaims({ kubeContext: ref.kubeContext, namespace }, [data.claim]);
      removed.push(`volume ${data.claim} (the database's data)`);
    }
    const deleted = [...secrets, ...(purge && profileAction !== 'delete' && data.secret ? [data.secret] : [])];
    if (deleted.length > 0) {
      await ctx.tools.kubectl.deleteSecrets({ kubeContext: ref.kubeContext, namespace }, deleted);
      removed.push(...deleted.map((name) => `secret ${name}`));
    }
    task.succeed([releases.length && `${releases.length} release${releases.length > 1 ? 's' : ''}`, secrets.length && `${secrets.length} secret${secrets.length > 1 ? 's' : ''}`].filter(Boolean).join(' and ') + (ctx.dryRun ? ' (dry run)' : ' removed'));
  }
  if (profileAction) {
    const task = ctx.out.task(`${profileAction === 'stop' ? 'Stopping' : 'Deleting'} the Minikube profile "${profile}"`);
    await ctx.tools.minikube[profileAction](profile, config.timeouts.start);
    removed.push(`profile ${profile} (${profileAction === 'stop' ? 'stopped' : 'deleted'})`);
    task.succeed(ctx.dryRun ? '(dry run)' : profileAction === 'stop' ? 'stopped' : 'deleted');
  }
  ctx.out.result({ removed: ctx.dryRun ? [] : removed, ...(ctx.dryRun && { wouldRemove: plan }) });
  ctx.out.print(ctx.dryRun ? '\nDry run: nothing was changed.' : `\nTorn down: ${removed.join(', ')}.${kept ? `\n${kept}` : ''}`);
}
