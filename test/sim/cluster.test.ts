import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useSims } from './sim-fixture.js';

const sim = useSims();
const ctx = ['--context', 'minikube'];

function secret(name: string, data: Record<string, string>, namespace = 'todo') {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) });
}

describe.concurrent('minikube lifecycle', () => {
  it('start creates the profile, its kube-context and cluster; stop and delete undo it', async () => {
    const s = await sim({ minikube: 'absent' });
    const start = await s.exec('minikube', ['start', '-p', 'todo', '--cpus=4', '--memory', '4g', '--driver=docker', '-c', 'docker', '--kubernetes-version=v1.34.0', '--ports=30000:30000,30001:30001']);
    expect(start.exitCode).toBe(0);
    expect(start.stdout).toContain('Done! kubectl is now configured to use "todo" cluster');
    expect(s.state().minikube.profiles.todo).toMatchObject({ status: 'Running', cpus: 4, memory: 4096, containerRuntime: 'docker', ports: ['30000:30000', '30001:30001'] });
    expect((await s.exec('kubectl', ['config', 'get-contexts', '-o', 'name'])).stdout).toBe('todo\n');
    expect((await s.exec('kubectl', ['config', 'current-context'])).stdout).toBe('todo\n');
    expect((await s.exec('minikube', ['ip', '-p', 'todo'])).stdout).toBe('192.168.49.2\n');
    const profiles = JSON.parse((await s.exec('minikube', ['profile', 'list', '-o', 'json'])).stdout);
    expect(profiles.valid[0]).toMatchObject({ Name: 'todo', Status: 'OK', Config: { KubernetesConfig: { ContainerRuntime: 'docker' } } });

    expect((await s.exec('minikube', ['stop', '-p', 'todo'])).exitCode).toBe(0);
    expect((await s.exec('minikube', ['status', '-p', 'todo', '-o', 'json'])).exitCode).toBe(7);
    expect((await s.exec('minikube', ['start', '-p', 'todo', '--memory=8g'])).stderr).toContain('You cannot change the memory size for an existing minikube cluster');
    expect((await s.exec('minikube', ['delete', '-p', 'todo'])).exitCode).toBe(0);
    expect((await s.exec('minikube', ['status', '-p', 'todo', '-o', 'json'])).exitCode).toBe(85);
    expect(s.state().kube.contexts).toEqual({});
    expect(s.calls().map((c) => `${c.command}:${c.mutating}:${c.changed}`)).toEqual([
      'start:true:true',
      'config get-contexts:false:false',
      'config current-context:false:false',
      'ip:false:false',
      'profile list:false:false',
      'stop:true:true',
      'status:false:false',
      'start:true:true',
      'delete:true:true',
      'status:false:false',
    ]);
  });

  it('a second start of a running profile changes nothing', async () => {
    const s = await sim();
    expect((await s.exec('minikube', ['start', '-p', 'minikube'])).exitCode).toBe(0);
    expect(s.calls()[0]).toMatchObject({ mutating: true, changed: false });
  });

  it('start fails with the docker daemon down, on a fault, and on a driver mismatch', async () => {
    const down = await sim({ minikube: 'absent', docker: { daemon: 'down' } });
    const r1 = await down.exec('minikube', ['start', '-p', 'minikube', '--driver=docker']);
    expect(r1.exitCode).toBe(63);
    expect(r1.stderr).toMatch(/^X Exiting due to PROVIDER_DOCKER_NOT_RUNNING/);

    const faulty = await sim({ minikube: 'absent', faults: { minikubeStart: { times: 1 } } });
    const r2 = await faulty.exec('minikube', ['start']);
    expect(r2.exitCode).toBe(80);
    expect(r2.stderr).toContain('X Exiting due to GUEST_PROVISION');
    expect(faulty.state().minikube.profiles).toEqual({});
    expect((await faulty.exec('minikube', ['start'])).exitCode).toBe(0);

    const mismatch = await sim();
    expect((await mismatch.exec('minikube', ['start', '--driver=kvm2'])).stderr).toContain('GUEST_DRIVER_MISMATCH');
  });

  it('service --url fails with SVC_NOT_FOUND (115) for a service that does not exist', async () => {
    const s = await sim();
    expect((await s.exec('minikube', ['service', 'frontend', '--url', '-n', 'todo'])).exitCode).toBe(115);
  });
});

