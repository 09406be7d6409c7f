import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertSafe, releaseWhenHeld, useDeployed, useScenarios } from './up-fixture.js';

const scenario = useScenarios();
const deployed = useDeployed();
const MINIKUBE_DOCKER_HOST = 'tcp://192.168.49.2:2376';

describe.each([3, 4] as const)('todo-deploy up with Helm %d', (helmMajor) => {
  it('takes a stopped cluster to a verified deployment, safely', async () => {
    // Both builds are held until both run, so their overlap is proven whatever the machine's load.
    const { sim, app, up } = await scenario({ helmMajor, faults: { hold: ['docker build'] } });
    const running = up();
    await releaseWhenHeld(sim, ['docker build'], 2);
    const result = await running;
    expect(result.stderr).toContain('✔ Verify rollouts and health');
    expect(result.exitCode).toBe(0);
    for (const phase of ['Check prerequisites', 'Start the cluster', "Point builds at Minikube's image store", 'Create the secrets', 'Build the images', 'Deploy with Helm']) {
      expect(result.stderr).toContain(`✔ ${phase}`);
    }
    expect(result.stdout).toContain(`App       http://localhost:${app.ports.frontend}`);
    expect(result.stdout).toContain(`API docs  http://localhost:${app.ports.backend}/docs`);
    assertSafe(sim, result.stdout + result.stderr);

    const calls = sim.calls();
    const builds = calls.filter((c) => c.tool === 'docker' && c.command === 'build');
    expect(builds).toHaveLength(2);
    for (const build of builds) expect(build.env).toMatchObject({ DOCKER_HOST: MINIKUBE_DOCKER_HOST, DOCKER_BUILDKIT: '1' });
    // The two builds overlap in time.
    expect(Math.max(...builds.map((b) => b.start))).toBeLessThan(Math.min(...builds.map((b) => b.end)));

    const images = sim.state().docker.images['minikube/minikube']!;
    const frontend = Object.entries(images).find(([ref]) => ref.startsWith('todo-frontend:'))![1];
    expect(frontend.buildArgs).toEqual({ PACKAGE_MANAGER: 'pnpm', NEXT_PUBLIC_BACKEND_URL: `http://localhost:${app.ports.backend}` });
    expect(sim.state().docker.images.host ?? {}).toEqual({});

    const upgrade = calls.find((c) => c.tool === 'helm' && c.command === 'upgrade')!;
    expect(upgrade.argv).toContain(helmMajor === 3 ? '--atomic' : '--rollback-on-failure');
  });
});

