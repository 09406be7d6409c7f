// The checks `verify` (and `rollback`, after it rolls back) makes on the running deployment, one
// result per check so a report can show each as a test case: the release deployed, its rollout
// complete, its pods ready with no restarts climbing, its health endpoint answering at the URL
// the user opens, and the chart's `helm test` hooks passing.
import { services, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { diagnosePods } from '../diagnose/pods.js';
import { ToolError } from '../errors.js';
import { formatDuration } from '../format.js';
import { waitHealthy } from '../health.js';
import { appCheckKinds, appCheckTitles, appTargetOf, runAppChecks, turnedOff, type AppCheckKind } from './app-checks.js';
import { releasesOf } from './releases.js';
import { checkRollout, describeFailure, explainPods, healthHint, readPods, STEADY_ERROR_MS, type VerifiedService } from '../phases/verify.js';
import { tail } from '../tools/exec.js';
import { helmTestArgs, parseHelmTestSuites } from '../tools/helm.js';
import { kubectlArgs, podRestarts, waitingReason, type PodInfo } from '../tools/kubectl.js';
import { releaseRef, type Deployment } from './connect.js';

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export type CheckKind = 'release' | 'rollout' | 'pods' | 'health' | AppCheckKind | 'helm-test' | 'replacement' | 'availability';

export interface VerifyCheck {
  /** `<group>.<service>.<kind>`, unique in a report. */
  id: string;
  /** `verify`, or after `--resilience`: `resilience` and `after-resilience`. */
  group: string;
  service: Service;
  kind: CheckKind;
  /** What is checked, e.g. "backend health endpoint". */
  name: string;
  status: CheckStatus;
  /** One line: what was seen. */
  detail: string;
  durationMs: number;
  /** Why it failed: pod diagnoses, a tool's last lines. */
  diagnosis?: string[];
  hint?: string;
}

const titles: Record<CheckKind, string> = {
  release: 'release deployed',
  rollout: 'rollout complete',
  pods: 'pods ready, no restarts climbing',
  health: 'health endpoint',
  ...appCheckTitles,
  'helm-test': 'helm test',
  replacement: 'pod replaced',
  availability: 'availability while replaced',
};

/** What runChecks checks of a service. */
export function checkKinds(service: Service, options: Pick<CheckOptions, 'helmTests' | 'appChecks'>): CheckKind[] {
  return ['release', 'rollout', 'pods', 'health', ...(options.appChecks ? appCheckKinds[service] : []), ...(options.helmTests ? (['helm-test'] as const) : [])];
}

export function newCheck(group: string, service: Service, kind: CheckKind): VerifyCheck {
  return { id: `${group}.${service}.${kind}`, group, service, kind, name: `${service} ${titles[kind]}`, status: 'skipped', detail: '', durationMs: 0 };
}

/** Times fn (adding to the check's time) and records its outcome; a thrown ToolError fails the check instead of the run. */
async function measure(check: VerifyCheck, fn: () => Promise<Pick<VerifyCheck, 'status' | 'detail' | 'diagnosis' | 'hint'>>): Promise<void> {
  const started = performance.now();
  try {
    Object.assign(check, await fn());
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    Object.assign(check, { status: 'failed', detail: error.message, diagnosis: [`command: ${error.command}`, ...tailLines(error.stderrTail)] });
  } finally {
    check.durationMs += Math.round(performance.now() - started);
  }
}

export interface CheckOptions {
  group: string;
  /** Run the chart's `helm test` hooks too. */
  helmTests: boolean;
  /** Run the app-level checks too (the UI's page and bundle, API docs, CORS, Better Auth). */
  appChecks: boolean;
  /** The services to check (default: both). */
  services?: readonly Service[];
  onProgress?: (text: string) => void;
}

/** Every check, for both services, in stages (both services at once within a stage). */
export async function runChecks(ctx: Context, deployment: Deployment, options: CheckOptions): Promise<VerifyCheck[]> {
  const deadline = deployment.config.timeouts.verify;
  const selected = options.services ?? services;
  const kinds = Object.fromEntries(selected.map((s) => [s, checkKinds(s, options)])) as Record<Service, CheckKind[]>;
  const checks = Object.fromEntries(selected.map((s) => [s, Object.fromEntries(kinds[s].map((k) => [k, newCheck(options.group, s, k)]))])) as Record<Service, Record<CheckKind, VerifyCheck>>;
  const live = new Set<Service>();
  const before = new Map<Service, PodInfo[]>();
  const stage = async (text: string, kind: CheckKind, fn: (plan: VerifiedService, check: VerifyCheck) => Promise<Pick<VerifyCheck, 'status' | 'detail' | 'diagnosis' | 'hint'>>) => {
    options.onProgress?.(text);
    await Promise.all(
      selected.filter((s) => live.has(s)).map((s) => measure(checks[s][kind], () => fn(deployment.services[s], checks[s][kind]))),
    );
  };

  options.onProgress?.('releases');
  const releases = releasesOf(ctx, deployment, selected);
  await Promise.all(
    selected.map((s) =>
      measure(checks[s].release, async () => {
        const status = (await releases).get(deployment.config[s].release);
        if (status) live.add(s);
        if (!status) return { status: 'failed', detail: `release ${deployment.config[s].release} is not installed in namespace ${deployment.config.namespace}`, hint: 'Run `todo-deploy up` to deploy it.' };
        const detail = `revision ${status.revision}, ${status.status} (chart ${status.chart})`;
        if (status.status === 'deployed') return { status: 'passed', detail };
        return {
          status: 'failed',
          detail,
          hint: status.status.startsWith('pending-')
            ? 'Another run may be deploying it right now (`todo-deploy status` shows a todo-deploy run under way); if a run was interrupted instead, `todo-deploy up` recovers it.'
            : `Roll back to the last good revision (\`todo-deploy rollback ${s}\`) or run \`todo-deploy up\` again.`,
        };
      }),
    ),
  );
  for (const s of selected) if (!live.has(s)) skipRest(checks[s], kinds[s], 'the release is not installed');

  // Pods being deleted (an old ReplicaSet's, a replaced pod) are not the deployment's any more.
  const currentPods = async (plan: VerifiedService) => (await readPods(ctx, deployment, plan)).filter((p) => !p.terminating);
  const early = new Map<Service, { pods: PodInfo[]; problems: string[] }>();

  await stage('rollouts', 'rollout', async (plan) => {
    const release = `deployment/${plan.config.release}`;
    // A pod that cannot start will not within any deadline: say so now rather than wait it out.
    const pods = await currentPods(plan);
    const stuck = pods.filter((p) => !p.ready);
    if (diagnosePods(stuck, plan.config.healthPath).some((d) => !d.mayRecover)) {
      const problems = await podProblems(ctx, deployment, plan, pods);
      early.set(plan.service, { pods, problems });
      return { status: 'failed', detail: `${release} cannot complete its rollout`, diagnosis: problems, hint: fixAndRerun };
    }
    const result = await checkRollout(ctx, deployment, plan, deadline);
    if (!result.problem) return { status: 'passed', detail: `${release} rolled out` };
    return { status: 'failed', detail: `${release} did not complete its rollout within ${formatDuration(deadline)}`, diagnosis: result.details, hint: fixAndRerun };
  });

  await stage('pods', 'pods', async (plan) => {
    let seen = early.get(plan.service);
    if (!seen) {
      const pods = await currentPods(plan);
      seen = { pods, problems: await podProblems(ctx, deployment, plan, pods) };
    }
    const { pods, problems } = seen;
    before.set(plan.service, pods);
    if (problems.length > 0) return { status: 'failed', detail: `${pods.filter((p) => p.ready).length} of ${pods.length} pods ready`, diagnosis: problems, hint: fixAndRerun };
    const restarts = pods.reduce((n, p) => n + podRestarts(p), 0);
    return { status: 'passed', detail: `${pods.length} of ${pods.length} pods ready${restarts ? ` (${restarts} earlier restart${restarts === 1 ? '' : 's'})` : ''}` };
  });

  await stage('health endpoints', 'health', async (plan) => {
    const url = plan.url + plan.config.healthPath;
    // With its pods broken, one short try says enough; waiting out the deadline again would not.
    const broken = checks[plan.service].rollout.status === 'failed' || checks[plan.service].pods.status === 'failed';
    const health = await waitHealthy(url, { deadlineMs: broken ? Math.min(deadline, 5000) : deadline, signal: ctx.signal, scrub: (text) => ctx.redactor.scrub(text), ...(!broken && { steadyErrorMs: STEADY_ERROR_MS }) });
    const database = plan.service === 'backend' ? ', database reachable' : '';
    if (health.ok) return { status: 'passed', detail: `${url} → HTTP ${health.status}${database}` };
    return {
      status: 'failed',
      detail: `${url}: ${describeFailure(health)}`,
      ...(health.body && { diagnosis: [`it answered: ${health.body}`] }),
      hint: healthHint[plan.service],
    };
  });

  if (options.appChecks) {
    options.onProgress?.('app checks');
    const target = appTargetOf(ctx, deployment);
    await Promise.all(
      selected
        .filter((s) => live.has(s))
        .map(async (s) => {
          // Answers from a service whose pods are broken say nothing about the app.
          const broken = (['rollout', 'pods', 'health'] as const).map((k) => checks[s][k]).find((c) => c.status !== 'passed');
          if (broken) {
            for (const kind of appCheckKinds[s]) Object.assign(checks[s][kind], { status: 'skipped', detail: turnedOff(deployment.config, kind) ?? `not run: the ${broken.name} check failed` });
            return;
          }
          for (const [kind, outcome] of await runAppChecks(target, s)) Object.assign(checks[s][kind], outcome);
        }),
    );
  }

  if (options.helmTests) {
    await stage('helm tests', 'helm-test', async (plan) => {
      // A test pod of a service whose own pods are not ready would only wait out its timeout.
      const broken = (['rollout', 'pods'] as const).find((k) => checks[plan.service][k].status === 'failed');
      if (broken) return { status: 'skipped', detail: `not run: the ${checks[plan.service][broken].name} check failed` };
      const result = await ctx.exec({ tool: 'helm', args: helmTestArgs({ ...releaseRef(deployment, plan.service), timeoutMs: deadline }), mutates: true, allowFailure: true, timeoutMs: deadline + 30_000 });
      const suites = parseHelmTestSuites(result.stdout);
      if (result.exitCode === 0) return { status: 'passed', detail: suites.length ? `${suites.length} of ${suites.length} test${suites.length === 1 ? '' : 's'} passed` : 'the chart has no tests' };
      // The failed test pods stay until the next run (hook-succeeded deletes only passing ones).
      const failedPods = suites.filter((t) => t.phase !== 'Succeeded').map((t) => t.name);
      const logs = await Promise.all(
        failedPods.map(async (pod) => {
          const args = kubectlArgs(deployment.kubeContext, deployment.config.namespace, 'logs', pod, '--tail=10');
          const read = await ctx.exec({ tool: 'kubectl', args, allowFailure: true, timeoutMs: 30_000 });
          return read.exitCode === 0 ? [`${pod} logs:`, ...tailLines(read.stdout, 10)] : [];
        }),
      );
      return {
        status: 'failed',
        detail: `helm test ${plan.config.release} failed${failedPods.length ? `: ${failedPods.join(', ')}` : ''}`,
        diagnosis: [`command: ${result.command}`, ...tailLines(result.stderr, 5), ...logs.flat()],
        hint: "The test pod calls the service's health endpoint from inside the cluster, through its Service: check the Service's port and the pod's readiness.",
      };
    });
  }

  // Restarts that climbed while the checks ran: a pod that crashes now and then, between probes.
  await stage('restarts', 'pods', async (plan, check) => {
    if (check.status !== 'passed') return check;
    const counts = restartCounts(before.get(plan.service) ?? []);
    const now = await currentPods(plan);
    const climbing = [...restartCounts(now)].filter(([key, n]) => n > (counts.get(key) ?? n)).map(([key, n]) => `${key}: restarted ${n - counts.get(key)!} more time(s) during verification (now ${n})`);
    if (climbing.length === 0) return check;
    return { status: 'failed', detail: 'restarts are climbing', diagnosis: [...climbing, ...(await explainPods(ctx, deployment, plan, now))], hint: `A container keeps restarting: \`todo-deploy logs ${plan.service} --previous\` shows why.` };
  });

  return selected.flatMap((s) => kinds[s].map((k) => checks[s][k]));
}

async function podProblems(ctx: Context, deployment: Deployment, plan: VerifiedService, pods: PodInfo[]): Promise<string[]> {
  if (pods.length === 0) return plan.config.replicas === 0 ? [] : [`no pods with app.kubernetes.io/instance=${plan.config.release}`];
  const diagnosed = await explainPods(ctx, deployment, plan, pods);
  const named = new Set(diagnosePods(pods, plan.config.healthPath).map((d) => d.pod));
  const unready = pods.filter((p) => !p.ready && !named.has(p.name)).map((p) => `${p.name}: ${p.phase}, not ready${waitingReason(p) ? ` (${waitingReason(p)})` : ''}`);
  return [...diagnosed, ...unready];
}

function restartCounts(pods: readonly PodInfo[]): Map<string, number> {
  return new Map(pods.flatMap((p) => p.containers.map((c) => [`${p.name} (${c.name})`, c.restartCount] as const)));
}

const fixAndRerun = 'The pod states above say why; fix the cause and run `todo-deploy up` again.';

function skipRest(checks: Record<CheckKind, VerifyCheck>, kinds: CheckKind[], why: string): void {
  for (const kind of kinds) if (kind !== 'release') Object.assign(checks[kind], { status: 'skipped', detail: why });
}

function tailLines(text: string, lines = 15): string[] {
  return text.trim() ? tail(text, lines).split('\n').map((line) => `│ ${line}`) : [];
}
