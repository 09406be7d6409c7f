// What `kind load docker-image` and `k3d image import` share: the cluster a tool's own name for
// it reaches (the kube-context kind writes, `kind-<name>`; k3d's, `k3d-<name>`), and copying
// images from the user's Docker daemon into its nodes' image store (`cluster.images`), where pods
// with imagePullPolicy IfNotPresent or Never find them (workloads.mjs nodeImageStore).
import { normalizeRef } from './images.mjs';

/** The cluster a kind/k3d cluster name reaches, by the context the tool wrote for it; undefined when there is none (no nodes). */
export function localCluster(state, context) {
  const entry = state.kube.contexts[context];
  const cluster = entry ? state.kube.clusters[entry.cluster] : undefined;
  if (!cluster || cluster.minikubeProfile) return undefined;
  return { name: entry.cluster, cluster };
}

/** An image of the user's daemon, as `docker image inspect` finds it by any spelling of its name; none while the daemon is down. */
export function hostImage(state, ref) {
  return state.docker.daemon === 'up' ? state.docker.images.host?.[normalizeRef(ref)] : undefined;
}

/** The nodes of a cluster (names) as the tools list them: the cluster's own, else one `<name>-control-plane`. */
export function nodeNames(cluster, fallback) {
  return (cluster.nodes ?? [{ name: fallback }]).map((n) => n.name);
}

/**
 * Copies these images (as found now in the host daemon) into the cluster's image store, under
 * the state lock; sets call.changed when one was new or replaced. Returns the refs it copied.
 */
export function importImages(call, context, refs) {
  return call.update((s) => {
    const found = localCluster(s, context);
    if (!found) return [];
    const store = (found.cluster.images ??= {});
    const copied = [];
    for (const ref of refs) {
      const image = hostImage(s, ref);
      if (!image) continue;
      const key = normalizeRef(ref);
      copied.push(ref);
      if (store[key]?.id === image.id) continue;
      store[key] = { ...image };
      call.changed = true;
    }
    return copied;
  });
}
