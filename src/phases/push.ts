// The cluster target: each image checked to be for the nodes' platform, pushed when the
// registry does not have it yet, then deployed by digest (repository:tag@sha256:…), so what
// runs is exactly what was built; the cluster proves it can pull each image that will roll
// out before the rollout. A cluster on this machine without a registry (kind, k3d, Minikube)
// gets the images loaded instead, by their content tag. On the Minikube target both steps are
// silent: the pods run the built tags.
import { services, type Config, type Service } from '../config/schema.js';
import type { ReleaseStatus } from '../tools/helm.js';
import type { Context } from '../context.js';
import { probePull } from '../deployment/pull-probe.js';
import { osArch, pushError } from '../deployment/registry.js';
import { OperationError, ToolError } from '../errors.js';
import { familiarRef } from '../tools/docker.js';
import { changeText, upStep, type DeployImage, type UpInputs } from './results.js';

export const pushPhase = (ctx: Context, { config }: UpInputs) =>
  upStep({
    id: 'push',
    needs: ['build', 'image-target', 'images', 'releases'],
    ...(config.target === 'cluster' && { title: 'Get the images to the cluster' }),
    leftBehind: 'An image may be half pushed or loaded; the next run does it again. No release changed.',
    async run({ build, 'image-target': target, images, releases }, progress) {
      const { placement } = target;
      const byTag = Object.fromEntries(services.map((s) => [s, { repository: build.images[s].repository, tag: build.images[s].tag }])) as Record<Service, DeployImage>;
      if (!placement) return { images: byTag, changes: [], detail: 'not needed: the cluster runs the images it holds' };
      // The images this run built are looked at again (under --dry-run a build was only printed: there is nothing to look at).
      const built = services.filter((s) => build.images[s].built);
      const details = built.length > 0 ? await ctx.tools.docker.imageDetails(built.map((s) => build.images[s].ref)) : [];
      const detailsOf = (s: Service) => details.find((d) => d.tags.includes(familiarRef(build.images[s].ref)));
      for (const s of services) checkPlatform(s, build.images[s].ref, detailsOf(s)?.platform ?? images[s].platform, placement.platform);
      const changes: string[] = [];

      if (placement.load) {
        // A release that runs this tag runs an image its nodes hold: nothing to load again.
        const { tool, name } = placement.load;
        const toLoad = tool === 'docker-desktop' ? [] : services.filter((s) => runningRef(releases, config, s) !== deployRef(byTag[s]));
        if (tool !== 'docker-desktop' && toLoad.length > 0) {
          progress(`loading into ${tool} cluster "${name}"`);
          const loaded = await ctx.tools[tool].load(name, toLoad.map((s) => build.images[s].ref), config.timeouts.build);
          for (const s of toLoad) changes.push(changeText(loaded.dryRun, 'load', `${build.images[s].ref} into ${tool} "${name}"`));
        }
        const held = tool === 'docker-desktop' ? 'shared with Docker Desktop' : 'held by the cluster';
        return { images: byTag, changes, detail: services.map((s) => `${build.images[s].ref} (${toLoad.includes(s) ? (ctx.dryRun ? 'would load' : 'loaded') : held})`).join(', ') };
      }

      let done = 0;
      const pushed = await Promise.all(
        services.map(async (s): Promise<DeployImage> => {
          const image = build.images[s];
          const pull = { repository: `${placement.pull}/${config[s].image}`, tag: image.tag };
          // Pushed before, from this machine: the daemon keeps the digest it was pushed as. That
          // says the registry had it then, not now (it may have been emptied or replaced since):
          // only a release that runs that digest proves nothing needs pulling; otherwise it is
          // pushed again, which costs only the registry's "already exists" answers.
          const known = image.built ? undefined : images[s].digest;
          if (known && runningRef(releases, config, s) === deployRef({ ...pull, digest: known })) return { ...pull, digest: known };
          const result = await ctx.tools.docker.push(image.ref, config.timeouts.build).catch((error: unknown) => {
            throw error instanceof ToolError ? pushError(error, image.ref) : error;
          });
          changes.push(changeText(ctx.dryRun, 'push', image.ref));
          progress(`${++done} pushed`);
          if (result.dryRun) return pull;
          if (!result.digest) throw new OperationError(`docker pushed ${image.ref} but printed no digest, so it cannot be deployed by digest.`, [], 'Run `docker push` for it yourself and check its last line; then run todo-deploy up again.');
          return { ...pull, digest: result.digest };
        }),
      );
      const result = Object.fromEntries(services.map((s, i) => [s, pushed[i]!])) as Record<Service, DeployImage>;
      return { images: result, changes, detail: services.map((s) => `${deployRef(result[s])}${changes.some((c) => c.endsWith(build.images[s].ref)) ? '' : ' (in the registry already)'}`).join(', ') };
    },
    detail: (result) => result.detail,
  });