describe('todo-deploy up is idempotent and precise', () => {
  it('changes nothing on a second run, and says so', async () => {
    const { sim, app, up } = await scenario();
    // BETTER_AUTH_URL is the app's own URL: it is no secret and must be printed as it is.
    const env = (await import('node:fs')).readFileSync(`${app.dir}/.env`, 'utf8');
    app.write('.env', env.replace('http://localhost:30000', `http://localhost:${app.ports.frontend}`));
    expect((await up()).exitCode).toBe(0);
    const mark = sim.calls().length;
    const second = await up();
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toContain('Nothing changed');
    expect(second.stdout).toContain(`App       http://localhost:${app.ports.frontend}`);
    const calls = sim.calls().slice(mark);
    expect(calls.filter((c) => c.mutating).map((c) => `${c.tool} ${c.argv.join(' ')}`)).toEqual([]);
    const revisions = sim.state().helm.releases.minikube!;
    expect(Object.values(revisions).map((r) => r.length)).toEqual([1, 1]);
  });

  it('a values file with YAML merge keys, read as Helm reads it: the re-run changes nothing', async () => {
    const { sim, app, up } = await scenario();
    app.write('backend-values.yaml', 'podLabels: &labels\n  team: todo\npodAnnotations:\n  <<: *labels\n  owner: alice\n');
    app.write('todo-deploy.yaml', `timeouts:\n  verify: 5s\nfrontend:\n  nodePort: ${app.ports.frontend}\nbackend:\n  nodePort: ${app.ports.backend}\n  valuesFile: backend-values.yaml\n`);
    const first = await up();
    expect(first.exitCode, first.stderr).toBe(0);
    const mark = sim.calls().length;
    const second = await up();
    expect(second.exitCode, second.stderr).toBe(0);
    expect(sim.calls().slice(mark).filter((c) => c.mutating).map((c) => `${c.tool} ${c.argv.join(' ')}`)).toEqual([]);
  });

  it('releases named without their chart\'s name (web, api): the objects are named after them, rolled out and checked; the re-run changes nothing', async () => {
    const { sim, app, up } = await scenario();
    app.write('todo-deploy.yaml', `timeouts:\n  verify: 5s\nfrontend:\n  release: web\n  nodePort: ${app.ports.frontend}\nbackend:\n  release: api\n  nodePort: ${app.ports.backend}\n`);
    const first = await up();
    expect(first.exitCode, first.stderr).toBe(0);
    const cluster = sim.state().kube.clusters.minikube!;
    expect(Object.keys(cluster.deployments).filter((k) => k.startsWith('todo/')).sort()).toEqual(['todo/api', 'todo/web']);
    expect(sim.calls().filter((c) => c.command === 'rollout status').map((c) => c.argv.find((a) => a.startsWith('deployment/'))).sort()).toEqual(['deployment/api', 'deployment/web']);
    const mark = sim.calls().length;
    const second = await up();
    expect(second.exitCode, second.stderr).toBe(0);
    expect(sim.calls().slice(mark).filter((c) => c.mutating).map((c) => `${c.tool} ${c.argv.join(' ')}`)).toEqual([]);
  });

  it('finds its images again however their names are written (docker.io/ as Docker lists it, or not)', async () => {
    const { sim, app, up } = await scenario();
    app.write(
      'todo-deploy.yaml',
      `timeouts:\n  verify: 5s\nfrontend:\n  image: docker.io/alice/todo-frontend\n  nodePort: ${app.ports.frontend}\nbackend:\n  image: docker.io/library/todo-backend\n  nodePort: ${app.ports.backend}\n`,
    );
    expect((await up()).exitCode).toBe(0);
    const mark = sim.calls().length;
    const second = await up();
    expect(second.exitCode, second.stderr).toBe(0);
    expect(sim.calls().slice(mark).filter((c) => c.mutating).map((c) => `${c.tool} ${c.argv.join(' ')}`)).toEqual([]);
    expect((await up(['--skip-build'])).exitCode).toBe(0);
  });

  it('with the containerd runtime builds with minikube image build, from a staged context that holds the Dockerfile', async () => {
    const { sim, app, up } = await scenario();
    sim.update((s) => {
      s.minikube.profiles.minikube!.containerRuntime = 'containerd';
    });
    const config = join(app.dir, 'todo-deploy.yaml');
    app.write('todo-deploy.yaml', `${readFileSync(config, 'utf8')}minikube:\n  containerRuntime: containerd\n`);
    const first = await up();
    expect(first.exitCode, first.stderr).toBe(0);
    const builds = sim.calls().filter((c) => c.tool === 'minikube' && c.command === 'image build');
    expect(builds).toHaveLength(2);
    for (const build of builds) {
      const context = build.argv.at(-1)!;
      expect(build.argv).toEqual(expect.arrayContaining(['-f', 'Dockerfile.todo-deploy']));
      // Staged outside the app, and removed after the build.
      expect(context.startsWith(app.dir)).toBe(false);
      expect(existsSync(context)).toBe(false);
    }
    expect(Object.keys(sim.state().docker.images['minikube/minikube']!).sort()).toEqual([expect.stringMatching(/^todo-backend:/), expect.stringMatching(/^todo-frontend:/)]);
    const mark = sim.calls().length;
    expect((await up()).exitCode).toBe(0);
    expect(sim.calls().slice(mark).filter((c) => c.mutating)).toEqual([]);
  });

  it('rebuilds and redeploys only the backend when a backend file changes', async () => {
    const { sim, app, up, callsSince } = await deployed();
    const mark = sim.calls().length;
    app.write('backend/main.py', 'from fastapi import FastAPI\napp = FastAPI(title="v2")\n');
    const result = await up();
    expect(result.exitCode).toBe(0);
    const mutating = callsSince(mark).filter((c) => c.mutating);
    expect(mutating.map((c) => `${c.tool} ${c.command} ${c.argv.find((a) => /^todo-|^(frontend|backend)$/.test(a))}`)).toEqual([
      expect.stringMatching(/^docker build todo-backend:/),
      'helm upgrade backend',
    ]);
  });

  it('rolls only the pods that read a changed .env value', async () => {
    const { sim, app, up, callsSince } = await deployed();
    const podsBefore = Object.keys(sim.state().kube.clusters.minikube!.pods);
    const mark = sim.calls().length;
    const env = (await import('node:fs')).readFileSync(`${app.dir}/.env`, 'utf8');
    app.write('.env', env.replace('sk-proj-', 'sk-proj-rotated'));
    const result = await up();
    expect(result.exitCode).toBe(0);
    const mutating = callsSince(mark).filter((c) => c.mutating);
    expect(mutating.map((c) => `${c.tool} ${c.command}`)).toEqual(['kubectl apply', 'helm upgrade']);
    expect(mutating[0]!.stdin).toContain('"backend-secrets"');
    expect(mutating[0]!.stdin).not.toContain('"frontend-secrets"');
    expect(mutating[1]!.argv).toContain('backend');
    const podsAfter = Object.keys(sim.state().kube.clusters.minikube!.pods);
    expect(podsAfter.filter((p) => p.includes('frontend'))).toEqual(podsBefore.filter((p) => p.includes('frontend')));
    expect(podsAfter.filter((p) => p.includes('backend'))).not.toEqual(podsBefore.filter((p) => p.includes('backend')));
  });
});

