// Where images are built: straight into Minikube's Docker daemon (docker-env, injected into the
// build calls' environment only), or — with containerd or cri-o, where docker-env does not
// work — through `minikube image build`.
import type { Context } from '../context.js';
import { OperationError } from '../errors.js';
import type { Phase } from '../pipeline/runner.js';
import { dockerEnvArgs, parseDockerEnv } from '../tools/minikube.js';
import type { UpState } from './state.js';

export function imageTargetPhase(ctx: Context): Phase<UpState> {
  return {
    id: 'image-target',
    title: "Point builds at Minikube's image store",
    async run(state) {
      const { profile, containerRuntime } = state.config.minikube;
      if (containerRuntime !== 'docker') {
        state.buildEnv = undefined;
        return `${containerRuntime} runtime: images are built with minikube image build`;
      }
      if (!state.clusterLive) {
        state.buildEnv = {};
        return 'docker-env is read once the cluster runs (dry run)';
      }
      const result = await ctx.exec({ tool: 'minikube', args: dockerEnvArgs(profile), timeoutMs: 30_000 });
      try {
        state.buildEnv = parseDockerEnv(result.stdout);
      } catch {
        throw new OperationError('minikube docker-env printed no DOCKER_HOST.', [], `Run \`minikube docker-env -p ${profile}\` to see why; restarting the profile usually helps: minikube stop -p ${profile}, then todo-deploy up.`);
      }
      return `Minikube's Docker daemon at ${state.buildEnv.DOCKER_HOST}`;
    },
  };
}
