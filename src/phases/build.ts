// Builds the images whose content tag the cluster's image store does not hold yet — both at
// once — straight into Minikube's daemon.
import { services } from '../config/schema.js';
import type { Context } from '../context.js';
import { OperationError, ToolError } from '../errors.js';
import { tagOf } from '../images/content-tag.js';
import type { Phase } from '../pipeline/runner.js';
import { dockerBuildArgs, imageInspectArgs, parseImageTags } from '../tools/docker.js';
import { minikubeImageBuildArgs, minikubeImageListArgs } from '../tools/minikube.js';
import type { ServicePlan, UpState } from './state.js';

export function buildPhase(ctx: Context): Phase<UpState> {
  return {
    id: 'build',
    // The cluster's URLs (the frontend bakes the backend's in) and where to build.
    after: ['cluster', 'image-target'],
    title: 'Build the images',
    leftBehind: 'No image was tagged unless its build finished; nothing changed in the cluster.',
    async run(state, progress) {
      const plans = services.map((s) => state.services[s]);
      // NEXT_PUBLIC_* values are baked into the Next.js bundle at build time: the browser's backend URL is a build argument.
      state.services.frontend.buildArgs = { NEXT_PUBLIC_BACKEND_URL: state.config.frontend.backendUrl || state.services.backend.url };
      await Promise.all(plans.map(async (plan) => setTag(plan, tagOf(await plan.contextDigest, plan.buildArgs))));
      const present = await imagesPresent(ctx, state, plans);
      const missing = plans.filter((plan, i) => !present[i]);
      if (state.skipBuild) {
        if (missing.length > 0) {
          throw new OperationError(
            `--skip-build, but the cluster has no image for the current content of ${missing.map((p) => `${p.service} (${p.image.ref})`).join(', ')}.`,
            [],
            'Run `todo-deploy up` without --skip-build.',
          );
        }
        return `skipped (--skip-build); ${describe(plans)}`;
      }
      let done = 0;
      await Promise.all(
        missing.map(async (plan) => {
          await build(ctx, state, plan);
          plan.image.built = true;
          state.changes.push(`built ${plan.image.ref}`);
          progress(`${++done} of ${missing.length} built`);
        }),
      );
      return describe(plans);
    },
  };
}

function setTag(plan: ServicePlan, tag: string): void {
  plan.image = { ...plan.image, tag, ref: `${plan.image.repository}:${tag}` };
}

function describe(plans: ServicePlan[]): string {
  return plans.map((p) => `${p.image.ref} (${p.image.built ? 'built' : 'unchanged'})`).join(', ');
}

async function imagesPresent(ctx: Context, state: UpState, plans: ServicePlan[]): Promise<boolean[]> {
  if (!state.clusterLive) return plans.map(() => false);
  if (state.buildEnv) {
    // Exit code 1 when one is missing: the tags printed say which ones exist.
    const inspect = await ctx.exec({ tool: 'docker', args: imageInspectArgs(plans.map((p) => p.image.ref)), env: state.buildEnv, allowFailure: true, timeoutMs: 30_000 });
    const tags = parseImageTags(inspect.stdout);
    return plans.map((plan) => tags.includes(plan.image.ref));
  }
  const list = await ctx.exec({ tool: 'minikube', args: minikubeImageListArgs(state.config.minikube.profile), timeoutMs: 60_000 });
  const refs = list.stdout.split('\n').map((line) => line.trim().replace(/^docker\.io\/(library\/)?/, ''));
  return plans.map((plan) => refs.includes(plan.image.ref));
}

async function build(ctx: Context, state: UpState, plan: ServicePlan): Promise<void> {
  const labels = { 'org.opencontainers.image.title': plan.image.repository, 'dev.todo-deploy.content-tag': plan.image.tag };
  const command = state.buildEnv
    ? { tool: 'docker', args: dockerBuildArgs({ ref: plan.image.ref, dockerfile: plan.dockerfile, context: plan.sourceDir, buildArgs: plan.buildArgs, labels }), env: state.buildEnv }
    : { tool: 'minikube', args: minikubeImageBuildArgs({ profile: state.config.minikube.profile, ref: plan.image.ref, dockerfile: plan.dockerfile, context: plan.sourceDir, buildArgs: plan.buildArgs }) };
  try {
    await ctx.exec({ ...command, mutates: true, timeoutMs: state.config.timeouts.build });
  } catch (error) {
    if (error instanceof ToolError) {
      throw new ToolError(`The ${plan.service} image failed to build.`, error.command, error.exitCode, error.stderrTail, error.timedOut, `The build log's last lines are above; the build context is ${plan.sourceDir}.`);
    }
    throw error;
  }
}
