// The product against real Kubernetes: `up`, its re-runs, and the day-two commands, on the
// tier's node (real kubelet, containerd, kube-proxy; real pods of the example app's images;
// real Helm storage and waits). Each Helm major in a namespace and on NodePorts of its own.
// Figures (wall times, calls, the measured outage) are printed at the end and written to
// $CACHE/last-report-node.txt for the README.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeIp } from '../namespaces.js';
import { realToolPath } from '../../support/real-tools.js';
import { run } from '../images.mjs';
import { httpGet } from '../../../src/http.js';
import { CACHE } from './global-setup.js';
import { appSecrets, createProduct, isMutating, type Call, type Product } from './product.js';

const report: string[] = [];
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

afterAll(() => {
  const text = ['', 'cluster tier: the product on a real node', ...report.map((l) => `  ${l}`), ''].join('\n');
  writeFileSync(join(CACHE, 'last-report-node.txt'), text);
  console.log(text);
});

/** No secret value in any argv the product passed, nor in what it printed. */
function assertNoSecret(calls: Call[], ...outputs: string[]): void {
  const secrets = [...Object.values(appSecrets), new URL(inject('node').databaseUrl).password];
  for (const secret of secrets) {
    for (const c of calls) expect(c.argv.join(' ')).not.toContain(secret);
    for (const o of outputs) expect(o).not.toContain(secret);
  }
}

/**
 * The health endpoint at a NodePort, as the browser reaches it. Right after a rollout a real node
 * could refuse a connection or drop it for a few seconds (kube-proxy still sent some to the
 * replaced pod, whose address was gone: seen here under load, before the charts paused before
 * SIGTERM): httpGet, the app checks' own request, asks again on those, here for up to 30 s.
 */
async function health(port: number): Promise<{ status: number; body: string } | { error: string }> {
  const answer = await httpGet(`http://${nodeIp}:${port}/api/health`, { timeoutMs: 3_000, retryForMs: 30_000 });
  return 'error' in answer ? answer : { status: answer.status, body: answer.body };
}

/** The calls of one kind: `minikube image build`, `helm upgrade`, … */
const callsOf = (calls: Call[], tool: string, ...words: string[]) => calls.filter((c) => c.tool === tool && words.every((w, i) => c.argv.filter((a) => !a.startsWith('-'))[i] === w));
const built = (calls: Call[]) => callsOf(calls, 'minikube', 'image', 'build').map((c) => c.argv[c.argv.indexOf('-t') + 1]!.split(':')[0]);
const upgraded = (calls: Call[]) => callsOf(calls, 'helm', 'upgrade').map((c) => c.argv.filter((a) => !a.startsWith('-'))[1]);

// NodePorts are cluster-wide: the Helm 3 run comes after the Helm 4 run's teardown, on the same
// ports, so the frontend bakes the same backend URL and both images are found, not rebuilt.
const nodePorts = { frontend: 30400, backend: 30401 };

