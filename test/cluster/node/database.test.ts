// The in-cluster database on the tier's real node: an app whose .env has no DATABASE_URL, so
// `up` deploys PostgreSQL (charts/database) before the backend, with the PostgreSQL stand-in
// image (test/engine/bases/postgres.Dockerfile: Debian's postgresql-17 laid out as the official
// postgres:17 image, uid 999) and a hostPath volume as Minikube's provisioner makes one
// (../storage.ts). Proves, with real pods, a real volume and real Helm: the backend's health
// follows the database; verify --resilience deletes the database's pod and reads back its row;
// a re-run changes nothing; teardown keeps the data and the next up finds it;
// --purge-data removes it; and a volume the postgres user cannot write is diagnosed with its fix.
// Figures go to $CACHE/last-report-node-database.txt (and the output).
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeIp } from '../namespaces.js';
import { hostPathVolume, type HostPathVolume } from '../storage.js';
import { realToolPath } from '../../support/real-tools.js';
import { run } from '../images.mjs';
import { httpGet } from '../../../src/http.js';
import { CACHE } from './global-setup.js';
import { appSecrets, createProduct, isMutating, type Call, type Product } from './product.js';

const report: string[] = [];
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

afterAll(() => {
  const text = ['', 'cluster tier: the in-cluster database on a real node', ...report.map((l) => `  ${l}`), ''].join('\n');
  writeFileSync(join(CACHE, 'last-report-node-database.txt'), text);
  console.log(text);
});

const callsOf = (calls: Call[], tool: string, ...words: string[]) => calls.filter((c) => c.tool === tool && words.every((w, i) => c.argv.filter((a) => !a.startsWith('-'))[i] === w));
const upgraded = (calls: Call[]) => callsOf(calls, 'helm', 'upgrade').map((c) => c.argv.filter((a) => !a.startsWith('-'))[1]!);

// Ports of their own: up.test.ts expects to build the example app's images itself, so this app's
// frontend (which bakes the backend's URL) and backend (one changed line) are images of their own.
const nodePorts = { frontend: 30410, backend: 30411 };
const claim = 'data-database-0';
const helm = 'helm4';

interface Scenario {
  p: Product;
  namespace: string;
  kubectl(...args: string[]): Promise<string>;
  helmJson<T>(...args: string[]): Promise<T>;
  revision(release: string): Promise<number>;
  timed(what: string, args: string[], options?: Parameters<Product['run']>[1]): ReturnType<Product['run']>;
  /** Values no argv and no output may hold (the app's secrets, the database's password once known). */
  secrets: string[];
}

function scenario(namespace: string): Scenario {
  const node = inject('node');
  const p = createProduct({
    helm,
    namespace,
    nodePorts,
    kubeconfig: node.kubeconfig,
    dockerHost: node.dockerHost,
    containerd: node.containerd,
    extraYaml: ['database:', `  image: ${node.postgresImage}`, ''].join('\n'),
  });
  // Not the example app's backend image (up.test.ts builds that one itself).
  p.write('backend/main.py', `${readFileSync(join(p.appDir, 'backend', 'main.py'), 'utf8')}\n# the in-cluster database's test app\n`);
  const kubectl = (...args: string[]) => run(realToolPath('kubectl134'), ['--context', 'minikube', '-n', namespace, ...args], { env: p.env }) as Promise<string>;
  const helmJson = async <T>(...args: string[]) => JSON.parse(await run(realToolPath(helm), [...args, '-n', namespace, '--kube-context', 'minikube', '-o', 'json'], { env: p.env })) as T;
  const sc: Scenario = {
    p,
    namespace,
    kubectl,
    helmJson,
    revision: async (release) => (await helmJson<Array<{ revision: number }>>('history', release)).at(-1)!.revision,
    secrets: [...Object.values(appSecrets)],
    async timed(what, args, options) {
      const started = Date.now();
      const r = await p.run(args, options);
      report.push(`${what.padEnd(40)} ${s(Date.now() - started).padStart(7)}  exit ${r.exitCode}, ${r.calls.length} calls, ${r.calls.filter(isMutating).length} mutating`);
      for (const secret of sc.secrets) {
        for (const c of r.calls) expect(c.argv.join(' ')).not.toContain(secret);
        expect(r.stdout + r.stderr).not.toContain(secret);
      }
      return r;
    },
  };
  return sc;
}

/** The check rows verify --resilience wrote, read inside the database's pod as the tier's own kubectl exec (SQL on stdin, the local socket). */
async function checkRows(sc: Scenario): Promise<string[]> {
  const out = await run(realToolPath('kubectl134'), ['--context', 'minikube', '-n', sc.namespace, 'exec', 'database-0', '--container', 'postgres', '--stdin', '--', 'psql', '-v', 'ON_ERROR_STOP=1', '-U', 'todo', '-d', 'todo', '-tA'], {
    env: sc.p.env,
    input: 'SELECT token FROM todo_deploy_check ORDER BY token;\n',
  });
  return (out as string).split('\n').filter(Boolean);
}

