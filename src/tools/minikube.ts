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
