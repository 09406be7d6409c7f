// What the phases of `up` hand forward to each other: one typed object, each field filled by the
// phase that owns it before any phase that reads it runs (the runner's `after`).
import type { Secrets } from '../config/env-file.js';
import type { Config, Service, ServiceConfig } from '../config/schema.js';
import type { EndedRun } from '../deployment/lock.js';
import type { ContextDigest } from '../images/content-tag.js';
import type { PackageManager } from '../images/package-manager.js';
import type { HelmMajor } from '../tools/helm.js';
import type { MinikubeStatus } from '../tools/minikube.js';
import type { ClusterReads } from './cluster-reads.js';

export interface ServicePlan {
  service: Service;
  config: ServiceConfig;
  /** Absolute paths. */
  sourceDir: string;
  dockerfile: string;
  /** What the shipped Dockerfile installs with, found from the app's lockfile; none for a Dockerfile of the user's own. */
  packageManager?: PackageManager;
  /** Read from the start of `up`: the files need nothing of the cluster. The tag adds the build arguments. */
  contextDigest: Promise<ContextDigest>;
  chart: string;
  secretName: string;
  /** Build arguments: public values only (they persist in the image). */
  buildArgs: Record<string, string>;
  image: { repository: string; tag: string; ref: string; built: boolean; /** Under --dry-run: a build was printed, not run. */ wouldBuild?: boolean };
  /** The URL the user opens, on the host. */
  url: string;
  /** Digest of the Secret's content; a change rolls the pods that read it. */
  secretChecksum: string;
  release: { revision: number; changed: boolean };
}

export interface UpState {
  config: Config;
  secrets: Secrets;
  skipBuild: boolean;
  /** Resolved once, by the prereqs phase. */
  helmMajor: HelmMajor;
  /** The Minikube profile's state, read once by the prereqs phase; the cluster phase goes on from it. */
  cluster?: MinikubeStatus;
  /** What the later phases compare against, asked of the running cluster once, by the cluster phase (undefined under --dry-run when it would first have been started). */
  reads?: ClusterReads;
  /** Resolved once, by the cluster phase; passed to every kubectl and helm call. */
  kubeContext: string;
  /** False only under --dry-run when the cluster would first have been started: reads are skipped. */
  clusterLive: boolean;
  /** docker-env for build calls; undefined when the runtime is not docker (minikube image build). */
  buildEnv?: Record<string, string>;
  services: Record<Service, ServicePlan>;
  /** What this run changed, for the summary ("nothing" on an idempotent re-run). */
  changes: string[];
  /** The run that held this target's lock before this one, as it ended: a release it left pending-* is recovered at once. */
  previousRun?: EndedRun;
}

export const secretNames: Record<Service, string> = { frontend: 'frontend-secrets', backend: 'backend-secrets' };

/** The keys of each Secret, by the .env key they come from (the charts read these names). */
export const secretKeysOf: Record<Service, Partial<Record<keyof Secrets, string>>> = {
  frontend: { BETTER_AUTH_SECRET: 'auth-secret' },
  backend: { DATABASE_URL: 'database-url', OPENAI_API_KEY: 'openai-api-key', BETTER_AUTH_SECRET: 'auth-secret', BETTER_AUTH_URL: 'auth-url' },
};

const pastTense = { create: 'created', start: 'started', write: 'wrote', build: 'built', install: 'installed', upgrade: 'upgraded', recover: 'recovered' } as const;
export type ChangeVerb = keyof typeof pastTense;

/** "built todo-frontend:…" — or, under --dry-run, what would happen: "build todo-frontend:…". */
export function changeText(dryRun: boolean, verb: ChangeVerb, what: string): string {
  return `${dryRun ? verb : pastTense[verb]} ${what}`;
}
