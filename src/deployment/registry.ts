// The cluster target's images: built on this machine for the nodes' platform, pushed to a
// registry (the user's, or the local one the cluster advertises) and deployed by digest — or,
// for a cluster on this machine with no registry, loaded into it. Before anything rolls out
// from a registry, the cluster proves it can pull each new image (src/deployment/pull-probe.ts).
import { services, type Config } from '../config/schema.js';
import type { Context } from '../context.js';
import { OperationError, PrereqError, ToolError, UsageError } from '../errors.js';
import type { LocalCluster, Placement } from '../phases/results.js';

/**
 * The cluster on this machine a context names, by the names kind (`kind-<cluster>`), k3d
 * (`k3d-<cluster>`), Docker Desktop (`docker-desktop`) and Minikube (the profile's name) give
 * the contexts they write.
 */
export function localClusterOf(context: string, minikubeProfile: string): LocalCluster | undefined {
  const [, tool, name] = /^(kind|k3d)-(.+)$/.exec(context) ?? [];
  if (tool && name) return { tool: tool as 'kind' | 'k3d', name };
  if (context === 'docker-desktop') return { tool: 'docker-desktop', name: context };
  if (context === minikubeProfile || context === 'minikube') return { tool: 'minikube', name: context };
  return undefined;
}

/**
 * Where the images go and which platform they are built for: `--registry` (pushed and pulled
 * under the same name); else the local registry the cluster advertises (KEP-1755: pushed to its
 * `host`, pulled as `hostFromContainerRuntime`); else, for a cluster on this machine, loaded
 * into it. Built for the nodes' platform unless `--platform` says.
 */
export async function resolvePlacement(ctx: Pick<Context, 'tools'>, config: Config, kubeContext: string): Promise<Placement & { source: string }> {
  const { registry, platform: wanted } = config.cluster;
  const [nodes, local] = await Promise.all([ctx.tools.kubectl.nodePlatforms(kubeContext), registry ? undefined : ctx.tools.kubectl.localRegistry(kubeContext)]);
  const platform = choosePlatform(kubeContext, wanted, nodes);
  if (registry || local) checkImageNames(config, registry || local!.host);
  if (registry) return { push: registry, pull: registry, platform, source: `pushed to registry ${registry}` };
  if (local) return { push: local.host, pull: local.hostFromContainerRuntime, platform, source: `pushed to the cluster's local registry ${local.host} (kube-public/local-registry-hosting)` };
  const cluster = localClusterOf(kubeContext, config.minikube.profile);
  if (cluster) return { load: cluster, platform, source: loadSource[cluster.tool](cluster.name) };
  throw new UsageError(
    `There is no registry to push the images to: --registry is not set, and the context "${kubeContext}" advertises no local registry (no ConfigMap kube-public/local-registry-hosting) and is no kind, k3d, Minikube or Docker Desktop cluster to load them into.`,
    'Pass --registry with a repository the cluster can pull from, e.g. --registry ghcr.io/you/todo (after `docker login ghcr.io`), or set cluster.registry in todo-deploy.yaml.',
  );
}

/** `<registry>/<image>` is pushed: an image setting that names a registry of its own would make no reference at all. */
function checkImageNames(config: Config, registry: string): void {
  const named = services.filter((s) => /^(localhost|[^/]*[.:][^/]*)\//.test(config[s].image));
  if (named.length === 0) return;
  throw new UsageError(
    `${named.map((s) => `${s}.image is ${config[s].image}`).join(' and ')}: on the cluster target the images are pushed to ${registry}/<image>, so an image may not name a registry of its own.`,
    `Set ${named.map((s) => `${s}.image`).join(' and ')} to the repository's name alone (e.g. ${named[0]}.image: todo-${named[0]}), and its registry with --registry.`,
  );
}

const loadSource: Record<LocalCluster['tool'], (name: string) => string> = {
  kind: (name) => `loaded into kind cluster "${name}" (kind load docker-image; no registry)`,
  k3d: (name) => `loaded into k3d cluster "${name}" (k3d image import; no registry)`,
  minikube: (name) => `loaded into Minikube profile "${name}" (minikube image load; no registry)`,
  'docker-desktop': () => "in this machine's Docker, whose images Docker Desktop's Kubernetes runs (no registry)",
};

/** `linux/arm64/v8` → `linux/arm64`: nodes and `docker image inspect` say no variant. */
export const osArch = (platform: string) => platform.split('/').slice(0, 2).join('/');

function choosePlatform(kubeContext: string, wanted: string, nodes: { platforms: string[] } | { forbidden: string }): string {
  if ('forbidden' in nodes) {
    if (wanted) return wanted;
    throw new PrereqError(
      `todo-deploy cannot read the nodes of "${kubeContext}" to build for their platform: ${nodes.forbidden}`,
      'Pass --platform with the nodes\' OS and architecture (e.g. --platform linux/amd64; ask the cluster\'s admin), or set cluster.platform in todo-deploy.yaml.',
    );
  }
  const { platforms } = nodes;
  if (wanted) {
    if (platforms.length > 0 && !platforms.includes(osArch(wanted))) {
      throw new UsageError(
        `--platform ${wanted}, but the nodes of "${kubeContext}" run ${platforms.join(' and ')}: the pods would fail with "exec format error".`,
        `Pass --platform ${platforms[0]} (or set cluster.platform), or leave it out to build for the nodes.`,
      );
    }
    return wanted;
  }
  if (platforms.length === 1) return platforms[0]!;
  if (platforms.length === 0) throw new PrereqError(`The context "${kubeContext}" has no nodes to run the app on.`, 'Add a node to the cluster, or choose another context.');
  throw new UsageError(
    `The nodes of "${kubeContext}" run ${platforms.join(' and ')}: todo-deploy builds an image for one platform.`,
    `Pass --platform with one of them (e.g. --platform ${platforms[0]}) and make sure the app's pods are scheduled on such nodes (a nodeSelector on kubernetes.io/arch in a values file).`,
  );
}

/** A failed `docker push`, sorted by its cause: credentials, a registry that does not answer, or docker's own words. */
export function pushError(error: ToolError, ref: string): OperationError {
  const host = ref.split('/')[0]!;
  const tail = error.stderrTail;
  const details = [`command: ${error.command}`, ...tail.split('\n').map((line) => `│ ${line}`)];
  if (/unauthorized|denied|no basic auth credentials|authentication required|insufficient_scope/i.test(tail)) {
    return new OperationError(`The registry ${host} refused the push of ${ref}: not logged in, or no write access to that repository.`, details, `Run \`docker login ${host}\` with an account that may push to it, or pass another --registry.`);
  }
  if (/connection refused|no such host|i\/o timeout|server gave HTTP response to HTTPS client|dial tcp|TLS handshake/i.test(tail)) {
    return new OperationError(
      `The registry ${host} cannot be reached from this machine, so ${ref} was not pushed.`,
      details,
      /HTTP response to HTTPS/.test(tail)
        ? `${host} speaks plain HTTP: add it to "insecure-registries" in Docker's daemon.json (or use its HTTPS address).`
        : `Check the registry's address in --registry / cluster.registry and that it runs (\`docker push\` reaches ${host}).`,
    );
  }
  return new OperationError(`docker could not push ${ref}.`, details, "docker's last lines are above.");
}
