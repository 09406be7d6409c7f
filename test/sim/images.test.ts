import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerEnv, useSims, writeApp } from './sim-fixture.js';

const sim = useSims();

const backend = {
  'backend/Dockerfile': 'FROM python:3.13-slim AS build\nRUN uv sync\nFROM python:3.13-slim\nUSER 1001\n',
  'backend/main.py': 'print("hi")\n',
  'backend/.dockerignore': '.venv\n',
};

describe.concurrent('docker build', () => {
  it('lands in the daemon DOCKER_HOST selects: with docker-env in minikube, else on the host', async () => {
    const s = await sim();
    const app = writeApp(s, backend);
    const env = await dockerEnv(s);
    expect((await s.exec('docker', ['build', '-t', 'todo-backend:v1', '-f', 'backend/Dockerfile', 'backend'], { env, cwd: app })).exitCode).toBe(0);
    expect((await s.exec('docker', ['build', '-t', 'todo-host:v1', 'backend'], { cwd: app })).exitCode).toBe(0);
    const images = s.state().docker.images;
    expect(Object.keys(images['minikube/minikube']!)).toEqual(['todo-backend:v1']);
    expect(Object.keys(images.host!)).toEqual(['todo-host:v1']);
    expect(images['minikube/minikube']!['todo-backend:v1']!.user).toBe('1001');
    const absent = await s.exec('docker', ['image', 'inspect', 'todo-backend:v1', '--format', '{{.Id}}']);
    expect(absent).toMatchObject({ exitCode: 1, stderr: 'Error: No such image: todo-backend:v1\n' });
  });

  it('records tags, labels, build args and secret ids; writes --iidfile; same inputs give the same id', async () => {
    const s = await sim();
    const app = writeApp(s, backend);
    const build = ['build', '-t', 'todo-backend:v1', '-t', 'todo-backend:latest', '--label', 'todo-deploy.content=abc', '--build-arg', 'NEXT_PUBLIC_BACKEND_URL=http://x:30001', '--secret', 'id=npmrc,src=/tmp/npmrc', '--iidfile', 'iid.txt', 'backend'];
    expect((await s.exec('docker', build, { cwd: app })).exitCode).toBe(0);
    const id = readFileSync(join(app, 'iid.txt'), 'utf8');
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const inspect = await s.exec('docker', ['image', 'inspect', 'todo-backend:v1', '--format', '{{.Id}}'], { cwd: app });
    expect(inspect.stdout).toBe(`${id}\n`);
    const labels = await s.exec('docker', ['image', 'inspect', 'todo-backend:latest', '--format', '{{json .Config.Labels}}']);
    expect(JSON.parse(labels.stdout)).toEqual({ 'todo-deploy.content': 'abc' });
    const image = s.state().docker.images.host!['todo-backend:v1']!;
    expect(image).toMatchObject({ buildArgs: { NEXT_PUBLIC_BACKEND_URL: 'http://x:30001' }, secretIds: ['npmrc'] });

    expect((await s.exec('docker', build, { cwd: app })).exitCode).toBe(0);
    expect(readFileSync(join(app, 'iid.txt'), 'utf8')).toBe(id);
    expect(s.calls().filter((c) => c.command === 'build').map((c) => [c.mutating, c.changed])).toEqual([
      [true, true],
      [true, false],
    ]);

    writeFileSync(join(app, 'backend', 'main.py'), 'print("changed")\n');
    await s.exec('docker', build, { cwd: app });
    expect(readFileSync(join(app, 'iid.txt'), 'utf8')).not.toBe(id);
    writeFileSync(join(app, 'backend', '.venv'), 'ignored by .dockerignore');
    const before = readFileSync(join(app, 'iid.txt'), 'utf8');
    await s.exec('docker', build, { cwd: app });
    expect(readFileSync(join(app, 'iid.txt'), 'utf8')).toBe(before);
  });

  it('fails like BuildKit on a missing context or Dockerfile', async () => {
    const s = await sim();
    const app = writeApp(s, backend);
    expect(await s.exec('docker', ['build', '-t', 'x:1', 'nope'], { cwd: app })).toMatchObject({ exitCode: 1, stderr: 'ERROR: unable to prepare context: path "nope" not found\n' });
    const noDockerfile = await s.exec('docker', ['build', '-t', 'x:1', '-f', 'Missing.Dockerfile', 'backend'], { cwd: app });
    expect(noDockerfile.exitCode).toBe(1);
    expect(noDockerfile.stderr).toContain('failed to read dockerfile: open Missing.Dockerfile: no such file or directory');
  });

  it('a build fault prints the log tail and the BuildKit error, and heals after `times`', async () => {
    const s = await sim({ faults: { builds: [{ match: 'todo-frontend', log: ['Type error: x is not assignable', 'Failed to compile.'], times: 1 }] } });
    const app = writeApp(s, { 'frontend/Dockerfile': 'FROM node:22-alpine\n' });
    const failed = await s.exec('docker', ['build', '-t', 'todo-frontend:v1', 'frontend'], { cwd: app });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('Failed to compile.');
    expect(failed.stderr.trim().split('\n').at(-1)).toBe('ERROR: failed to solve: process "/bin/sh -c npm run build" did not complete successfully: exit code: 1');
    expect(s.state().docker.images.host).toEqual({});
    expect((await s.exec('docker', ['build', '-t', 'todo-frontend:v1', 'frontend'], { cwd: app })).exitCode).toBe(0);
    expect(s.state().faults.builds).toEqual([]);
  });

  it('builds against a down daemon fail without recording anything', async () => {
    const s = await sim({ docker: { daemon: 'down' } });
    const app = writeApp(s, backend);
    const r = await s.exec('docker', ['build', '-t', 'x:1', 'backend'], { cwd: app });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Cannot connect to the Docker daemon');
  });
});

