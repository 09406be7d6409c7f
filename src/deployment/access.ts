// How the running deployment is reached, read-only: the kube-context of the Minikube profile
// and the URLs of the NodePorts. Shared by `up`'s cluster phase and the day-two commands.
import type { Config, Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { PrereqError, UsageError } from '../errors.js';
import { containerDrivers, parseProfileRuntime, parsePublishedPorts } from '../tools/minikube.js';
import { readExposure } from './expose.js';
import { accessHost, nodePorts, urlsAt } from './urls.js';

/**
 * The kube-context of a Minikube profile is named after it; any other context is touched only
 * when the user chose the cluster target and named it — never the kubeconfig's current one. A
 * protected context (cluster.protectedContexts) is changed only with --yes (`change`).
 */
export function checkTarget(config: Config, change?: { yes: boolean }): void {
  const { minikube, cluster } = config;
  if (config.target === 'cluster') {
    if (!cluster.context) {
      throw new UsageError(
        'The cluster target needs a kube-context named: todo-deploy never acts on whatever context is current.',
        'Pass --context NAME (`kubectl config get-contexts` lists them), or set cluster.context in todo-deploy.yaml.',
      );
    }
    const pattern = protectedBy(cluster.context, cluster.protectedContexts);
    if (change && !change.yes && pattern) {
      throw new UsageError(
        `The kube-context "${cluster.context}" is protected (cluster.protectedContexts: ${pattern}): todo-deploy changes it only when told to.`,
        `Run the same command with --yes to change "${cluster.context}" on purpose.`,
      );
    }
    return;
  }
  if (cluster.context && cluster.context !== minikube.profile) {
    throw new UsageError(
      `Refusing to use kube-context "${cluster.context}": it is not the Minikube profile's context ("${minikube.profile}").`,
      'Drop --context to use Minikube, or choose the cluster target explicitly (target: cluster in todo-deploy.yaml).',
    );
  }
}

/** The pattern of cluster.protectedContexts that names the context (`*` matches anything), if one does. */
export function protectedBy(context: string, patterns: readonly string[]): string | undefined {
  return patterns.find((p) => new RegExp(`^${p.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(context));
}

export interface ClusterAccess {
  /** Passed to every kubectl and helm call. */
  kubeContext: string;
  /** The URL of each service as the user's host reaches it. */
  urls: Record<Service, string>;
  /** The container runtime the profile was created with, when minikube lists it. */
  runtime?: string;
  /** The URLs are localhost ports that `kubectl port-forward` serves (the cluster target): src/deployment/forward.ts. */
  forwarded?: boolean;
  /** What the user opens when it is not `urls`: the cluster target's Ingress or LoadBalancers. */
  publicUrls?: Record<Service, string>;
}

/**
 * Read-only, for a running profile: its kube-context (checked to be in the kubeconfig) and the
 * URLs of the NodePorts — localhost when the profile publishes them, else the node's IP.
 */
export async function resolveAccess(ctx: Pick<Context, 'tools' | 'out'>, config: Config): Promise<ClusterAccess> {
  if (config.target === 'cluster') return clusterAccess(ctx, config);
  const { profile, driver } = config.minikube;
  const kubeContext = profile;
  const [contexts, profiles] = await Promise.all([ctx.tools.kubectl.contexts(), ctx.tools.minikube.profiles()]);
  if (!contexts.includes(kubeContext)) {
    throw new PrereqError(`Minikube is running but your kubeconfig has no context "${kubeContext}".`, `Run: minikube update-context -p ${profile}`);
  }
  const runtime = parseProfileRuntime(profiles, profile)?.replace(/^crio$/, 'cri-o');
  const published = parsePublishedPorts(profiles, profile);
  if (accessHost(config, { published }) === 'localhost') return { kubeContext, runtime, urls: urlsAt('localhost', config) };
  const ip = await ctx.tools.minikube.ip(profile);
  if (containerDrivers.includes(driver) && process.platform !== 'linux') {
    ctx.out.warn(
      `The profile "${profile}" was created without publishing NodePorts ${nodePorts(config).join(', ')}, and on ${process.platform} the ${driver} driver's node IP ${ip} is not reachable from your machine. ` +
        `Recreate it so todo-deploy can publish them: minikube delete -p ${profile}, then todo-deploy up.`,
    );
  }
  return { kubeContext, runtime, urls: urlsAt(ip, config) };
}

/**
 * The cluster target's context, checked to be in the kubeconfig, and its URLs: the services'
 * nodePort numbers on localhost, which `kubectl port-forward` serves while todo-deploy checks
 * them or `todo-deploy open` runs. The same URLs as on Minikube, so the backend URL baked into
 * the frontend and the app's CORS and auth settings are those it already has.
 */
async function clusterAccess(ctx: Pick<Context, 'tools'>, config: Config): Promise<ClusterAccess> {
  const kubeContext = config.cluster.context;
  const contexts = await ctx.tools.kubectl.contexts();
  if (!contexts.includes(kubeContext)) {
    throw new PrereqError(`Your kubeconfig has no context "${kubeContext}".`, `Pick one of: ${contexts.join(', ') || 'none (kubectl config get-contexts lists none)'}; pass it with --context or set cluster.context.`);
  }
  const urls = urlsAt('localhost', config);
  const exposure = await readExposure(ctx, config, kubeContext, urls);
  return { kubeContext, urls, forwarded: true, ...(exposure.mode !== 'port-forward' && { publicUrls: exposure.urls }) };
}
