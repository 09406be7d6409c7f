// The kubectl calls the product makes, on the exec seam. Every one names its kube-context
// (and namespace) explicitly.
import { ToolError } from '../errors.js';
import { parse as parseYaml } from 'yaml';
import { tail, type Exec } from '../tools/exec.js';
import {
  applyArgs,
  deletePodsArgs,
  deleteSecretsArgs,
  getContextsArgs,
  getDeploymentArgs,
  getObjectsArgs,
  getPodsArgs,
  getSecretNamesArgs,
  kubectlArgs,
  logsArgs,
  parseContexts,
  parseDeployment,
  parseNames,
  parseObjects,
  parsePods,
  podLogsArgs,
  getNodesArgs,
  getIngressClassesArgs,
  parseIngressClasses,
  type IngressClass,
  localRegistryArgs,
  parseLocalRegistry,
  parseNodePlatforms,
  portForwardArgs,
  type LocalRegistry,
  rolloutStatusArgs,
  type DeploymentInfo,
  type KubeObject,
  type PodInfo,
  type PodLogsOptions,
} from '../tools/kubectl.js';

/** Where a call acts: the kube-context always, the namespace when the call is namespaced. */
export interface KubeScope {
  kubeContext: string;
  namespace?: string;
}

export type Kubectl = ReturnType<typeof kubectlAdapter>;

