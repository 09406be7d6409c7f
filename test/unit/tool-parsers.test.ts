import { describe, expect, it } from 'vitest';
import { familiarRef, imageInspectArgs, parseDockerVersion, parseImageTags } from '../../src/tools/docker.js';
import { parseHelmVersion } from '../../src/tools/helm.js';
import { getObjectsArgs, parseContexts, parseKubectlVersion, parseObjects } from '../../src/tools/kubectl.js';
import { parseMinikubeStatus, parseMinikubeVersion } from '../../src/tools/minikube.js';
import { atLeast, parseVersion } from '../../src/tools/version.js';

describe('version parsing', () => {
  it.each([
    ['v3.17.2', '3.17.2'],
    ['v4.1.4+g1b6053d', '4.1.4'],
    ['28.2.2', '28.2.2'],
    ['v1.34.5+k3s1', '1.34.5'],
    ['Docker version 20.10', '20.10.0'],
    ['', undefined],
    ['garbage', undefined],
  ])('%j → %s', (text, expected) => expect(parseVersion(text)?.text).toBe(expected));

  it.each([
    ['3.12.0', '3.12.0', true],
    ['3.11.9', '3.12.0', false],
    ['4.0.0', '3.12.0', true],
    ['3.9.0', '3.12.0', false],
    ['1.34.5', '1.28.0', true],
  ])('%s at least %s: %s', (version, minimum, expected) => expect(atLeast(parseVersion(version)!, minimum)).toBe(expected));

  it('reads helm, kubectl and minikube version outputs', () => {
    expect(parseHelmVersion('v3.17.2')?.major).toBe(3);
    expect(parseKubectlVersion('{"clientVersion":{"major":"1","minor":"34","gitVersion":"v1.34.5"},"kustomizeVersion":"v5.7.1"}')?.text).toBe('1.34.5');
    expect(parseKubectlVersion('not json')).toBeUndefined();
    expect(parseMinikubeVersion('{"commit":"abc","minikubeVersion":"v1.38.1"}')?.text).toBe('1.38.1');
    expect(parseMinikubeVersion('minikube version: v1.33.0\ncommit: x')?.text).toBe('1.33.0');
  });
});

describe('parseDockerVersion', () => {
  it('reads client and server', () => {
    const parsed = parseDockerVersion('{"Client":{"Version":"28.2.2","ApiVersion":"1.50"},"Server":{"Version":"28.1.1"}}');
    expect([parsed.client?.text, parsed.server?.text]).toEqual(['28.2.2', '28.1.1']);
  });

  it('reads a client whose daemon is down (Server null)', () => {
    const parsed = parseDockerVersion('{"Client":{"Version":"28.2.2"},"Server":null}');
    expect(parsed.client?.text).toBe('28.2.2');
    expect(parsed.server).toBeUndefined();
  });

  it('survives output that is not JSON', () => {
    expect(parseDockerVersion('')).toEqual({ client: undefined, server: undefined });
  });
});

describe('parseMinikubeStatus', () => {
  const node = (host: string, api: string, kubelet = api) => JSON.stringify({ Name: 'minikube', Host: host, Kubelet: kubelet, APIServer: api, Kubeconfig: 'Configured', Worker: false });
  it.each([
    ['running', node('Running', 'Running'), 0, 'running'],
    ['stopped', node('Stopped', 'Stopped'), 7, 'stopped'],
    ['apiserver down', node('Running', 'Stopped'), 2, 'degraded'],
    ['paused', node('Running', 'Paused', 'Stopped'), 2, 'degraded'],
    ['multi-node (array)', `[${node('Running', 'Running')},${node('Running', 'Irrelevant')}]`, 0, 'running'],
    ['missing profile (exit 85)', '{"specversion":"1.0","type":"io.k8s.sigs.minikube.error"}', 85, 'absent'],
    ['nonexistent host', node('Nonexistent', 'Nonexistent'), 7, 'absent'],
  ])('%s', (_, stdout, exitCode, state) => expect(parseMinikubeStatus(stdout, exitCode).state).toBe(state));
});

describe('parseContexts', () => {
  it('lists one context per line', () => expect(parseContexts('minikube\nprod-eu\n\n')).toEqual(['minikube', 'prod-eu']));
});

describe('one read for several things', () => {
  it('asks docker for both images at once and reads which exist from their tags', () => {
    expect(imageInspectArgs(['todo-frontend:abc', 'todo-backend:def'])).toEqual(['image', 'inspect', '--format', '{{json .RepoTags}}', 'todo-frontend:abc', 'todo-backend:def']);
    // One line per image found (a missing one is only on stderr); Docker Hub's prefix is dropped.
    expect(parseImageTags('["todo-frontend:abc","todo-frontend:latest"]\n["docker.io/library/todo-backend:def"]\n')).toEqual(['todo-frontend:abc', 'todo-frontend:latest', 'todo-backend:def']);
    expect(parseImageTags('')).toEqual([]);
    expect(parseImageTags('null\n')).toEqual([]);
  });

  it.each([
    ['todo-frontend:abc', 'todo-frontend:abc'],
    ['docker.io/alice/todo-frontend:abc', 'alice/todo-frontend:abc'],
    ['docker.io/library/todo-backend:abc', 'todo-backend:abc'],
    ['index.docker.io/library/todo-backend:abc', 'todo-backend:abc'],
    ['library/todo-backend:abc', 'todo-backend:abc'],
    ['library/team/todo-backend:abc', 'library/team/todo-backend:abc'],
    ['registry:5000/team/todo-frontend:abc', 'registry:5000/team/todo-frontend:abc'],
    ['ghcr.io/alice/todo-frontend:abc', 'ghcr.io/alice/todo-frontend:abc'],
  ])('compares %s to what Docker lists as %s', (ref, familiar) => {
    expect(familiarRef(ref)).toBe(familiar);
  });

  it('asks kubectl for objects of several kinds at once; none found is an empty answer', () => {
    expect(getObjectsArgs(['namespace/todo', 'secret/a'])).toEqual(['get', 'namespace/todo', 'secret/a', '--ignore-not-found', '--output', 'json']);
    const list = { kind: 'List', items: [{ kind: 'Namespace', metadata: { name: 'todo' } }, { kind: 'Secret', metadata: { name: 'a' }, data: { k: 'dg==' } }] };
    expect(parseObjects(JSON.stringify(list))).toEqual(list.items);
    expect(parseObjects(JSON.stringify(list.items[1]))).toEqual([list.items[1]]);
    expect(parseObjects(JSON.stringify({ kind: 'List', items: [] }))).toEqual([]);
    expect(parseObjects('')).toEqual([]);
  });
});