describe.concurrent('kubectl: namespaces and secrets', () => {
  it('get/create namespace, with NotFound and AlreadyExists like the API server', async () => {
    const s = await sim();
    expect(await s.exec('kubectl', [...ctx, 'get', 'namespace', 'todo', '-o', 'json'])).toMatchObject({ exitCode: 1, stderr: 'Error from server (NotFound): namespaces "todo" not found\n' });
    expect((await s.exec('kubectl', [...ctx, 'create', 'namespace', 'todo'])).stdout).toBe('namespace/todo created\n');
    expect((await s.exec('kubectl', [...ctx, 'create', 'namespace', 'todo'])).stderr).toBe('Error from server (AlreadyExists): namespaces "todo" already exists\n');
    const ns = JSON.parse((await s.exec('kubectl', [...ctx, 'get', 'namespace', 'todo', '-o', 'json'])).stdout);
    expect(ns).toMatchObject({ kind: 'Namespace', metadata: { name: 'todo', labels: { 'kubernetes.io/metadata.name': 'todo' } }, status: { phase: 'Active' } });
  });

  it('server-side apply of a Secret from stdin, then get, then unchanged, then delete', async () => {
    const s = await sim();
    await s.exec('kubectl', [...ctx, 'create', 'namespace', 'todo']);
    const apply = ['apply', ...ctx, '--server-side', '--field-manager', 'todo-deploy', '--force-conflicts', '-f', '-'];
    const first = await s.exec('kubectl', apply, { input: secret('backend-secrets', { DATABASE_URL: 'postgres://u:p@h/db' }) });
    expect(first).toMatchObject({ exitCode: 0, stdout: 'secret/backend-secrets serverside-applied\n' });
    const got = JSON.parse((await s.exec('kubectl', [...ctx, 'get', 'secret', 'backend-secrets', '-n', 'todo', '-o', 'json'])).stdout);
    expect(got).toMatchObject({ kind: 'Secret', type: 'Opaque', metadata: { name: 'backend-secrets', namespace: 'todo', resourceVersion: expect.any(String) } });
    expect(Buffer.from(got.data.DATABASE_URL, 'base64').toString()).toBe('postgres://u:p@h/db');
    expect(got.metadata.annotations).toBeUndefined();

    await s.exec('kubectl', apply, { input: secret('backend-secrets', { DATABASE_URL: 'postgres://u:p@h/db' }) });
    const again = JSON.parse((await s.exec('kubectl', [...ctx, 'get', 'secret', 'backend-secrets', '-n', 'todo', '-o', 'json'])).stdout);
    expect(again.metadata.resourceVersion).toBe(got.metadata.resourceVersion);
    expect(s.calls().filter((c) => c.command === 'apply').map((c) => [c.mutating, c.changed])).toEqual([
      [true, true],
      [true, false],
    ]);

    expect((await s.exec('kubectl', [...ctx, 'delete', 'secret', 'backend-secrets', '-n', 'todo', '--ignore-not-found'])).stdout).toBe('secret "backend-secrets" deleted from todo namespace\n');
    expect((await s.exec('kubectl', [...ctx, 'delete', 'secret', 'backend-secrets', '-n', 'todo', '--ignore-not-found'])).exitCode).toBe(0);
    expect(await s.exec('kubectl', [...ctx, 'get', 'secret', 'backend-secrets', '-n', 'todo', '-o', 'json'])).toMatchObject({ exitCode: 1, stderr: 'Error from server (NotFound): secrets "backend-secrets" not found\n' });
  });

  it('apply needs the namespace; client-side apply keeps the data in last-applied-configuration', async () => {
    const s = await sim();
    const r = await s.exec('kubectl', [...ctx, 'apply', '--server-side', '-f', '-'], { input: secret('x', { K: 'v' }) });
    expect(r).toMatchObject({ exitCode: 1, stderr: 'Error from server (NotFound): namespaces "todo" not found\n' });
    await s.exec('kubectl', [...ctx, 'apply', '--server-side', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: todo\n' });
    expect((await s.exec('kubectl', [...ctx, 'apply', '-f', '-'], { input: secret('x', { K: 'leaked' }) })).stdout).toBe('secret/x created\n');
    expect(s.state().kube.clusters.minikube!.secrets['todo/x']!.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain(Buffer.from('leaked').toString('base64'));
  });

  it('create secret generic --from-env-file --dry-run=client prints the manifest without a context', async () => {
    const s = await sim();
    writeFileSync(join(s.home, 'secrets.env'), 'A=1\nB=two\n# comment\nFROM_ENV\n');
    const r = await s.exec('kubectl', ['create', 'secret', 'generic', 's', '-n', 'todo', '--from-env-file=secrets.env', '--dry-run=client', '-o', 'json'], { env: { FROM_ENV: 'env-value' } });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 's', namespace: 'todo' }, data: { A: 'MQ==', B: 'dHdv', FROM_ENV: Buffer.from('env-value').toString('base64') } });
    expect((await s.exec('kubectl', ['create', 'secret', 'generic', 's', '-n', 'todo', '--from-env-file=secrets.env'])).exitCode).toBe(98);
  });

  it('version with a context reports the server; config current-context unset fails like kubectl', async () => {
    const s = await sim({ kube: { currentContext: null } });
    expect((await s.exec('kubectl', ['cluster-info', ...ctx])).stdout).toMatch(/^Kubernetes control plane is running at https:\/\/192\.168\.49\.2:8443\n/);
    expect(JSON.parse((await s.exec('kubectl', ['version', '-o', 'json', ...ctx])).stdout).serverVersion.gitVersion).toBe('v1.34.0');
    expect(await s.exec('kubectl', ['config', 'current-context'])).toMatchObject({ exitCode: 1, stderr: 'error: current-context is not set\n' });
  });
});