/** An image for another platform than the nodes' would end in "exec format error": refused before it is sent. */
function checkPlatform(service: Service, ref: string, found: string | undefined, wanted: string): void {
  if (!found || osArch(found) === osArch(wanted)) return;
  throw new OperationError(
    `The ${service} image ${ref} is for ${found}, but the nodes run ${wanted}: its pods would fail with "exec format error".`,
    [],
    `Its Dockerfile fixes the platform (FROM --platform=…), or the builder ignored --platform ${wanted}: build for ${wanted} (Docker Desktop, or buildx with QEMU, builds for another architecture), or deploy to nodes of ${found}.`,
  );
}

/** `repository:tag@sha256:…`, as the pods run it. */
export const deployRef = (image: DeployImage) => `${image.repository}:${image.tag}${image.digest ? `@${image.digest}` : ''}`;

/** What a service's release runs now (its chart values' image), as deployRef writes it; undefined before its first install. */
export function runningRef(releases: Map<string, ReleaseStatus>, config: Config, service: Service): string | undefined {
  const image = (releases.get(config[service].release)?.config as { image?: { repository?: unknown; tag?: unknown; digest?: unknown } } | undefined)?.image;
  if (typeof image?.repository !== 'string' || typeof image.tag !== 'string') return undefined;
  return deployRef({ repository: image.repository, tag: image.tag, ...(typeof image.digest === 'string' && image.digest && { digest: image.digest }) });
}

/** The cluster target: each image whose release does not run it yet is pulled by a short-lived pod first. */
export const pullPhase = (ctx: Context, { config }: UpInputs) =>
  upStep({
    id: 'pull',
    needs: ['push', 'image-target', 'cluster', 'secrets', 'releases'],
    ...(config.target === 'cluster' && { title: 'Check the cluster can pull' }),
    leftBehind: 'A probe pod (todo-deploy-pull-…) may be left in the namespace; the next run replaces it.',
    async run({ push, 'image-target': target, cluster, releases }, progress) {
      if (!target.placement) return { detail: 'not needed' };
      if (target.placement.load) return { detail: 'not needed: the images were loaded into the cluster' };
      if (ctx.dryRun) return { detail: 'skipped (dry run: nothing was pushed)' };
      const fresh = services.filter((s) => runningRef(releases, config, s) !== deployRef(push.images[s]));
      if (fresh.length === 0) return { detail: 'the releases run these images already' };
      // The first failure ends the other probes, which remove their pods before the phase fails
      // (once it has, the run is stopped and no call could remove them).
      const stop = new AbortController();
      let failure: { error: unknown } | undefined;
      await Promise.allSettled(
        fresh.map((s) =>
          probePull(ctx, { config, kubeContext: cluster.kubeContext }, s, deployRef(push.images[s]), (text) => progress(`${s}: ${text}`), stop.signal).catch((error: unknown) => {
            failure ??= { error };
            stop.abort();
          }),
        ),
      );
      if (failure) throw failure.error;
      return { detail: `${fresh.join(' and ')} pulled by the cluster` };
    },
    detail: (result) => result.detail,
  });
