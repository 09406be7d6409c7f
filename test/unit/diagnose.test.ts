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

  it('a container running past NOT_READY_AFTER_MS without getting ready: NotReady, with its current logs', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const since = (seconds: number) => new Date(now - seconds * 1000).toISOString();
    const [diagnosis, ...rest] = diagnosePods([pod({ runningSince: since(25) })], '/api/health', now);
    expect(rest).toEqual([]);
    // Reported, but it may still get ready within its startup budget: verify does not give up on it early.
    expect(diagnosis).toMatchObject({ reason: 'NotReady', wantsLogs: true, mayRecover: true, summary: 'has been running for 25 s and is not ready' });
    expect(diagnosis!.previousLogs).toBeFalsy();
    expect(diagnosis!.hint).toMatch(/DATABASE_URL/);
    // A container still within its start-up is left alone, and so is a ready one.
    expect(diagnosePods([pod({ runningSince: since(5) }), pod({ ready: true, runningSince: since(60) }, { ready: true })], '/api/health', now)).toEqual([]);
    // After a restart: the previous container's logs, which say why it was killed.
    expect(diagnosePods([pod({ restartCount: 1, runningSince: since(60) })], '/api/health', now)[0]).toMatchObject({ summary: 'is running but not ready (restarted 1 times)', previousLogs: true });
  });

  it('finds nothing wrong with ready pods or pods still starting', () => {
    expect(diagnosePods([pod({ ready: true }, { ready: true }), pod({ waiting: { reason: 'ContainerCreating' } }, { phase: 'Pending' })])).toEqual([]);
  });
});
