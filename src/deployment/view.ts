// What checking a deployment needs of it, whoever asks: `up` right after deploying, or a
// day-two command (src/deployment/connect.ts) on what is running.
import type { Config, Service, ServiceConfig } from '../config/schema.js';
import type { KubeScope } from '../adapters/kubectl.js';
import type { ReleaseRef } from '../tools/helm.js';

/** A service: its settings and its URLs. */
export interface DeployedService {
  service: Service;
  config: ServiceConfig;
  /** Where the service itself answers: its health is checked there (the cluster target: a port-forward). */
  url: string;
  /** What the user opens, when it is not `url`: the cluster target's Ingress or LoadBalancer. The app checks go there. */
  publicUrl?: string;
}

/** The URL the user opens. */
export const openedUrl = (s: DeployedService) => s.publicUrl ?? s.url;

export interface Deployment {
  config: Config;
  /** Passed to every kubectl and helm call. */
  kubeContext: string;
  services: Record<Service, DeployedService>;
  /** The URLs are localhost ports served by `kubectl port-forward` while the checks run (src/deployment/forward.ts). */
  forwarded?: boolean;
}

/** Where a kubectl call about the deployment acts. */
export const scopeOf = (deployment: Pick<Deployment, 'config' | 'kubeContext'>): Required<KubeScope> => ({ kubeContext: deployment.kubeContext, namespace: deployment.config.namespace });

export function releaseRef(deployment: Pick<Deployment, 'config' | 'kubeContext'>, service: Service): ReleaseRef {
  return { release: deployment.config[service].release, namespace: deployment.config.namespace, kubeContext: deployment.kubeContext };
}
