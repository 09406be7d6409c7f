// What the cluster tier sends, shared with the contract test that replays it in the simulator
// (test/contract/cluster.contract.test.ts): the values, argv and manifests of a first `up`.
import { join } from 'node:path';
import { defaults, services, type Service } from '../../src/config/schema.js';
import { chartValues } from '../../src/deployment/chart-values.js';
import { secretChecksum } from '../../src/phases/secrets.js';
import { secretNames } from '../../src/deployment/secret-keys.js';
import { helmUpgradeArgs } from '../../src/tools/helm.js';
import { repoRoot } from '../contract/helm.js';
import { clusterContext } from './control-plane.js';

export const how = "against the cluster tier's control plane (etcd, kube-apiserver, controller-manager, scheduler; no kubelet): test/cluster";
export const namespaceOf = (major: 3 | 4) => `todo-helm${major}`;

export const secretData: Record<Service, Record<string, string>> = {
  frontend: { 'auth-secret': Buffer.from('cluster-tier-auth').toString('base64') },
  backend: { 'database-url': Buffer.from('postgresql://u:p@db/todo').toString('base64') },
};

/** The values `up` sends for a service (the product's chartValues), with NodePorts of this major's own: NodePorts are cluster-wide. */
export function valuesFor(service: Service, major: 3 | 4): Record<string, unknown> {
  const config = { ...defaults[service], nodePort: defaults[service].nodePort + 100 * major };
  return chartValues({
    service,
    config,
    secretName: secretNames[service],
    secretChecksum: secretChecksum(secretData[service]),
    image: { repository: config.image, tag: 'c1a2b3d4e5f6', buildArgs: { NEXT_PUBLIC_BACKEND_URL: `http://127.0.0.1:${defaults.backend.nodePort + 100 * major}` } },
  });
}

/** The product's `helm upgrade --install`, without its waits: with no kubelet no pod ever gets ready. */
export function upgradeArgs(service: Service, namespace: string, major: 3 | 4): string[] {
  const argv = helmUpgradeArgs({ release: service, namespace, kubeContext: clusterContext, chart: join(repoRoot, 'charts', service), helmMajor: major, timeoutMs: 60_000, valuesFiles: [] });
  return argv.filter((a, i) => !['--wait', '--atomic', '--rollback-on-failure', '--timeout'].includes(a) && argv[i - 1] !== '--timeout');
}

const labels = { 'app.kubernetes.io/managed-by': 'todo-deploy', 'app.kubernetes.io/part-of': 'todo-chatbot' };

/** The manifest the secrets phase pipes to server-side apply: the namespace first, then the Secrets (src/phases/secrets.ts). */
export function upManifest(namespace: string): string {
  const items = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { ...labels, 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' } } },
    ...services.map((s) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretNames[s], namespace, labels }, type: 'Opaque', data: secretData[s] })),
  ];
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

export const backendSecret = (namespace: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretNames.backend, namespace }, type: 'Opaque', data: secretData.backend });

export const privilegedPod = (namespace: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'privileged', namespace },
    spec: { containers: [{ name: 'c', image: 'todo-backend:c1a2b3d4e5f6', securityContext: { privileged: true } }] },
  });
