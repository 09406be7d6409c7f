// A release's pods, read and explained: `verify` and `up` when a rollout does not complete,
// `status`, `logs`, and the deploy phase's watch while Helm waits.
import type { Context } from '../context.js';
import { diagnosePods } from '../diagnose/pods.js';
import { getPodsArgs, kubectlArgs, logsArgs, parsePods, type PodInfo } from '../tools/kubectl.js';
import type { DeployedService, Deployment } from './view.js';

/** One line per diagnosed pod problem, with the failing container's last log lines. */
export async function describePods(ctx: Context, deployment: Deployment, plan: DeployedService): Promise<string[]> {
  return explainPods(ctx, deployment, plan, await readPods(ctx, deployment, plan));
}

/** The release's pods, by its instance label. */
export async function readPods(ctx: Context, deployment: Deployment, plan: DeployedService): Promise<PodInfo[]> {
  const args = kubectlArgs(deployment.kubeContext, deployment.config.namespace, ...getPodsArgs(`app.kubernetes.io/instance=${plan.config.release}`));
  return parsePods((await ctx.exec({ tool: 'kubectl', args, timeoutMs: 30_000 })).stdout);
}

/** The diagnoses of pods already read, each with the failing container's last log lines. */
export async function explainPods(ctx: Context, deployment: Deployment, plan: DeployedService, pods: readonly PodInfo[]): Promise<string[]> {
  const kubectl = (...args: string[]) => kubectlArgs(deployment.kubeContext, deployment.config.namespace, ...args);
  const diagnoses = diagnosePods(pods, plan.config.healthPath);
  return Promise.all(
    diagnoses.map(async (d) => {
      const line = `${d.pod}${d.container ? ` (${d.container})` : ''}: ${d.reason}: ${d.summary}\n  → ${d.hint}`;
      if (!d.wantsLogs || !d.container) return line;
      const logs = await ctx.exec({ tool: 'kubectl', args: kubectl(...logsArgs(d.pod, d.container, d.previousLogs ?? false, 20)), allowFailure: true, timeoutMs: 15_000 });
      const tail = logs.exitCode === 0 && logs.stdout.trim() ? logs.stdout.trimEnd().split('\n').map((l) => `  │ ${l}`).join('\n') : `  (no${d.previousLogs ? ' previous' : ''} logs)`;
      return `${line}\n  last log lines:\n${tail}`;
    }),
  );
}
