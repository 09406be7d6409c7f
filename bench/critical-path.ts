// The critical path of a first `up` on a stopped cluster: the steps that must run one after
// another because each needs what the one before made — the independent calls within a step at
// once — each run by itself, straight against the simulator with the bench's latencies. It is
// what a perfect orchestrator would take: no start-up of its own, nothing between the steps.
// What `up` takes beyond it is todo-deploy's own cost: its start-up, its work, its waiting.
//
// Off the path, because a good schedule hides them while the images build: writing the
// namespace and Secrets, and reading what is deployed. They are done here untimed.
import { get } from 'node:http';
import { join } from 'node:path';
import type { App } from '../test/e2e/app-fixture.js';
import type { Sim } from '../test/sim/harness.js';
import type { ToolName } from '../test/sim/types.js';

export interface Step {
  id: string;
  /** The bench's latency key for the step's slowest call. */
  latencyKey: string;
}

export const steps: Step[] = [
  // Tools and versions, the Docker daemon, the cluster's state: what decides everything after.
  { id: 'checks', latencyKey: 'default' },
  { id: 'start cluster', latencyKey: 'minikube start' },
  // The running cluster's kube-context, its published NodePorts (the URLs, which the frontend's
  // build bakes in) and the docker-env of its daemon.
  { id: 'connect', latencyKey: 'default' },
  { id: 'read images', latencyKey: 'default' },
  { id: 'build images', latencyKey: 'docker build' },
  { id: 'helm upgrade', latencyKey: 'helm upgrade' },
  { id: 'rollout', latencyKey: 'kubectl rollout status' },
  { id: 'health', latencyKey: 'none' },
];

export type StepTimes = Record<string, number>;

/** The critical path on the latencies alone, as if a call cost nothing else. */
export function latencyPath(latency: Record<string, number>): StepTimes {
  return Object.fromEntries(steps.map((s) => [s.id, s.latencyKey === 'none' ? 0 : (latency[s.latencyKey] ?? latency.default ?? 0)]));
}

/** Runs the steps of a first deployment in `sim` (a stopped profile) by themselves, timing each. */
export async function timeCriticalPath(sim: Sim, app: App, repoRoot: string): Promise<StepTimes> {
  const times: StepTimes = {};
  const timed = async (id: string, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    times[id] = performance.now() - t0;
  };
  const run = async (tool: ToolName, args: string[], options: { env?: Record<string, string>; input?: string } = {}) => {
    const r = await sim.exec(tool, args, options);
    if (r.exitCode !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.exitCode}): ${r.stderr}`);
    return r.stdout;
  };
  const kube = ['--context', 'minikube', '--namespace', 'todo'];
  const ref = (service: string) => `todo-${service}:bench`;

  await timed('checks', () =>
    Promise.all([
      run('docker', ['version', '--format', '{{json .}}']),
      run('minikube', ['version', '-o', 'json']),
      sim.exec('minikube', ['status', '-p', 'minikube', '-o', 'json']),
      run('helm', ['version', '--template', '{{.Version}}']),
      run('kubectl', ['version', '--client', '-o', 'json']),
    ]),
  );
  await timed('start cluster', () => run('minikube', ['start', '-p', 'minikube', '--driver', 'docker', '--container-runtime', 'docker']));
  let dockerEnv: Record<string, string> = {};
  await timed('connect', () =>
    Promise.all([
      run('kubectl', ['config', 'get-contexts', '-o', 'name']),
      run('minikube', ['profile', 'list', '-o', 'json']),
      run('minikube', ['docker-env', '-p', 'minikube', '--shell', 'none', '-o', 'json']).then((out) => (dockerEnv = JSON.parse(out) as Record<string, string>)),
    ]),
  );
  await timed('read images', () => sim.exec('docker', ['image', 'inspect', '--format', '{{.Id}}', ref('frontend'), ref('backend')], { env: dockerEnv }));
  await timed('build images', () =>
    Promise.all(
      (['frontend', 'backend'] as const).map((service) =>
        run('docker', ['build', '--tag', ref(service), '--file', join(repoRoot, 'Dockerfiles', `${service}.Dockerfile`), join(app.dir, service)], { env: dockerEnv }),
      ),
    ),
  );
  const secret = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'todo' }, data });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await run('kubectl', ['--context', 'minikube', 'apply', '--server-side', '--filename', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'todo' } },
        secret('frontend-secrets', { 'auth-secret': b64('x'.repeat(32)) }),
        secret('backend-secrets', { 'database-url': b64('postgresql://u:p@db.example.com/app'), 'openai-api-key': b64('sk-x'), 'auth-secret': b64('x'.repeat(32)), 'auth-url': b64('http://localhost') }),
      ],
    }),
  });
  await timed('helm upgrade', () =>
    Promise.all(
      (['frontend', 'backend'] as const).map((service) =>
        run('helm', ['upgrade', '--install', service, join(repoRoot, 'charts', service), '--namespace', 'todo', '--kube-context', 'minikube', '--wait', '--timeout', '300s', '--set', 'image.tag=bench', '--set', `service.nodePort=${app.ports[service]}`]),
      ),
    ),
  );
  await timed('rollout', () => Promise.all(['frontend', 'backend'].map((d) => run('kubectl', [...kube, 'rollout', 'status', `deployment/${d}`, '--timeout=300s']))));
  await timed('health', () => Promise.all(Object.values(app.ports).map((port) => status(`http://localhost:${port}/api/health`))));
  return times;
}

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      response.resume();
      if (response.statusCode === 200) resolve(200);
      else reject(new Error(`${url}: HTTP ${response.statusCode}`));
    }).on('error', reject);
  });
}

export const total = (times: StepTimes) => Object.values(times).reduce((a, b) => a + b, 0);
