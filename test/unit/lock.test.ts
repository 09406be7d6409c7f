import { describe, expect, it } from 'vitest';
import { isStale, lockFiles, parseRunRecord, pendingOrigin, type EndedRun } from '../../src/deployment/lock.js';

const at = (iso: string) => Date.parse(iso);
const run = (outcome: EndedRun['outcome']): EndedRun => ({
  pid: 10,
  host: 'laptop',
  command: 'up',
  appDir: '/app',
  startedAt: '2026-12-01T10:00:00.000Z',
  endedAt: '2026-12-01T10:03:00.000Z',
  outcome,
});
const ELEVEN_MINUTES = 11 * 60_000;

describe('pendingOrigin: who left a release pending-*', () => {
  it.each([
    ['marked while the interrupted run before this one held the lock', '2026-12-01T10:01:00.123456789Z', run('interrupted'), '2026-12-01T10:03:05Z', 'previous-run'],
    ['marked while a run that died held the lock', '2026-12-01T10:01:00Z', run('died'), '2026-12-01T10:03:05Z', 'previous-run'],
    ['marked while a failed run held it (stopped mid-upgrade by another failure)', '2026-12-01T10:01:00+00:00', run('failed'), '2026-12-01T10:03:05Z', 'previous-run'],
    ['marked during a run that succeeded: someone else', '2026-12-01T10:01:00Z', run('ok'), '2026-12-01T10:03:05Z', 'live'],
    ['marked after the run before this one ended: someone else', '2026-12-01T10:03:01Z', run('interrupted'), '2026-12-01T10:03:05Z', 'live'],
    ['marked before the run before this one started, and recent', '2026-12-01T09:59:00Z', run('interrupted'), '2026-12-01T10:03:05Z', 'live'],
    ['no run before this one, recent', '2026-12-01T10:01:00Z', undefined, '2026-12-01T10:03:05Z', 'live'],
    ['no run before this one, pending longer than a run keeps it', '2026-12-01T09:50:00Z', undefined, '2026-12-01T10:03:05Z', 'abandoned'],
    ['no time known', undefined, undefined, '2026-12-01T10:03:05Z', 'abandoned'],
  ] as const)('%s → %s', (_, lastDeployed, previous, now, expected) => {
    expect(pendingOrigin(lastDeployed, previous, at(now), ELEVEN_MINUTES)).toBe(expected);
  });
});

describe('lock files', () => {
  it('are named after the target, one per profile and namespace, and no two targets share one', () => {
    expect(lockFiles('/s', { profile: 'minikube', namespace: 'todo' })).toEqual({ lock: '/s/locks/minikube@todo.lock', last: '/s/locks/minikube@todo.last.json' });
    const names = [
      ['a@b', 'c'],
      ['a', 'b@c'],
      ['a-', '-b'],
      ['a', '-b'],
    ].map(([profile, namespace]) => lockFiles('/s', { profile: profile!, namespace: namespace! }).lock);
    expect(new Set(names).size).toBe(names.length);
  });

  it('a holder is stale only on this machine, with its process gone or started before the machine booted', () => {
    const holder = run('ok'); // started 10:00
    const bootedAt = at('2026-12-01T08:00:00Z');
    expect(isStale(holder, 'laptop', () => false, bootedAt)).toBe(true);
    expect(isStale(holder, 'laptop', () => true, bootedAt)).toBe(false);
    expect(isStale(holder, 'build-agent', () => false, bootedAt)).toBe(false);
    // Its pid taken by another process after a restart at 11:00.
    expect(isStale(holder, 'laptop', () => true, at('2026-12-01T11:00:00Z'))).toBe(true);
    expect(isStale(holder, 'build-agent', () => true, at('2026-12-01T11:00:00Z'))).toBe(false);
  });

  it.each(['', '{', '{"pid":"1"}', 'null', '[]'])('a lock file holding %j is no holder', (text) => {
    expect(parseRunRecord(text)).toBeUndefined();
  });
});

describe('the lock of the cluster target', () => {
  it('is the same as the Minikube target\'s on the same cluster and namespace, and another for another namespace', () => {
    const minikube = lockFiles('/state', { profile: 'minikube', namespace: 'todo' });
    expect(lockFiles('/state', { profile: 'other', namespace: 'todo', context: 'minikube' })).toEqual(minikube);
    expect(lockFiles('/state', { profile: 'minikube', namespace: 'todo', context: 'prod-eu' })).not.toEqual(minikube);
    expect(lockFiles('/state', { profile: 'minikube', namespace: 'shop', context: 'minikube' })).not.toEqual(minikube);
  });
});
