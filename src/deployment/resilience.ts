// `verify --resilience`: delete the backend's pods, as a node failure or an eviction would,
// and measure what a user would notice: how long until the replacements are ready, and how long
// the health endpoint did not answer 200 meanwhile; with the database in the cluster, delete its
// pod too and prove its data survived.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../context.js';
import { formatDuration } from '../format.js';
import { probe } from '../health.js';
import { newCheck, type DeploymentCheck } from './checks.js';
import { databasePod, databaseVolume, readProbeRow, writeProbeRow } from './database.js';
import { explainPods, readPods } from './pods.js';
import type { ResilienceResult } from './report.js';
import { scopeOf, type Deployment } from './view.js';

const PROBE_INTERVAL_MS = 200;
const POLL_INTERVAL_MS = 500;

export async function resilienceTest(ctx: Context, deployment: Deployment): Promise<{ checks: DeploymentCheck[]; result: ResilienceResult }> {
  const plan = deployment.services.backend;
  const deadline = deployment.config.timeouts.verify;
  const replacement = newCheck('resilience', 'backend', 'replacement');
  const availability = newCheck('resilience', 'backend', 'availability');
  const result: ResilienceResult = { service: 'backend', deleted: [], replacements: [], unavailableMs: 0, probes: 0, failedProbes: 0 };

  const before = (await readPods(ctx, deployment, plan)).filter((p) => !p.terminating);
  if (before.length === 0) {
    Object.assign(replacement, { status: 'fail', detail: 'the backend has no pods to delete', hint: 'Run `todo-deploy up` first.' });
    Object.assign(availability, { status: 'skip', detail: 'no pod was deleted' });
    return { checks: [replacement, availability], result };
  }
  result.deleted = before.map((p) => p.name);
  const old = new Set(result.deleted);
  const url = plan.url + plan.config.healthPath;

  // Probe the endpoint the whole time, from just before the deletion until it answers again.
  const stopProbing = new AbortController();
  const probing = watchAvailability(url, AbortSignal.any([ctx.signal, stopProbing.signal]), result, () => result.replacementReadyMs !== undefined);
  const started = performance.now();
  let recovered = false;
  try {
    await ctx.tools.kubectl.deletePods({ kubeContext: deployment.kubeContext, namespace: deployment.config.namespace }, result.deleted);
    let pods = before;
    while (performance.now() - started < deadline) {
      await sleep(POLL_INTERVAL_MS, undefined, { signal: ctx.signal });
      pods = await readPods(ctx, deployment, plan);
      // Old pods may linger Terminating; only new, ready ones count.
      const fresh = pods.filter((p) => !old.has(p.name) && !p.terminating);
      if (fresh.length >= Math.max(plan.config.replicas, 1) && fresh.every((p) => p.ready)) {
        result.replacements = fresh.map((p) => p.name);
        result.replacementReadyMs = Math.round(performance.now() - started);
        break;
      }
    }
    replacement.durationMs = Math.round(performance.now() - started);
    if (result.replacementReadyMs === undefined) {
      Object.assign(replacement, {
        status: 'fail',
        detail: `no ready replacement for ${result.deleted.join(', ')} within ${formatDuration(deadline)}`,
        diagnosis: await explainPods(ctx, deployment, plan, pods),
        hint: 'The Deployment did not bring the backend back: the pod states above say why.',
      });
    } else {
      Object.assign(replacement, { status: 'pass', detail: `${result.deleted.join(', ')} replaced by ${result.replacements.join(', ')}, ready after ${formatDuration(result.replacementReadyMs)}` });
      // Keep probing until the endpoint answers 200 (it may lag the pod's readiness), within the deadline.
      const timer = new AbortController();
      recovered = await Promise.race([probing, sleep(Math.max(0, deadline - (performance.now() - started)), false, { signal: timer.signal }).catch(() => false)]);
      timer.abort();
    }
  } finally {
    stopProbing.abort();
    await probing;
  }
  availability.durationMs = Math.round(performance.now() - started);
  const outage = `unavailable for ${formatDuration(result.unavailableMs)} (${result.failedProbes} of ${result.probes} probes of ${url} failed)`;
  if (recovered) Object.assign(availability, { status: 'pass', detail: result.failedProbes === 0 ? `${url} answered 200 throughout (${result.probes} probes)` : outage });
  else Object.assign(availability, { status: 'fail', detail: `${url} did not answer 200 again within ${formatDuration(deadline)}; ${outage}`, hint: 'The backend came back unhealthy: `todo-deploy logs backend` shows why.' });
  return { checks: [replacement, availability], result };
}

