// Proves the deployment healthy: both rollouts complete, then both health endpoints answer at
// the URLs the user will open. When a rollout does not complete, the pods say why.
import { setTimeout as sleep } from 'node:timers/promises';
import { services, type Config, type Service, type ServiceConfig } from '../config/schema.js';
import type { Context } from '../context.js';
import { appCheckTitles, appTargetOf, runAppChecks } from '../deployment/app-checks.js';
import { OperationError, ToolError } from '../errors.js';
import { diagnosePods } from '../diagnose/pods.js';
import { formatDuration } from '../format.js';
import { waitHealthy, type HealthResult } from '../health.js';
import { getPodsArgs, kubectlArgs, logsArgs, parsePods, rolloutStatusArgs, type PodInfo } from '../tools/kubectl.js';
import { upStep, type UpInputs } from './results.js';

/** What verification needs of a service: its settings and the URL the user opens. */
export interface VerifiedService {
  service: Service;
  config: ServiceConfig;
  url: string;
}

/** What verification needs: the running deployment, as `up` resolved it or a day-two command reads it. */
export interface VerifyState {
  config: Config;
  kubeContext: string;
  services: Record<Service, VerifiedService>;
}

export const verifyPhase = (ctx: Context, { config }: UpInputs) =>
  upStep({
    id: 'verify',
    needs: ['cluster', 'deploy'],
    title: 'Verify rollouts and health',
    async run({ cluster }) {
      // A dry run deployed nothing: what it would verify does not exist yet, or is not what it would deploy.
      if (ctx.dryRun) return { detail: 'skipped (dry run: nothing was deployed)' };
      const view = (service: Service): VerifiedService => ({ service, config: config[service], url: cluster.urls[service] });
      return { detail: await verifyDeployment(ctx, { config, kubeContext: cluster.kubeContext, services: { frontend: view('frontend'), backend: view('backend') } }) };
    },
    detail: (result) => result.detail,
  });

export async function verifyDeployment(ctx: Context, state: VerifyState): Promise<string> {
  const deadline = state.config.timeouts.verify;
  const plans = services.map((s) => state.services[s]);
  const rollouts = await Promise.all(plans.map((plan) => checkRollout(ctx, state, plan, deadline)));
  const stuck = rollouts.filter((r) => r.problem);
  if (stuck.length > 0) {
    throw new OperationError(
      `${stuck.map((r) => r.plan.config.release).join(' and ')} did not become ready within ${formatDuration(deadline)}.`,
      stuck.flatMap((r) => r.details),
      'Fix the cause above and run `todo-deploy up` again.',
    );
  }
  // The rollouts are complete: the pods are Ready, so a steady error answer will not change.
  const health = await Promise.all(plans.map((plan) => waitHealthy(plan.url + plan.config.healthPath, { deadlineMs: deadline, signal: ctx.signal, steadyErrorMs: STEADY_ERROR_MS, scrub: (text) => ctx.redactor.scrub(text) })));
  const failing = health.filter((h) => !h.ok);
  const failingServices = plans.filter((_, i) => !health[i]!.ok).map((p) => p.service);
  if (failing.length > 0) {
    throw new OperationError(
      `Health check failed: ${failing.map((h) => `${h.url} (${describeFailure(h)})`).join('; ')}.`,
      failing.filter((h) => h.body).map((h) => `${h.url} answered: ${h.body}`),
      `The pods are running but ${failing.length > 1 ? 'the endpoints do' : 'the endpoint does'} not answer 200. ${failingServices.map((s) => healthHint[s]).join(' ')}`,
    );
  }
  const app = await verifyApp(ctx, state);
  return `${health.map((h) => `${h.url} → ${h.status}`).join(', ')}; ${app}`;
}