describe('todo-deploy up --dry-run and --json', () => {
  it('--dry-run lists every command that would change something, runs none, and prints no secret', async () => {
    const { sim, up } = await scenario({ minikube: 'absent' });
    const result = await up(['--dry-run']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^\[dry-run\] minikube start -p minikube --driver docker --container-runtime docker /m);
    expect(result.stdout).toMatch(/^\[dry-run\] kubectl --context minikube apply --server-side .* < 3 manifest\(s\): Namespace\/todo, Secret\/frontend-secrets, Secret\/backend-secrets \(values redacted\)$/m);
    expect(result.stdout).toMatch(/^\[dry-run\] docker build --tag todo-frontend:[0-9a-f]{12} .*--build-arg NEXT_PUBLIC_BACKEND_URL=/m);
    expect(result.stdout).toMatch(/^\[dry-run\] docker build --tag todo-backend:[0-9a-f]{12} /m);
    expect(result.stdout).toMatch(/^\[dry-run\] helm upgrade --install frontend .* --kube-context minikube /m);
    expect(result.stdout).toMatch(/^\[dry-run\] helm upgrade --install backend /m);
    expect(result.stdout).toContain('Dry run: nothing was changed.');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
    expect(sim.state().minikube.profiles.minikube).toBeUndefined();
    assertSafe(sim, result.stdout + result.stderr);
  });

  it('--json writes exactly one JSON document with phases, URLs and image tags', async () => {
    const { app, up } = await scenario();
    const result = await up(['--json']);
    expect(result.exitCode).toBe(0);
    const doc = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({
      command: 'up',
      ok: true,
      urls: { frontend: `http://localhost:${app.ports.frontend}`, backend: `http://localhost:${app.ports.backend}` },
      images: { frontend: expect.stringMatching(/^todo-frontend:[0-9a-f]{12}$/), backend: expect.stringMatching(/^todo-backend:[0-9a-f]{12}$/) },
    });
    expect((doc.phases as Array<{ status: string }>).map((p) => p.status)).toEqual(Array(7).fill('done'));
    expect(result.stderr).toContain('✔ Deploy with Helm');
  });
});

// Clients that build with the legacy builder unless told (test/contract/recorded/docker/build-*):
// the shipped Dockerfiles' RUN --mount needs BuildKit, so up asks for it.
describe('todo-deploy up with a docker client that defaults to the legacy builder', () => {
  it("builds with Debian's docker 20.10 client (DOCKER_BUILDKIT=1)", async () => {
    const { up } = await scenario({ tools: { docker: { clientVersion: '20.10.24+dfsg1', apiVersion: '1.41' } } });
    const result = await up();
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('says buildx is missing when a docker 23+ client has no buildx plugin', async () => {
    const { up } = await scenario({ tools: { docker: { buildx: false } } });
    const result = await up();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('BuildKit is enabled but the buildx component is missing or broken');
  });
});
