// What minikube, kubectl and helm share: where a profile's daemon and certs are, which
// clusters a kube-context reaches, and the workload model (deployments, pods, services) that
// helm creates and kubectl reads.
import { join } from 'node:path';

export const certsDir = (state) => join(state.config.home, '.minikube', 'certs');
export const dockerHostOf = (profile) => `tcp://${profile.ip}:2376`;

export function newCluster(server, extra = {}) {
  const created = new Date().toISOString();
  const namespaces = {};
  for (const ns of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) {
    namespaces[ns] = { labels: { 'kubernetes.io/metadata.name': ns }, created };
  }
  return { reachable: true, server, namespaces, secrets: {}, deployments: {}, pods: {}, services: {}, ...extra };
}

/**
 * Resolves a context to its cluster for a call that talks to the API server. Returns
 * { name, cluster } or { error: 'no-context' | 'unreachable', server }.
 */
export function resolveContext(state, context) {
  const entry = state.kube.contexts[context];
  if (!entry) return { error: 'no-context' };
  const cluster = state.kube.clusters[entry.cluster];
  if (!cluster) return { error: 'unreachable', server: 'https://127.0.0.1:8443' };
  const reachable = cluster.minikubeProfile ? state.minikube.profiles[cluster.minikubeProfile]?.status === 'Running' : cluster.reachable;
  if (!reachable) return { error: 'unreachable', server: cluster.server };
  return { name: entry.cluster, cluster };
}
