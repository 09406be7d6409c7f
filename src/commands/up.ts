// `todo-deploy up`: prereqs → cluster → image target → secrets → (database) → build → deploy → verify.
// Idempotent: on an unchanged app a second run builds nothing and changes nothing.
import { servicePaths } from '../checks/app.js';
import { checkInputs } from '../checks/inputs.js';
import type { Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { withDatabaseMode } from '../deployment/database.js';
import { withDeployLock } from '../deployment/lock.js';
import { ConfigError } from '../errors.js';
import { formatDuration } from '../format.js';
import { buildPhase, digestsRead, imagesRead } from '../phases/build.js';
import { clusterPhase, exposePhase } from '../phases/cluster.js';
import { databasePhase, deployPhase, releasesRead } from '../phases/deploy.js';
import { dockerEnvRead, imageTargetPhase } from '../phases/image-target.js';
import { prereqsPhase } from '../phases/prereqs.js';
import { deployRef, pullPhase, pushPhase } from '../phases/push.js';
import { checkTarget } from '../deployment/access.js';
import type { ServiceInput, UpInputs, UpResults } from '../phases/results.js';
import { currentSecretsRead, secretsPhase } from '../phases/secrets.js';
import { verifyPhase } from '../phases/verify.js';
import { runSteps, type Step } from '../pipeline/runner.js';

export interface UpOptions {
  skipBuild?: boolean;
  /** false with --no-wait-for-lock: refuse at once while another run deploys to the same target. */
  waitForLock?: boolean;
}

/** up's graph, in the order the phases are shown; each read comes before the first step that needs it. */
function steps(ctx: Context, inputs: UpInputs): Array<Step<UpResults>> {
  return [
    digestsRead(inputs),
    prereqsPhase(ctx, inputs),
    clusterPhase(ctx, inputs),
    exposePhase(ctx, inputs),
    dockerEnvRead(ctx, inputs),
    imageTargetPhase(ctx, inputs),
    imagesRead(ctx, inputs),
    currentSecretsRead(ctx, inputs),
    secretsPhase(ctx, inputs),
    releasesRead(ctx, inputs),
    databasePhase(ctx, inputs),
    buildPhase(ctx, inputs),
    pushPhase(ctx, inputs),
    pullPhase(ctx, inputs),
    deployPhase(ctx, inputs),
    verifyPhase(ctx, inputs),
  ];
}

export async function up(ctx: Context, options: UpOptions = {}): Promise<void> {
  const started = performance.now();
  const inputs = await checkedInputs(ctx, options);
  const { reports, results } = await withDeployLock(ctx, inputs.config, { command: 'up', wait: options.waitForLock ?? true }, (previousRun) =>
    runSteps(ctx.out, steps(ctx, { ...inputs, previousRun }), ctx.stop),
  );

  // Every phase ran: the runner throws otherwise.
  const { cluster, expose, secrets, database, build, push, deploy } = results as UpResults;
  // Once each: the namespace is made by whichever of the expose and secrets phases (run side by side) applies first.
  const changes = [...new Set([cluster, expose, secrets, database, build, push, deploy].flatMap((r) => r.changes))];
  const urls = { frontend: expose.urls.frontend, backend: expose.urls.backend, apiDocs: `${expose.urls.backend}/docs` };
  const frontend = { ref: deployRef(push.images.frontend) };
  const backend = { ref: deployRef(push.images.backend) };
  ctx.out.result({
    urls,
    ...(expose.mode && { access: expose.mode }),
    images: { frontend: frontend.ref, backend: backend.ref },
    revisions: { ...deploy.revisions, ...(database.revision !== undefined && { database: database.revision }) },
    changes,
    dryRun: ctx.dryRun,
    durationMs: Math.round(performance.now() - started),
  });
  const { style } = ctx.out;
  const width = Math.max(...reports.map((r) => r.title.length));
  ctx.out.print(
    [
      '',
      ctx.dryRun ? style.bold('Dry run: nothing was changed.') : style.bold(`${style.green('✔')} The Todo Chatbot is up (${formatDuration(performance.now() - started)}).`),
      `  App       ${style.cyan(urls.frontend)}   ${style.dim(frontend.ref)}`,
      `  API docs  ${style.cyan(urls.apiDocs)}   ${style.dim(backend.ref)}`,
      changes.length
        ? `  ${ctx.dryRun ? 'Would change' : 'Changed'}:  ${changes.join('; ')}`
        : `  Nothing ${ctx.dryRun ? 'would change' : 'changed'}: images, secrets and releases ${ctx.dryRun ? 'are' : 'were'} already up to date.`,
      ...(expose.mode === 'port-forward' ? [`  The URLs are served on this machine while \`todo-deploy open\` runs (kubectl port-forward to context "${cluster.kubeContext}").`] : []),
      ...reports.map((r) => style.dim(`  ${r.title.padEnd(width)}  ${formatDuration(r.durationMs)}`)),
    ].join('\n'),
  );
}

/** The checked config, .env and app: nothing is started while one of them is wrong. */
async function checkedInputs(ctx: Context, options: UpOptions): Promise<UpInputs> {
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

  // A protected context is changed only with --yes; a dry run changes nothing.
  checkTarget(loaded.config, ctx.dryRun ? undefined : { yes: ctx.yes });
  const config = withDatabaseMode(loaded.config, secrets);
  const input = (service: Service): ServiceInput => {
    const { sourceDir, dockerfile } = servicePaths(ctx.appDir, config, service);
    return { service, config: config[service], sourceDir, dockerfile, ...(packageManagers?.[service] && { packageManager: packageManagers[service] }) };
  };
  return { config, secrets, skipBuild: options.skipBuild ?? false, services: { frontend: input('frontend'), backend: input('backend') }, database: config.database.mode === 'in-cluster' };
}