describe.concurrent('image listing, tagging, pushing', () => {
  it('image ls --format json prints one object per line; reference filters apply', async () => {
    const s = await sim();
    const app = writeApp(s, backend);
    await s.exec('docker', ['build', '-t', 'todo-backend:v1', '-t', 'other:2', 'backend'], { cwd: app });
    const all = (await s.exec('docker', ['image', 'ls', '--format', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(all.map((r) => `${r.Repository}:${r.Tag}`).sort()).toEqual(['other:2', 'todo-backend:v1']);
    expect(all[0]).toMatchObject({ ID: expect.stringMatching(/^[0-9a-f]{12}$/), Digest: '<none>', Size: expect.stringMatching(/MB$/) });
    const filtered = (await s.exec('docker', ['images', '--filter', 'reference=todo-*', '--format', '{{.Repository}}:{{.Tag}}'])).stdout;
    expect(filtered).toBe('todo-backend:v1\n');
  });

  it('tag and push put the image in the registry a cluster pulls from', async () => {
    const s = await sim();
    const app = writeApp(s, backend);
    await s.exec('docker', ['build', '-t', 'todo-backend:v1', 'backend'], { cwd: app });
    expect((await s.exec('docker', ['tag', 'todo-backend:v1', 'registry.example.com/todo/backend:v1'])).exitCode).toBe(0);
    const push = await s.exec('docker', ['push', 'registry.example.com/todo/backend:v1']);
    expect(push.exitCode).toBe(0);
    expect(Object.keys(s.state().docker.registry)).toEqual(['registry.example.com/todo/backend:v1']);
    expect((await s.exec('docker', ['push', 'nothing:here'])).stderr).toContain('An image does not exist locally with the tag: nothing');
  });
});

describe.concurrent('minikube image', () => {
  it('image build and image load put images in the profile store; image ls lists them', async () => {
    const s = await sim({ minikube: { profiles: { minikube: { containerRuntime: 'containerd' } } } });
    const app = writeApp(s, backend);
    expect((await s.exec('minikube', ['image', 'build', '-p', 'minikube', '-t', 'todo-backend:v1', '-f', 'Dockerfile', 'backend'], { cwd: app })).exitCode).toBe(0);
    await s.exec('docker', ['build', '-t', 'todo-frontend:v1', 'backend'], { cwd: app });
    expect((await s.exec('minikube', ['image', 'load', '-p', 'minikube', 'todo-frontend:v1'])).exitCode).toBe(0);
    expect((await s.exec('minikube', ['image', 'load', '-p', 'minikube', 'nope:v1'])).exitCode).toBe(80);
    const listed = JSON.parse((await s.exec('minikube', ['image', 'ls', '-p', 'minikube', '--format', 'json'])).stdout);
    expect(listed.flatMap((i: { repoTags: string[] }) => i.repoTags).sort()).toEqual(['docker.io/library/todo-backend:v1', 'docker.io/library/todo-frontend:v1']);
    expect(s.calls().map((c) => [c.command, c.mutating])).toEqual([
      ['image build', true],
      ['build', true],
      ['image load', true],
      ['image load', true],
      ['image ls', false],
    ]);
  });
});
