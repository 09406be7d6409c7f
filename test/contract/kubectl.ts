// The real kubectl (1.34 and 1.32) against the simulator's cluster, for the reads the product
// parses. How several objects come back together — one object or a List, `-o name` lines, the
// empty output of --ignore-not-found, the order — is kubectl's own doing, not the API server's.
// So a loopback server answers real kubectl's discovery and GETs with the objects the simulator
// holds, one by one (each as the simulator prints it alone), and the simulator's own kubectl is
// asked the same argv: both must print the same. The objects themselves are checked against the
// Kubernetes OpenAPI schema (test/support/k8s-schema.ts) instead: they cannot be recorded
// without a real API server.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretNames } from '../../src/deployment/secret-keys.js';
import { getContextsArgs, getDeploymentArgs, getObjectsArgs, getPodsArgs, getSecretNamesArgs, kubectlArgs, kubectlVersionArgs } from '../../src/tools/kubectl.js';
import type { Sim } from '../sim/harness.js';
import { fixtureChart } from '../sim/sim-fixture.js';
import { realToolPath, type RealTool } from '../support/real-tools.js';
import { contractDir, runBinary, writeKubeconfig, type Run } from './helm.js';
import { tempDir } from '../support/temp.js';

export const kubectlVersions = { kubectl134: 'v1.34.5', kubectl132: 'v1.32.3' } as const;
export type Kubectl = keyof typeof kubectlVersions;

const inTodo = (...args: string[]) => kubectlArgs('minikube', 'todo', ...args);

export interface KubectlCase {
  name: string;
  argv: string[];
  /** Needs no cluster: run as it is, without the loopback server. */
  clientOnly?: boolean;
}

export const kubectlCases: KubectlCase[] = [
  { name: 'version-client', argv: kubectlVersionArgs, clientOnly: true },
  { name: 'get-contexts', argv: getContextsArgs, clientOnly: true },
  { name: 'get-objects-all-found', argv: inTodo(...getObjectsArgs(['namespace/todo', `secret/${secretNames.frontend}`, `secret/${secretNames.backend}`])) },
  { name: 'get-objects-one-found', argv: inTodo(...getObjectsArgs(['namespace/todo', 'secret/missing-a', 'secret/missing-b'])) },
  { name: 'get-objects-none-found', argv: inTodo(...getObjectsArgs(['secret/missing-a', 'secret/missing-b'])) },
  { name: 'get-secret-names', argv: inTodo(...getSecretNamesArgs([secretNames.frontend, 'missing-a', secretNames.backend])) },
  { name: 'get-deployment', argv: inTodo(...getDeploymentArgs('backend')) },
  { name: 'get-deployment-missing', argv: inTodo(...getDeploymentArgs('missing')) },
  { name: 'get-pods', argv: inTodo(...getPodsArgs('app.kubernetes.io/instance=backend')) },
  { name: 'get-pods-none', argv: inTodo(...getPodsArgs('app.kubernetes.io/instance=missing')) },
];

