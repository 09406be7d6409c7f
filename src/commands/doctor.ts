// `todo-deploy doctor`: every read-only check `up` would make, in one report. Changes nothing.
import { checkInputs } from '../checks/inputs.js';
import { checkDockerBuilder, checkPrereqs } from '../checks/prereqs.js';
import { checkRegistry } from '../checks/cluster-target.js';
import { defaults } from '../config/schema.js';
import type { Context } from '../context.js';
import { ConfigError, PrereqError } from '../errors.js';
import { renderChecks } from '../ui/checks.js';

export async function doctor(ctx: Context): Promise<void> {
  const task = ctx.out.task('Checking tools, cluster, configuration and .env');
  const inputs = await checkInputs(ctx);
  // With an invalid config the prerequisite checks still run, on the defaults.
  const prereqs = await checkPrereqs(ctx.exec, inputs.loaded?.config ?? defaults);
  // After the docker check, whose version says whether buildx is needed.
  const builder = await checkDockerBuilder(ctx.exec, prereqs.find((c) => c.id === 'docker'));
  const daemon = prereqs.findIndex((c) => c.id === 'docker-daemon');
  // The cluster target's registry and platform, asked of the context once it is known to exist.
  const config = inputs.loaded?.config;
  const context = prereqs.find((c) => c.id === 'kube-context');
  const target = config?.target === 'cluster' && context?.status === 'pass' ? await checkRegistry(ctx, config) : [];
  const checks = [...prereqs.slice(0, daemon + 1), builder, ...prereqs.slice(daemon + 1), ...target, ...inputs.checks];
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length > 0) task.fail(`${failed.length} of ${checks.length} checks failed`);
  else task.succeed(`${checks.length} checks passed`);

  ctx.out.print(renderChecks(checks, ctx.out));
  ctx.out.result({ checks });

  const failedPrereqs = failed.filter((c) => c.category === 'prereq');
  if (failedPrereqs.length > 0) {
    throw new PrereqError(`Missing or unreachable: ${failedPrereqs.map((c) => c.title).join(', ')}.`, 'Follow the hints above, then run `todo-deploy doctor` again.');
  }
  if (failed.length > 0) {
    throw new ConfigError(`Invalid: ${failed.map((c) => c.title).join(', ')}.`, [], 'Fix the problems listed above, then run `todo-deploy doctor` again.');
  }
}
