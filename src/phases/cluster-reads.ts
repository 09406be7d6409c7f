// The read-only questions the later phases of `up` ask the running cluster — Minikube's
// docker-env, the namespace and Secrets, each release's status — each asked once, and early:
// docker-env alongside the cluster phase's own reads (the builds wait for it first), the rest as
// soon as the cluster phase is done, so they are answered while the images build instead of each
// phase waiting its turn. Every phase awaits the answer it needs and decides on it itself.
import { services, type Config, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { ahead } from '../pipeline/ahead.js';
import type { ReleaseStatus } from '../tools/helm.js';
import { releaseStatus } from './deploy.js';
import { readDockerEnv } from './image-target.js';
import { readSecrets, type CurrentSecrets } from './secrets.js';
import type { UpState } from './state.js';

export interface ClusterReads {
  /** Minikube's docker-env, when images are built into its Docker daemon. */
  dockerEnv?: Promise<Record<string, string>>;
  secrets: Promise<CurrentSecrets>;
  releases: Record<Service, Promise<ReleaseStatus | undefined>>;
}

export function startDockerEnvRead(ctx: Context, config: Config): ClusterReads['dockerEnv'] {
  return config.minikube.containerRuntime === 'docker' ? ahead(readDockerEnv(ctx, config.minikube.profile)) : undefined;
}

export function startClusterReads(ctx: Context, state: UpState, dockerEnv: ClusterReads['dockerEnv']): ClusterReads {
  const { config, kubeContext } = state;
  return {
    dockerEnv,
    secrets: ahead(readSecrets(ctx, kubeContext, config.namespace)),
    releases: Object.fromEntries(
      services.map((s) => [s, ahead(releaseStatus(ctx, { release: config[s].release, namespace: config.namespace, kubeContext }))]),
    ) as ClusterReads['releases'],
  };
}
