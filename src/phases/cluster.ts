// Makes sure the Minikube profile runs, resolves the kube-context once, and works out the
// URLs that reach the NodePorts from the user's host. The read-only half (state, context,
// URLs) is shared with the day-two commands, which never start a cluster.
import type { Context } from '../context.js';
import { ConfigError, PrereqError, ToolError, UsageError } from '../errors.js';
import type { Phase } from '../pipeline/runner.js';
import { getContextsArgs, parseContexts } from '../tools/kubectl.js';
import { containerDrivers, parseExitReason, parseProfileRuntime, minikubeIpArgs, minikubeStartArgs, minikubeStatusArgs, parseMinikubeStatus, parsePublishedPorts, profileListArgs, type MinikubeStatus } from '../tools/minikube.js';
import { services, type Config, type Service } from '../config/schema.js';
import { accessHost, nodePorts, urlsAt } from '../deployment/urls.js';
import { startClusterReads, startDockerEnvRead } from './cluster-reads.js';
import { changeText, type UpState } from './state.js';

export function clusterPhase(ctx: Context): Phase<UpState> {
  let starting = false;
  return {
    id: 'cluster',
    after: ['prereqs'],
    title: 'Start the cluster',
    leftBehind: () => (starting ? 'The Minikube profile may be half-started; the next run starts it again.' : 'The Minikube profile was not touched.'),
    async run(state) {
      const { minikube } = state.config;
      checkTarget(state.config);
      const { state: clusterState } = state.cluster ?? (await minikubeStatus(ctx, minikube.profile));
      let detail = `profile "${minikube.profile}" already running`;
      if (clusterState !== 'running') {
        const started = performance.now();
        starting = !ctx.dryRun;
        const start = await ctx
          .exec({ tool: 'minikube', args: minikubeStartArgs({ ...minikube, ports: nodePorts(state.config) }), mutates: true, timeoutMs: state.config.timeouts.start })
          .catch((error: unknown) => {
            if (!(error instanceof ToolError)) throw error;
            const resources = resourceHint(error.stderrTail, minikube);
            throw new ToolError(
              `Minikube could not start the profile "${minikube.profile}"${resources ? `: ${resources.what}` : ''}.`,
              error.command,
              error.exitCode,
              error.stderrTail,
              error.timedOut,
              resources?.hint ??
                `minikube's last lines are above. Check that the ${minikube.driver} driver works (is Docker running?); if the profile is broken, \`minikube delete -p ${minikube.profile}\` and run todo-deploy up again.`,
            );
          });
        const verb = clusterState === 'absent' ? 'create' : 'start';
        state.changes.push(changeText(start.dryRun, verb, `Minikube profile "${minikube.profile}"`));
        state.clusterLive = !start.dryRun;
        detail = start.dryRun ? `would ${verb} profile "${minikube.profile}"` : `${changeText(false, verb, `profile "${minikube.profile}"`)} in ${Math.round((performance.now() - started) / 1000)}s`;
      }
      state.kubeContext = minikube.profile;
      if (!state.clusterLive) {
        setUrls(state, urlsAt('localhost', state.config));
        return detail;
      }
      const dockerEnv = startDockerEnvRead(ctx, state.config);
      const access = await resolveAccess(ctx, state.config);
      checkRuntime(state.config, access.runtime);
      setUrls(state, access.urls);
      state.reads = startClusterReads(ctx, state, dockerEnv);
      return `${detail}; context "${state.kubeContext}"`;
    },
  };
}

/**
 * What to change when minikube refuses the CPUs or memory asked of it (RSRC_INSUFFICIENT_CORES,
 * RSRC_INSUFFICIENT_REQ_MEMORY, RSRC_OVER_ALLOC_MEM, RSRC_DOCKER_MEMORY…): the setting, by name.
 */
