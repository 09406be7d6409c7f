import { parseVersion, type Version } from './version.js';

export const minikubeVersionArgs = ['version', '-o', 'json'];

export function parseMinikubeVersion(stdout: string): Version | undefined {
  try {
    return parseVersion((JSON.parse(stdout) as { minikubeVersion?: string }).minikubeVersion);
  } catch {
    return parseVersion(stdout);
  }
}

export const minikubeStatusArgs = (profile: string) => ['status', '-p', profile, '-o', 'json'];

export type ClusterState = 'running' | 'stopped' | 'degraded' | 'absent';

export interface MinikubeStatus {
  state: ClusterState;
  host?: string;
  apiServer?: string;
  kubelet?: string;
}

// minikube's status exit code is a bitmask (1 host, 2 apiserver/kubelet, 4 kubeconfig not
// ready), and 85 when the profile does not exist — then stdout is not a status at all.
const PROFILE_NOT_FOUND = 85;

export function parseMinikubeStatus(stdout: string, exitCode: number): MinikubeStatus {
  if (exitCode === PROFILE_NOT_FOUND) return { state: 'absent' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return { state: exitCode === 0 ? 'degraded' : 'stopped' };
  }
  // Multi-node clusters print an array; the control plane comes first.
  const node = (Array.isArray(parsed) ? parsed[0] : parsed) as { Host?: string; APIServer?: string; Kubelet?: string } | undefined;
  const status = { host: node?.Host, apiServer: node?.APIServer, kubelet: node?.Kubelet };
  if (status.host !== 'Running') return { state: status.host === 'Nonexistent' ? 'absent' : 'stopped', ...status };
  const healthy = status.apiServer === 'Running' && status.kubelet === 'Running';
  return { state: healthy ? 'running' : 'degraded', ...status };
}

export interface StartOptions {
  profile: string;
  driver: string;
  containerRuntime: string;
  cpus: number;
  memory: string;
  kubernetesVersion: string;
  /** NodePorts to publish on the host's localhost (docker and podman drivers only). */
  ports: number[];
}

// Drivers that run the node as a container: its IP is not reachable from macOS or Windows
// hosts, so NodePorts are published to localhost at creation with --ports.
export const containerDrivers = ['docker', 'podman'];

export function minikubeStartArgs(o: StartOptions): string[] {
  return [
    'start',
    '-p', o.profile,
    '--driver', o.driver,
    // Always explicit: minikube announced that its default runtime will change to containerd.
    '--container-runtime', o.containerRuntime,
    '--cpus', String(o.cpus),
    '--memory', o.memory,
    '--kubernetes-version', o.kubernetesVersion,
    ...(containerDrivers.includes(o.driver) ? o.ports.map((port) => `--ports=127.0.0.1:${port}:${port}`) : []),
  ];
}

export const dockerEnvArgs = (profile: string) => ['docker-env', '-p', profile, '--shell', 'none', '-o', 'json'];

const dockerEnvKeys = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'MINIKUBE_ACTIVE_DOCKERD', 'SSH_AUTH_SOCK', 'SSH_AGENT_PID'];

/** `docker-env --shell none` as JSON (`-o json`) or KEY=VALUE lines; empty values are dropped. */
export function parseDockerEnv(stdout: string): Record<string, string> {
  let pairs: Array<[string, unknown]>;
  try {
    pairs = Object.entries(JSON.parse(stdout) as Record<string, unknown>);
  } catch {
    pairs = stdout.split('\n').map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at).trim(), line.slice(at + 1).trim()];
    });
  }
  const env: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (dockerEnvKeys.includes(key) && typeof value === 'string' && value !== '') env[key] = value;
  }
  if (!env.DOCKER_HOST) throw new Error('minikube docker-env printed no DOCKER_HOST');
  return env;
}

export const minikubeStopArgs = (profile: string) => ['stop', '-p', profile];

/** Deletes the profile's VM or container and everything in it: its cluster, images and kube-context. */
export const minikubeDeleteArgs = (profile: string) => ['delete', '-p', profile];

export const minikubeIpArgs = (profile: string) => ['ip', '-p', profile];

export const profileListArgs = ['profile', 'list', '-o', 'json'];

/** The NodePorts a profile publishes on the host (`--ports` at creation), from `profile list -o json`. */
export function parsePublishedPorts(stdout: string, profile: string): number[] {
  try {
    const list = JSON.parse(stdout) as { valid?: Array<{ Name?: string; Config?: { ExposedPorts?: string[] | null } }> };
    const ports = list.valid?.find((p) => p.Name === profile)?.Config?.ExposedPorts ?? [];
    return ports.map((spec) => Number(spec.split(':').at(-1)?.split('/')[0])).filter((port) => Number.isInteger(port));
  } catch {
    return [];
  }
}

/** The container runtime a profile was created with, from `profile list -o json` (undefined when not listed). */
export function parseProfileRuntime(stdout: string, profile: string): string | undefined {
  try {
    const list = JSON.parse(stdout) as { valid?: Array<{ Name?: string; Config?: { KubernetesConfig?: { ContainerRuntime?: string } } }> };
    return list.valid?.find((p) => p.Name === profile)?.Config?.KubernetesConfig?.ContainerRuntime || undefined;
  } catch {
    return undefined;
  }
}

/** `dockerfile` is a path inside `context`: minikube sends the context folder to the node and looks for it there. */
export function minikubeImageBuildArgs(o: { profile: string; ref: string; dockerfile: string; context: string; buildArgs: Record<string, string> }): string[] {
  return [
    'image', 'build', '-p', o.profile, '-t', o.ref, '-f', o.dockerfile,
    ...Object.entries(o.buildArgs).map(([key, value]) => `--build-opt=build-arg=${key}=${value}`),
    o.context,
  ];
}

export const minikubeImageListArgs = (profile: string) => ['image', 'ls', '-p', profile, '--format', 'short'];

/** The reason code of minikube's "Exiting due to RSRC_INSUFFICIENT_CORES: …" line, if it printed one. */
export function parseExitReason(stderr: string): string | undefined {
  return /Exiting due to ([A-Z][A-Z0-9_]+)/.exec(stderr)?.[1];
}
