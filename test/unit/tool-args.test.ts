import { describe, expect, it } from 'vitest';
import { dockerBuildArgs } from '../../src/tools/docker.js';
import { helmRollbackArgs, helmStatusArgs, helmUninstallArgs, helmUpgradeArgs, parseHelmList, parseHelmStatus } from '../../src/tools/helm.js';
import { readRecording, recordingPath } from '../contract/helm.js';
import { applyArgs, kubectlArgs, parsePods } from '../../src/tools/kubectl.js';
import { minikubeStartArgs, parseDockerEnv, parsePublishedPorts } from '../../src/tools/minikube.js';

const ref = { release: 'backend', namespace: 'todo', kubeContext: 'minikube' };

describe('helmUpgradeArgs', () => {
  it.each([
    [3, '--atomic'],
    [4, '--rollback-on-failure'],
  ] as const)('Helm %d: rollback-on-failure flag %s', (helmMajor, flag) => {
    const args = helmUpgradeArgs({ ...ref, chart: '/pkg/charts/backend', helmMajor, timeoutMs: 300_000, valuesFiles: [] });
    expect(args).toEqual([
      'upgrade', '--install', 'backend', '/pkg/charts/backend',
      '--namespace', 'todo', '--kube-context', 'minikube',
      '--wait', '--timeout', '300s', flag,
      '--values', '-', '--output', 'json',
    ]);
  });

  it("applies the user's values files after the tool's stdin values", () => {
    const args = helmUpgradeArgs({ ...ref, chart: 'c', helmMajor: 4, timeoutMs: 90_500, valuesFiles: ['/app/a.yaml', '/app/b.yaml'] });
    expect(args.join(' ')).toContain('--timeout 91s --rollback-on-failure --values - --values /app/a.yaml --values /app/b.yaml');
    expect(args).not.toContain('--set');
  });
});

describe('other helm commands name the release, namespace and context', () => {
  it.each([
    [helmStatusArgs(ref), ['status', 'backend', '--namespace', 'todo', '--kube-context', 'minikube', '--output', 'json']],
    [helmRollbackArgs({ ...ref, timeoutMs: 60_000 }), ['rollback', 'backend', '--namespace', 'todo', '--kube-context', 'minikube', '--wait', '--timeout', '60s']],
    [helmRollbackArgs({ ...ref, revision: 3, timeoutMs: 60_000 }), ['rollback', 'backend', '3', '--namespace', 'todo', '--kube-context', 'minikube', '--wait', '--timeout', '60s']],
    [helmUninstallArgs({ ...ref, timeoutMs: 60_000 }), ['uninstall', 'backend', '--namespace', 'todo', '--kube-context', 'minikube', '--wait', '--timeout', '60s']],
  ])('%j', (args, expected) => expect(args).toEqual(expected));
});

describe('what the product reads of a release, from real helm 3 and 4 (test/contract/recorded)', () => {
  it.each([3, 4] as const)('helm %i: status gives state, revision and values, and no chart; list gives the chart', (major) => {
    const status = readRecording(recordingPath(major, 'status-pending-upgrade'));
    expect(JSON.parse(status.stdout)).not.toHaveProperty('chart');
    expect(parseHelmStatus(status.stdout)).toEqual({ status: 'pending-upgrade', revision: 2, config: { replicaCount: 2 }, lastDeployed: '2026-11-30T10:00:00Z' });
    const list = readRecording(recordingPath(major, 'list'));
    expect(parseHelmList(list.stdout)).toEqual([
      { name: 'backend', revision: 2, status: 'deployed', chart: 'backend-0.1.0' },
      { name: 'frontend', revision: 2, status: 'pending-upgrade', chart: 'frontend-0.2.0' },
    ]);
  });
});

describe('minikubeStartArgs', () => {
  const base = { profile: 'dev', containerRuntime: 'containerd', cpus: 4, memory: '6g', kubernetesVersion: 'v1.33.1', ports: [30000, 30001] };
  it('publishes the NodePorts on localhost with a container driver', () => {
    expect(minikubeStartArgs({ ...base, driver: 'docker' })).toEqual([
      'start', '-p', 'dev', '--driver', 'docker', '--container-runtime', 'containerd', '--cpus', '4', '--memory', '6g',
      '--kubernetes-version', 'v1.33.1', '--ports=127.0.0.1:30000:30000', '--ports=127.0.0.1:30001:30001',
    ]);
  });
  it('publishes nothing with a VM driver (its node IP is reachable)', () => {
    expect(minikubeStartArgs({ ...base, driver: 'kvm2' }).some((a) => a.startsWith('--ports'))).toBe(false);
  });
});

