// Where images are built: straight into Minikube's Docker daemon (docker-env, injected into the
// build calls' environment only), or — with containerd or cri-o, where docker-env does not
// work — through `minikube image build`.
import type { Context } from '../context.js';
import { OperationError } from '../errors.js';
import type { Phase } from '../pipeline/runner.js';
import { dockerEnvArgs, parseDockerEnv } from '../tools/minikube.js';
import type { UpState } from './state.js';

export function imageTargetPhase(): Phase<UpState> {
  return {
    id: 'image-target',
    after: ['cluster'],
    title: "Point builds at Minikube's image store",
    async run(state) {
      const { containerRuntime } = state.config.minikube;
      if (containerRuntime !== 'docker') {
        state.buildEnv = undefined;
        return `${containerRuntime} runtime: images are built with minikube image build`;
      }
      // Read by the cluster phase as soon as the cluster ran; absent under --dry-run when it would first have been started.
      const dockerEnv = state.reads?.dockerEnv;
      if (!dockerEnv) {
        state.buildEnv = {};
        return 'docker-env is read once the cluster runs (dry run)';
      }
      state.buildEnv = await dockerEnv;
      return `Minikube's Docker daemon at ${state.buildEnv.DOCKER_HOST}`;
    },
  };
}

/** `minikube docker-env`, parsed: the variables that point a docker client at the profile's daemon. */
export async function readDockerEnv(ctx: Context, profile: string): Promise<Record<string, string>> {
  const result = await ctx.exec({ tool: 'minikube', args: dockerEnvArgs(profile), timeoutMs: 30_000 });
  try {
    return parseDockerEnv(result.stdout);
  } catch {
    throw new OperationError('minikube docker-env printed no DOCKER_HOST.', [], `Run \`minikube docker-env -p ${profile}\` to see why; restarting the profile usually helps: minikube stop -p ${profile}, then todo-deploy up.`);
  }
}
