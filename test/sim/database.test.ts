// The in-cluster PostgreSQL: a StatefulSet release (fixtures/database-chart, shaped like
// charts/database), its pod and PVC, and what todo-deploy runs against it through kubectl exec.
import { describe, expect, it } from 'vitest';
import { backendDatabaseOf, type Sim } from './harness.js';
import { databaseChart, useSims } from './sim-fixture.js';

const sim = useSims();
const kctx = ['--context', 'minikube', '--namespace', 'todo'];
const hctx = ['--kube-context', 'minikube', '--namespace', 'todo'];
const SQL_WRITE = "CREATE TABLE IF NOT EXISTS todo_deploy_check (token text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now());\nINSERT INTO todo_deploy_check (token) VALUES ('tok-1');\n";
const SQL_READ = "SELECT token FROM todo_deploy_check WHERE token = 'tok-1';\n";
const PSQL = ['exec', 'database-0', ...kctx, '--container', 'postgres', '--stdin', '--', 'psql', '-v', 'ON_ERROR_STOP=1', '-U', 'todo', '-d', 'todo', '-tA'];
const PG_ISREADY = ['exec', 'database-0', ...kctx, '--container', 'postgres', '--stdin', '--', 'pg_isready', '-U', 'todo', '-d', 'todo', '-h', '127.0.0.1', '-p', '5432'];

/** The namespace, the postgres image pullable, and (unless told otherwise) the credentials Secret. */
function seed(s: Sim, { credentials = true } = {}): void {
  s.update((st) => {
    const cluster = st.kube.clusters.minikube!;
    const created = new Date().toISOString();
    cluster.namespaces.todo = { labels: { 'kubernetes.io/metadata.name': 'todo' }, created };
    st.docker.registry['postgres:16'] = `sha256:${'5'.repeat(64)}`;
    if (credentials) {
      cluster.secrets['todo/database-credentials'] = { type: 'Opaque', data: { password: Buffer.from('pw').toString('base64') }, labels: {}, annotations: {}, resourceVersion: 1001, created, managers: ['todo-deploy'] };
    }
  });
}

const install = (s: Sim, extra: string[] = ['--wait', '--timeout', '300s']) => s.exec('helm', ['upgrade', '--install', 'database', databaseChart, ...hctx, ...extra]);

interface PodJson {
  metadata: { name: string; uid: string; labels: Record<string, string>; ownerReferences: Array<{ kind: string; name: string }> };
  spec: { volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }> };
  status: { phase: string; startTime: string; containerStatuses: Array<{ name: string; ready: boolean; restartCount: number; state: { running?: { startedAt: string }; waiting?: { reason: string; message?: string } } }> };
}

async function pods(s: Sim): Promise<PodJson[]> {
  const r = await s.exec('kubectl', ['get', 'pods', ...kctx, '--selector', 'app.kubernetes.io/instance=database', '--output', 'json']);
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout).items;
}

