// The cluster target's recordings (test/contract/recorded/cluster-target, made by
// test/contract/record-cluster-target.ts) checked against this run's real tools: the same calls
// (../cluster-target.ts) with the tier's Docker Engine, registries and node, and for each, what
// the product reads of it must be what was recorded — exit codes, the push's digest line, the
// error texts (registry addresses, repository and digests aside), the image lookups' JSON shape,
// the nodes' platform, KEP-1755's ConfigMap, each probe pod's waiting reason and message, and
// port-forward's lines. A repository of its own (cluster-target/todo-backend), so the product's
// tests can use the registries beside it.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jsonShape } from '../../contract/shape.js';
import { containerState, recordClusterTarget, tag, type TargetRecording } from '../cluster-target.js';
import { refusedRegistryHost } from '../registry.js';

const dir = fileURLToPath(new URL('../../contract/recorded/cluster-target/', import.meta.url));
const recorded = new Map(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => [f.slice(0, -5), JSON.parse(readFileSync(join(dir, f), 'utf8')) as TargetRecording]));
const live = new Map<string, TargetRecording>();

/** Text with what differs between runs and setups replaced: the repository, digests, sizes, hosts' ports kept. */
const norm = (text: string) =>
  text
    .replaceAll('cluster-target/todo-backend', 'todo-backend')
    .replaceAll('cluster-target/todo-frontend', 'todo-frontend')
    .replace(/sha256:(?!0{64})[0-9a-f]{64}/g, 'sha256:<digest>')
    .replace(/size: \d+/g, 'size: <n>')
    .replace(/\bpod [0-9a-f]{64}/g, 'pod <sandbox>')
    .replace(/sandbox \\?"[0-9a-f]{64}\\?"/g, 'sandbox <sandbox>')
    .replace(/^E\d{4} [\d:.]+ +\d+ /gm, 'E<time> <pid> ');

describe('the cluster target: real docker, registry and node against the recordings', () => {
  let work: string;
  beforeAll(async () => {
    const node = inject('node');
    work = mkdtempSync(join(node.dir, 'cluster-target-'));
    await recordClusterTarget(
      {
        dockerHost: node.dockerHost,
        kubeconfig: node.kubeconfig,
        registry: inject('registry'),
        refusedHost: refusedRegistryHost,
        repository: 'cluster-target/todo-backend',
        namespace: 'cluster-target',
        work,
      },
      [{ id: 'docker-20.10', path: '/usr/bin/docker' }],
      (name, r) => live.set(name, r),
    );
  }, 10 * 60_000);
  afterAll(() => work && rmSync(work, { recursive: true, force: true }));

  const pair = (name: string) => {
    const r = recorded.get(name);
    const l = live.get(name);
    expect(r, `${name} is recorded`).toBeDefined();
    expect(l, `${name} was made in this run`).toBeDefined();
    return { r: r!, l: l! };
  };

  it('docker push: the digest line, again, and the refusals', () => {
    for (const name of ['push', 'push-again', 'push-auth']) {
      const { r, l } = pair(`${name}.docker-20.10`);
      expect(l.exitCode).toBe(r.exitCode);
      const last = (s: string) => s.trimEnd().split('\n').at(-1)!;
      expect(last(l.stdout)).toMatch(new RegExp(`^${tag}: digest: sha256:[0-9a-f]{64} size: \\d+$`));
      expect(norm(last(l.stdout))).toBe(norm(last(r.stdout)));
      // Which layers were pushed, and which already there (their order varies).
      const verbs = (s: string) => s.split('\n').map((line) => /^[0-9a-f]{12}: (.*)$/.exec(line)?.[1]).filter(Boolean).sort();
      expect(verbs(l.stdout)).toEqual(verbs(r.stdout));
    }
    for (const name of ['push-unauthorized', 'push-refused']) {
      const { r, l } = pair(`${name}.docker-20.10`);
      expect([l.exitCode, norm(l.stderr)]).toEqual([r.exitCode, norm(r.stderr)]);
    }
  });

  it('docker image inspect before and after the push', () => {
    for (const name of ['inspect-before-push', 'inspect-after-push']) {
      const { r, l } = pair(`${name}.docker-20.10`);
      expect(l.exitCode).toBe(r.exitCode);
      const read = (s: string) => s.trim().split('\n').map((line) => JSON.parse(norm(line)) as unknown);
      expect(read(l.stdout).map(jsonShape)).toEqual(read(r.stdout).map(jsonShape));
      expect(read(l.stdout)).toEqual(read(r.stdout));
      expect(norm(l.stderr)).toBe(norm(r.stderr));
    }
  });

  it('kubectl: the nodes\' platform, Forbidden, KEP-1755\'s ConfigMap absent and present', () => {
    const nodeInfo = (s: string) => (JSON.parse(s) as { items: Array<{ status: { nodeInfo: { operatingSystem: string; architecture: string } } }> }).items.map((n) => `${n.status.nodeInfo.operatingSystem}/${n.status.nodeInfo.architecture}`);
    const nodes = pair('get-nodes');
    expect(nodeInfo(nodes.l.stdout)).toEqual(nodeInfo(nodes.r.stdout));
    const forbidden = pair('get-nodes-forbidden');
    expect([forbidden.l.exitCode, forbidden.l.stderr]).toEqual([forbidden.r.exitCode, forbidden.r.stderr]);
    const absent = pair('registry-hosting-absent');
    expect([absent.l.exitCode, absent.l.stdout]).toEqual([absent.r.exitCode, '']);
    const present = pair('registry-hosting-present');
    const hosting = (s: string) => parse((JSON.parse(s) as { data: Record<string, string> }).data['localRegistryHosting.v1']!) as Record<string, string>;
    expect(hosting(present.l.stdout)).toEqual(hosting(present.r.stdout));
  });

  it('the pull probe: each pod\'s waiting reason and message, or its end', () => {
    const pulls = [...recorded.keys()].filter((n) => n.startsWith('pull-'));
    expect(pulls.length).toBeGreaterThanOrEqual(12);
    for (const name of pulls) {
      const { r, l } = pair(name);
      const state = (s: string) => {
        const st = containerState(s);
        return st?.waiting ? { reason: st.waiting.reason, message: norm(st.waiting.message ?? '') } : { terminated: st?.terminated?.reason, running: Boolean(st?.running) };
      };
      expect(state(l.stdout), name).toEqual(state(r.stdout));
    }
  });

  it('port-forward: its first line, and how it ends when the pod behind the Service is gone', () => {
    const { r, l } = pair('port-forward');
    expect(l.stdout.split('\n')[0]).toBe(r.stdout.split('\n')[0]);
    expect(l.exitCode).toBe(r.exitCode);
    // The timeline, but for what the GETs answered (a socket error's wording is Node's).
    const steps = (note = '') => note.split('\n').filter((line) => !line.startsWith('GET'));
    expect(steps(l.note)).toEqual(steps(r.note));
    expect(norm(l.stderr).trim().split('\n').at(-1)).toBe(norm(r.stderr).trim().split('\n').at(-1));
  });
});
