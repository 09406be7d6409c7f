// The values todo-deploy gives the app's charts (on stdin): what `up` deploys, and what the
// preflight checks a values file against. Nothing secret: the Secrets are referenced by name.
import type { Service, ServiceConfig } from '../config/schema.js';
import type { ImageResult } from '../phases/results.js';

/** What a chart is given of a service. */
export interface ChartInput {
  service: Service;
  config: ServiceConfig;
  /** With a digest (the cluster target's pushed image), the pods run repository:tag@digest. */
  image: Pick<ImageResult, 'repository' | 'tag' | 'buildArgs'> & { digest?: string };
  secretName: string;
  secretChecksum: string;
  /** The cluster target: ClusterIP Services (reached by port-forward), and the image pull Secret if there is one. */
  cluster?: { pullSecret?: string };
}

/** The values the tool gives a chart. Nothing secret: the Secrets are referenced by name. */
export function chartValues(plan: ChartInput): Record<string, unknown> {
  return {
    // The objects are named after the release whatever it is: the chart's helm-create rule would
    // name release "web" of the frontend chart "web-frontend", where the product looks for
    // deployment/web and service/web (rollout, port-forward, Ingress).
    fullnameOverride: plan.config.release,
    image: { repository: plan.image.repository, tag: plan.image.tag, ...(plan.image.digest && { digest: plan.image.digest }), pullPolicy: 'IfNotPresent' },
    ...(plan.cluster?.pullSecret && { imagePullSecrets: [{ name: plan.cluster.pullSecret }] }),
    replicaCount: plan.config.replicas,
    containerPort: plan.config.port,
    service: plan.cluster ? { type: 'ClusterIP', port: plan.config.port } : { type: 'NodePort', port: plan.config.port, nodePort: plan.config.nodePort },
    secretName: plan.secretName,
    secretChecksum: plan.secretChecksum,
    healthPath: plan.config.healthPath,
    ...(plan.service === 'frontend' && { backendUrl: plan.image.buildArgs.NEXT_PUBLIC_BACKEND_URL }),
  };
}
