// The in-cluster PostgreSQL end to end, on the simulator: an .env with no DATABASE_URL gives a
// working app — the database deployed before the backend, its password made once and never
// shown, verified, surviving its pod's deletion and `teardown` unless --purge-data.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Sim } from '../sim/harness.js';
import { secrets } from './app-fixture.js';
import { EVENT, assertSafe, useScenarios, waitUntilHeld } from './up-fixture.js';

const scenario = useScenarios();
const image = 'postgres:17.6-bookworm';

/** A scenario whose .env has only the OpenAI key and Better Auth's values; the postgres image pullable. */
async function noDatabaseUrl(options: Parameters<typeof scenario>[0] = {}) {
  const s = await scenario({ ...options, docker: { registry: { [image]: `sha256:${'7'.repeat(64)}` } } });
  const { DATABASE_URL: _, ...rest } = secrets;
  s.app.write('.env', Object.entries(rest).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  return s;
}

const cluster = (sim: Sim) => Object.values(sim.state().kube.clusters).find((c) => c.minikubeProfile === 'minikube')!;
const password = (sim: Sim) => {
  const stored = cluster(sim).secrets['todo/database-credentials']?.data.password;
  return stored && Buffer.from(stored, 'base64').toString();
};
const claim = (sim: Sim) => cluster(sim).persistentvolumeclaims?.['todo/data-database-0'];
const of = (sim: Sim, tool: string, command: string, release?: string) => sim.calls().filter((c) => c.tool === tool && c.command === command && (!release || c.argv.includes(release)));

/** Nothing anywhere carries the password: argv, output, Helm's stored values. */
function assertPasswordHidden(sim: Sim, output: string): void {
  const pw = password(sim)!;
  expect(pw).toMatch(/^[A-Za-z0-9_-]{32}$/);
  for (const call of sim.calls()) expect(call.argv.join(' ')).not.toContain(pw);
  expect(output).not.toContain(pw);
  expect(JSON.stringify(sim.state().helm)).not.toContain(pw);
  assertSafe(sim, output);
}

describe('no DATABASE_URL: PostgreSQL in the cluster', () => {
  it('up deploys database, backend and frontend — the database before the backend, alongside the builds — and hides its password', async () => {
    const { sim, up } = await noDatabaseUrl();
    const result = await up(['--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { phases: Array<{ id: string; status: string }>; revisions: Record<string, number>; changes: string[] };
    expect(doc.phases.find((p) => p.id === 'database')).toMatchObject({ status: 'done' });
    expect(doc.revisions).toEqual({ frontend: 1, backend: 1, database: 1 });
    expect(doc.changes).toContain('wrote database-credentials');

    const [database] = of(sim, 'helm', 'upgrade', 'database');
    const [backend] = of(sim, 'helm', 'upgrade', 'backend');
    expect(backend!.start).toBeGreaterThan(database!.end);
    // The backend's Secret holds the URL to the Service; the password is in it and nowhere else.
    const url = Buffer.from(cluster(sim).secrets['todo/backend-secrets']!.data['database-url']!, 'base64').toString();
    expect(url).toBe(`postgresql://todo:${password(sim)}@database.todo.svc:5432/todo`);
    expect(claim(sim)).toBeDefined();
    assertPasswordHidden(sim, result.stdout + result.stderr);
  });

  it('the database deploys while the images build: it needs only its Secret', async () => {
    const { sim, up } = await noDatabaseUrl({ faults: { hold: ['docker build'] } });
    const running = up();
    await waitUntilHeld(sim, ['docker build'], 2);
    // Both builds held: the database's release is installed meanwhile, and the backend's is not.
    await vi.waitFor(() => expect(of(sim, 'helm', 'upgrade', 'database')).toHaveLength(1), EVENT);
    expect(of(sim, 'helm', 'upgrade', 'backend')).toEqual([]);
    sim.release('docker build');
    expect((await running).exitCode).toBe(0);
  });

  it('a re-run changes nothing and keeps the password; verify --resilience proves the data survives the pod', async () => {
    const { sim, up, cli, callsSince } = await noDatabaseUrl();
    expect((await up()).exitCode).toBe(0);
    const first = password(sim);
    const mark = sim.calls().length;
    const again = await up();
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('Nothing changed');
    expect(callsSince(mark).filter((c) => c.mutating)).toEqual([]);
    expect(password(sim)).toBe(first);

    const verify = await cli(['verify', '--resilience', '--json']);
    expect(verify.exitCode, verify.stderr).toBe(0);
    const report = JSON.parse(verify.stdout) as { checks: Array<{ id: string; status: string }>; resilience: { database: { dataSurvived: boolean; deleted: string } } };
    const status = (id: string) => report.checks.find((c) => c.id === id)?.status;
    expect(status('verify.backend.database')).toBe('passed');
    expect(status('resilience.backend.database-replacement')).toBe('passed');
    expect(status('resilience.backend.data-survived')).toBe('passed');
    expect(report.resilience.database).toMatchObject({ deleted: 'database-0', dataSurvived: true });
    // The row was written over stdin, into the pod: no SQL, no password in argv.
    const writes = of(sim, 'kubectl', 'exec').filter((c) => c.mutating);
    expect(writes.length).toBe(1);
    expect(writes[0]!.stdin).toMatch(/^CREATE TABLE IF NOT EXISTS todo_deploy_check/);
    assertPasswordHidden(sim, verify.stdout + verify.stderr);
  });

  it('--dry-run says it would make the password and install the database, runs neither, and prints no secret', async () => {
    const { sim, up } = await noDatabaseUrl({ minikube: 'running' });
    const result = await up(['--dry-run']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/\[dry-run\] kubectl --context minikube apply .* < 4 manifest\(s\): Namespace\/todo, Secret\/database-credentials, Secret\/frontend-secrets, Secret\/backend-secrets \(values redacted\)/);
    expect(result.stdout).toMatch(/\[dry-run\] helm upgrade --install database \S+\/charts\/database /);
    expect(result.stdout).toContain('write database-credentials');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
    expect(password(sim)).toBeUndefined();
    assertSafe(sim, result.stdout + result.stderr);
  });

  it('status and logs show the database', async () => {
    const { up, cli } = await noDatabaseUrl();
    expect((await up()).exitCode).toBe(0);
    const status = await cli(['status']);
    expect(status.stdout).toMatch(/database\n {2}release {5}database revision 1, deployed, image postgres:17\.6-bookworm/);
    expect(status.stdout).toContain('volume      data-database-0 (kept by teardown unless --purge-data)');
    const logs = await cli(['logs', 'database', '--tail', '5']);
    expect(logs.exitCode, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^database-0 │ /m);
  });

  it('teardown keeps the data unless --purge-data, and says which', async () => {
    const { sim, up, cli } = await noDatabaseUrl();
    expect((await up()).exitCode).toBe(0);
    const first = password(sim);
    const kept = await cli(['teardown', '--yes']);
    expect(kept.exitCode, kept.stderr).toBe(0);
    expect(kept.stdout).toContain("Kept: the database's data (volume data-database-0 and Secret database-credentials)");
    expect(claim(sim)).toBeDefined();
    expect(password(sim)).toBe(first);
    expect(Object.keys(sim.state().helm.releases.minikube ?? {})).toEqual([]);

    // The next up finds the volume and its password again.
    expect((await up()).exitCode).toBe(0);
    expect(password(sim)).toBe(first);

    const purged = await cli(['teardown', '--yes', '--purge-data']);
    expect(purged.exitCode, purged.stderr).toBe(0);
    expect(purged.stdout).toContain("PersistentVolumeClaim todo/data-database-0: the database's volume, with all its data");
    expect(purged.stdout).toContain("volume data-database-0 (the database's data)");
    expect(claim(sim)).toBeUndefined();
    expect(password(sim)).toBeUndefined();
  });

  it('a volume whose password Secret was deleted is refused, not given a new password that would lock the app out', async () => {
    const { sim, up } = await noDatabaseUrl();
    expect((await up()).exitCode).toBe(0);
    sim.update((s) => {
      const c = Object.values(s.kube.clusters).find((x) => x.minikubeProfile === 'minikube')!;
      delete c.secrets['todo/database-credentials'];
    });
    const mark = sim.calls().length;
    const result = await up();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("The database's volume data-database-0 exists, but the Secret database-credentials that held its password is gone");
    expect(result.stderr).toContain('todo-deploy teardown --purge-data');
    expect(sim.calls().slice(mark).filter((c) => c.mutating)).toEqual([]);
  });

  it('a volume the postgres user cannot write: up fails naming the cause and the fix', async () => {
    const { sim, up } = await noDatabaseUrl({ faults: { databaseVolumeNotWritable: true, hold: ['helm upgrade'] } });
    const running = up();
    // As in up-pod-faults.test.ts: Helm is held (the database's and the frontend's upgrades; the
    // backend's waits for the database) until the pod watch has read the crashing pod in a whole
    // round, and that watch's next round until Helm has failed.
    const DATABASE = 'app.kubernetes.io/instance=database';
    const podReads = () => sim.calls().filter((c) => c.command === 'get' && c.argv.includes(DATABASE)).length;
    await waitUntilHeld(sim, ['helm upgrade'], 2);
    const mark = podReads();
    await vi.waitFor(() => expect(podReads() - mark).toBeGreaterThanOrEqual(2), EVENT);
    sim.update((s) => void s.faults.hold!.push('kubectl get'));
    await vi.waitFor(() => expect(sim.held().filter((h) => h.key === 'kubectl get' && h.argv.includes(DATABASE))).not.toEqual([]), EVENT);
    sim.release('helm upgrade');
    await vi.waitFor(() => expect(of(sim, 'helm', 'upgrade', 'database')).toHaveLength(1), EVENT);
    sim.release('kubectl get');
    const result = await running;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Helm could not install database');
    expect(result.stderr).toContain('not writable by the postgres user (uid 999)');
    expect(result.stderr).toContain('minikube ssh -- sudo chown -R 999:999 /tmp/hostpath-provisioner/todo/data-database-0');
    assertSafe(sim, result.stdout + result.stderr);
  });

  it('a release of another name: the Service, pod and claim are named after it, and the backend reaches it', async () => {
    const { sim, up, cli, app } = await noDatabaseUrl();
    app.write('todo-deploy.yaml', `${readFileSync(join(app.dir, 'todo-deploy.yaml'), 'utf8')}database:\n  release: pg\n`);
    const result = await up();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(Object.keys(cluster(sim).statefulsets ?? {})).toEqual(['todo/pg']);
    expect(cluster(sim).persistentvolumeclaims?.['todo/data-pg-0']).toBeDefined();
    const url = Buffer.from(cluster(sim).secrets['todo/backend-secrets']!.data['database-url']!, 'base64').toString();
    expect(url).toMatch(/@pg\.todo\.svc:5432\/todo$/);
    const verify = await cli(['verify', '--json']);
    expect(verify.exitCode, verify.stderr).toBe(0);
  });

  it('teardown --purge-data on a stopped profile refuses, rather than keep the data without a word', async () => {
    const { sim, up, cli } = await noDatabaseUrl();
    expect((await up()).exitCode).toBe(0);
    sim.update((s) => void (s.minikube.profiles.minikube!.status = 'Stopped'));
    const mark = sim.calls().length;
    const result = await cli(['teardown', '--yes', '--purge-data']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("--purge-data deletes the database's volume from the cluster, but the Minikube profile \"minikube\" is not running.");
    expect(sim.calls().slice(mark).filter((c) => c.mutating)).toEqual([]);
  });

  it('with a DATABASE_URL nothing of the database is deployed or read (database.mode auto)', async () => {
    const { sim, up } = await scenario();
    expect((await up()).exitCode).toBe(0);
    expect(of(sim, 'helm', 'upgrade', 'database')).toEqual([]);
    expect(sim.calls().some((c) => c.argv.some((a) => a.includes('database-credentials') || a.includes('persistentvolumeclaim')))).toBe(false);
  });
});
