import { parseVersion, type Version } from './version.js';

// --client: the version of the binary only, without asking whatever cluster is current.
export const kubectlVersionArgs = ['version', '--client', '-o', 'json'];

export function parseKubectlVersion(stdout: string): Version | undefined {
  try {
    return parseVersion((JSON.parse(stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion);
  } catch {
    return undefined;
  }
}

export const getContextsArgs = ['config', 'get-contexts', '-o', 'name'];

export function parseContexts(stdout: string): string[] {
  return stdout.split('\n').map((line) => line.trim()).filter(Boolean);
}

/** Every call that reaches a cluster names its context: the current one is never assumed. */
export function kubectlArgs(kubeContext: string, namespace: string | undefined, ...args: string[]): string[] {
  return ['--context', kubeContext, ...(namespace ? ['--namespace', namespace] : []), ...args];
}

// Server-side apply keeps Secret data out of the last-applied-configuration annotation that
// client-side apply writes; --force-conflicts because these objects are ours to own.
export const applyArgs = ['apply', '--server-side', '--field-manager=todo-deploy', '--force-conflicts', '--filename', '-'];

export const rolloutStatusArgs = (name: string, timeoutMs: number, kind: 'deployment' | 'statefulset' = 'deployment') => ['rollout', 'status', `${kind}/${name}`, `--timeout=${Math.ceil(timeoutMs / 1000)}s`];

export const getPodsArgs = (selector: string) => ['get', 'pods', '--selector', selector, '--output', 'json'];

export const logsArgs = (pod: string, container: string, previous: boolean, tail: number) => [
  'logs', pod, '--container', container, `--tail=${tail}`, ...(previous ? ['--previous'] : []),
];

export interface PodLogsOptions {
  pod: string;
  container: string;
  tail: number;
  /** A Go duration (5m, 1h30m): only newer lines. */
  since?: string;
  previous?: boolean;
  follow?: boolean;
}

export function podLogsArgs(o: PodLogsOptions): string[] {
  return [
    ...logsArgs(o.pod, o.container, o.previous ?? false, o.tail),
    ...(o.since ? [`--since=${o.since}`] : []),
    ...(o.follow ? ['--follow'] : []),
  ];
}

/** What `kubectl logs --since` accepts: a Go duration such as 30s, 5m, 1h30m. */
export const isLogDuration = (value: string) => /^(\d+(\.\d+)?(h|m|s|ms))+$/.test(value) && !/^0+(\.0+)?[hms]+$/.test(value);

// --wait=false: return once the API server accepted the deletion, so the caller can time the
// replacement itself instead of kubectl blocking through the pods' grace period.
export const deletePodsArgs = (pods: readonly string[]) => ['delete', 'pod', ...pods, '--wait=false'];

export const deleteSecretsArgs = (names: readonly string[]) => ['delete', 'secret', ...names, '--ignore-not-found'];

/** Prints `secret/NAME` for each of the names that exists, nothing (and exit 0) for the others. */
export const getSecretNamesArgs = (names: readonly string[]) => ['get', 'secret', ...names, '--ignore-not-found', '--output', 'name'];

export function parseNames(stdout: string): string[] {
  return stdout.split('\n').map((line) => line.trim().split('/').at(-1) ?? '').filter(Boolean);
}

/** Several objects in one read, each as `kind/name` (kinds may differ); the missing ones are left out, not an error. */
export const getObjectsArgs = (objects: readonly string[]) => ['get', ...objects, '--ignore-not-found', '--output', 'json'];

export interface KubeObject {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
  /** A LoadBalancer Service's or an Ingress's address, once it has one. */
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
}

/** `get --output json`: one object, or a List of several; nothing at all when --ignore-not-found found none. */
export function parseObjects(stdout: string): KubeObject[] {
  if (!stdout.trim()) return [];
  const doc = JSON.parse(stdout) as KubeObject & { items?: KubeObject[] };
  return doc.kind === 'List' ? (doc.items ?? []) : [doc];
}

export const getDeploymentArgs = (name: string) => ['get', 'deployment', name, '--ignore-not-found', '--output', 'json'];

export interface DeploymentInfo {
  name: string;
  desired: number;
  ready: number;
  updated: number;
}

/** A Deployment as JSON, or undefined for the empty output of --ignore-not-found. */
export function parseDeployment(stdout: string): DeploymentInfo | undefined {
  if (!stdout.trim()) return undefined;
  const d = JSON.parse(stdout) as {
    metadata?: { name?: string };
    spec?: { replicas?: number };
    status?: { readyReplicas?: number; updatedReplicas?: number };
  };
  return {
    name: d.metadata?.name ?? '',
    // The API server defaults spec.replicas to 1 when a manifest leaves it out.
    desired: d.spec?.replicas ?? 1,
    ready: d.status?.readyReplicas ?? 0,
    updated: d.status?.updatedReplicas ?? 0,
  };
}

export interface ContainerInfo {
  name: string;
  ready: boolean;
  restartCount: number;
  waiting?: { reason: string; message?: string };
  /** When the running container started (state.running.startedAt). */
  runningSince?: string;
  /** The container ran and ended (state.terminated). */
  terminated?: { reason: string; exitCode?: number; message?: string };
  lastTerminated?: { reason: string; exitCode?: number };
  memoryLimit?: string;
}

export interface PodInfo {
  name: string;
  /** A StatefulSet's replacement pod has the old one's name: the uid tells them apart. */
  uid?: string;
  phase: string;
  ready: boolean;
  containers: ContainerInfo[];
  /** Why the scheduler could not place it (PodScheduled=False). */
  unschedulable?: string;
  /** Deleted, and shutting down (`kubectl get pods` shows Terminating). */
  terminating?: boolean;
}

/** Why the pod's first waiting container waits (CrashLoopBackOff, ImagePullBackOff, …), if one does. */
export const waitingReason = (pod: PodInfo): string | undefined => pod.containers.find((c) => c.waiting)?.waiting?.reason;

/** The restarts of all the pod's containers. */
export const podRestarts = (pod: PodInfo): number => pod.containers.reduce((n, c) => n + c.restartCount, 0);

interface RawPod {
  metadata?: { name?: string; uid?: string; deletionTimestamp?: string };
  spec?: { containers?: Array<{ name?: string; resources?: { limits?: { memory?: string } } }> };
  status?: {
    phase?: string;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
    containerStatuses?: Array<{
      name?: string;
      ready?: boolean;
      restartCount?: number;
      state?: { waiting?: { reason?: string; message?: string }; running?: { startedAt?: string }; terminated?: { reason?: string; exitCode?: number; message?: string } };
      lastState?: { terminated?: { reason?: string; exitCode?: number; message?: string } };
    }>;
  };
}

export function parsePods(stdout: string): PodInfo[] {
  const list = JSON.parse(stdout) as { items?: RawPod[] };
  return (list.items ?? []).map((pod) => {
    const limits = new Map((pod.spec?.containers ?? []).map((c) => [c.name, c.resources?.limits?.memory]));
    const conditions = pod.status?.conditions ?? [];
    const scheduled = conditions.find((c) => c.type === 'PodScheduled');
    const containers = (pod.status?.containerStatuses ?? []).map((c): ContainerInfo => ({
      name: c.name ?? '',
      ready: c.ready === true,
      restartCount: c.restartCount ?? 0,
      ...(c.state?.waiting?.reason && { waiting: { reason: c.state.waiting.reason, message: c.state.waiting.message } }),
      ...(c.state?.running?.startedAt && { runningSince: c.state.running.startedAt }),
      ...(c.state?.terminated && { terminated: { reason: c.state.terminated.reason ?? 'Terminated', exitCode: c.state.terminated.exitCode, message: c.state.terminated.message } }),
      ...(c.lastState?.terminated?.reason && { lastTerminated: { reason: c.lastState.terminated.reason, exitCode: c.lastState.terminated.exitCode } }),
      ...(limits.get(c.name) && { memoryLimit: limits.get(c.name) }),
    }));
    return {
      name: pod.metadata?.name ?? '',
      ...(pod.metadata?.uid && { uid: pod.metadata.uid }),
      phase: pod.status?.phase ?? 'Unknown',
      ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
      containers,
      ...(scheduled?.status === 'False' && { unschedulable: scheduled.message ?? scheduled.reason ?? 'unschedulable' }),
      ...(pod.metadata?.deletionTimestamp && { terminating: true }),
    };
  });
}

export const getNodesArgs = ['get', 'nodes', '--output', 'json'];

/** The nodes' platforms (`linux/amd64`), each once, from status.nodeInfo. */
export function parseNodePlatforms(stdout: string): string[] {
  const list = JSON.parse(stdout) as { items?: Array<{ status?: { nodeInfo?: { operatingSystem?: string; architecture?: string } } }> };
  const platforms = (list.items ?? []).map((n) => n.status?.nodeInfo).filter((i) => i?.operatingSystem && i.architecture).map((i) => `${i!.operatingSystem}/${i!.architecture}`);
  return [...new Set(platforms)];
}

// KEP-1755: a cluster with a local registry says where it is in kube-public/local-registry-hosting.
export const localRegistryArgs = ['get', 'configmap', 'local-registry-hosting', '--ignore-not-found', '--output', 'json'];

export interface LocalRegistry {
  /** Where the user's machine pushes. */
  host: string;
  /** Where the cluster's container runtime pulls from: the pods' image references. */
  hostFromContainerRuntime: string;
}

/** The ConfigMap's `localRegistryHosting.v1` (YAML); undefined when there is none or it names no host. */
export function parseLocalRegistry(stdout: string, parseYaml: (text: string) => unknown): LocalRegistry | undefined {
  if (!stdout.trim()) return undefined;
  const text = (JSON.parse(stdout) as { data?: Record<string, string> }).data?.['localRegistryHosting.v1'];
  const v1 = text ? (parseYaml(text) as { host?: unknown; hostFromContainerRuntime?: unknown } | null) : undefined;
  if (typeof v1?.host !== 'string' || !v1.host) return undefined;
  return { host: v1.host, hostFromContainerRuntime: typeof v1.hostFromContainerRuntime === 'string' && v1.hostFromContainerRuntime ? v1.hostFromContainerRuntime : v1.host };
}

/** A port-forward to a Service, on the loopback interface only. */
export const portForwardArgs = (service: string, localPort: number, port: number) => ['port-forward', `service/${service}`, `${localPort}:${port}`, '--address', '127.0.0.1'];

export const getIngressClassesArgs = ['get', 'ingressclass', '--output', 'json'];

export interface IngressClass {
  name: string;
  /** Annotated ingressclass.kubernetes.io/is-default-class: "true". */
  isDefault: boolean;
}

export function parseIngressClasses(stdout: string): IngressClass[] {
  const list = JSON.parse(stdout) as { items?: Array<{ metadata?: { name?: string; annotations?: Record<string, string> } }> };
  return (list.items ?? []).map((c) => ({ name: c.metadata?.name ?? '', isDefault: c.metadata?.annotations?.['ingressclass.kubernetes.io/is-default-class'] === 'true' }));
}