describe.each([
  { major: 4, helm: 'helm4', namespace: 'todo-h4', full: true },
  { major: 3, helm: 'helm3', namespace: 'todo-h3', full: false },
] as const)('helm $major on a real node', ({ major, helm, namespace, full }) => {
  let p: Product;
  const helmJson = async <T>(...args: string[]) => JSON.parse(await run(realToolPath(helm), [...args, '-n', namespace, '--kube-context', 'minikube', '-o', 'json'], { env: p.env })) as T;
  const history = (release: string) => helmJson<Array<{ revision: number; status: string; description: string; chart: string }>>('history', release);
  const revision = async (release: string) => (await history(release)).at(-1)!.revision;
  const label = (what: string) => `helm ${major} ${what}`.padEnd(40);
  const timed = async (what: string, args: string[], options?: Parameters<Product['run']>[1]) => {
    const started = Date.now();
    const r = await p.run(args, options);
    report.push(`${label(what)} ${s(Date.now() - started).padStart(7)}  exit ${r.exitCode}, ${r.calls.length} calls, ${r.calls.filter(isMutating).length} mutating${built(r.calls).length ? `, built ${built(r.calls).join(' ')}` : ''}`);
    assertNoSecret(r.calls, r.stdout, r.stderr);
    return r;
  };

  beforeAll(() => {
    const node = inject('node');
    p = createProduct({ helm, namespace, nodePorts, kubeconfig: node.kubeconfig, dockerHost: node.dockerHost, containerd: node.containerd, databaseUrl: node.databaseUrl });
  });
  afterAll(() => p?.cleanup());

  it('first up: Secrets by server-side apply, both images into the node, both releases, rollouts, health at the NodePorts', async () => {
    const r = await timed('first up', ['up']);
    // Its phases, as the product timed them: the critical path is builds → Helm's waits → health.
    report.push(...(r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('✔')).map((l) => `    ${l}`));
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(callsOf(r.calls, 'kubectl').some((c) => c.argv.includes('apply') && c.argv.includes('--server-side'))).toBe(true);
    expect(upgraded(r.calls).sort()).toEqual(['backend', 'frontend']);
    // The Helm 3 run finds both images in the node already (same sources, same baked URL).
    expect(built(r.calls).sort()).toEqual(full ? ['todo-backend', 'todo-frontend'] : []);
    expect(await revision('frontend')).toBe(1);
    expect(await revision('backend')).toBe(1);
    expect(await health(nodePorts.backend)).toEqual({ status: 200, body: '{"status":"ok","database":"ok"}' });
    expect(await health(nodePorts.frontend)).toMatchObject({ status: 200 });
  });

  it('a re-run changes nothing: 0 mutating calls, no new Helm revision', async () => {
    const r = await timed('no-op up', ['up']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.calls.filter(isMutating)).toEqual([]);
    // The most the README and the bench allow a no-op up (test/e2e/up-calls.test.ts holds the simulator to it too).
    expect(r.calls.length).toBeLessThanOrEqual(15);
    expect(await revision('frontend')).toBe(1);
    expect(await revision('backend')).toBe(1);
  });

  it.runIf(full)('a changed backend file: one build, one new backend revision, the frontend untouched', async () => {
    p.write('backend/main.py', `${readFileSync(join(p.appDir, 'backend', 'main.py'), 'utf8')}\n# changed\n`);
    const r = await timed('up after a backend change', ['up']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(built(r.calls)).toEqual(['todo-backend']);
    expect(upgraded(r.calls)).toEqual(['backend']);
    expect(await revision('backend')).toBe(2);
    expect(await revision('frontend')).toBe(1);
    expect(await health(nodePorts.backend)).toMatchObject({ status: 200 });
  });

  it.runIf(full)('a changed frontend file: its two replicas roll over without one request refused or dropped (the charts pause before SIGTERM)', async () => {
    p.write('frontend/app/layout.js', `${readFileSync(join(p.appDir, 'frontend', 'app', 'layout.js'), 'utf8')}\n// changed\n`);
    // The frontend's health at its NodePort, once every 100 ms for as long as up runs, each
    // request tried once: a connection refused or reset by a pod that stopped counts.
    const answers: string[] = [];
    let running = true;
    const probing = (async () => {
      while (running) {
        const answer = await httpGet(`http://${nodeIp}:${nodePorts.frontend}/api/health`, { timeoutMs: 2_000, retryForMs: 0 });
        answers.push('error' in answer ? answer.error : String(answer.status));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const r = await timed('up after a frontend change', ['up']).finally(() => (running = false));
    await probing;
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(upgraded(r.calls)).toEqual(['frontend']);
    expect(await revision('frontend')).toBe(2);
    const failed = answers.filter((a) => a !== '200');
    report.push(`${label('frontend rollout, probed')} ${answers.length} requests, ${failed.length} not answered 200${failed.length ? `: ${[...new Set(failed)].join(', ')}` : ''}`);
    expect(answers.length).toBeGreaterThan(50);
    expect(failed).toEqual([]);
  });

  it.runIf(full)('verify, then verify --resilience --report: a real pod deleted, its real replacement, the outage measured', async () => {
    const v = await timed('verify', ['verify']);
    expect(v.exitCode, `${v.stdout}\n${v.stderr}`).toBe(0);
    const file = join(p.dir, 'report.json');
    const r = await timed('verify --resilience --report', ['verify', '--resilience', '--report', file]);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const rep = JSON.parse(readFileSync(file, 'utf8')) as { ok: boolean; summary: { failed: number }; resilience: { deleted: string[]; replacements: string[]; replacementReadyMs: number; unavailableMs: number; probes: number; failedProbes: number } };
    expect(rep.ok).toBe(true);
    expect(rep.summary.failed).toBe(0);
    expect(rep.resilience.deleted).toHaveLength(1);
    expect(rep.resilience.replacements).toHaveLength(1);
    expect(rep.resilience.replacements[0]).not.toBe(rep.resilience.deleted[0]);
    report.push(`${label('resilience')} replacement ready in ${s(rep.resilience.replacementReadyMs)}, health unavailable ${s(rep.resilience.unavailableMs)} (${rep.resilience.failedProbes} of ${rep.resilience.probes} probes failed)`);
  });

  it.runIf(full)('status shows both releases with their chart, and the pods', async () => {
    const r = await timed('status', ['status']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout + r.stderr).toContain('backend-0.1.0');
    expect(r.stdout + r.stderr).toContain('frontend-0.1.0');
  });

  it.runIf(full)("logs shows the backend's real lines; logs --follow streams until Ctrl-C", async () => {
    const r = await timed('logs backend', ['logs', 'backend', '--tail', '20']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/GET \/api\/health HTTP\/1\.1" 200/);
    let seen = '';
    const f = await p.run(['logs', 'backend', '--follow', '--tail', '1'], {
      onSpawn: (child) => {
        // Ctrl-C once a line the kubelet's probe caused after the start has streamed in.
        child.stdout!.on('data', (d: Buffer) => {
          seen += d.toString();
          if (seen.split('\n').filter((l) => l.includes('GET /api/health')).length >= 2) child.kill('SIGINT');
        });
      },
    });
    expect(f.exitCode).toBe(130);
    expect(seen.split('\n').filter((l) => l.includes('GET /api/health')).length).toBeGreaterThanOrEqual(2);
  });

  it.runIf(full)('rollback backend: back to the previous revision, verified', async () => {
    const r = await timed('rollback backend', ['rollback', 'backend', '--yes']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const h = await history('backend');
    expect(h.at(-1)).toMatchObject({ revision: 3, status: 'deployed', description: 'Rollback to 1' });
    expect(await health(nodePorts.backend)).toMatchObject({ status: 200 });
  });

  it.runIf(full)('a backend that cannot reach its database: up fails with the real pod diagnosed and rolls back to the working revision', async () => {
    const env = readFileSync(join(p.appDir, '.env'), 'utf8');
    const url = new URL(inject('node').databaseUrl);
    url.password = 'Wr0ng-Passw0rd-42';
    p.write('.env', env.replace(/^DATABASE_URL=.*$/m, `DATABASE_URL=${url.href}`));
    const r = await timed('up, database unreachable', ['up'], { env: { TODO_DEPLOY_TIMEOUTS_DEPLOY: '75s' } });
    p.write('.env', env);
    expect(r.exitCode).toBe(1);
    const out = r.stdout + r.stderr;
    // While Helm waited: the pod running and never ready, with its own last lines from the real kubelet.
    expect(out).toMatch(/While Helm waited, the pods showed:\n.*backend-\w+-\w+ \(backend\): NotReady: has been running for \d+ s and is not ready/);
    expect(out).toMatch(/│ .*"GET \/api\/health HTTP\/1\.1" 503 Service Unavailable/);
    expect(out).not.toContain('Wr0ng-Passw0rd-42');
    const h = await history('backend');
    expect(h.at(-1)!.status).toBe('deployed');
    expect(h.at(-1)!.description).toMatch(/^Rollback to/);
    expect(await health(nodePorts.backend)).toMatchObject({ status: 200 });
  });

  it.runIf(full)('Ctrl-C during helm upgrade, then up recovers the real interrupted release', async () => {
    p.write('backend/main.py', `${readFileSync(join(p.appDir, 'backend', 'main.py'), 'utf8')}\n# changed again\n`);
    const upgradesBefore = callsOf(p.calls(), 'helm', 'upgrade').length;
    const r = await timed('up, Ctrl-C during helm upgrade', ['up'], {
      onSpawn: (child) => {
        // Ctrl-C once `helm upgrade backend` has begun (the call log) and Helm has stored the release as pending-upgrade.
        let done = false;
        child.on('exit', () => (done = true));
        void (async () => {
          while (!done) {
            if (callsOf(p.calls(), 'helm', 'upgrade').length > upgradesBefore && (await history('backend')).at(-1)!.status === 'pending-upgrade') {
              child.kill('SIGINT');
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        })();
      },
    });
    expect(r.exitCode).toBe(130);
    // Real Helm answers the SIGINT by rolling back by itself; killed during that, it leaves the
    // release pending-rollback, which the next up must recover. Which one happened is reported.
    const left = (await history('backend')).at(-1)!;
    report.push(`${label('after Ctrl-C, backend is')} ${left.status} (${left.description})`);
    const again = await timed('up after the interrupted one', ['up']);
    expect(again.exitCode, `${again.stdout}\n${again.stderr}`).toBe(0);
    if (left.status.startsWith('pending-')) {
      expect(again.stdout + again.stderr).toContain(`Release backend is stuck ${left.status}`);
      expect(callsOf(again.calls, 'helm', 'rollback')).toHaveLength(1);
    } else expect(left.status).toMatch(/^(deployed|failed)$/);
    expect((await history('backend')).at(-1)!.status).toBe('deployed');
    expect(await health(nodePorts.backend)).toMatchObject({ status: 200 });
  });

  it('teardown: both releases and their Secrets removed', async () => {
    const cluster = full ? 'keep' : 'stop';
    const r = await timed(`teardown --cluster ${cluster}`, ['teardown', '--yes', '--cluster', cluster]);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await helmJson<unknown[]>('list', '--deployed', '--failed', '--pending', '--uninstalling')).toEqual([]);
    const secrets = await run(realToolPath('kubectl134'), ['--context', 'minikube', '-n', namespace, 'get', 'secret', 'frontend-secrets', 'backend-secrets', '--ignore-not-found', '-o', 'name'], { env: p.env });
    expect(secrets).toBe('');
    if (!full) {
      const d = await timed('teardown --cluster delete', ['teardown', '--yes', '--cluster', 'delete']);
      expect(d.exitCode, `${d.stdout}\n${d.stderr}`).toBe(0);
      expect(callsOf(d.calls, 'minikube', 'delete')).toHaveLength(1);
    }
  });
});