const secretData = async (sc: Scenario, name: string, key: string) => {
  const data = (JSON.parse(await sc.kubectl('get', 'secret', name, '-o', 'json')) as { data: Record<string, string> }).data;
  return Buffer.from(data[key] ?? '', 'base64').toString();
};

async function health(port: number): Promise<{ status: number; body: string } | { error: string }> {
  const answer = await httpGet(`http://${nodeIp}:${port}/api/health`, { timeoutMs: 3_000, retryForMs: 30_000 });
  return 'error' in answer ? answer : { status: answer.status, body: answer.body };
}

describe('the in-cluster database on a real node (helm 4)', () => {
  let sc: Scenario;
  let volume: HostPathVolume;
  let password = '';
  let rows: string[] = [];
  const taskTitle = `kept across teardown ${Date.now()}`;

  beforeAll(async () => {
    sc = scenario('todo-db');
    report.push(`${'PostgreSQL stand-in image'.padEnd(40)} ${s(inject('node').postgresImageMs).padStart(7)}  ${inject('node').postgresImage} (built once per input hash, then cached)`);
    // As Minikube's hostpath provisioner makes it: a folder on the node, mode 0777, no fsGroup applied.
    volume = await hostPathVolume(inject('node').kubeconfig, inject('node').dir, { namespace: sc.namespace, claim, mode: 0o777 });
  });
  afterAll(async () => {
    // Whatever a failed test left: the releases, the claim, the volume and its folder.
    if (sc) await sc.p.run(['teardown', '--yes', '--purge-data']).catch(() => undefined);
    await volume?.remove();
    sc?.p.cleanup();
  });

  it('first up: the database release before the backend, its pod on the volume, the backend healthy through it', async () => {
    const r = await sc.timed('first up (database in the cluster)', ['up']);
    report.push(...(r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('✔')).map((l) => `    ${l}`));
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    // Three releases, the database's before the backend's (whose readiness needs it).
    const order = upgraded(r.calls);
    expect([...order].sort()).toEqual(['backend', 'database', 'frontend']);
    expect(order.indexOf('database')).toBeLessThan(order.indexOf('backend'));
    for (const release of ['database', 'backend', 'frontend']) expect(await sc.revision(release)).toBe(1);
    // The generated password, in the backend's DATABASE_URL to the Service; never in an argv or the output.
    password = await secretData(sc, 'database-credentials', 'password');
    expect(password).toMatch(/^[\w-]{32}$/);
    sc.secrets.push(password);
    expect(await secretData(sc, 'backend-secrets', 'database-url')).toBe(`postgresql://todo:${password}@database.${sc.namespace}.svc:5432/todo`);
    for (const c of r.calls) expect(c.argv.join(' ')).not.toContain(password);
    expect(r.stdout + r.stderr).not.toContain(password);
    // The stand-in image, the claim bound to the node's folder, the data directory the postgres user's.
    expect(await sc.kubectl('get', 'pod', 'database-0', '-o', 'jsonpath={.spec.containers[0].image}')).toBe(inject('node').postgresImage);
    expect(await sc.kubectl('get', 'pvc', claim, '-o', 'jsonpath={.status.phase} {.spec.volumeName}')).toBe(`Bound ${volume.name}`);
    expect(readFileSync(join(volume.path, 'pgdata', 'PG_VERSION'), 'utf8').trim()).toBe('17');
    expect(statSync(join(volume.path, 'pgdata'))).toMatchObject({ uid: 999, gid: 999 });
    // The backend's health asks the database: 200 only through it.
    expect(await health(nodePorts.backend)).toEqual({ status: 200, body: '{"status":"ok","database":"ok"}' });
    expect(await health(nodePorts.frontend)).toMatchObject({ status: 200 });
    // A row of the app's own, written through the backend's API.
    const created = await fetch(`http://${nodeIp}:${nodePorts.backend}/api/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: taskTitle }) });
    expect(created.status).toBe(201);
  });

  it('verify --resilience: the database checked, its pod deleted and replaced, its row read back', async () => {
    const file = join(sc.p.dir, 'report.json');
    const r = await sc.timed('verify --resilience --report', ['verify', '--resilience', '--report', file]);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    const rep = JSON.parse(readFileSync(file, 'utf8')) as {
      ok: boolean;
      checks: Array<{ group: string; name: string; status: string; detail: string }>;
      resilience: { replacementReadyMs: number; unavailableMs: number; database?: { deleted: string; replacementReadyMs?: number; dataSurvived: boolean } };
    };
    expect(rep.ok).toBe(true);
    // The database's checks are the backend's (it is the backend's database).
    for (const name of ['backend database in the cluster', 'backend database pod replaced', 'backend database data survived']) {
      expect(rep.checks.find((c) => c.name === name), name).toMatchObject({ status: 'passed' });
    }
    expect(rep.resilience.database).toMatchObject({ deleted: 'database-0', dataSurvived: true });
    report.push(`${'resilience'.padEnd(40)} database-0 replaced and ready in ${s(rep.resilience.database!.replacementReadyMs!)}, its row read back; backend replaced in ${s(rep.resilience.replacementReadyMs)}, health unavailable ${s(rep.resilience.unavailableMs)}`);
    for (const c of rep.checks.filter((c) => c.name.startsWith('backend database'))) report.push(`    ${c.group}: ${c.name}: ${c.detail}`);
    rows = await checkRows(sc);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    // The backend follows the replaced database: it connects per request.
    expect(await health(nodePorts.backend)).toEqual({ status: 200, body: '{"status":"ok","database":"ok"}' });
  });

  it('a second up changes nothing: no mutating call, no new revision, the same password and backend Secret', async () => {
    const backendSecret = async () => ({ resourceVersion: await sc.kubectl('get', 'secret', 'backend-secrets', '-o', 'jsonpath={.metadata.resourceVersion}'), url: await secretData(sc, 'backend-secrets', 'database-url') });
    const before = await backendSecret();
    const r = await sc.timed('no-op up', ['up']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.calls.filter(isMutating)).toEqual([]);
    for (const release of ['database', 'backend', 'frontend']) expect(await sc.revision(release)).toBe(1);
    expect(await secretData(sc, 'database-credentials', 'password')).toBe(password);
    expect(await backendSecret()).toEqual(before);
  });

  it('teardown keeps the volume and the password; the next up finds the data', async () => {
    const t = await sc.timed('teardown (data kept)', ['teardown', '--yes']);
    expect(t.exitCode, `${t.stdout}\n${t.stderr}`).toBe(0);
    expect(await sc.helmJson<unknown[]>('list', '--deployed', '--failed', '--pending', '--uninstalling')).toEqual([]);
    expect(await sc.kubectl('get', 'pvc', claim, '-o', 'jsonpath={.status.phase}')).toBe('Bound');
    expect(await sc.kubectl('get', 'secret', 'database-credentials', 'backend-secrets', '--ignore-not-found', '-o', 'name')).toBe('secret/database-credentials\n');

    const r = await sc.timed('up after teardown (data kept)', ['up']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await secretData(sc, 'database-credentials', 'password')).toBe(password);
    expect(await checkRows(sc)).toEqual(rows);
    expect(await health(nodePorts.backend)).toEqual({ status: 200, body: '{"status":"ok","database":"ok"}' });
    const tasks = (await (await fetch(`http://${nodeIp}:${nodePorts.backend}/api/tasks`)).json()) as Array<{ title: string }>;
    expect(tasks.map((t) => t.title)).toContain(taskTitle);
  });

  it('teardown --purge-data removes the volume claim and the password', async () => {
    const r = await sc.timed('teardown --purge-data', ['teardown', '--yes', '--purge-data']);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await sc.kubectl('get', 'secret', '--ignore-not-found', '-o', 'name')).toBe('');
    // The claim goes once its pod has (pvc-protection): waited for, up to a minute.
    const deadline = Date.now() + 60_000;
    let left = await sc.kubectl('get', 'pvc', '--ignore-not-found', '-o', 'name');
    while (left && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      left = await sc.kubectl('get', 'pvc', '--ignore-not-found', '-o', 'name');
    }
    expect(left).toBe('');
    // A manual volume of reclaim policy Retain: released, its folder untouched (the tier removes both).
    expect(existsSync(join(volume.path, 'pgdata', 'PG_VERSION'))).toBe(true);
  });
});

