// Builds the images whose content tag the cluster's image store does not hold yet — both at
// once — straight into Minikube's daemon.
import { resolve } from 'node:path';
import { services, type Config, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { OperationError, ToolError } from '../errors.js';
import { secretLookingFiles, tagOf } from '../images/content-tag.js';
import { packageManagerBuildArg } from '../images/package-manager.js';
import { STAGED_DOCKERFILE, stageContext } from '../images/stage-context.js';
import type { Phase } from '../pipeline/runner.js';
import { dockerBuildArgs, dockerBuildEnv, familiarRef, imageInspectArgs, parseImageTags } from '../tools/docker.js';
import { minikubeImageBuildArgs, minikubeImageListArgs } from '../tools/minikube.js';
import { changeText, type ServicePlan, type UpState } from './state.js';

export function buildPhase(ctx: Context): Phase<UpState> {
  return {
    id: 'build',
    // The cluster's URLs (the frontend bakes the backend's in) and where to build.
    after: ['cluster', 'image-target'],
    title: 'Build the images',
    leftBehind: 'No image was tagged unless its build finished; nothing changed in the cluster.',
    async run(state, progress) {
      const plans = services.map((s) => state.services[s]);
      // Looked up by the cluster phase as soon as the cluster ran, unless under --dry-run it would first have been started.
      const images = await (state.reads?.images ?? lookUpImages(ctx, state, state.buildEnv));
      for (const plan of plans) {
        plan.buildArgs = buildArgsOf(state, plan.service);
        plan.image = { ...plan.image, tag: images[plan.service].tag, ref: `${plan.image.repository}:${images[plan.service].tag}` };
      }
      await Promise.all(plans.map((plan) => warnOfSecretFiles(ctx, plan)));
      const missing = plans.filter((plan) => !images[plan.service].present);
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
          plan.image.built = !ctx.dryRun;
          plan.image.wouldBuild = ctx.dryRun;
          state.changes.push(changeText(ctx.dryRun, 'build', plan.image.ref));
          progress(`${++done} of ${missing.length} built`);
        }),
      );
      return describe(plans);
    },
  };
}

/** Env files and keys that a context of the user's own lets into the build end up in the image; the shipped ignore files exclude them. */
async function warnOfSecretFiles(ctx: Context, plan: ServicePlan): Promise<void> {
  const digest = await plan.contextDigest;
  const found = await secretLookingFiles(digest);
  if (found.length === 0) return;
  const where = digest.ignoreFile ? `get past ${digest.ignoreFile}` : 'are excluded by no .dockerignore';
  ctx.out.warn(
    `${found.join(', ')} in the ${plan.service}'s build context (${plan.sourceDir}) ${where}, so its image holds them. If they hold secrets, exclude them: add **/.env, **/.env.* and **/*.key (or their names) to ${digest.ignoreFile ?? `${plan.sourceDir}/.dockerignore`}.`,
  );
}

function describe(plans: ServicePlan[]): string {
  return plans.map((p) => `${p.image.ref} (${p.image.built ? 'built' : p.image.wouldBuild ? 'would build' : 'unchanged'})`).join(', ');
}

/** A service's build arguments: public values only (they persist in the image). */
export function buildArgsOf(state: Pick<UpState, 'config' | 'services'>, service: Service): Record<string, string> {
  const manager = state.services[service].packageManager;
  return {
    // The shipped Dockerfiles install with the manager the app's lockfile belongs to.
    ...(manager && packageManagerBuildArg(manager)),
    // NEXT_PUBLIC_* values are baked into the Next.js bundle at build time: the browser's backend URL is a build argument.
    ...(service === 'frontend' && { NEXT_PUBLIC_BACKEND_URL: state.config.frontend.backendUrl || state.services.backend.url }),
  };
}

export type ImageLookup = Record<Service, { tag: string; present: boolean }>;

/**
 * Each service's content tag (its context's digest with its build arguments), and whether the
 * cluster's image store holds that image: one read for both. `buildEnv` is Minikube's
 * docker-env; without it the store is asked through minikube.
 */
export async function lookUpImages(ctx: Context, state: UpState, buildEnv: Record<string, string> | undefined): Promise<ImageLookup> {
  const tags = await Promise.all(services.map(async (s) => tagOf(await state.services[s].contextDigest, buildArgsOf(state, s))));
  const refs = services.map((s, i) => `${state.services[s].image.repository}:${tags[i]}`);
  const held = state.clusterLive ? await imagesHeld(ctx, state, buildEnv, refs) : [];
  return Object.fromEntries(services.map((s, i) => [s, { tag: tags[i]!, present: held.includes(familiarRef(refs[i]!)) }])) as ImageLookup;
}

/** Which of the refs the cluster's image store holds, in their familiar form. */
async function imagesHeld(ctx: Context, state: UpState, buildEnv: Record<string, string> | undefined, refs: string[]): Promise<string[]> {
  if (buildEnv) {
    // Exit code 1 when one is missing: the tags printed say which ones exist.
    const inspect = await ctx.exec({ tool: 'docker', args: imageInspectArgs(refs), env: buildEnv, allowFailure: true, timeoutMs: 30_000 });
    return parseImageTags(inspect.stdout);
  }
  const list = await ctx.exec({ tool: 'minikube', args: minikubeImageListArgs(state.config.minikube.profile), timeoutMs: 60_000 });
  return list.stdout.split('\n').map((line) => familiarRef(line.trim()));
}

/** The labels a build puts on its image: public, like the build arguments. */
export function imageLabels(image: Pick<ServicePlan['image'], 'repository' | 'tag'>): Record<string, string> {
  return { 'org.opencontainers.image.title': image.repository, 'dev.todo-deploy.content-tag': image.tag };
}

async function build(ctx: Context, state: UpState, plan: ServicePlan): Promise<void> {
  const labels = imageLabels(plan.image);
  // Without docker-env, minikube builds from a staged copy of the context that holds the Dockerfile.
  const staged = state.buildEnv ? undefined : await stageContext(plan.sourceDir, (await plan.contextDigest).files, plan.dockerfile);
  const command = staged
    ? { tool: 'minikube', args: minikubeImageBuildArgs({ profile: state.config.minikube.profile, ref: plan.image.ref, dockerfile: STAGED_DOCKERFILE, context: staged.dir, buildArgs: plan.buildArgs }) }
    : { tool: 'docker', args: dockerBuildArgs({ ref: plan.image.ref, dockerfile: plan.dockerfile, context: plan.sourceDir, buildArgs: plan.buildArgs, labels, secrets: caSecret(ctx.appDir, state.config) }), env: { ...state.buildEnv, ...dockerBuildEnv } };
  try {
    await ctx.exec({ ...command, mutates: true, timeoutMs: state.config.timeouts.build });
  } catch (error) {
    if (error instanceof ToolError) {
      throw new ToolError(`The ${plan.service} image failed to build.`, error.command, error.exitCode, error.stderrTail, error.timedOut, `The build log's last lines are above; the build context is ${plan.sourceDir}.`);
    }
    throw error;
  } finally {
    await staged?.remove();
  }
}

/** The CA bundle of `build.caBundle` as the `ca` build secret the shipped Dockerfiles read. */
export function caSecret(appDir: string, config: Config): Record<string, string> {
  return config.build.caBundle ? { ca: resolve(appDir, config.build.caBundle) } : {};
}
