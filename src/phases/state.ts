// What the phases of `up` hand forward to each other: one typed object, filled in order.
import type { Secrets } from '../config/env-file.js';
import type { Config, Service, ServiceConfig } from '../config/schema.js';
import type { HelmMajor } from '../tools/helm.js';

export interface ServicePlan {
  service: Service;
  config: ServiceConfig;
  /** Absolute paths. */
  sourceDir: string;
  dockerfile: string;
  chart: string;
  secretName: string;
  /** Build arguments: public values only (they persist in the image). */
  buildArgs: Record<string, string>;
  image: { repository: string; tag: string; ref: string; built: boolean };
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
  /** Resolved once, by the cluster phase; passed to every kubectl and helm call. */
  kubeContext: string;
  /** False only under --dry-run when the cluster would first have been started: reads are skipped. */
  clusterLive: boolean;
  /** docker-env for build calls; undefined when the runtime is not docker (minikube image build). */
  buildEnv?: Record<string, string>;
  services: Record<Service, ServicePlan>;
  /** What this run changed, for the summary ("nothing" on an idempotent re-run). */
  changes: string[];
}

export const secretNames: Record<Service, string> = { frontend: 'frontend-secrets', backend: 'backend-secrets' };

/** The keys of each Secret, by the .env key they come from (the charts read these names). */
export const secretKeysOf: Record<Service, Partial<Record<keyof Secrets, string>>> = {
  frontend: { BETTER_AUTH_SECRET: 'auth-secret' },
  backend: { DATABASE_URL: 'database-url', OPENAI_API_KEY: 'openai-api-key', BETTER_AUTH_SECRET: 'auth-secret', BETTER_AUTH_URL: 'auth-url' },
};
