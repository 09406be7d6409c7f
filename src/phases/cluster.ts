// Makes sure the Minikube profile runs, resolves the kube-context once, and works out the
// URLs that reach the NodePorts from the user's host.
import type { Context } from '../context.js';
import { PrereqError, ToolError, UsageError } from '../errors.js';
import type { Phase } from '../pipeline/runner.js';
import { getContextsArgs, parseContexts } from '../tools/kubectl.js';
import { containerDrivers, minikubeIpArgs, minikubeStartArgs, minikubeStatusArgs, parseMinikubeStatus, parsePublishedPorts, profileListArgs } from '../tools/minikube.js';
import { services } from '../config/schema.js';
import type { UpState } from './state.js';

export function clusterPhase(ctx: Context): Phase<UpState> {
  return {
    id: 'cluster',
    title: 'Start the cluster',
    leftBehind: 'The Minikube profile may be half-started; the next run starts it again.',
    async run(state) {
      const { minikube, cluster } = state.config;
      if (state.config.target !== 'minikube') {
        throw new UsageError('`up` deploys to Minikube only so far; target: cluster is not supported yet.', 'Set target: minikube in todo-deploy.yaml.');
      }
      // The kube-context of a Minikube profile is named after it; any other context is not ours to touch.
      if (cluster.context && cluster.context !== minikube.profile) {
        throw new UsageError(
          `Refusing to deploy to kube-context "${cluster.context}": it is not the Minikube profile's context ("${minikube.profile}").`,
          'Drop --context to use Minikube, or choose the cluster target explicitly (target: cluster in todo-deploy.yaml).',
        );
      }
      const status = await ctx.exec({ tool: 'minikube', args: minikubeStatusArgs(minikube.profile), allowFailure: true, timeoutMs: 30_000 });
      const { state: clusterState } = parseMinikubeStatus(status.stdout, status.exitCode);
      let detail = `profile "${minikube.profile}" already running`;
      const nodePorts = services.map((s) => state.config[s].nodePort);
      if (clusterState !== 'running') {
        const started = performance.now();
        const start = await ctx
          .exec({ tool: 'minikube', args: minikubeStartArgs({ ...minikube, ports: nodePorts }), mutates: true, timeoutMs: state.config.timeouts.start })
          .catch((error: unknown) => {
            if (!(error instanceof ToolError)) throw error;
            throw new ToolError(
              `Minikube could not start the profile "${minikube.profile}".`,
              error.command,
              error.exitCode,
              error.stderrTail,
              error.timedOut,
              `minikube's last lines are above. Check that the ${minikube.driver} driver works (is Docker running?); if the profile is broken, \`minikube delete -p ${minikube.profile}\` and run todo-deploy up again.`,
            );
          });
        state.changes.push(clusterState === 'absent' ? `created Minikube profile "${minikube.profile}"` : `started Minikube profile "${minikube.profile}"`);
        state.clusterLive = !start.dryRun;
        detail = `${clusterState === 'absent' ? 'created' : 'started'} profile "${minikube.profile}" in ${Math.round((performance.now() - started) / 1000)}s`;
      }
      state.kubeContext = minikube.profile;
      if (!state.clusterLive) {
        setUrls(state, 'localhost');
        return `${detail} (dry run)`;
      }

      const [contexts, profiles] = await Promise.all([
        ctx.exec({ tool: 'kubectl', args: getContextsArgs, timeoutMs: 15_000 }),
        ctx.exec({ tool: 'minikube', args: profileListArgs, timeoutMs: 30_000 }),
      ]);
      if (!parseContexts(contexts.stdout).includes(state.kubeContext)) {
        throw new PrereqError(`Minikube is running but your kubeconfig has no context "${state.kubeContext}".`, `Run: minikube update-context -p ${minikube.profile}`);
      }
      const published = parsePublishedPorts(profiles.stdout, minikube.profile);
      if (nodePorts.every((port) => published.includes(port))) {
        setUrls(state, 'localhost');
      } else {
        const ip = (await ctx.exec({ tool: 'minikube', args: minikubeIpArgs(minikube.profile), timeoutMs: 15_000 })).stdout.trim();
        setUrls(state, ip);
        if (containerDrivers.includes(minikube.driver) && process.platform !== 'linux') {
          ctx.out.warn(
            `The profile "${minikube.profile}" was created without publishing NodePorts ${nodePorts.join(', ')}, and on ${process.platform} the ${minikube.driver} driver's node IP ${ip} is not reachable from your machine. ` +
              `Recreate it so todo-deploy can publish them: minikube delete -p ${minikube.profile}, then todo-deploy up.`,
          );
        }
      }
      return `${detail}; context "${state.kubeContext}"`;
    },
  };
}

function setUrls(state: UpState, host: string): void {
  for (const service of services) state.services[service].url = `http://${host}:${state.config[service].nodePort}`;
}
