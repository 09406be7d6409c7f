// Pod states → what went wrong and what to do, for the failures users of peers hit most.
// Shared by `up`, `verify` and `status`.
import type { PodInfo } from '../tools/kubectl.js';

export interface Diagnosis {
  pod: string;
  container?: string;
  reason: string;
  summary: string;
  hint: string;
  /** The container's logs explain it: the previous container's after a restart, else the running one's. */
  wantsLogs: boolean;
  previousLogs?: boolean;
  /** It may still get ready (within its startup budget): worth showing, not a reason to give up waiting. */
  mayRecover?: boolean;
}

/**
 * A container running this long without passing its readiness probe is reported, restarted or
 * not: a pod whose app starts but cannot serve (its database unreachable) sits Running and not
 * ready until its startup probe gives up — on a real node, past most of Helm's wait.
 */
export const NOT_READY_AFTER_MS = 20_000;

const imageReasons = ['ImagePullBackOff', 'ErrImagePull', 'ErrImageNeverPull', 'InvalidImageName'];

export function diagnosePods(pods: readonly PodInfo[], healthPath = '/api/health', now = Date.now()): Diagnosis[] {
  const found: Diagnosis[] = [];
  for (const pod of pods) {
    if (pod.unschedulable) {
      found.push({
        pod: pod.name,
        reason: 'Unschedulable',
        summary: `cannot be scheduled: ${pod.unschedulable}`,
        hint: 'The cluster lacks CPU or memory for it: raise minikube.cpus / minikube.memory in todo-deploy.yaml (the profile must be recreated: `minikube delete`, then `todo-deploy up`), or lower the replicas.',
        wantsLogs: false,
      });
      continue;
    }
    for (const c of pod.containers) {
      const base = { pod: pod.name, container: c.name };
      const waiting = c.waiting?.reason;
      if (c.lastTerminated?.reason === 'OOMKilled') {
        found.push({
          ...base,
          reason: 'OOMKilled',
          summary: `was killed for using more memory than its limit${c.memoryLimit ? ` (${c.memoryLimit})` : ''}, exit code ${c.lastTerminated.exitCode ?? 137}`,
          hint: 'Raise resources.limits.memory for this service in a values file (frontend.valuesFile / backend.valuesFile in todo-deploy.yaml).',
          wantsLogs: false,
        });
      } else if (waiting === 'CrashLoopBackOff') {
        found.push({
          ...base,
          reason: waiting,
          summary: `keeps crashing (restarted ${c.restartCount} times)`,
          hint: 'Its last log lines are below; a wrong DATABASE_URL or an unreachable database is the usual cause.',
          wantsLogs: true,
          previousLogs: true,
        });
      } else if (waiting && imageReasons.includes(waiting)) {
        found.push({
          ...base,
          reason: waiting,
          summary: `cannot get its image${c.waiting?.message ? `: ${c.waiting.message}` : ''}`,
          hint:
            "The image is not in the cluster's Docker daemon. todo-deploy builds into Minikube's daemon (minikube docker-env) and deploys with imagePullPolicy IfNotPresent; " +
            'run `todo-deploy up` without --skip-build, and check that nothing overrides image.pullPolicy to Always.',
          wantsLogs: false,
        });
      } else if (waiting === 'CreateContainerConfigError') {
        const message = c.waiting?.message ?? '';
        const nonNumericUser = /non-numeric user/.test(message);
        found.push({
          ...base,
          reason: waiting,
          summary: `cannot be configured${message ? `: ${message}` : ''}`,
          hint: nonNumericUser
            ? 'The image sets USER by name; a runAsNonRoot pod needs a numeric USER (e.g. USER 1001) in the Dockerfile.'
            : 'A Secret or one of its keys is missing: `todo-deploy up` recreates frontend-secrets and backend-secrets from .env.',
          wantsLogs: false,
        });
      } else if (pod.phase === 'Running' && !c.ready && c.restartCount > 0) {
        found.push({
          ...base,
          reason: 'NotReady',
          summary: `is running but not ready (restarted ${c.restartCount} times)`,
          hint: `Its probes on ${healthPath} fail: check that the endpoint answers 200 on the container port.`,
          wantsLogs: true,
          previousLogs: true,
        });
      } else if (pod.phase === 'Running' && !c.ready && c.runningSince && now - Date.parse(c.runningSince) >= NOT_READY_AFTER_MS) {
        found.push({
          ...base,
          reason: 'NotReady',
          summary: `has been running for ${Math.round((now - Date.parse(c.runningSince)) / 1000)} s and is not ready`,
          hint: `Its probes on ${healthPath} do not get a 200: its log lines are below; for the backend, an unreachable database (DATABASE_URL) is the usual cause.`,
          wantsLogs: true,
          mayRecover: true,
        });
      }
    }
  }
  return found;
}