export function kubectlAdapter(exec: Exec) {
  const kubectl = (scope: KubeScope, args: readonly string[], options: Omit<Parameters<Exec>[0], 'tool' | 'args'>) =>
    exec({ tool: 'kubectl', args: kubectlArgs(scope.kubeContext, scope.namespace, ...args), ...options });

  return {
    /** A read-only probe for the prerequisite checks: a failure is an answer. */
    probe: (args: readonly string[], timeoutMs: number) => exec({ tool: 'kubectl', args, allowFailure: true, timeoutMs }),

    /** The context names of the kubeconfig. */
    contexts: async (): Promise<string[]> => parseContexts((await exec({ tool: 'kubectl', args: getContextsArgs, timeoutMs: 15_000 })).stdout),

    /** Server-side apply of a manifest piped on stdin (it may hold Secret data: never in argv, never printed). */
    apply: (scope: KubeScope, manifest: object, label: string) => kubectl(scope, applyArgs, { input: JSON.stringify(manifest), inputLabel: label, mutates: true, timeoutMs: 30_000 }),

    /** The named objects (`kind/name`) that exist, in one read. */
    getObjects: async (scope: KubeScope, objects: readonly string[]): Promise<KubeObject[]> => parseObjects((await kubectl(scope, getObjectsArgs(objects), { timeoutMs: 15_000 })).stdout),

    /** Which of the named Secrets exist. */
    secretNames: async (scope: KubeScope, names: readonly string[]): Promise<string[]> => parseNames((await kubectl(scope, getSecretNamesArgs(names), { timeoutMs: 30_000 })).stdout),

    deleteSecrets: (scope: KubeScope, names: readonly string[]) => kubectl(scope, deleteSecretsArgs(names), { mutates: true, timeoutMs: 60_000 }),

    /** Waits until each claim is gone: its volume (and the data on it) with it, once no pod uses it. */
    deleteClaims: (scope: KubeScope, names: readonly string[]) => kubectl(scope, ['delete', 'persistentvolumeclaim', ...names, '--ignore-not-found'], { mutates: true, timeoutMs: 180_000 }),

    /** Returns once the API server accepted the deletion (`--wait=false`). */
    deletePods: (scope: KubeScope, pods: readonly string[]) => kubectl(scope, deletePodsArgs(pods), { mutates: true, timeoutMs: 30_000 }),

    /** `kubectl rollout status` within the deadline; a ToolError when the rollout does not complete. */
    rolloutStatus: (scope: KubeScope, name: string, deadlineMs: number, kind?: 'deployment' | 'statefulset') => kubectl(scope, rolloutStatusArgs(name, deadlineMs, kind), { timeoutMs: deadlineMs + 30_000 }),

    pods: async (scope: KubeScope, selector: string): Promise<PodInfo[]> => parsePods((await kubectl(scope, getPodsArgs(selector), { timeoutMs: 30_000 })).stdout),

    deployment: async (scope: KubeScope, name: string): Promise<DeploymentInfo | undefined> => parseDeployment((await kubectl(scope, getDeploymentArgs(name), { timeoutMs: 30_000 })).stdout),

    /** A container's last log lines; a failure is an answer (a container that never started has none). */
    containerLogs: (scope: KubeScope, pod: string, container: string, previous: boolean, tail: number) => kubectl(scope, logsArgs(pod, container, previous, tail), { allowFailure: true, timeoutMs: 15_000 }),

    /** A pod's last log lines, of its only container. */
    podLogs: (scope: KubeScope, pod: string, tail: number) => kubectl(scope, ['logs', pod, `--tail=${tail}`], { allowFailure: true, timeoutMs: 30_000 }),

    /** A command in a pod's container, stdin piped (never a value in argv); a failure is an answer. */
    exec: (scope: KubeScope, pod: string, container: string, argv: readonly string[], options: { input?: string; inputLabel?: string; mutates?: boolean } = {}) =>
      kubectl(scope, ['exec', pod, '--container', container, '--stdin', '--', ...argv], { ...options, allowFailure: true, timeoutMs: 30_000 }),

    /** The nodes' platforms; `forbidden` when RBAC does not let the user list nodes. */
    nodePlatforms: async (kubeContext: string): Promise<{ platforms: string[] } | { forbidden: string }> => {
      const result = await kubectl({ kubeContext }, getNodesArgs, { allowFailure: true, timeoutMs: 30_000 });
      if (result.exitCode === 0) return { platforms: parseNodePlatforms(result.stdout) };
      const forbidden = result.stderr.split('\n').find((line) => /forbidden/i.test(line));
      if (forbidden) return { forbidden: forbidden.trim() };
      throw new ToolError('kubectl could not list the nodes.', result.command, result.exitCode, tail(result.stderr), false);
    },

    /** The cluster's IngressClasses, or why they cannot be read (RBAC: they are cluster-scoped). */
    ingressClasses: async (kubeContext: string): Promise<{ classes: IngressClass[] } | { unreadable: string }> => {
      const result = await kubectl({ kubeContext }, getIngressClassesArgs, { allowFailure: true, timeoutMs: 30_000 });
      if (result.exitCode === 0) return { classes: parseIngressClasses(result.stdout) };
      return { unreadable: result.stderr.split('\n').find((line) => line.trim())?.trim() ?? `exit code ${result.exitCode}` };
    },

    /** Deletes objects of ours (`kind/name`) that may or may not exist, without waiting for them to go. */
    deleteObjects: (scope: KubeScope, objects: readonly string[]) => kubectl(scope, ['delete', ...objects, '--ignore-not-found', '--wait=false'], { mutates: true, timeoutMs: 60_000 }),

    /** The local registry the cluster advertises (KEP-1755), if any. */
    localRegistry: async (kubeContext: string): Promise<LocalRegistry | undefined> =>
      parseLocalRegistry((await kubectl({ kubeContext, namespace: 'kube-public' }, localRegistryArgs, { timeoutMs: 30_000 })).stdout, parseYaml),

    /** A port-forward to a Service until `stop` is aborted (or it fails); each stdout line to `onLine`. */
    portForward: (scope: KubeScope, service: string, localPort: number, port: number, stop: AbortSignal, onLine: (line: string) => void) =>
      kubectl(scope, portForwardArgs(service, localPort, port), { allowFailure: true, timeoutMs: 0, stop, onStdoutLine: onLine }),

    /** `todo-deploy logs`: read once, or followed line by line (no timeout) when `onLine` is given. */
    logs: (scope: KubeScope, options: PodLogsOptions, onLine?: (line: string) => void) =>
      kubectl(scope, podLogsArgs(options), { allowFailure: true, ...(onLine ? { timeoutMs: 0, onStdoutLine: onLine } : { timeoutMs: 60_000 }) }),
  };
}
