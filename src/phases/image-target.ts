// Where images are built: straight into Minikube's Docker daemon (docker-env, injected into the
// build calls' environment only), or — with containerd or cri-o, where docker-env does not
// work — through `minikube image build`; for the cluster target, this machine's own daemon,
// for the nodes' platform, then pushed to a registry or loaded into a local cluster.
import type { Context } from '../context.js';
import { resolvePlacement } from '../deployment/registry.js';
import { upStep, type UpInputs } from './results.js';

/**
 * Minikube's docker-env, read as soon as the profile is known to run: at once when the
 * prerequisite checks found it running (alongside the cluster phase), else by the cluster phase
 * as soon as it started it (alongside the URLs).
 */
export const dockerEnvRead = (ctx: Context, { config }: UpInputs) =>
  upStep({
    id: 'dockerEnv',
    needs: ['prereqs'],
    awaits: ['cluster'],
    async run({ prereqs, cluster }) {
      if (config.target === 'cluster' || config.minikube.containerRuntime !== 'docker') return undefined;
      if (prereqs.cluster?.state === 'running') return ctx.tools.minikube.dockerEnv(config.minikube.profile);
      return (await cluster).dockerEnv;
    },
  });

export const imageTargetPhase = (ctx: Context, { config }: UpInputs) =>
  upStep({
    id: 'image-target',
    needs: ['cluster', 'dockerEnv'],
    title: config.target === 'cluster' ? 'Choose where the images go' : "Point builds at Minikube's image store",
    async run({ cluster, dockerEnv }) {
      if (config.target === 'cluster') {
        const { source, ...placement } = await resolvePlacement(ctx, config, cluster.kubeContext);
        // The tool that will load the images, asked now: missing, it is said before the builds, not after them.
        const loader = placement.load?.tool;
        if (loader === 'kind' || loader === 'k3d') await ctx.tools[loader].version();
        return { buildEnv: {}, placement, detail: `built here for ${placement.platform}, ${source}` };
      }
      const { containerRuntime } = config.minikube;
      if (containerRuntime !== 'docker') return { detail: `${containerRuntime} runtime: images are built with minikube image build` };
      // Under --dry-run, when the cluster would first have been started, there is no daemon to ask yet.
      if (!cluster.live || !dockerEnv) return { buildEnv: {}, detail: 'docker-env is read once the cluster runs (dry run)' };
      return { buildEnv: dockerEnv, detail: `Minikube's Docker daemon at ${dockerEnv.DOCKER_HOST}` };
    },
    detail: (result) => result.detail,
  });
