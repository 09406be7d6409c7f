// Builds the images whose content tag the cluster's image store does not hold yet — both at
// once — straight into Minikube's daemon.
import { resolve } from 'node:path';
import { services, type Config, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { OperationError, ToolError } from '../errors.js';
import { digestContext, secretLookingFiles, tagOf, type ContextDigest } from '../images/content-tag.js';
import { packageManagerBuildArg, type PackageManager } from '../images/package-manager.js';
import { STAGED_DOCKERFILE, stageContext } from '../images/stage-context.js';
import { BUILDX_CLIENT_MAJOR, familiarRef, repositoryOf, type BuildOptions } from '../tools/docker.js';
import { changeText, upStep, type ImageResult, type ServiceInput, type UpInputs, type UpResults } from './results.js';

/** Each service's build context, digested from the start of the run: the files need nothing of the cluster. */
export const digestsRead = ({ services: inputs }: UpInputs) =>
  upStep({
    id: 'digests',
    needs: [],
    async run() {
      const digests = await Promise.all(services.map((s) => digestContext({ context: inputs[s].sourceDir, dockerfile: inputs[s].dockerfile })));
      return Object.fromEntries(services.map((s, i) => [s, digests[i]!])) as Record<Service, ContextDigest>;
    },
  });

/**
 * Each service's content tag (its context's digest with its build arguments — the frontend's
 * hold the backend's URL), and whether the cluster's image store holds that image: one read
 * for both. With docker-env the daemon is asked; otherwise the store is asked through minikube.
 */
export const imagesRead = (ctx: Context, { config, services: inputs }: UpInputs) =>
  upStep({
    id: 'images',
    needs: ['cluster', 'expose', 'dockerEnv', 'digests', 'image-target'],
    async run({ cluster, expose, dockerEnv, digests, 'image-target': target }) {
      const { placement } = target;
      const buildArgs = Object.fromEntries(services.map((s) => [s, buildArgsOf(config, s, { packageManager: inputs[s].packageManager, backendUrl: expose.urls.backend })])) as Record<Service, Record<string, string>>;
      const tags = services.map((s) => tagOf(digests[s], buildArgs[s], placement?.platform));
      const repositories = services.map((s) => (placement && !placement.load ? `${placement.push}/${inputs[s].config.image}` : inputs[s].config.image));
      const refs = services.map((s, i) => `${repositories[i]}:${tags[i]}`);
      const result = (present: (ref: string) => boolean, more: (ref: string) => { digest?: string; platform?: string } = () => ({})) =>
        Object.fromEntries(services.map((s, i) => [s, { repository: repositories[i]!, tag: tags[i]!, buildArgs: buildArgs[s], present: present(refs[i]!), ...more(refs[i]!) }])) as UpResults['images'];
      if (placement) {
        // This machine's daemon: what is built, for which platform, and what was pushed (a repository digest of the same repository).
        const details = await ctx.tools.docker.imageDetails(refs);
        const of = (ref: string) => details.find((d) => d.tags.includes(familiarRef(ref)));
        return result(
          (ref) => of(ref) !== undefined,
          (ref) => {
            const found = of(ref);
            const digest = pushedDigest(found?.digests ?? [], ref);
            return { ...(found && { platform: found.platform }), ...(digest && { digest }) };
          },
        );
      }
      const held = !cluster.live ? [] : dockerEnv ? await ctx.tools.docker.imagesHeld(refs, dockerEnv) : (await ctx.tools.minikube.imageList(config.minikube.profile)).map(familiarRef);
      return result((ref) => held.includes(familiarRef(ref)));
    },
  });

/** The digest an image was pushed as to the repository of `ref`, from its `repository@sha256:…` digests. */
export function pushedDigest(repoDigests: readonly string[], ref: string): string | undefined {
  const repository = familiarRef(repositoryOf(ref));
  return repoDigests.find((d) => repositoryOf(d) === repository)?.split('@')[1];
}

export const buildPhase = (ctx: Context, { config, skipBuild, services: inputs }: UpInputs) =>
  upStep({
    id: 'build',
    // Where to build, and what is there already.
    needs: ['prereqs', 'image-target', 'images', 'digests'],
    title: 'Build the images',
    leftBehind: 'No image was tagged unless its build finished; nothing changed in the cluster.',
    async run({ prereqs, 'image-target': target, images, digests }, progress) {
      const result = Object.fromEntries(
        services.map((s) => {
          const { repository, tag, buildArgs } = images[s];
          return [s, { repository, tag, ref: `${repository}:${tag}`, buildArgs, built: false, wouldBuild: false }];
        }),
      ) as Record<Service, ImageResult>;
      await Promise.all(services.map((s) => warnOfSecretFiles(ctx, inputs[s], digests[s])));
      const missing = services.filter((s) => !images[s].present);
      if (skipBuild) {
        if (missing.length > 0) {
          throw new OperationError(
            `--skip-build, but the cluster has no image for the current content of ${missing.map((s) => `${s} (${result[s].ref})`).join(', ')}.`,
            [],
            'Run `todo-deploy up` without --skip-build.',
          );
        }
        return { images: result, changes: [], detail: `skipped (--skip-build); ${describe(result)}` };
      }
      let done = 0;
      const changes: string[] = [];
      await Promise.all(
        missing.map(async (s) => {
          await build(ctx, config, inputs[s], digests[s], result[s], target.buildEnv, {
            ...(target.placement && { platform: target.placement.platform }),
            // Loaded into a cluster through `docker save`: no attestation it cannot import (buildx only).
            ...(target.placement?.load && (prereqs.dockerMajor ?? 0) >= BUILDX_CLIENT_MAJOR && { provenance: false as const }),
          });
          result[s] = { ...result[s], built: !ctx.dryRun, wouldBuild: ctx.dryRun };
          changes.push(changeText(ctx.dryRun, 'build', result[s].ref));
          progress(`${++done} of ${missing.length} built`);
        }),
      );
      return { images: result, changes, detail: describe(result) };
    },
    detail: (result) => result.detail,
  });

/** Env files and keys that a context of the user's own lets into the build end up in the image; the shipped ignore files exclude them. */
async function warnOfSecretFiles(ctx: Context, input: ServiceInput, digest: ContextDigest): Promise<void> {
  const found = await secretLookingFiles(digest);
  if (found.length === 0) return;
  const where = digest.ignoreFile ? `get past ${digest.ignoreFile}` : 'are excluded by no .dockerignore';
  ctx.out.warn(
    `${found.join(', ')} in the ${input.service}'s build context (${input.sourceDir}) ${where}, so its image holds them. If they hold secrets, exclude them: add **/.env, **/.env.* and **/*.key (or their names) to ${digest.ignoreFile ?? `${input.sourceDir}/.dockerignore`}.`,
  );
}

function describe(images: Record<Service, ImageResult>): string {
  return services.map((s) => images[s]).map((i) => `${i.ref} (${i.built ? 'built' : i.wouldBuild ? 'would build' : 'unchanged'})`).join(', ');
}

/** A service's build arguments: public values only (they persist in the image). */
export function buildArgsOf(config: Config, service: Service, from: { packageManager?: PackageManager; backendUrl: string }): Record<string, string> {
  return {
    // The shipped Dockerfiles install with the manager the app's lockfile belongs to.
    ...(from.packageManager && packageManagerBuildArg(from.packageManager)),
    // NEXT_PUBLIC_* values are baked into the Next.js bundle at build time: the browser's backend URL is a build argument.
    ...(service === 'frontend' && { NEXT_PUBLIC_BACKEND_URL: config.frontend.backendUrl || from.backendUrl }),
  };
}

/** The labels a build puts on its image: public, like the build arguments. */
export function imageLabels(image: Pick<ImageResult, 'repository' | 'tag'>): Record<string, string> {
  return { 'org.opencontainers.image.title': image.repository, 'dev.todo-deploy.content-tag': image.tag };
}

async function build(ctx: Context, config: Config, input: ServiceInput, digest: ContextDigest, image: ImageResult, buildEnv: Record<string, string> | undefined, target: Pick<BuildOptions, 'platform' | 'provenance'> = {}): Promise<void> {
  // Without docker-env, minikube builds from a staged copy of the context that holds the Dockerfile.
  const staged = buildEnv ? undefined : await stageContext(input.sourceDir, digest.files, input.dockerfile);
  const { buildArgs, ref } = image;
  try {
    await (staged
      ? ctx.tools.minikube.imageBuild({ profile: config.minikube.profile, ref, dockerfile: STAGED_DOCKERFILE, context: staged.dir, buildArgs }, config.timeouts.build)
      : ctx.tools.docker.build({ ref, dockerfile: input.dockerfile, context: input.sourceDir, buildArgs, labels: imageLabels(image), secrets: caSecret(ctx.appDir, config), ...target }, buildEnv!, config.timeouts.build));
  } catch (error) {
    if (error instanceof ToolError) {
      throw new ToolError(`The ${input.service} image failed to build.`, error.command, error.exitCode, error.stderrTail, error.timedOut, `The build log's last lines are above; the build context is ${input.sourceDir}.`);
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