/** A namespace with both Secrets, and the fixture chart installed as `backend`: what the cases read. */
export async function deployWorld(sim: Sim): Promise<void> {
  const secret = (name: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: todo\ntype: Opaque\ndata:\n  key: dmFsdWU=\n`;
  const steps: Array<[string, string[], string?]> = [
    ['kubectl', ['--context', 'minikube', 'create', 'namespace', 'todo']],
    ['kubectl', ['--context', 'minikube', 'apply', '--server-side', '--field-manager=todo-deploy', '--filename', '-'], `${secret(secretNames.frontend)}---\n${secret(secretNames.backend)}`],
    ['helm', ['upgrade', '--install', 'backend', fixtureChart, '--namespace', 'todo', '--kube-context', 'minikube', '--wait', '--values', '-'], JSON.stringify({ image: { repository: 'todo-backend', tag: 'v1' } })],
  ];
  // The image the chart runs, in the node's store (the build path has tests of its own).
  sim.update((s) => {
    s.docker.images['minikube/minikube'] = {
      'todo-backend:v1': { id: `sha256:${'1'.repeat(64)}`, created: new Date().toISOString(), labels: {}, buildArgs: {}, secretIds: [], user: '1001', size: 1e8 },
    };
  });
  for (const [tool, args, input] of steps) {
    const r = await sim.exec(tool as 'kubectl' | 'helm', args, { input });
    if (r.exitCode !== 0) throw new Error(`${tool} ${args.join(' ')}: ${r.stderr}`);
  }
}

const resources = {
  v1: [
    { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', shortNames: ['ns'] },
    { name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret' },
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'] },
  ],
  'apps/v1': [{ name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', shortNames: ['deploy'] }],
};

/** A loopback API server for real kubectl: discovery, and each object as the simulator has it. */
export async function serveSim(sim: Sim): Promise<{ kubeconfig: string; close: () => Promise<void> }> {
  const json = (res: import('node:http').ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const simGet = async (args: string[]) => {
    const r = await sim.exec('kubectl', ['--context', 'minikube', ...args, '--output', 'json']);
    if (r.exitCode !== 0) throw new Error(`sim kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined;
  };
  const answer = async (req: IncomingMessage): Promise<[number, unknown]> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/version') return [200, { major: '1', minor: '34', gitVersion: 'v1.34.0', gitCommit: '', gitTreeState: 'clean', buildDate: '2025-08-27T00:00:00Z', goVersion: 'go1.24.6', compiler: 'gc', platform: 'linux/amd64' }];
    if (path === '/api') return [200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] }];
    if (path === '/apis') {
      return [200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }] }];
    }
    const verbs = ['get', 'list', 'create', 'update', 'patch', 'delete', 'watch'];
    if (path === '/api/v1') return [200, { kind: 'APIResourceList', groupVersion: 'v1', resources: resources.v1.map((r) => ({ ...r, verbs })) }];
    if (path === '/apis/apps/v1') return [200, { kind: 'APIResourceList', groupVersion: 'apps/v1', resources: resources['apps/v1'].map((r) => ({ ...r, verbs })) }];
    const m = path.match(/^\/apis?(?:\/apps)?\/v1(?:\/namespaces\/([^/]+))?\/(namespaces|secrets|pods|deployments)(?:\/([^/]+))?$/);
    if (!m) return [404, notFound('', '')];
    const [, ns, plural, name] = m;
    const kind = plural!.replace(/s$/, '');
    if (plural === 'namespaces' && ns === undefined && name) {
      const found = await simGet(['get', `namespace/${name}`, '--ignore-not-found']);
      return found ? [200, found] : [404, notFound(plural, name)];
    }
    if (name) {
      const found = await simGet(['--namespace', ns!, 'get', `${kind}/${name}`, '--ignore-not-found']);
      return found ? [200, found] : [404, notFound(plural!, name)];
    }
    const selector = url.searchParams.get('labelSelector');
    const list = await simGet(['--namespace', ns!, 'get', plural!, ...(selector ? ['--selector', selector] : [])]);
    const listKind = `${resources.v1.concat(resources['apps/v1']).find((r) => r.name === plural)!.kind}List`;
    return [200, { kind: listKind, apiVersion: plural === 'deployments' ? 'apps/v1' : 'v1', metadata: { resourceVersion: '1' }, items: (list?.items as unknown[]) ?? [] }];
  };
  const server: Server = createServer((req, res) => {
    answer(req).then(
      ([code, body]) => json(res, code, body),
      (error: Error) => json(res, 500, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: error.message, code: 500 }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kubeconfig = join(tempDir('todo-deploy-contract-kube-'), 'kubeconfig');
  writeKubeconfig(kubeconfig, `http://127.0.0.1:${port}`);
  return { kubeconfig, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function notFound(plural: string, name: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${plural} "${name}" not found`, reason: 'NotFound', details: { name, kind: plural }, code: 404 };
}

export function runRealKubectl(tool: RealTool, argv: string[], kubeconfig: string): Promise<Run> {
  const home = mkdtempSync(join(tmpdir(), 'todo-deploy-contract-home-'));
  return runBinary(realToolPath(tool), argv, { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig }).finally(() => rmSync(home, { recursive: true, force: true }));
}

/** What differs between two runs of the same world: uids, times, resource versions. */
export function normalizeKube(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uid>')
    .replace(/"resourceVersion": ?"\d+"/g, '"resourceVersion":"<rv>"')
    .replace(/("name": ?"[a-z0-9-]+-[a-z0-9]{9,10})-[a-z0-9]{5}"/g, '$1-<id>"')
    .replace(/docker:\/\/[0-9a-f]{32,64}/g, 'docker://<id>')
    .replace(/"podIP": ?"[\d.]+"/g, '"podIP":"<ip>"');
}

export const kubectlRecordingPath = (tool: Kubectl, name: string) => join(contractDir, 'recorded', tool, `${name}.json`);
