// The values todo-deploy gives the app's charts (on stdin): what `up` deploys, and what the
// preflight checks a values file against. Nothing secret: the Secrets are referenced by name.
import type { Service, ServiceConfig } from '../config/schema.js';
import type { ImageResult } from '../phases/results.js';

/** What a chart is given of a service. */
export interface ChartInput {
  service: Service;
  config: ServiceConfig;
  image: Pick<ImageResult, 'repository' | 'tag' | 'buildArgs'>;
  secretName: string;
  secretChecksum: string;
}

/** The values the tool gives a chart. Nothing secret: the Secrets are referenced by name. */
export function chartValues(plan: ChartInput): Record<string, unknown> {
  return {
    image: { repository: plan.image.repository, tag: plan.image.tag, pullPolicy: 'IfNotPresent' },
    replicaCount: plan.config.replicas,
    containerPort: plan.config.port,
    service: { type: 'NodePort', port: plan.config.port, nodePort: plan.config.nodePort },
    secretName: plan.secretName,
    secretChecksum: plan.secretChecksum,
    healthPath: plan.config.healthPath,
    ...(plan.service === 'frontend' && { backendUrl: plan.image.buildArgs.NEXT_PUBLIC_BACKEND_URL }),
  };
}
