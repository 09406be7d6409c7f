import { describe, expect, it, vi } from 'vitest';
import { dockerEnv, useSims, writeApp } from './sim-fixture.js';

const sim = useSims();

describe.concurrent('concurrency and latency', () => {
  it('ten builds at once lose no image, and their calls overlap in time', async () => {
    const s = await sim({ faults: { latency: { 'docker build': 400 }, hold: ['docker build'] } });
    const app = writeApp(s, { 'svc/Dockerfile': 'FROM scratch\n' });
    const env = await dockerEnv(s);
    const tags = Array.from({ length: 10 }, (_, i) => `img-${i}:v1`);
    const building = Promise.all(tags.map((t) => s.exec('docker', ['build', '-t', t, 'svc'], { cwd: app, env })));
    // All ten are running at once however slowly the machine starts them; then they go on together.
    await vi.waitFor(() => expect(s.held()).toHaveLength(10), { timeout: 60_000, interval: 20 });
    s.release('docker build');
    const results = await building;
    expect(results.map((r) => r.exitCode)).toEqual(tags.map(() => 0));
    expect(Object.keys(s.state().docker.images['minikube/minikube']!).sort()).toEqual([...tags].sort());
    const builds = s.calls().filter((c) => c.command === 'build');
    expect(builds).toHaveLength(10);
    for (const b of builds) expect(b.end - b.start).toBeGreaterThanOrEqual(400);
    // Every build was still running when the last one started.
    expect(Math.max(...builds.map((b) => b.start))).toBeLessThan(Math.min(...builds.map((b) => b.end)));
  });

  it('latency is looked up by the longest key: "tool words", then "tool", then "default"', async () => {
    const s = await sim({ faults: { latency: { 'minikube status': 300, kubectl: 200, default: 100 } } });
    await s.exec('minikube', ['status', '-o', 'json']);
    await s.exec('kubectl', ['config', 'current-context']);
    await s.exec('helm', ['version', '--short']);
    const [status, kubectl, helm] = s.calls().map((c) => c.end - c.start);
    expect(status).toBeGreaterThanOrEqual(300);
    expect(kubectl).toBeGreaterThanOrEqual(200);
    expect(helm).toBeGreaterThanOrEqual(100);
  });

  it('a held call waits, listed as held, until the test releases its key; other calls go on', async () => {
    const s = await sim({ faults: { hold: ['kubectl rollout status', 'helm'] } });
    const rollout = s.exec('kubectl', ['--context', 'minikube', 'rollout', 'status', 'deployment/x', '-n', 'todo', '--timeout=1s']);
    const helm = s.exec('helm', ['version', '--short']);
    expect((await s.exec('kubectl', ['config', 'current-context'])).exitCode).toBe(0);
    await vi.waitFor(() => expect(s.held().map((h) => `${h.key}: ${h.tool} ${h.command}`).sort()).toEqual(['helm: helm version', 'kubectl rollout status: kubectl rollout status']), { timeout: 60_000, interval: 20 });
    s.release('helm');
    await helm;
    expect(s.held().map((h) => h.key)).toEqual(['kubectl rollout status']);
    expect(s.calls().map((c) => c.command)).toEqual(['config current-context', 'version']);
    s.release('kubectl rollout status');
    await rollout;
    expect(s.held()).toEqual([]);
    expect(s.calls().map((c) => c.command)).toEqual(['config current-context', 'version', 'rollout status']);
  });

  it('state updates from the test and from tools interleave without loss', async () => {
    const s = await sim();
    await s.exec('kubectl', ['--context', 'minikube', 'create', 'namespace', 'todo']);
    const applies = Array.from({ length: 8 }, (_, i) =>
      s.exec('kubectl', ['--context', 'minikube', 'apply', '--server-side', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `s${i}`, namespace: 'todo' }, stringData: { K: String(i) } }),
      }),
    );
    for (let i = 0; i < 8; i++) {
      s.update((st) => {
        st.docker.registry[`r${i}:v1`] = 'sha256:0';
      });
    }
    await Promise.all(applies);
    expect(Object.keys(s.state().kube.clusters.minikube!.secrets)).toHaveLength(8);
    expect(Object.keys(s.state().docker.registry)).toHaveLength(8);
  });
});
