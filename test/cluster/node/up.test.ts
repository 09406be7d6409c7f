// The product against real Kubernetes: `up`, its re-runs, and the day-two commands, on the
// tier's node (real kubelet, containerd, kube-proxy; real pods of the example app's images;
// real Helm storage and waits). Each Helm major in a namespace and on NodePorts of its own.
// Figures (wall times, calls, the measured outage) are printed at the end and written to
// $CACHE/last-report-node.txt for the README.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeIp } from '../namespaces.js';
import { realToolPath } from '../../support/real-tools.js';
import { run } from '../images.mjs';
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

async function health(port: number): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${nodeIp}:${port}/api/health`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text() };
}

describe.each([
  { major: 4, helm: 'helm4', namespace: 'todo-h4', nodePorts: { frontend: 30400, backend: 30401 } },
  { major: 3, helm: 'helm3', namespace: 'todo-h3', nodePorts: { frontend: 30300, backend: 30301 } },
] as const)('helm $major on a real node', ({ major, helm, namespace, nodePorts }) => {
  let p: Product;
  const helmJson = async (...args: string[]) => JSON.parse(await run(realToolPath(helm), [...args, '-n', namespace, '--kube-context', 'minikube', '-o', 'json'], { env: p.env })) as unknown;
  const revision = async (release: string) => ((await helmJson('history', release, '--max', '1')) as Array<{ revision: number }>)[0]!.revision;

  beforeAll(() => {
    const node = inject('node');
    p = createProduct({ helm, namespace, nodePorts, kubeconfig: node.kubeconfig, dockerHost: node.dockerHost, containerd: node.containerd, databaseUrl: node.databaseUrl });
  });
  afterAll(() => p?.cleanup());

  it('first up: Secrets by server-side apply, both images built into the node, both releases, rollouts, health at the NodePorts', async () => {
    const started = Date.now();
    const r = await p.run(['up']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    report.push(`helm ${major} first up: ${s(Date.now() - started)}, ${r.calls.length} calls`);
    const builds = r.calls.filter((c) => c.tool === 'minikube' && c.argv[0] === 'image' && c.argv[1] === 'build');
    expect(builds).toHaveLength(2);
    expect(await revision('frontend')).toBe(1);
    expect(await revision('backend')).toBe(1);
    expect(await health(nodePorts.backend)).toMatchObject({ status: 200 });
    expect(await health(nodePorts.frontend)).toMatchObject({ status: 200 });
    assertNoSecret(r.calls, r.stdout, r.stderr);
  });

  it('a re-run changes nothing: 0 mutating calls, no new Helm revision', async () => {
    const started = Date.now();
    const r = await p.run(['up']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    report.push(`helm ${major} no-op up: ${s(Date.now() - started)}, ${r.calls.length} calls, ${r.calls.filter(isMutating).length} mutating`);
    expect(r.calls.filter(isMutating)).toEqual([]);
    expect(await revision('frontend')).toBe(1);
    expect(await revision('backend')).toBe(1);
  });
});
