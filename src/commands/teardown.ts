// `todo-deploy teardown`: uninstall both releases (waiting for their objects to go), delete the
// two secrets, then keep, stop or delete the Minikube profile. It lists exactly what it will
// remove and asks first (unless --yes); what is already gone is not an error.
import { services, type Config } from '../config/schema.js';
import type { Context } from '../context.js';
import { connect, loadSettings } from '../deployment/connect.js';
import { releaseRef } from '../deployment/view.js';
import { withDeployLock } from '../deployment/lock.js';
import { CancelledError, PrereqError, UsageError } from '../errors.js';
import { releasesOf } from '../deployment/releases.js';
import { secretNames } from '../deployment/secret-keys.js';

export interface TeardownOptions {
  /** What happens to the Minikube profile (the CLI checks the choice). */
  cluster?: 'keep' | 'stop' | 'delete';
  /** false with --no-wait-for-lock. */
  waitForLock?: boolean;
}

export async function teardown(ctx: Context, options: TeardownOptions): Promise<void> {
  const config = await loadSettings(ctx);
  await withDeployLock(ctx, config, { command: 'teardown', wait: options.waitForLock ?? true }, () => tearDown(ctx, config, options.cluster ?? 'keep'));
}

async function tearDown(ctx: Context, config: Config, action: NonNullable<TeardownOptions['cluster']>): Promise<void> {
  const { profile } = config.minikube;
  const { namespace } = config;
  const status = await ctx.tools.minikube.status(profile);
  if (status.state === 'degraded' && action !== 'delete') {
    throw new PrereqError(
      `The Minikube profile "${profile}" is not healthy (host ${status.host}, apiserver ${status.apiServer}, kubelet ${status.kubelet}), so its releases cannot be uninstalled.`,
      `Run \`minikube start -p ${profile}\` and then teardown again, or \`todo-deploy teardown --cluster delete\` to delete the profile with everything in it.`,
    );
  }

  // What exists, read-only; a profile that is not running holds nothing we can uninstall.
  const releases: Array<{ service: (typeof services)[number]; release: string; revision: number }> = [];
  let secrets: string[] = [];
  let deployment: Awaited<ReturnType<typeof connect>> | undefined;
  if (status.state === 'running') {
    deployment = await connect(ctx, config, status);
    const found = await releasesOf(ctx, deployment, services);
    for (const service of services) {
      const release = found.get(config[service].release);
      if (release) releases.push({ service, release: config[service].release, revision: release.revision });
    }
    secrets = await ctx.tools.kubectl.secretNames({ kubeContext: deployment.kubeContext, namespace }, Object.values(secretNames));
  }
  const profileAction = status.state === 'absent' ? undefined : action === 'delete' ? 'delete' : action === 'stop' && status.state !== 'stopped' ? 'stop' : undefined;

  const plan = [
    ...releases.map((r) => `Helm release ${r.release} (revision ${r.revision}) in namespace ${namespace}, with its pods and services`),
    ...secrets.map((name) => `Secret ${namespace}/${name}`),
    ...(profileAction === 'delete' ? [`Minikube profile "${profile}": deleted, with its cluster, its images and its kube-context`] : []),
    ...(profileAction === 'stop' ? [`Minikube profile "${profile}": stopped (start it again with todo-deploy up)`] : []),
  ];
  if (plan.length === 0) {
    const where = status.state === 'running' ? ` in namespace ${namespace} of Minikube profile "${profile}"` : `: the Minikube profile "${profile}" ${status.state === 'absent' ? 'does not exist' : 'is stopped'}`;
    ctx.out.print(`Nothing to tear down${where}.`);
    if (status.state === 'stopped') ctx.out.print(`Releases inside the stopped profile stay there; \`todo-deploy teardown --cluster delete\` deletes the profile and all of it.`);
    ctx.out.result({ removed: [], cluster: status.state });
    return;
  }

  ctx.out.print(`${ctx.dryRun ? 'Would remove' : 'This removes'}:\n${plan.map((line) => `  • ${line}`).join('\n')}`);
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
      releases.map((r) => ctx.tools.helm.uninstall({ ...releaseRef(ref, r.service), timeoutMs }, timeoutMs + 30_000)),
    );
    removed.push(...releases.map((r) => `release ${r.release}`));
    // Deleted after the releases, so no pod of theirs is left waiting for a missing secret.
    if (secrets.length > 0) {
      await ctx.tools.kubectl.deleteSecrets({ kubeContext: ref.kubeContext, namespace }, secrets);
      removed.push(...secrets.map((name) => `secret ${name}`));
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
  ctx.out.print(ctx.dryRun ? '\nDry run: nothing was changed.' : `\nTorn down: ${removed.join(', ')}.`);
}
