// The checks made on a running deployment, one result per check so a report can show each as a
// test case: the release deployed, its rollout complete, its pods ready with no restarts
// climbing, its health endpoint answering at the URL the user opens, the app as a browser sees
// it, and the chart's `helm test` hooks passing. `verify` makes them all; `rollback` and `up`'s
// verify step make a selection of them (`selections`), so a new check is written once.
import type { Check } from '../checks/check.js';
import { services, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { diagnosePods } from '../diagnose/pods.js';
import { ToolError } from '../errors.js';
import { formatDuration } from '../format.js';
import { waitHealthy, type HealthResult } from '../health.js';
import { tail } from '../tools/exec.js';
import { podRestarts, waitingReason, type PodInfo } from '../tools/kubectl.js';
import { appCheckKinds, appCheckTitles, appTargetOf, runAppChecks, turnedOff, type AppCheckKind, type AppOutcome } from './app-checks.js';
import { acceptsConnections, databasePod, databaseVolume } from './database.js';
import { describePods, explainPods, readPods } from './pods.js';
import { releasesOf } from './releases.js';
import { releaseRef, scopeOf, type DeployedService, type Deployment } from './view.js';

export type CheckKind = 'release' | 'rollout' | 'pods' | 'database' | 'health' | AppCheckKind | 'helm-test' | 'replacement' | 'availability' | 'database-replacement' | 'data-survived';

export interface DeploymentCheck extends Check {
  /** `<group>.<service>.<kind>`, unique in a report. */
  id: string;
  /** `verify`, or after `--resilience`: `resilience` and `after-resilience`. */
  group: string;
  service: Service;
  kind: CheckKind;
  /** A deployment is healthy or not: no check of it warns (the report's vocabulary has no warning). */
  status: 'pass' | 'fail' | 'skip';
  durationMs: number;
  /** What the health endpoint answered, for `up`'s own words about it; not part of the report. */
  health?: HealthResult;
}

/** The headings of the groups, as `verify` shows them. */
export const groupHeadings: Record<string, string> = { verify: 'Deployment', resilience: 'Resilience: backend pods deleted', 'after-resilience': 'After the replacement' };

const titles: Record<CheckKind, string> = {
  release: 'release deployed',
  rollout: 'rollout complete',
  pods: 'pods ready, no restarts climbing',
  database: 'database in the cluster',
  health: 'health endpoint',
  ...appCheckTitles,
  'helm-test': 'helm test',
  replacement: 'pod replaced',
  availability: 'availability while replaced',
  'database-replacement': 'database pod replaced',
  'data-survived': 'database data survived',
};

/** What a run checks besides each service's rollout and health endpoint, which every run checks. */
export interface CheckSelection {
  /** Helm's record of the release (`helm list`, `helm status`); without it every service is taken as installed. */
  release: boolean;
  /**
   * The pods as a check of their own: read before the rollout is waited on (a pod that cannot
   * start fails it at once), as a check, and again at the end for restarts that climbed.
   * Without it the pods are read only to explain a rollout that did not complete.
   */
  pods: boolean;
  /** The app-level checks (the UI's page and bundle, API docs, CORS, Better Auth). */
  appChecks: boolean;
  /** The chart's `helm test` hooks. */
  helmTests: boolean;
  /** Stop at the first stage with a failed check, the rest skipped: for a caller whose error names that one stage. */
  stopAtFailure: boolean;
}

export const selections = {
  /** `verify`: every check, each run whatever failed before it, for a complete report. */
  verify: { release: true, pods: true, appChecks: true, helmTests: true, stopAtFailure: false },
  /** `rollback`: what was rolled back, as `verify` checks it but without `helm test`. */
  rollback: { release: true, pods: true, appChecks: true, helmTests: false, stopAtFailure: false },
  /** `verify --resilience`, once the backend's pods were replaced: the deployment again. */
  afterResilience: { release: true, pods: true, appChecks: false, helmTests: false, stopAtFailure: false },
  /**
   * `up`'s verify step: it has just deployed the releases, and Helm's wait has watched the pods,
   * so no release read, no pods check and no test pods; the rollouts, health endpoints and app
   * checks, stopping at the first stage that fails as `up` stops at its first failure.
   */
  up: { release: false, pods: false, appChecks: true, helmTests: false, stopAtFailure: true },
} as const satisfies Record<string, CheckSelection>;

/** What runChecks checks of a service, in the order they are shown; the in-cluster database is the backend's, checked with its pods. */
export function checkKinds(service: Service, selection: Omit<CheckSelection, 'stopAtFailure'>, inClusterDatabase = false): CheckKind[] {
  return [
    ...(selection.release ? (['release'] as const) : []),
    'rollout',
    ...(selection.pods ? (['pods'] as const) : []),
    ...(selection.pods && inClusterDatabase && service === 'backend' ? (['database'] as const) : []),
    'health',
    ...(selection.appChecks ? appCheckKinds[service] : []),
    ...(selection.helmTests ? (['helm-test'] as const) : []),
  ];
}

export function newCheck(group: string, service: Service, kind: CheckKind): DeploymentCheck {
  return { id: `${group}.${service}.${kind}`, group, service, kind, title: `${service} ${titles[kind]}`, status: 'skip', detail: '', durationMs: 0 };
}

type Outcome = Pick<DeploymentCheck, 'status' | 'detail' | 'diagnosis' | 'hint' | 'health'>;

/** Times fn (adding to the check's time) and records its outcome; a thrown ToolError fails the check instead of the run. */
async function measure(check: DeploymentCheck, fn: () => Promise<Outcome>): Promise<void> {
  const started = performance.now();
  try {
    Object.assign(check, await fn());
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    Object.assign(check, { status: 'fail', detail: error.message, diagnosis: [`command: ${error.command}`, ...tailLines(error.stderrTail)] });
  } finally {
    check.durationMs += Math.round(performance.now() - started);
  }
}

const appStatus: Record<AppOutcome['status'], DeploymentCheck['status']> = { passed: 'pass', failed: 'fail', skipped: 'skip' };

export interface CheckOptions extends CheckSelection {
  group: string;
  /** The services to check (default: both). */
  services?: readonly Service[];
  onProgress?: (text: string) => void;
}

/** The selected checks, for both services (or those named), in stages (both services at once within a stage). */
export async function runChecks(ctx: Context, deployment: Deployment, options: CheckOptions): Promise<DeploymentCheck[]> {
  const deadline = deployment.config.timeouts.verify;
  const selected = options.services ?? services;
  const kinds = Object.fromEntries(selected.map((s) => [s, checkKinds(s, options, deployment.config.database.mode === 'in-cluster')])) as Record<Service, CheckKind[]>;
  const checks = Object.fromEntries(selected.map((s) => [s, Object.fromEntries(kinds[s].map((k) => [k, newCheck(options.group, s, k)]))])) as Record<Service, Partial<Record<CheckKind, DeploymentCheck>>>;
  const all = () => selected.flatMap((s) => kinds[s].map((k) => checks[s][k]!));
  const live = new Set<Service>(options.release ? [] : selected);
  const before = new Map<Service, PodInfo[]>();
  /** The services still checked, with their check of this kind (none when the kind is not selected). */
  const due = (kind: CheckKind) => selected.flatMap((s) => (live.has(s) && checks[s][kind] ? [{ s, check: checks[s][kind] }] : []));
  const each = (kind: CheckKind, fn: (plan: DeployedService, check: DeploymentCheck) => Promise<Outcome>) =>
    Promise.all(due(kind).map(({ s, check }) => measure(check, () => fn(deployment.services[s], check))));
  /** The first failed check, once a caller that stops at a failure has one. */
  const stopper = () => (options.stopAtFailure ? all().find((c) => c.status === 'fail') : undefined);
  const stage = async (text: string, kind: CheckKind, fn: (plan: DeployedService, check: DeploymentCheck) => Promise<Outcome>) => {
    if (due(kind).length === 0) return;
    const failed = stopper();
    if (failed) {
      for (const { check } of due(kind)) Object.assign(check, { status: 'skip', detail: `not run: the ${failed.title} check failed` });
      return;
    }
    options.onProgress?.(text);
    await each(kind, fn);
  };

  if (options.release) {
    options.onProgress?.('releases');
    const releases = releasesOf(ctx, deployment, selected);
    await Promise.all(
      selected.map((s) =>
        measure(checks[s].release!, async () => {
          const status = (await releases).get(deployment.config[s].release);
          if (status) live.add(s);
          if (!status) return { status: 'fail', detail: `release ${deployment.config[s].release} is not installed in namespace ${deployment.config.namespace}`, hint: 'Run `todo-deploy up` to deploy it.' };
          const detail = `revision ${status.revision}, ${status.status} (chart ${status.chart})`;
          if (status.status === 'deployed') return { status: 'pass', detail };
          return {
            status: 'fail',
            detail,
            hint: status.status.startsWith('pending-')
              ? 'Another run may be deploying it right now (`todo-deploy status` shows a todo-deploy run under way); if a run was interrupted instead, `todo-deploy up` recovers it.'
              : `Roll back to the last good revision (\`todo-deploy rollback ${s}\`) or run \`todo-deploy up\` again.`,
          };
        }),
      ),
    );
    for (const s of selected) if (!live.has(s)) skipRest(checks[s], 'the release is not installed');
  }

  // Pods being deleted (an old ReplicaSet's, a replaced pod) are not the deployment's any more.
  const currentPods = async (plan: DeployedService) => (await readPods(ctx, deployment, plan)).filter((p) => !p.terminating);
  const early = new Map<Service, { pods: PodInfo[]; problems: string[] }>();

  await stage('rollouts', 'rollout', async (plan) => {
    const release = `deployment/${plan.config.release}`;
    if (options.pods) {
      // A pod that cannot start will not within any deadline: say so now rather than wait it out.
      const pods = await currentPods(plan);
      const stuck = pods.filter((p) => !p.ready);
      if (diagnosePods(stuck, plan.config.healthPath).some((d) => !d.mayRecover)) {
        const problems = await podProblems(ctx, deployment, plan, pods);
        early.set(plan.service, { pods, problems });
        return { status: 'fail', detail: `${release} cannot complete its rollout`, diagnosis: problems, hint: fixAndRerun };
      }
    }
    const result = await checkRollout(ctx, deployment, plan, deadline);
    if (!result.problem) return { status: 'pass', detail: `${release} rolled out` };
    return { status: 'fail', detail: `${release} did not complete its rollout within ${formatDuration(deadline)}`, diagnosis: result.details, hint: fixAndRerun };
  });

  await stage('pods', 'pods', async (plan) => {
    let seen = early.get(plan.service);
    if (!seen) {
      const pods = await currentPods(plan);
      seen = { pods, problems: await podProblems(ctx, deployment, plan, pods) };
    }
    const { pods, problems } = seen;
    before.set(plan.service, pods);
    if (problems.length > 0) return { status: 'fail', detail: `${pods.filter((p) => p.ready).length} of ${pods.length} pods ready`, diagnosis: problems, hint: fixAndRerun };
    const restarts = pods.reduce((n, p) => n + podRestarts(p), 0);
    return { status: 'pass', detail: `${pods.length} of ${pods.length} pods ready${restarts ? ` (${restarts} earlier restart${restarts === 1 ? '' : 's'})` : ''}` };
  });

  await stage('database', 'database', () => checkDatabase(ctx, deployment, deadline));

  await stage('health endpoints', 'health', async (plan) => {
    const url = plan.url + plan.config.healthPath;
    // With its pods broken, one short try says enough; waiting out the deadline again would not.
    const broken = (['rollout', 'pods'] as const).some((k) => checks[plan.service][k]?.status === 'fail');
    const health = await waitHealthy(url, { deadlineMs: broken ? Math.min(deadline, 5000) : deadline, signal: ctx.signal, scrub: (text) => ctx.redactor.scrub(text), ...(!broken && { steadyErrorMs: STEADY_ERROR_MS }) });
    const database = plan.service === 'backend' ? ', database reachable' : '';
    if (health.ok) return { status: 'pass', detail: `${url} → HTTP ${health.status}${database}`, health };
    return {
      status: 'fail',
      detail: `${url}: ${describeFailure(health)}`,
      ...(health.body && { diagnosis: [`it answered: ${health.body}`] }),
      hint: healthHint[plan.service],
      health,
    };
  });

  if (options.appChecks) {
    const failed = stopper();
    if (!failed) options.onProgress?.('app checks');
    const target = appTargetOf(ctx, deployment);
    await Promise.all(
      selected
        .filter((s) => live.has(s))
        .map(async (s) => {
          // Answers from a service whose pods are broken say nothing about the app.
          const broken = failed ?? (['rollout', 'pods', 'health'] as const).map((k) => checks[s][k]).find((c) => c && c.status !== 'pass');
          if (broken) {
            for (const kind of appCheckKinds[s]) Object.assign(checks[s][kind]!, { status: 'skip', detail: turnedOff(deployment.config, kind) ?? `not run: the ${broken.title} check failed` });
            return;
          }
          for (const [kind, outcome] of await runAppChecks(target, s)) Object.assign(checks[s][kind]!, { ...outcome, status: appStatus[outcome.status] });
        }),
    );
  }

  await stage('helm tests', 'helm-test', async (plan) => {
    // A test pod of a service whose own pods are not ready would only wait out its timeout.
    const broken = (['rollout', 'pods'] as const).map((k) => checks[plan.service][k]).find((c) => c?.status === 'fail');
    if (broken) return { status: 'skip', detail: `not run: the ${broken.title} check failed` };
    const { result, suites } = await ctx.tools.helm.test({ ...releaseRef(deployment, plan.service), timeoutMs: deadline });
    if (result.exitCode === 0) return { status: 'pass', detail: suites.length ? `${suites.length} of ${suites.length} test${suites.length === 1 ? '' : 's'} passed` : 'the chart has no tests' };
    // The failed test pods stay until the next run (hook-succeeded deletes only passing ones).
    const failedPods = suites.filter((t) => t.phase !== 'Succeeded').map((t) => t.name);
    const logs = await Promise.all(
      failedPods.map(async (pod) => {
        const read = await ctx.tools.kubectl.podLogs(scopeOf(deployment), pod, 10);
        return read.exitCode === 0 ? [`${pod} logs:`, ...tailLines(read.stdout, 10)] : [];
      }),
    );
    return {
      status: 'fail',
      detail: `helm test ${plan.config.release} failed${failedPods.length ? `: ${failedPods.join(', ')}` : ''}`,
      diagnosis: [`command: ${result.command}`, ...tailLines(result.stderr, 5), ...logs.flat()],
      hint: "The test pod calls the service's health endpoint from inside the cluster, through its Service: check the Service's port and the pod's readiness.",
    };
  });

  // Restarts that climbed while the checks ran: a pod that crashes now and then, between probes.
  if (due('pods').length > 0) options.onProgress?.('restarts');
  await each('pods', async (plan, check) => {
    if (check.status !== 'pass') return check;
    const counts = restartCounts(before.get(plan.service) ?? []);
    const now = await currentPods(plan);
    const climbing = [...restartCounts(now)].filter(([key, n]) => n > (counts.get(key) ?? n)).map(([key, n]) => `${key}: restarted ${n - counts.get(key)!} more time(s) during verification (now ${n})`);
    if (climbing.length === 0) return check;
    return { status: 'fail', detail: 'restarts are climbing', diagnosis: [...climbing, ...(await explainPods(ctx, deployment, plan, now))], hint: `A container keeps restarting: \`todo-deploy logs ${plan.service} --previous\` shows why.` };
  });

  return all();
}

/** The in-cluster PostgreSQL: its StatefulSet rolled out, and the server accepting connections inside its pod. */
async function checkDatabase(ctx: Context, deployment: Deployment, deadline: number): Promise<Outcome> {
  const { release } = deployment.config.database;
  const workload = { config: { release, healthPath: '' } };
  const hint = 'The pod states above say why; fix the cause and run `todo-deploy up` again (the volume and its data are kept).';
  try {
    await ctx.tools.kubectl.rolloutStatus(scopeOf(deployment), release, deadline, 'statefulset');
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    const pods = await describePods(ctx, deployment, workload);
    return { status: 'fail', detail: `statefulset/${release} is not ready`, diagnosis: pods.length ? pods : [`${release}: ${error.stderrTail || error.message}`], hint };
  }
  const answer = await acceptsConnections(ctx, scopeOf(deployment), deployment.config);
  if (!answer.ok) return { status: 'fail', detail: `${databasePod(deployment.config)} does not accept connections: ${answer.said}`, diagnosis: await describePods(ctx, deployment, workload), hint };
  return { status: 'pass', detail: `${databasePod(deployment.config)} accepting connections (volume ${databaseVolume(deployment.config)})` };
}

/** `kubectl rollout status` within the deadline; when it does not complete, the pods say why. */
async function checkRollout(ctx: Context, deployment: Deployment, plan: DeployedService, deadline: number): Promise<{ problem: boolean; details: string[] }> {
  try {
    await ctx.tools.kubectl.rolloutStatus(scopeOf(deployment), plan.config.release, deadline);
    return { problem: false, details: [] };
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    const pods = await describePods(ctx, deployment, plan);
    return { problem: true, details: pods.length ? pods : [`${plan.config.release}: ${error.stderrTail || error.message}`] };
  }
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

async function podProblems(ctx: Context, deployment: Deployment, plan: DeployedService, pods: PodInfo[]): Promise<string[]> {
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

function skipRest(checks: Partial<Record<CheckKind, DeploymentCheck>>, why: string): void {
  for (const [kind, check] of Object.entries(checks)) if (kind !== 'release') Object.assign(check, { status: 'skip', detail: why });
}

function tailLines(text: string, lines = 15): string[] {
  return text.trim() ? tail(text, lines).split('\n').map((line) => `│ ${line}`) : [];
}