describe('a volume the postgres user cannot write (helm 4)', () => {
  let sc: Scenario;
  let volume: HostPathVolume;

  beforeAll(async () => {
    sc = scenario('todo-db-ro');
    // A hostPath folder of root's, mode 0755: a hostPath volume does not apply the pod's fsGroup.
    volume = await hostPathVolume(inject('node').kubeconfig, inject('node').dir, { namespace: sc.namespace, claim, mode: 0o755 });
  });
  afterAll(async () => {
    if (sc) await sc.p.run(['teardown', '--yes', '--purge-data']).catch(() => undefined);
    await volume?.remove();
    sc?.p.cleanup();
  });

  it('up fails naming the cause (Permission denied on the data directory) and the chown 999:999 fix', async () => {
    // The container fails within seconds and the pod watch sees it at once; Helm's wait runs to its timeout.
    const r = await sc.timed('up, volume not writable', ['up'], { env: { TODO_DEPLOY_TIMEOUTS_DEPLOY: '40s' } });
    const out = r.stdout + r.stderr;
    report.push(...out.split('\n').filter((l) => /database-0|Permission denied|not writable|chown/.test(l)).slice(0, 8).map((l) => `    ${l.trim()}`));
    expect(r.exitCode, out).toBe(1);
    expect(out).toMatch(/Permission denied/);
    expect(out).toContain('not writable by the postgres user (uid 999)');
    expect(out).toContain(`chown -R 999:999 /tmp/hostpath-provisioner/${sc.namespace}/${claim}`);
    // The backend never deployed: its release waits on the database's.
    expect(upgraded(r.calls)).not.toContain('backend');
  });
});
