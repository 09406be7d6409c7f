// A release's pods, read and explained: `verify` and `up` when a rollout does not complete,
// `status`, `logs`, and the deploy phase's watch while Helm waits.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { diagnosePods } from '../diagnose/pods.js';
import type { PodInfo } from '../tools/kubectl.js';
import { scopeOf, type DeployedService, type Deployment } from './view.js';

/** What reading a release's pods needs of the deployment. */
type Scope = Pick<Deployment, 'config' | 'kubeContext'>;

/** A release whose pods are read: its name, and the health path its probes call (for their diagnosis; empty when they call none). */
export interface Workload {
  config: Pick<DeployedService['config'], 'release' | 'healthPath'>;
}

/** One line per diagnosed pod problem, with the failing container's last log lines. */
export async function describePods(ctx: Context, deployment: Scope, plan: Workload): Promise<string[]> {
  return explainPods(ctx, deployment, plan, await readPods(ctx, deployment, plan));
}

/** The release's pods, by its instance label. */
export async function readPods(ctx: Context, deployment: Scope, plan: Workload): Promise<PodInfo[]> {
  return ctx.tools.kubectl.pods(scopeOf(deployment), `app.kubernetes.io/instance=${plan.config.release}`);
}

/**
 * PostgreSQL cannot write its data directory: the volume's StorageClass gave the postgres user
 * (uid 999) no write access — it ignores the pod's fsGroup, as Minikube's hostPath provisioner
 * does on some versions. Read from the server's own words in its logs.
 */
export function volumeNotWritable(logs: string, pod: string, namespace: string): string | undefined {
  const line = logs.split('\n').find((l) => /(cannot create directory|could not (create|change permissions of) directory|could not open file).*(Permission denied|Operation not permitted)|(Permission denied|Operation not permitted).*\/var\/lib\/postgresql/.test(l));
  if (!line) return undefined;
  const claim = `data-${pod}`;
  return (
    `The database's volume is not writable by the postgres user (uid 999): its StorageClass does not apply the pod's fsGroup (Minikube's hostPath provisioner does not on some versions). ` +
    `Fix: make the volume's folder the postgres user's — on Minikube: minikube ssh -- sudo chown -R 999:999 /tmp/hostpath-provisioner/${namespace}/${claim} — or use a StorageClass that applies fsGroup; then run todo-deploy up again.`
  );
}

/** The diagnoses of pods already read, each with the failing container's last log lines. */
export async function explainPods(ctx: Context, deployment: Scope, plan: Workload, pods: readonly PodInfo[]): Promise<string[]> {
  const diagnoses = diagnosePods(pods, plan.config.healthPath);
  return Promise.all(
    diagnoses.map(async (d) => {
      const line = `${d.pod}${d.container ? ` (${d.container})` : ''}: ${d.reason}: ${d.summary}\n  → ${d.hint}`;
      if (!d.wantsLogs || !d.container) return line;
      const logs = await ctx.tools.kubectl.containerLogs(scopeOf(deployment), d.pod, d.container, d.previousLogs ?? false, 20);
      const tail = logs.exitCode === 0 && logs.stdout.trim() ? logs.stdout.trimEnd().split('\n').map((l) => `  │ ${l}`).join('\n') : `  (no${d.previousLogs ? ' previous' : ''} logs)`;
      const cause = logs.exitCode === 0 ? volumeNotWritable(logs.stdout, d.pod, deployment.config.namespace) : undefined;
      return `${line}\n  last log lines:\n${tail}${cause ? `\n  → ${cause}` : ''}`;
    }),
  );
}

const WATCH_INTERVAL_MS = 1500;

/**
 * Watches a release's pods while Helm waits on them, keeping the last problems seen: once a
 * failed upgrade is rolled back the failing pods are gone, so this is when the cause is visible.
 */
export function watchPods(ctx: Context, deployment: Scope, plan: Workload, onProblem: (summary: string) => void): { stop(): Promise<string[]> } {
  let seen: string[] = [];
  let stopped = false;
  const stop = new AbortController();
  const loop = (async () => {
    while (!stopped) {
      try {
        await sleep(WATCH_INTERVAL_MS, undefined, { signal: AbortSignal.any([stop.signal, ctx.signal]) });
        const problems = await describePods(ctx, deployment, plan);
        if (problems.length > 0 && !stopped) {
          seen = problems;
          onProblem(problems[0]!.split('\n')[0]!);
        }
      } catch {
        // Stopped, interrupted, or a failed read: the watch is best effort; Helm's wait decides.
        if (stop.signal.aborted || ctx.signal.aborted) return;
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      stop.abort();
      await loop;
      return seen;
    },
  };
}