describe.concurrent('an in-cluster PostgreSQL (StatefulSet release)', () => {
  it('install → rollout → pods → pg_isready → psql write/read → pod recreated → uninstall keeps the PVC and rows → reinstall reads them → delete pvc → gone', async () => {
    const s = await sim();
    seed(s);
    const up = await install(s);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(s.state().kube.clusters.minikube!.statefulsets!['todo/database']).toMatchObject({ replicas: 1, serviceName: 'database' });

    const rollout = await s.exec('kubectl', ['rollout', 'status', 'statefulset/database', ...kctx, '--timeout=120s']);
    expect(rollout).toMatchObject({ exitCode: 0, stdout: 'partitioned roll out complete: 1 new pods have been updated...\n' });

    const [first] = await pods(s);
    expect(first!.metadata.name).toBe('database-0');
    expect(first!.metadata.ownerReferences[0]).toMatchObject({ kind: 'StatefulSet', name: 'database' });
    expect(first!.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'database', 'statefulset.kubernetes.io/pod-name': 'database-0' });
    expect(first!.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-database-0' } }]);
    expect(first!.status.containerStatuses[0]).toMatchObject({ name: 'postgres', ready: true, state: { running: { startedAt: first!.status.startTime } } });

    expect(await s.exec('kubectl', PG_ISREADY)).toMatchObject({ exitCode: 0, stdout: '127.0.0.1:5432 - accepting connections\n' });
    const write = await s.exec('kubectl', PSQL, { input: SQL_WRITE });
    expect(write).toMatchObject({ exitCode: 0, stdout: 'CREATE TABLE\nINSERT 0 1\n', stderr: '' });
    expect(await s.exec('kubectl', PSQL, { input: SQL_READ })).toMatchObject({ exitCode: 0, stdout: 'tok-1\n' });

    // The StatefulSet recreates its pod under the same name, with a new uid, started no earlier.
    expect((await s.exec('kubectl', ['delete', 'pod', 'database-0', ...kctx, '--wait=false'])).stdout).toBe('pod "database-0" deleted from todo namespace\n');
    const [second] = await pods(s);
    expect(second!.metadata.name).toBe('database-0');
    expect(second!.metadata.uid).not.toBe(first!.metadata.uid);
    expect(Date.parse(second!.status.startTime)).toBeGreaterThanOrEqual(Date.parse(first!.status.startTime));
    expect(await s.exec('kubectl', PSQL, { input: SQL_READ })).toMatchObject({ exitCode: 0, stdout: 'tok-1\n' });
    // Second start: the data directory is there, initdb is skipped.
    expect((await s.exec('kubectl', ['logs', 'database-0', ...kctx, '--container', 'postgres', '--tail=20'])).stdout).toContain('PostgreSQL Database directory appears to contain a database; Skipping initialization');

    expect((await s.exec('helm', ['uninstall', 'database', ...hctx, '--wait'])).exitCode).toBe(0);
    expect(await pods(s)).toEqual([]);
    const objects = ['get', 'namespace/todo', 'secret/database-credentials', 'persistentvolumeclaim/data-database-0', ...kctx, '--ignore-not-found', '--output', 'json'];
    const kept = JSON.parse((await s.exec('kubectl', objects)).stdout);
    expect(kept.kind).toBe('List');
    expect(kept.items.map((i: { kind: string }) => i.kind)).toEqual(['Namespace', 'Secret', 'PersistentVolumeClaim']);
    expect(kept.items[2]).toMatchObject({ metadata: { name: 'data-database-0', namespace: 'todo', labels: { 'app.kubernetes.io/instance': 'database' } }, spec: { storageClassName: 'standard', resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Bound' } });

    expect((await install(s)).exitCode).toBe(0);
    expect(await s.exec('kubectl', PSQL, { input: SQL_READ })).toMatchObject({ exitCode: 0, stdout: 'tok-1\n' });
    // CREATE TABLE IF NOT EXISTS again: psql's notice on stderr, the tag still printed.
    expect(await s.exec('kubectl', PSQL, { input: SQL_WRITE.split('\n')[0] })).toMatchObject({ exitCode: 0, stdout: 'CREATE TABLE\n', stderr: 'NOTICE:  relation "todo_deploy_check" already exists, skipping\n' });

    expect((await s.exec('helm', ['uninstall', 'database', ...hctx])).exitCode).toBe(0);
    expect((await s.exec('kubectl', ['delete', 'pvc', 'data-database-0', ...kctx, '--ignore-not-found'])).stdout).toBe('persistentvolumeclaim "data-database-0" deleted from todo namespace\n');
    expect((await s.exec('kubectl', ['delete', 'persistentvolumeclaim', 'data-database-0', ...kctx, '--ignore-not-found'])).exitCode).toBe(0);
    const gone = await s.exec('kubectl', objects);
    expect(JSON.parse(gone.stdout).items.map((i: { kind: string }) => i.kind)).toEqual(['Namespace', 'Secret']);
    expect((await install(s)).exitCode).toBe(0);
    expect(await s.exec('kubectl', PSQL, { input: SQL_READ })).toMatchObject({ exitCode: 3, stderr: expect.stringContaining('ERROR:  relation "todo_deploy_check" does not exist') });
    expect((await s.exec('kubectl', ['logs', 'database-0', ...kctx, '--container', 'postgres'])).stdout).toContain('PostgreSQL init process complete; ready for start up.');
  });

  it('rollout status and --wait wait for the pod; pg_isready answers no response and psql cannot connect until it is ready', async () => {
    const s = await sim({ faults: { podStartMs: 60_000 } });
    seed(s);
    const up = await install(s);
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toBe('Error: context deadline exceeded\n');
    const rollout = await s.exec('kubectl', ['rollout', 'status', 'statefulset/database', ...kctx, '--timeout=5s']);
    expect(rollout).toMatchObject({ exitCode: 1, stdout: 'Waiting for 1 pods to be ready...\n', stderr: 'error: timed out waiting for the condition\n' });
    expect(await s.exec('kubectl', PG_ISREADY)).toMatchObject({ exitCode: 2, stdout: '127.0.0.1:5432 - no response\n', stderr: 'command terminated with exit code 2\n' });
    const r = await s.exec('kubectl', PSQL, { input: SQL_READ });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^psql: error: connection to server on socket "\/var\/run\/postgresql\/.s.PGSQL.5432" failed/);
    s.update((st) => {
      st.faults.podStartMs = 0;
    });
    expect((await s.exec('kubectl', ['rollout', 'status', 'sts', 'database', ...kctx, '--timeout=5s'])).exitCode).toBe(0);
  });

  it('a missing credentials Secret: CreateContainerConfigError, and exec finds no container', async () => {
    const s = await sim();
    seed(s, { credentials: false });
    expect((await install(s, [])).exitCode).toBe(0);
    const [pod] = await pods(s);
    expect(pod!.status.containerStatuses[0]!.state.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'secret "database-credentials" not found' });
    expect(await s.exec('kubectl', PG_ISREADY)).toMatchObject({ exitCode: 1, stdout: '', stderr: 'error: Internal error occurred: unable to upgrade connection: container not found ("postgres")\n' });
    expect(await s.exec('kubectl', ['exec', 'database-1', ...kctx, '-c', 'postgres', '--', 'pg_isready'])).toMatchObject({ exitCode: 1, stderr: 'Error from server (NotFound): pods "database-1" not found\n' });
    expect(await s.exec('kubectl', ['exec', 'database-0', ...kctx, '-c', 'pg', '--', 'pg_isready'])).toMatchObject({ exitCode: 1, stderr: 'Error from server (BadRequest): container pg is not valid for pod database-0\n' });
    expect((await s.exec('kubectl', ['exec', 'database-0', ...kctx, 'pg_isready'])).stderr).toMatch(/^error: exec \[POD\] \[COMMAND\] is not supported anymore/);
  });

  it('a volume the postgres user cannot write: CrashLoopBackOff, and the entrypoint\'s mkdir error in the logs', async () => {
    const s = await sim({ faults: { databaseVolumeNotWritable: true } });
    seed(s);
    expect((await install(s, ['--wait', '--timeout', '60s'])).exitCode).toBe(1);
    const [pod] = await pods(s);
    const cs = pod!.status.containerStatuses[0]!;
    expect(cs).toMatchObject({ ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } } });
    expect(cs.restartCount).toBeGreaterThanOrEqual(1);
    const logs = await s.exec('kubectl', ['logs', 'database-0', ...kctx, '--container', 'postgres', '--tail=20']);
    expect(logs.stdout).toBe('mkdir: cannot create directory ‘/var/lib/postgresql/data/pgdata’: Permission denied\n');
    expect((await s.exec('kubectl', ['logs', 'database-0', ...kctx, '-c', 'postgres', '--previous'])).stdout).toBe(logs.stdout);
    s.update((st) => {
      st.faults.databaseVolumeNotWritable = 'initdb';
    });
    expect((await s.exec('kubectl', ['logs', 'database-0', ...kctx, '-c', 'postgres'])).stdout).toContain('initdb: error: could not change permissions of directory "/var/lib/postgresql/data/pgdata": Operation not permitted');
    s.update((st) => {
      delete st.faults.databaseVolumeNotWritable;
    });
    expect((await s.exec('kubectl', ['rollout', 'status', 'statefulset/database', ...kctx, '--timeout=5s'])).exitCode).toBe(0);
  });

  it('marks only writing execs mutating; psql errors stop the script with ON_ERROR_STOP (exit 3)', async () => {
    const s = await sim();
    seed(s);
    expect((await install(s)).exitCode).toBe(0);
    await s.exec('kubectl', PG_ISREADY);
    await s.exec('kubectl', PSQL, { input: SQL_READ });
    await s.exec('kubectl', PSQL, { input: SQL_WRITE });
    await s.exec('kubectl', PSQL, { input: SQL_READ });
    const execs = s.calls().filter((c) => c.command === 'exec');
    expect(execs.map((c) => [c.mutating, c.changed, c.exitCode])).toEqual([
      [false, false, 0],
      [false, false, 3],
      [true, true, 0],
      [false, false, 0],
    ]);
    expect(execs[1]!.stderr).toBe(
      'ERROR:  relation "todo_deploy_check" does not exist\nLINE 1: SELECT token FROM todo_deploy_check WHERE token = \'tok-1\'\n                          ^\ncommand terminated with exit code 3\n',
    );
    expect(execs[2]!.stdin).toBe(SQL_WRITE);
    const dup = await s.exec('kubectl', PSQL, { input: "INSERT INTO todo_deploy_check (token) VALUES ('tok-1');" });
    expect(dup).toMatchObject({ exitCode: 3, stderr: 'ERROR:  duplicate key value violates unique constraint "todo_deploy_check_pkey"\nDETAIL:  Key (token)=(tok-1) already exists.\ncommand terminated with exit code 3\n' });
    const bad = await s.exec('kubectl', PSQL, { input: "DROP TABLE todo_deploy_check;\nSELECT token FROM todo_deploy_check WHERE token = 'tok-1';" });
    expect(bad).toMatchObject({ exitCode: 3, stdout: '', stderr: 'ERROR:  syntax error at or near "DROP"\nLINE 1: DROP TABLE todo_deploy_check\n        ^\ncommand terminated with exit code 3\n' });
    expect(await s.exec('kubectl', PSQL.filter((a) => a !== 'ON_ERROR_STOP=1' && a !== '-v'), { input: "SELEKT 1;\nSELECT token FROM todo_deploy_check WHERE token = 'tok-1';" })).toMatchObject({ exitCode: 0, stdout: 'tok-1\n' });
  });

  it('statefulset, pvc and storageclass reads', async () => {
    const s = await sim();
    seed(s);
    expect((await install(s)).exitCode).toBe(0);
    const sts = JSON.parse((await s.exec('kubectl', ['get', 'statefulset', 'database', ...kctx, '-o', 'json'])).stdout);
    expect(sts).toMatchObject({ kind: 'StatefulSet', spec: { replicas: 1, serviceName: 'database', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } }, status: { readyReplicas: 1, updatedReplicas: 1 } });
    const pvcs = JSON.parse((await s.exec('kubectl', ['get', 'pvc', ...kctx, '-o', 'json'])).stdout);
    expect(pvcs.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(['data-database-0']);
    const sc = JSON.parse((await s.exec('kubectl', ['get', 'storageclass', '--context', 'minikube', '-o', 'json'])).stdout);
    expect(sc.items).toEqual([expect.objectContaining({ kind: 'StorageClass', provisioner: 'k8s.io/minikube-hostpath', metadata: expect.objectContaining({ name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }) })]);
    expect((await s.exec('kubectl', ['logs', 'statefulset/database', ...kctx, '-c', 'postgres'])).stdout).toContain('database system is ready to accept connections');
  });

  it('the backend health hook follows the in-cluster database named by backend-secrets/database-url', async () => {
    const s = await sim({ faults: { podStartMs: 60_000 } });
    seed(s);
    const setUrl = (url: string) =>
      s.update((st) => {
        const cluster = st.kube.clusters.minikube!;
        cluster.services['todo/backend'] = { release: 'backend', type: 'NodePort', selector: { 'app.kubernetes.io/instance': 'backend' }, ports: [{ port: 8000, targetPort: 8000, nodePort: 30001 }] };
        cluster.secrets['todo/backend-secrets'] = { type: 'Opaque', data: { 'database-url': Buffer.from(url).toString('base64') }, labels: {}, annotations: {}, resourceVersion: 1002, created: new Date().toISOString(), managers: ['todo-deploy'] };
      });
    setUrl('postgresql://todo:pw@database.todo.svc:5432/todo');
    expect(backendDatabaseOf(s, 30001)).toBe('unreachable');
    expect((await install(s, [])).exitCode).toBe(0);
    expect(backendDatabaseOf(s, 30001)).toBe('unreachable');
    s.update((st) => {
      st.faults.podStartMs = 0;
    });
    expect(backendDatabaseOf(s, 30001)).toBe('reachable');
    setUrl('postgresql://todo:pw@database:5432/todo');
    expect(backendDatabaseOf(s, 30001)).toBe('reachable');
    setUrl('postgresql://neondb_owner:pw@ep-rain-42.eu-central-1.aws.neon.tech/neondb?sslmode=require');
    expect(backendDatabaseOf(s, 30001)).toBeUndefined();
    expect(backendDatabaseOf(s, 30002)).toBeUndefined();
  });
});
