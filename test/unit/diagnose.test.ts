import { describe, expect, it } from 'vitest';
import { diagnosePods } from '../../src/diagnose/pods.js';
import type { ContainerInfo, PodInfo } from '../../src/tools/kubectl.js';

const pod = (container: Partial<ContainerInfo>, extra: Partial<PodInfo> = {}): PodInfo => ({
  name: 'backend-abc',
  phase: 'Running',
  ready: false,
  containers: [{ name: 'backend', ready: false, restartCount: 0, ...container }],
  ...extra,
});

describe('diagnosePods', () => {
  it.each([
    ['CrashLoopBackOff', pod({ waiting: { reason: 'CrashLoopBackOff' }, restartCount: 5 }), 'CrashLoopBackOff', /keeps crashing \(restarted 5 times\)/, /DATABASE_URL/, true],
    ['ErrImageNeverPull', pod({ waiting: { reason: 'ErrImageNeverPull', message: 'Container image "todo-backend:abc" is not present with pull policy of Never' } }), 'ErrImageNeverPull', /cannot get its image: Container image "todo-backend:abc"/, /minikube docker-env/, false],
    ['ImagePullBackOff', pod({ waiting: { reason: 'ImagePullBackOff' } }), 'ImagePullBackOff', /cannot get its image/, /IfNotPresent/, false],
    ['a missing secret key', pod({ waiting: { reason: 'CreateContainerConfigError', message: "couldn't find key auth-url in Secret todo/backend-secrets" } }), 'CreateContainerConfigError', /auth-url in Secret todo\/backend-secrets/, /recreates frontend-secrets and backend-secrets/, false],
    ['a named image user', pod({ waiting: { reason: 'CreateContainerConfigError', message: 'container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root' } }), 'CreateContainerConfigError', /non-numeric user/, /numeric USER/, false],
    ['OOMKilled', pod({ lastTerminated: { reason: 'OOMKilled', exitCode: 137 }, waiting: { reason: 'CrashLoopBackOff' }, memoryLimit: '1Gi' }), 'OOMKilled', /more memory than its limit \(1Gi\), exit code 137/, /limits.memory/, false],
    ['an unschedulable pod', pod({}, { phase: 'Pending', containers: [], unschedulable: '0/1 nodes are available: 1 Insufficient cpu.' }), 'Unschedulable', /Insufficient cpu/, /minikube.cpus/, false],
    ['a failing readiness probe', pod({ restartCount: 2 }), 'NotReady', /running but not ready/, /\/api\/health/, true],
  ])('%s', (_, input, reason, summary, hint, wantsLogs) => {
    const [diagnosis, ...rest] = diagnosePods([input]);
    expect(rest).toEqual([]);
    expect(diagnosis).toMatchObject({ pod: 'backend-abc', reason, wantsLogs });
    expect(diagnosis!.summary).toMatch(summary);
    expect(diagnosis!.hint).toMatch(hint);
  });

  it('finds nothing wrong with ready pods or pods still starting', () => {
    expect(diagnosePods([pod({ ready: true }, { ready: true }), pod({ waiting: { reason: 'ContainerCreating' } }, { phase: 'Pending' })])).toEqual([]);
  });
});
