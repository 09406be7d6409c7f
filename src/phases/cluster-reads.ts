// The read-only questions the later phases of `up` ask the running cluster — Minikube's
// docker-env, which images its store holds, the namespace and Secrets, each release's status —
// each asked once, by the cluster phase, instead of each phase asking in its turn. They are
// asked in the order they are needed: docker-env alongside the cluster phase's own reads, the
// images (the builds wait for them) as soon as it is done, the rest once the images are known,
// so that they are answered while the images build. Every phase decides on its answers itself.
import { services, type Config } from '../config/schema.js';
import type { Context } from '../context.js';
import { ahead } from '../pipeline/ahead.js';
import { readReleases } from '../deployment/releases.js';
import type { ReleaseStatus } from '../tools/helm.js';
import { lookUpImages, type ImageLookup } from './build.js';
import { readDockerEnv } from './image-target.js';
import { readSecrets, type CurrentSecrets } from './secrets.js';
import type { UpState } from './state.js';

export interface ClusterReads {
  /** Minikube's docker-env, when images are built into its Docker daemon. */
  dockerEnv?: Promise<Record<string, string>>;
  images: Promise<ImageLookup>;
  secrets: Promise<CurrentSecrets>;
  /** Our releases that exist, by release name. */
  releases: Promise<Map<string, ReleaseStatus>>;
}

export function startDockerEnvRead(ctx: Context, config: Config): ClusterReads['dockerEnv'] {
  return config.minikube.containerRuntime === 'docker' ? ahead(readDockerEnv(ctx, config.minikube.profile)) : undefined;
}

/** Once the cluster phase knows the kube-context and the URLs (the frontend's tag depends on the backend's). */
export function startClusterReads(ctx: Context, state: UpState, dockerEnv: ClusterReads['dockerEnv']): ClusterReads {
  const { config, kubeContext } = state;
  const images = ahead((async () => lookUpImages(ctx, state, await dockerEnv))());
  const imagesKnown = images.then(
    () => undefined,
    () => undefined,
  );
  return {
    dockerEnv,
    images,
    secrets: ahead(imagesKnown.then(() => readSecrets(ctx, kubeContext, config.namespace))),
    releases: ahead(imagesKnown.then(() => readReleases(ctx, { namespace: config.namespace, kubeContext }, services.map((s) => config[s].release)))),
  };
}
