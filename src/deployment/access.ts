// How the running deployment is reached, read-only: the kube-context of the Minikube profile
// and the URLs of the NodePorts. Shared by `up`'s cluster phase and the day-two commands.
import type { Config, Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { PrereqError, UsageError } from '../errors.js';
import { containerDrivers, parseProfileRuntime, parsePublishedPorts } from '../tools/minikube.js';
import { accessHost, nodePorts, urlsAt } from './urls.js';

/** The kube-context of a Minikube profile is named after it; any other context is not ours to touch. */
export function checkTarget(config: Config): void {
  const { minikube, cluster } = config;
  if (config.target !== 'minikube') {
    throw new UsageError('todo-deploy works with Minikube only so far; target: cluster is not supported yet.', 'Set target: minikube in todo-deploy.yaml.');
  }
  if (cluster.context && cluster.context !== minikube.profile) {
    throw new UsageError(
      `Refusing to use kube-context "${cluster.context}": it is not the Minikube profile's context ("${minikube.profile}").`,
      'Drop --context to use Minikube, or choose the cluster target explicitly (target: cluster in todo-deploy.yaml).',
    );
  }
}

export interface ClusterAccess {
  /** Passed to every kubectl and helm call. */
  kubeContext: string;
  /** The URL of each service as the user's host reaches it. */
  urls: Record<Service, string>;
  /** The container runtime the profile was created with, when minikube lists it. */
  runtime?: string;
}

/**
 * Read-only, for a running profile: its kube-context (checked to be in the kubeconfig) and the
 * URLs of the NodePorts — localhost when the profile publishes them, else the node's IP.
 */
export async function resolveAccess(ctx: Pick<Context, 'tools' | 'out'>, config: Config): Promise<ClusterAccess> {
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