export function resourceHint(stderr: string, minikube: Config['minikube']): { what: string; hint: string } | undefined {
  const reason = parseExitReason(stderr);
  if (!reason?.startsWith('RSRC_')) return undefined;
  const recreate = `A profile keeps the CPUs and memory it was created with: \`minikube delete -p ${minikube.profile}\` first if it exists, then run todo-deploy up again.`;
  if (/CORES|CPU/.test(reason)) {
    return {
      what: `not enough CPUs for minikube.cpus: ${minikube.cpus} (${reason})`,
      hint: `Set minikube.cpus in todo-deploy.yaml (or TODO_DEPLOY_MINIKUBE_CPUS) to what Docker can give — at least 2, and no more than Docker Desktop's Settings → Resources allow — or give Docker more CPUs. ${recreate}`,
    };
  }
  if (reason === 'RSRC_INSUFFICIENT_REQ_MEMORY') {
    return { what: `minikube.memory: ${minikube.memory} is too little (${reason})`, hint: `Raise minikube.memory in todo-deploy.yaml (or TODO_DEPLOY_MINIKUBE_MEMORY) to at least 1800mb; 3g is the default. ${recreate}` };
  }
  if (/MEM/.test(reason)) {
    return {
      what: `minikube.memory: ${minikube.memory} is more than Docker can give (${reason})`,
      hint: `Lower minikube.memory in todo-deploy.yaml (or TODO_DEPLOY_MINIKUBE_MEMORY) to what minikube's message above says Docker has (at least 1800mb), or give Docker more memory. ${recreate}`,
    };
  }
  return undefined;
}

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

export async function minikubeStatus(ctx: Context, profile: string): Promise<MinikubeStatus> {
  const status = await ctx.exec({ tool: 'minikube', args: minikubeStatusArgs(profile), allowFailure: true, timeoutMs: 30_000 });
  return parseMinikubeStatus(status.stdout, status.exitCode);
}

export interface ClusterAccess {
  /** Passed to every kubectl and helm call. */
  kubeContext: string;
  /** The URL of each service as the user's host reaches it. */
  urls: Record<Service, string>;
  /** The container runtime the profile was created with, when minikube lists it. */
  runtime?: string;
}

/** A profile keeps the runtime it was created with: building for another one would never reach its pods. */
function checkRuntime(config: Config, runtime: string | undefined): void {
  const { profile, containerRuntime: wanted } = config.minikube;
  if (!runtime || runtime === wanted) return;
  throw new ConfigError(
    `The Minikube profile "${profile}" runs the ${runtime} container runtime, but minikube.containerRuntime is ${wanted}.`,
    [],
    `Set minikube.containerRuntime: ${runtime} in todo-deploy.yaml (or TODO_DEPLOY_MINIKUBE_CONTAINER_RUNTIME) to use the profile as it is, or recreate it with ${wanted}: minikube delete -p ${profile}, then todo-deploy up.`,
  );
}

/**
 * Read-only, for a running profile: its kube-context (checked to be in the kubeconfig) and the
 * URLs of the NodePorts — localhost when the profile publishes them, else the node's IP.
 */
export async function resolveAccess(ctx: Context, config: Config): Promise<ClusterAccess> {
  const { profile, driver } = config.minikube;
  const kubeContext = profile;
  const [contexts, profiles] = await Promise.all([
    ctx.exec({ tool: 'kubectl', args: getContextsArgs, timeoutMs: 15_000 }),
    ctx.exec({ tool: 'minikube', args: profileListArgs, timeoutMs: 30_000 }),
  ]);
  if (!parseContexts(contexts.stdout).includes(kubeContext)) {
    throw new PrereqError(`Minikube is running but your kubeconfig has no context "${kubeContext}".`, `Run: minikube update-context -p ${profile}`);
  }
  const runtime = parseProfileRuntime(profiles.stdout, profile)?.replace(/^crio$/, 'cri-o');
  const published = parsePublishedPorts(profiles.stdout, profile);
  if (accessHost(config, { published }) === 'localhost') return { kubeContext, runtime, urls: urlsAt('localhost', config) };
  const ip = (await ctx.exec({ tool: 'minikube', args: minikubeIpArgs(profile), timeoutMs: 15_000 })).stdout.trim();
  const ports = nodePorts(config);
  if (containerDrivers.includes(driver) && process.platform !== 'linux') {
    ctx.out.warn(
      `The profile "${profile}" was created without publishing NodePorts ${ports.join(', ')}, and on ${process.platform} the ${driver} driver's node IP ${ip} is not reachable from your machine. ` +
        `Recreate it so todo-deploy can publish them: minikube delete -p ${profile}, then todo-deploy up.`,
    );
  }
  return { kubeContext, runtime, urls: urlsAt(ip, config) };
}

function setUrls(state: UpState, urls: Record<Service, string>): void {
  for (const service of services) state.services[service].url = urls[service];
}
