// What `up`'s steps start from (fixed before the first one runs) and what each hands forward:
// one typed result per step, given only to the steps that declare it (pipeline/runner.ts).
import type { Secrets } from '../config/env-file.js';
import type { Config, Service, ServiceConfig } from '../config/schema.js';
import type { EndedRun } from '../deployment/lock.js';
import type { ContextDigest } from '../images/content-tag.js';
import type { PackageManager } from '../images/package-manager.js';
import type { ExposeMode } from '../deployment/expose.js';
import { stepOf } from '../pipeline/runner.js';
import type { HelmMajor, ReleaseStatus } from '../tools/helm.js';
import type { MinikubeStatus } from '../tools/minikube.js';

/** A service as the checked inputs describe it. */
export interface ServiceInput {
  service: Service;
  config: ServiceConfig;
  /** Absolute paths. */
  sourceDir: string;
  dockerfile: string;
  /** What the shipped Dockerfile installs with, found from the app's lockfile; none for a Dockerfile of the user's own. */
  packageManager?: PackageManager;
}

export interface UpInputs {
  config: Config;
  secrets: Secrets;
  skipBuild: boolean;
  services: Record<Service, ServiceInput>;
  /** PostgreSQL runs in the cluster (src/deployment/database.ts), deployed by this run. */
  database: boolean;
  /** The run that held this target's lock before this one, as it ended: a release it left pending-* is recovered at once. */
  previousRun?: EndedRun;
}

/** An image of a service: its content tag, and whether this run built it. */
export interface ImageResult {
  repository: string;
  tag: string;
  ref: string;
  /** Build arguments: public values only (they persist in the image). */
  buildArgs: Record<string, string>;
  built: boolean;
  /** Under --dry-run: a build was printed, not run. */
  wouldBuild: boolean;
}

/**
 * Where the cluster target's images go: pushed to a registry (`<push>/<image>` from this machine,
 * `<pull>/<image>` in the pods: the same registry, or a local one's name inside the cluster,
 * KEP-1755), or loaded straight into a local cluster (kind, k3d, Minikube; Docker Desktop's
 * shares this machine's images). Built for the nodes' os/arch.
 */
export type Placement = { push: string; pull: string; platform: string; load?: undefined } | { load: LocalCluster; platform: string };

/** A cluster on this machine that takes images without a registry, by the tool that made it and its name there. */
export interface LocalCluster {
  tool: 'kind' | 'k3d' | 'minikube' | 'docker-desktop';
  name: string;
}

/** An image as the pods run it: by digest once pushed (the cluster target), else by its content tag. */
export interface DeployImage {
  repository: string;
  tag: string;
  digest?: string;
}

/** The namespace and both Secrets as the cluster holds them. */
export interface CurrentSecrets {
  namespace: boolean;
  data: Partial<Record<Service, Record<string, string>>>;
  /** With the database in the cluster: its password Secret's value, and whether its volume exists. */
  database?: { password?: string; volume: boolean };
  /** The cluster target's image pull Secret's data, when one is configured and exists. */
  pull?: Record<string, string>;
}

export interface UpResults {
  prereqs: {
    helmMajor: HelmMajor;
    /** The docker client's major version: from 23 it builds through buildx. */
    dockerMajor?: number;
    /** The profile's state, when it could be read: the cluster phase goes on from it. */
    cluster?: MinikubeStatus;
    detail: string;
  };
  cluster: {
    /** Passed to every kubectl and helm call. */
    kubeContext: string;
    /** False only under --dry-run when the cluster would first have been started: nothing is read of it. */
    live: boolean;
    /** The URL of each service as the user's host reaches it. */
    urls: Record<Service, string>;
    /** Minikube's docker-env, read alongside the URLs when this phase started the profile (see the dockerEnv read). */
    dockerEnv?: Record<string, string>;
    /** The URLs are served by `kubectl port-forward` (the cluster target). */
    forwarded?: boolean;
    changes: string[];
    detail: string;
  };
  /** What the user opens (and the frontend's bundle calls): the cluster target's Ingress, LoadBalancers or port-forward; Minikube's NodePorts. */
  expose: { urls: Record<Service, string>; mode?: ExposeMode; changes: string[]; detail: string };
  /** Each service's build context, digested from the start of the run: the files need nothing of the cluster. */
  digests: Record<Service, ContextDigest>;
  /** Minikube's docker-env, when images are built into its Docker daemon and the cluster runs. */
  dockerEnv: Record<string, string> | undefined;
  /**
   * Each service's content tag and build arguments, and whether the cluster's image store holds
   * that image (the cluster target: this machine's daemon, and `digest` once it was pushed).
   */
  images: Record<Service, { repository: string; tag: string; buildArgs: Record<string, string>; present: boolean; digest?: string; platform?: string }>;
  currentSecrets: CurrentSecrets;
  /** Our releases that exist, by release name. */
  releases: Map<string, ReleaseStatus>;
  /**
   * Where builds go: docker with this environment (docker-env; this machine's own daemon for the
   * cluster target, which pushes or loads them as `placement` says), or — undefined — `minikube image build`.
   */
  'image-target': { buildEnv?: Record<string, string>; placement?: Placement; detail: string };
  secrets: { checksums: Record<Service, string>; changes: string[]; detail: string };
  /** The in-cluster database's release (nothing when the database is external). */
  database: { revision?: number; changes: string[]; detail: string };
  build: { images: Record<Service, ImageResult>; changes: string[]; detail: string };
  /** What the pods run: the pushed digests (the cluster target with a registry), else the built (or loaded) tags. */
  push: { images: Record<Service, DeployImage>; changes: string[]; detail: string };
  /** The cluster target: the cluster proved it can pull each image that will roll out. */
  pull: { detail: string };
  deploy: { revisions: Record<Service, number>; changes: string[]; detail: string };
  verify: { detail: string };
}

export const upStep = stepOf<UpResults>();

/**
 * A read of what the running cluster holds, asked once the images are looked up (the builds
 * wait for those, so they go first), and answered while the images build. Under --dry-run,
 * when the cluster would first have been started, there is nothing to read: `none`.
 */
export const clusterRead = <K extends 'currentSecrets' | 'releases'>(id: K, none: UpResults[K], read: (kubeContext: string) => Promise<UpResults[K]>) =>
  upStep({
    id,
    needs: ['cluster'],
    awaits: ['images'],
    async run({ cluster, images }) {
      await images.catch(() => {});
      return cluster.live ? read(cluster.kubeContext) : none;
    },
  });

const pastTense = { create: 'created', start: 'started', write: 'wrote', build: 'built', push: 'pushed', load: 'loaded', install: 'installed', upgrade: 'upgraded', recover: 'recovered' } as const;
export type ChangeVerb = keyof typeof pastTense;

/** "built todo-frontend:…" — or, under --dry-run, what would happen: "build todo-frontend:…". */
export function changeText(dryRun: boolean, verb: ChangeVerb, what: string): string {
  return `${dryRun ? verb : pastTense[verb]} ${what}`;
}
