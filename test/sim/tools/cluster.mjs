// What minikube, kubectl and helm share: where a profile's daemon and certs are, which
// clusters a kube-context reaches, and the workload model (deployments, pods, services) that
// helm creates and kubectl reads.
import { join } from 'node:path';

export const certsDir = (state) => join(state.config.home, '.minikube', 'certs');
// Minikube's dockerd listens on the node's IP with TLS. `dockerHost` (test-only) replaces it
// with a unix:// socket of the engine tier's own daemon (test/engine/up-builds.test.ts).
export const dockerHostOf = (profile) => profile.dockerHost ?? `tcp://${profile.ip}:2376`;
/** Whether the profile's daemon is reached over TLS (everything but the engine tier's unix socket). */
export const dockerTlsOf = (profile) => !dockerHostOf(profile).startsWith('unix://');

export function newCluster(server, extra = {}) {
  const created = new Date().toISOString();
  const namespaces = {};
  for (const ns of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) {
    namespaces[ns] = { labels: { 'kubernetes.io/metadata.name': ns }, created };
  }
  return { reachable: true, server, namespaces, secrets: {}, deployments: {}, statefulsets: {}, pods: {}, services: {}, persistentvolumeclaims: {}, ...extra };
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