describe('parseDockerEnv', () => {
  const json = '{"DOCKER_TLS_VERIFY":"1","DOCKER_HOST":"tcp://192.168.49.2:2376","DOCKER_CERT_PATH":"/home/u/.minikube/certs","MINIKUBE_ACTIVE_DOCKERD":"minikube","SSH_AUTH_SOCK":"","SSH_AGENT_PID":""}';
  it('reads the JSON form and drops empty values', () => {
    expect(parseDockerEnv(json)).toEqual({ DOCKER_TLS_VERIFY: '1', DOCKER_HOST: 'tcp://192.168.49.2:2376', DOCKER_CERT_PATH: '/home/u/.minikube/certs', MINIKUBE_ACTIVE_DOCKERD: 'minikube' });
  });
  it('reads KEY=VALUE lines and ignores anything else', () => {
    expect(parseDockerEnv('DOCKER_HOST=ssh://docker@127.0.0.1:32772\nPATH=/evil\n# comment')).toEqual({ DOCKER_HOST: 'ssh://docker@127.0.0.1:32772' });
  });
  it('refuses output without DOCKER_HOST', () => {
    expect(() => parseDockerEnv('{}')).toThrow(/DOCKER_HOST/);
  });
});

describe('parsePublishedPorts', () => {
  it('reads the ports published at creation', () => {
    const json = JSON.stringify({ valid: [{ Name: 'other', Config: { ExposedPorts: ['1:1'] } }, { Name: 'minikube', Config: { ExposedPorts: ['127.0.0.1:30000:30000', '30001:30001/tcp'] } }], invalid: [] });
    expect(parsePublishedPorts(json, 'minikube')).toEqual([30000, 30001]);
    expect(parsePublishedPorts(json, 'absent')).toEqual([]);
    expect(parsePublishedPorts('nonsense', 'minikube')).toEqual([]);
  });
});

describe('kubectl and docker builders', () => {
  it('puts the context first on every kubectl call', () => {
    expect(kubectlArgs('minikube', 'todo', ...applyArgs)).toEqual(['--context', 'minikube', '--namespace', 'todo', 'apply', '--server-side', '--field-manager=todo-deploy', '--force-conflicts', '--filename', '-']);
    expect(kubectlArgs('minikube', undefined, 'get', 'namespace', 'todo')).toEqual(['--context', 'minikube', 'get', 'namespace', 'todo']);
  });
  it('passes build arguments and labels, then the context', () => {
    expect(dockerBuildArgs({ ref: 'todo-frontend:abc', dockerfile: '/pkg/Dockerfiles/frontend.Dockerfile', context: '/app/frontend', buildArgs: { NEXT_PUBLIC_BACKEND_URL: 'http://localhost:30001' }, labels: { a: 'b' } })).toEqual([
      'build', '--tag', 'todo-frontend:abc', '--file', '/pkg/Dockerfiles/frontend.Dockerfile', '--build-arg', 'NEXT_PUBLIC_BACKEND_URL=http://localhost:30001', '--label', 'a=b', '/app/frontend',
    ]);
  });
});

describe('parsePods', () => {
  it('reads phase, readiness, container states, limits and scheduling', () => {
    const pods = parsePods(JSON.stringify({
      items: [
        {
          metadata: { name: 'backend-7d9-abc' },
          spec: { containers: [{ name: 'backend', resources: { limits: { memory: '1Gi' } } }] },
          status: {
            phase: 'Running',
            conditions: [{ type: 'Ready', status: 'False' }],
            containerStatuses: [{ name: 'backend', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }],
          },
        },
        { metadata: { name: 'frontend-1' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.' }] } },
      ],
    }));
    expect(pods).toEqual([
      { name: 'backend-7d9-abc', phase: 'Running', ready: false, containers: [{ name: 'backend', ready: false, restartCount: 4, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' }, lastTerminated: { reason: 'OOMKilled', exitCode: 137 }, memoryLimit: '1Gi' }] },
      { name: 'frontend-1', phase: 'Pending', ready: false, containers: [], unschedulable: '0/1 nodes are available: 1 Insufficient memory.' },
    ]);
  });
});
