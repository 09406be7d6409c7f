// Before a rollout on the cluster target: a short-lived pod in the target namespace pulls the
// image (imagePullPolicy Always, with the release's pull secret) and runs `true`, so "the
// cluster cannot pull it" is found and explained before Helm waits on pods that never start.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config, Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { OperationError } from '../errors.js';
import type { PodInfo } from '../tools/kubectl.js';
import { pullSecretName } from './registry-credentials.js';

const POLL_MS = 1000;
/** Image pulls that have not failed for good yet, and a pull that will not be retried. */
const pulling = new Set(['ContainerCreating', 'PodInitializing', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

export type PullFailure = 'unauthorized' | 'not-found' | 'platform' | 'unreachable' | 'other';

/**
 * The cause of a failed pull, from the kubelet's message: containerd's words, as recorded from
 * a real node in test/contract/recorded/cluster-target/pull-*.json (platform first: containerd
 * says it as "no match for platform in manifest: not found").
 */
export function pullFailure(message: string): PullFailure {
  if (/no match for platform|no matching manifest|exec format error/i.test(message)) return 'platform';
  if (/dial tcp|no such host|i\/o timeout|server gave HTTP response to HTTPS client|tls: |x509: /i.test(message)) return 'unreachable';
  if (/\b401\b|\b403\b|unauthorized|authorization failed|denied|authentication required|no basic auth credentials/i.test(message)) return 'unauthorized';
  if (/not found|manifest unknown|name unknown|\b404\b/i.test(message)) return 'not-found';
  return 'other';
}

/**
 * With a pull secret, how long a refusal must last to be the registry's answer. The kubelet may
 * try a new pod's first pull before it can read the pod's pull secret, and then pulls without it:
 * seen on the cluster tier's real node (Kubernetes 1.34) for a probe made a second after its
 * Secret — the event FailedToRetrieveImagePullSecret ("Unable to retrieve some image pull
 * secrets"), then 401 Unauthorized. (The kubelet's secret cache must list the Secret, which the
 * Node authorizer allows only once it has seen a pod on that node naming it.) The kubelet pulls
 * again after its back-off (10 s, at the pod's next sync, jittered up to 15 s), reading the
 * secret again.
 */
export const PULL_SECRET_RETRY_MS = 30_000;

/** Whether a failed pull is the answer, or (a refusal with a pull secret, not yet past the kubelet's retry) may still turn. */
export function failedForGood(failure: PullFailure, o: { pullSecret: boolean; failingForMs: number }): boolean {
  return !(failure === 'unauthorized' && o.pullSecret && o.failingForMs < PULL_SECRET_RETRY_MS);
}

export const probeName = (service: Service) => `todo-deploy-pull-${service}`;
const probeLabels = (service: Service) => ({ 'todo-deploy.dev/probe': 'pull', 'todo-deploy.dev/service': service });
const probeSelector = (service: Service) => Object.entries(probeLabels(service)).map(([k, v]) => `${k}=${v}`).join(',');

/** The probe pod: restricted (it passes the namespace's Pod Security), tiny, never restarted. */
export function probePod(config: Config, service: Service, image: string): object {
  const secret = pullSecretName(config);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: probeName(service), namespace: config.namespace, labels: { 'app.kubernetes.io/managed-by': 'todo-deploy', ...probeLabels(service) } },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      ...(secret && { imagePullSecrets: [{ name: secret }] }),
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'probe',
          image,
          imagePullPolicy: 'Always',
          command: ['true'],
          // An image for another architecture is pulled and fails to exec: runc says so on the
          // container's stderr only (`exec /usr/bin/true: exec format error`), which the kubelet
          // copies into state.terminated.message only with this policy.
          terminationMessagePolicy: 'FallbackToLogsOnError',
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

/** Whether the probe pod is done: pulled, failed to pull (with the kubelet's message), or still at it. */
export function probeState(pod: PodInfo | undefined): { pulled: true } | { failed: string; reason: string } | undefined {
  const container = pod?.containers[0];
  if (!container) return undefined;
  if (container.runningSince || container.terminated) {
    // It started: the image is there. `exec format error` is an image for another platform.
    const message = container.terminated?.message ?? '';
    return /exec format error/i.test(message) ? { failed: message, reason: container.terminated!.reason } : { pulled: true };
  }
  const waiting = container.waiting;
  if (!waiting) return undefined;
  if (waiting.reason === 'ImagePullBackOff' || (waiting.reason === 'ErrImagePull' && waiting.message) || waiting.reason === 'InvalidImageName') {
    return { failed: waiting.message ?? waiting.reason, reason: waiting.reason };
  }
  // Created but not started (CreateContainerError, RunContainerError…): the pull worked.
  return pulling.has(waiting.reason) ? undefined : { pulled: true };
}

/**
 * Pulls `image` in the target namespace with a short-lived pod and removes it. Throws an
 * OperationError naming the cause — no access, no such image, wrong platform — and the fix.
 */
export async function probePull(ctx: Context, target: { config: Config; kubeContext: string }, service: Service, image: string, progress: (text: string) => void, stop?: AbortSignal): Promise<void> {
  const { config, kubeContext } = target;
  // `stop`: another probe failed; this one ends its wait and still removes its pod (ctx.signal is not aborted yet).
  const signal = stop ? AbortSignal.any([ctx.signal, stop]) : ctx.signal;
  const scope = { kubeContext, namespace: config.namespace };
  const name = probeName(service);
  // A probe an interrupted run left behind would keep its old image: replaced.
  await waitGone(ctx, scope, service, config.timeouts.deploy, signal);
  await ctx.tools.kubectl.apply(scope, probePod(config, service, image), `Pod ${name} (pulls ${image})`);
  progress('pulling');
  const deadline = Date.now() + config.timeouts.deploy;
  let failingSince: number | undefined;
  try {
    for (;;) {
      const [pod] = await ctx.tools.kubectl.pods(scope, probeSelector(service));
      const state = probeState(pod);
      if (state && 'pulled' in state) return;
      if (state) {
        failingSince ??= Date.now();
        if (failedForGood(pullFailure(state.failed), { pullSecret: Boolean(pullSecretName(config)), failingForMs: Date.now() - failingSince })) throw pullError(config, service, image, state.failed);
        progress('refused; waiting for the kubelet to pull again with the pull secret');
      }
      if (Date.now() > deadline) {
        throw new OperationError(
          `The cluster did not pull the ${service} image ${image} within ${Math.round(config.timeouts.deploy / 1000)}s.`,
          pod?.unschedulable ? [`The probe pod cannot be scheduled: ${pod.unschedulable}`] : [],
          'Check the nodes can reach the registry (`kubectl describe pod` on a pod that pulls it); raise timeouts.deploy for a slow registry.',
        );
      }
      await sleep(POLL_MS, undefined, { signal });
    }
  } finally {
    await ctx.tools.kubectl.deletePods(scope, [name]).catch(() => {});
  }
}

/** A probe an interrupted run left behind (it would keep its old image) is deleted, and gone, before the new one. */
async function waitGone(ctx: Context, scope: { kubeContext: string; namespace: string }, service: Service, deadlineMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  const left = async () => (await ctx.tools.kubectl.pods(scope, probeSelector(service))).length > 0;
  if (!(await left())) return;
  await ctx.tools.kubectl.deletePods(scope, [probeName(service)]).catch(() => {});
  while (await left()) {
    if (Date.now() > deadline) {
      throw new OperationError(
        `The probe pod ${probeName(service)} an earlier run left in namespace ${scope.namespace} is still there ${Math.round(deadlineMs / 1000)}s after its deletion.`,
        [],
        `\`kubectl --context ${scope.kubeContext} --namespace ${scope.namespace} describe pod ${probeName(service)}\` says what holds it; delete it (--force if its node is gone), then run todo-deploy up again.`,
      );
    }
    await sleep(POLL_MS, undefined, { signal });
  }
}

function pullError(config: Config, service: Service, image: string, message: string): OperationError {
  const registry = image.split('/')[0]!;
  const details = [`The kubelet said: ${message}`];
  switch (pullFailure(message)) {
    case 'unauthorized':
      return new OperationError(
        `The cluster may not pull the ${service} image from ${registry}: the registry refused it credentials.`,
        details,
        config.cluster.pullSecret
          ? `The pull secret made from ${config.cluster.pullSecret} has no credentials that ${registry} accepts: log in to it there with an account that may pull (\`docker --config DIR login ${registry}\` writes DIR/config.json even where a credential store keeps your usual logins), then run todo-deploy up again (it updates the Secret).`
          : `Give the cluster credentials: set cluster.pullSecret in todo-deploy.yaml to a Docker config file with a login for ${registry} (e.g. ~/.docker/config.json after \`docker login ${registry}\`; a credential helper's logins are not in the file: \`docker --config DIR login\` writes one). todo-deploy makes the image pull Secret from it, never from a value in argv. Or make the repository public.`,
      );
    case 'not-found':
      return new OperationError(
        `The cluster found no ${service} image ${image} in the registry.`,
        details,
        `The cluster pulls from ${registry}: check that it is the registry this machine pushed to (cluster.registry; for a local registry, its hostFromContainerRuntime), and that the repository and tag exist there.`,
      );
    case 'platform':
      return new OperationError(
        `The ${service} image ${image} has no build for the nodes' platform.`,
        details,
        'Build for the nodes: pass --platform with their OS/architecture (`kubectl get nodes -o wide`), or leave cluster.platform empty to use theirs.',
      );
    case 'unreachable':
      return new OperationError(
        `The cluster's nodes cannot reach the registry ${registry} to pull the ${service} image.`,
        details,
        `The nodes pull from ${registry}: it must answer from inside the cluster, over HTTPS unless the nodes' container runtime is configured for plain HTTP. For a local registry, its hostFromContainerRuntime is the name the nodes use.`,
      );
    default:
      return new OperationError(`The cluster could not pull the ${service} image ${image}.`, details, 'The kubelet\'s words are above; check that the nodes can reach the registry.');
  }
}