/**
 * Probes url every PROBE_INTERVAL_MS, adding up the time it does not answer 200. Resolves true at
 * the first 200 once the replacements are ready (false when stopped first); never throws.
 */
async function watchAvailability(url: string, signal: AbortSignal, result: ResilienceResult, replaced: () => boolean): Promise<boolean> {
  let downSince: number | undefined;
  while (!signal.aborted) {
    const at = performance.now();
    // Stopped mid-request: the loop ends below (a Ctrl-C is seen by the caller's own waits).
    const { status } = await probe(url, 1000, signal).catch(() => ({ status: undefined }));
    if (signal.aborted) break;
    result.probes++;
    if (status === 200) {
      if (downSince !== undefined) result.unavailableMs += Math.round(at - downSince);
      downSince = undefined;
      if (replaced()) return true;
    } else {
      result.failedProbes++;
      downSince ??= at;
    }
    await sleep(PROBE_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
  }
  if (downSince !== undefined) result.unavailableMs += Math.round(performance.now() - downSince);
  return false;
}

/**
 * The in-cluster database's share of `--resilience`: a row written, its pod deleted, the
 * StatefulSet's replacement (same name, new uid) ready, and the row read back — the volume kept
 * the data.
 */
export async function databaseResilience(ctx: Context, deployment: Deployment): Promise<{ checks: DeploymentCheck[]; result: NonNullable<ResilienceResult['database']> }> {
  const { config } = deployment;
  const deadline = config.timeouts.verify;
  const scope = scopeOf(deployment);
  const pod = databasePod(config);
  const workload = { config: { release: config.database.release, healthPath: '' } };
  const replacement = newCheck('resilience', 'backend', 'database-replacement');
  const survived = newCheck('resilience', 'backend', 'data-survived');
  const result = { deleted: pod, dataSurvived: false } as NonNullable<ResilienceResult['database']>;

  const written = await writeProbeRow(ctx, scope, config);
  const old = (await readPods(ctx, deployment, workload)).find((p) => p.name === pod);
  if (!written.token || !old) {
    Object.assign(replacement, { status: 'fail', detail: old ? `could not write a check row: ${written.error}` : `${pod} does not exist`, hint: 'Run `todo-deploy verify` to see the database check, then `todo-deploy up`.' });
    Object.assign(survived, { status: 'skip', detail: 'no pod was deleted' });
    return { checks: [replacement, survived], result };
  }
  const started = performance.now();
  await ctx.tools.kubectl.deletePods(scope, [pod]);
  let pods = [old];
  while (performance.now() - started < deadline && result.replacementReadyMs === undefined) {
    await sleep(POLL_INTERVAL_MS, undefined, { signal: ctx.signal });
    pods = await readPods(ctx, deployment, workload);
    // The StatefulSet brings back a pod of the same name: only a new one, ready, counts.
    if (pods.some((p) => p.name === pod && p.uid !== old.uid && p.ready && !p.terminating)) result.replacementReadyMs = Math.round(performance.now() - started);
  }
  replacement.durationMs = Math.round(performance.now() - started);
  if (result.replacementReadyMs === undefined) {
    Object.assign(replacement, { status: 'fail', detail: `no ready replacement for ${pod} within ${formatDuration(deadline)}`, diagnosis: await explainPods(ctx, deployment, workload, pods), hint: 'The StatefulSet did not bring the database back: the pod states above say why.' });
    Object.assign(survived, { status: 'skip', detail: 'the database did not come back' });
    return { checks: [replacement, survived], result };
  }
  Object.assign(replacement, { status: 'pass', detail: `${pod} deleted and replaced, ready after ${formatDuration(result.replacementReadyMs)}` });
  const read = await readProbeRow(ctx, scope, config, written.token);
  result.dataSurvived = read.found;
  survived.durationMs = Math.round(performance.now() - started) - replacement.durationMs;
  if (read.found) Object.assign(survived, { status: 'pass', detail: `the row written before the deletion was read after it (volume ${databaseVolume(config)})` });
  else {
    Object.assign(survived, {
      status: 'fail',
      detail: read.error ? `the check row could not be read: ${read.error}` : 'the row written before the deletion is gone: the data did not survive the pod',
      hint: `The database's volume did not keep its data: check its claim (kubectl get pvc ${databaseVolume(config)} -n ${config.namespace}) and StorageClass — a volume that is not persistent loses everything with the pod.`,
    });
  }
  return { checks: [replacement, survived], result };
}