/** The app-level checks (the UI's page and bundle, the API docs, CORS, Better Auth) of both services; the first failure's hint leads. */
async function verifyApp(ctx: Context, state: VerifyState): Promise<string> {
  const target = appTargetOf(ctx, state);
  const results = (await Promise.all(services.map(async (s) => [...(await runAppChecks(target, s))].map(([kind, outcome]) => ({ name: `${s} ${appCheckTitles[kind]}`, ...outcome }))))).flat();
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length > 0) {
    throw new OperationError(
      `App check${failed.length > 1 ? 's' : ''} failed: ${failed.map((r) => `${r.name}: ${r.detail}`).join('; ')}.`,
      failed.flatMap((r) => [...(failed.length > 1 ? [`${r.name}:`] : []), ...(r.diagnosis ?? []), ...(failed.length > 1 && r.hint ? [`→ ${r.hint}`] : [])]),
      failed[0]!.hint,
    );
  }
  const passed = results.filter((r) => r.status === 'passed').length;
  const skipped = results.length - passed;
  return `app checks: ${passed} passed${skipped ? `, ${skipped} turned off` : ''}`;
}

/** How long the same error answer from Ready pods is retried before it counts as the answer. */
export const STEADY_ERROR_MS = 5000;

/** "HTTP 503 from Ready pods, steadily for 5.1s (6 attempts)", or "ECONNREFUSED after 12 attempts in 3m". */
export function describeFailure(h: HealthResult): string {
  const error = h.error ?? 'no answer';
  return h.steady ? `${error} from Ready pods, steadily for ${formatDuration(h.durationMs)} (${h.attempts} attempts)` : `${error} after ${h.attempts} attempts in ${formatDuration(h.durationMs)}`;
}

/** What to check when a health endpoint does not answer 200. */
export const healthHint: Record<Service, string> = {
  frontend: 'Check that the frontend serves its health path on the container port (`todo-deploy logs frontend` shows more).',
  backend:
    "The backend's health endpoint checks the database: check DATABASE_URL and that the database accepts connections from the cluster. `todo-deploy logs backend` shows more.",
};

/** `kubectl rollout status` within the deadline; when it does not complete, the pods say why. */
export async function checkRollout<P extends VerifiedService>(ctx: Context, state: VerifyState, plan: P, deadline: number): Promise<{ plan: P; problem: boolean; details: string[] }> {
  const args = kubectlArgs(state.kubeContext, state.config.namespace, ...rolloutStatusArgs(plan.config.release, deadline));
  try {
    await ctx.exec({ tool: 'kubectl', args, timeoutMs: deadline + 30_000 });
    return { plan, problem: false, details: [] };
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    const pods = await describePods(ctx, state, plan);
    return { plan, problem: true, details: pods.length ? pods : [`${plan.config.release}: ${error.stderrTail || error.message}`] };
  }
}

/** One line per diagnosed pod problem, with the failing container's last log lines. */
export async function describePods(ctx: Context, state: VerifyState, plan: VerifiedService): Promise<string[]> {
  return explainPods(ctx, state, plan, await readPods(ctx, state, plan));
}

/** The release's pods, by its instance label. */
export async function readPods(ctx: Context, state: VerifyState, plan: VerifiedService): Promise<PodInfo[]> {
  const args = kubectlArgs(state.kubeContext, state.config.namespace, ...getPodsArgs(`app.kubernetes.io/instance=${plan.config.release}`));
  return parsePods((await ctx.exec({ tool: 'kubectl', args, timeoutMs: 30_000 })).stdout);
}

/** The diagnoses of pods already read, each with the failing container's last log lines. */
export async function explainPods(ctx: Context, state: VerifyState, plan: VerifiedService, pods: readonly PodInfo[]): Promise<string[]> {
  const kubectl = (...args: string[]) => kubectlArgs(state.kubeContext, state.config.namespace, ...args);
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

const WATCH_INTERVAL_MS = 1500;

/**
 * Watches a release's pods while Helm waits on them, keeping the last problems seen: once a
 * failed upgrade is rolled back the failing pods are gone, so this is when the cause is visible.
 */
export function watchPods(ctx: Context, state: VerifyState, plan: VerifiedService, onProblem: (summary: string) => void): { stop(): Promise<string[]> } {
  let seen: string[] = [];
  let stopped = false;
  const stop = new AbortController();
  const loop = (async () => {
    while (!stopped) {
      try {
        await sleep(WATCH_INTERVAL_MS, undefined, { signal: AbortSignal.any([stop.signal, ctx.signal]) });
        const problems = await describePods(ctx, state, plan);
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
