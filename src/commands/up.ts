// `todo-deploy up`: prereqs → cluster → image target → secrets → build → deploy → verify.
// Idempotent: on an unchanged app a second run builds nothing and changes nothing.
import { assetPath } from '../assets.js';
import { servicePaths } from '../checks/app.js';
import { checkInputs } from '../checks/inputs.js';
import { services, type Config, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { withDeployLock } from '../deployment/lock.js';
import { ConfigError } from '../errors.js';
import { formatDuration } from '../format.js';
import { digestContext } from '../images/content-tag.js';
import { buildPhase } from '../phases/build.js';
import { clusterPhase } from '../phases/cluster.js';
import { deployPhase } from '../phases/deploy.js';
import { imageTargetPhase } from '../phases/image-target.js';
import { prereqsPhase } from '../phases/prereqs.js';
import { secretsPhase } from '../phases/secrets.js';
import { secretNames, type ServicePlan, type UpState } from '../phases/state.js';
import { verifyPhase } from '../phases/verify.js';
import { ahead } from '../pipeline/ahead.js';
import { runPhases } from '../pipeline/runner.js';

export interface UpOptions {
  skipBuild?: boolean;
  /** false with --no-wait-for-lock: refuse at once while another run deploys to the same target. */
  waitForLock?: boolean;
}

export async function up(ctx: Context, options: UpOptions = {}): Promise<void> {
  const started = performance.now();
  const state = await initialState(ctx, options);
  const reports = await withDeployLock(ctx, state.config, { command: 'up', wait: options.waitForLock ?? true }, (previous) => {
    state.previousRun = previous;
    const phases = [prereqsPhase, clusterPhase, imageTargetPhase, secretsPhase, buildPhase, deployPhase, verifyPhase].map((phase) => phase(ctx));
    return runPhases(ctx.out, phases, state, ctx.stop);
  });

  const { frontend, backend } = state.services;
  const urls = { frontend: frontend.url, backend: backend.url, apiDocs: `${backend.url}/docs` };
  ctx.out.result({
    urls,
    images: { frontend: frontend.image.ref, backend: backend.image.ref },
    revisions: { frontend: frontend.release.revision, backend: backend.release.revision },
    changes: state.changes,
    dryRun: ctx.dryRun,
    durationMs: Math.round(performance.now() - started),
  });
  const { style } = ctx.out;
  const width = Math.max(...reports.map((r) => r.title.length));
  ctx.out.print(
    [
      '',
      ctx.dryRun ? style.bold('Dry run: nothing was changed.') : style.bold(`${style.green('✔')} The Todo Chatbot is up (${formatDuration(performance.now() - started)}).`),
      `  App       ${style.cyan(urls.frontend)}   ${style.dim(frontend.image.ref)}`,
      `  API docs  ${style.cyan(urls.apiDocs)}   ${style.dim(backend.image.ref)}`,
      state.changes.length
        ? `  ${ctx.dryRun ? 'Would change' : 'Changed'}:  ${state.changes.join('; ')}`
        : `  Nothing ${ctx.dryRun ? 'would change' : 'changed'}: images, secrets and releases ${ctx.dryRun ? 'are' : 'were'} already up to date.`,
      ...reports.map((r) => style.dim(`  ${r.title.padEnd(width)}  ${formatDuration(r.durationMs)}`)),
    ].join('\n'),
  );
}

async function initialState(ctx: Context, options: UpOptions): Promise<UpState> {
  const { checks, loaded, secrets, packageManagers } = await checkInputs(ctx);
  const failed = checks.filter((c) => c.status === 'fail');
  if (!loaded || !secrets || failed.length > 0) {
    throw new ConfigError(
      `${failed.map((c) => c.title).join(', ')} must be fixed first; nothing was started:`,
      failed.flatMap((c) => c.problems ?? [c.detail]),
      failed.length === 1 ? failed[0]!.hint : 'Fix each problem above (`todo-deploy doctor` shows them with a hint per check), then run `todo-deploy up` again.',
    );
  }
  for (const warning of checks.flatMap((c) => c.warnings ?? [])) ctx.out.warn(warning);

  const plans = services.map((service) => ({ ...plan(ctx, loaded.config, service), ...(packageManagers?.[service] && { packageManager: packageManagers[service] }) }));
  return {
    config: loaded.config,
    secrets,
    skipBuild: options.skipBuild ?? false,
    helmMajor: 4,
    kubeContext: loaded.config.minikube.profile,
    clusterLive: true,
    services: Object.fromEntries(plans.map((p) => [p.service, { ...p, contextDigest: ahead(digestContext({ context: p.sourceDir, dockerfile: p.dockerfile })) }])) as Record<Service, ServicePlan>,
    changes: [],
  };
}

function plan(ctx: Context, config: Config, service: Service): Omit<ServicePlan, 'contextDigest'> {
  const c = config[service];
  const { sourceDir, dockerfile } = servicePaths(ctx.appDir, config, service);
  return {
    service,
    config: c,
    sourceDir,
    dockerfile,
    chart: assetPath.chart(service),
    secretName: secretNames[service],
    buildArgs: {},
    image: { repository: c.image, tag: '', ref: c.image, built: false },
    url: '',
    secretChecksum: '',
    release: { revision: 0, changed: false },
  };
}
