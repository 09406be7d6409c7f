import { afterEach, describe, expect, it } from 'vitest';
import { createSim, type Sim } from '../sim/harness.js';
import { runCli } from '../sim/run-cli.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp, secrets, secretValues, type App } from './app-fixture.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function setup(options: Parameters<typeof createSim>[0] = {}): Promise<{ sim: Sim; app: App }> {
  const sim = await createSim(options);
  const app = await createApp(sim);
  cleanups.push(() => app.close(), () => sim.cleanup());
  return { sim, app };
}

const doctor = (sim: Sim, app: App, ...args: string[]) => runCli(['doctor', ...args], { sim, cwd: app.dir, env: { CI: 'true' } });

describe('todo-deploy doctor (through bin/, against the simulator)', () => {
  it('exits 0 when everything is healthy, and changes nothing', async () => {
    const { sim, app } = await setup({ helmMajor: 4 });
    const result = await doctor(sim, app);
    expect(result.stderr).not.toMatch(/✖/);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^ok +helm +4\.1\.4$/m);
    expect(result.stdout).toMatch(/^ok +docker daemon +reachable/m);
    expect(result.stdout).toMatch(/^ok +minikube profile "minikube" +running$/m);
    expect(result.stdout).toMatch(/^ok +\.env +valid/m);
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('names all four missing tools with install hints and exits 3', async () => {
    const { sim, app } = await setup({ missing: ['docker', 'minikube', 'helm', 'kubectl'] });
    const result = await doctor(sim, app);
    expect(result.exitCode).toBe(3);
    for (const [tool, hint] of [
      ['docker', 'https://docs.docker.com/get-docker/'],
      ['minikube', 'https://minikube.sigs.k8s.io/docs/start/'],
      ['helm', 'https://helm.sh/docs/intro/install/'],
      ['kubectl', 'https://kubernetes.io/docs/tasks/tools/'],
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^FAIL  ${tool} +not found on PATH$`, 'm'));
      expect(result.stdout).toContain(hint);
    }
    expect(result.stderr).toContain('Missing or unreachable: docker, minikube, helm, kubectl.');
  });

  // Recorded on a real Engine (test/contract/recorded/docker/build-*): without buildx a 23+
  // client falls back to the legacy builder, which refuses the Dockerfiles' RUN --mount.
  it.each([
    ['docker 28 with buildx', {}, 0, /^ok +docker BuildKit +buildx 0\.24\.0$/m],
    ["Debian's docker 20.10", { clientVersion: '20.10.24+dfsg1', apiVersion: '1.41' }, 0, /^ok +docker BuildKit +built in \(docker 20\.10\.24, with DOCKER_BUILDKIT=1, which todo-deploy sets\)$/m],
    ['docker 28 without buildx', { buildx: false }, 3, /^FAIL  docker BuildKit +docker 28\.2\.2 has no buildx plugin, so it cannot build the Dockerfiles/m],
  ] as const)('checks that %s can build the Dockerfiles with BuildKit', async (_, docker, exitCode, line) => {
    const { sim, app } = await setup({ tools: { docker } });
    const result = await doctor(sim, app);
    expect(result.stdout).toMatch(line);
    expect(result.exitCode).toBe(exitCode);
    if (exitCode !== 0) {
      expect(result.stdout).toContain('docker-buildx-plugin');
      expect(result.stderr).toContain('Missing or unreachable: docker BuildKit.');
    }
  });

  it('reports the Docker daemon down and exits 3', async () => {
    const { sim, app } = await setup({ docker: { daemon: 'down' } });
    const result = await doctor(sim, app);
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toMatch(/^FAIL  docker daemon +not reachable: Cannot connect to the Docker daemon/m);
  });

  it.each([
    ['stopped', /^warn  minikube profile "minikube" +stopped; `todo-deploy up` will start it$/m],
    ['absent', /^warn  minikube profile "minikube" +does not exist yet; `todo-deploy up` will create it$/m],
  ] as const)('says what `up` will do with a %s profile, and exits 0', async (minikube, line) => {
    const { sim, app } = await setup({ minikube });
    const result = await doctor(sim, app);
    expect(result.stdout).toMatch(line);
    expect(result.exitCode).toBe(0);
  });

  it('lists every .env mistake, prints no secret value, and exits 2', async () => {
    const { sim, app } = await setup();
    app.write('.env', `BETTER_AUTH_SECRET=short-${secretValues[0]!.slice(0, 6)}\nDATABASE_URL=mysql://root:${secretValues[3]}@db/todo\nOPENAI_API_KEY=<your-openai-key>\nBETTER_AUTH_URL=\nBETTER_AUTH_URL=\n`);
    const result = await doctor(sim, app, '--json');
    expect(result.exitCode).toBe(2);
    const report = JSON.parse(result.stdout) as { checks: Array<{ id: string; problems?: string[] }> };
    const problems = report.checks.find((c) => c.id === 'env')!.problems!;
    expect(problems.map((p) => p.replace(/^.*\.env(:\d+)?: /, ''))).toEqual([
      expect.stringMatching(/^BETTER_AUTH_SECRET is too short/),
      expect.stringMatching(/^DATABASE_URL must be a postgres/),
      expect.stringMatching(/^OPENAI_API_KEY still holds a placeholder/),
      expect.stringMatching(/^BETTER_AUTH_URL is empty/),
    ]);
    const printed = result.stdout + result.stderr;
    expect(printed).not.toContain(secretValues[3]);
    expect(printed).not.toContain(secretValues[0]!.slice(0, 6));
  });

  it('names file, line and key of a broken todo-deploy.yaml and exits 2', async () => {
    const { sim, app } = await setup();
    app.write('todo-deploy.yaml', 'namespace: todo\nminikube:\n  cpus: many\n  memroy: 4g\n');
    const result = await doctor(sim, app);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain('todo-deploy.yaml:3:9: minikube.cpus: expected an integer from 1 to 256, got "many"');
    expect(result.stdout).toContain('todo-deploy.yaml:4:3: minikube.memroy: unknown key (did you mean "memory"?)');
  });

  it('warns when .env is readable by others or tracked by git', async () => {
    const { sim, app } = await setup();
    sim.linkReal('git');
    const { execFileSync } = await import('node:child_process');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: app.dir, env: { ...sim.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
    git('init', '-q');
    git('add', '.env');
    (await import('node:fs')).chmodSync(`${app.dir}/.env`, 0o644);
    const result = await doctor(sim, app);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^warn  \.env +valid/m);
    expect(result.stdout).toContain('.env is tracked by git');
    expect(result.stdout).toContain('can be read by other users (mode 644)');
  });

  it('says which database up deploys the backend with: the external one at its host and port, never its password', async () => {
    const { sim, app } = await setup();
    const result = await doctor(sim, app);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^ok +database +external: ep-rain-42\.eu-central-1\.aws\.neon\.tech:5432 \(DATABASE_URL\)$/m);
    for (const secret of secretValues) expect(result.stdout + result.stderr).not.toContain(secret);
    expect(result.stdout).not.toContain('neondb_owner');
  });

  it('says PostgreSQL runs in the cluster when .env has no DATABASE_URL', async () => {
    const { sim, app } = await setup();
    app.write('.env', Object.entries(secrets).filter(([key]) => key !== 'DATABASE_URL').map(([key, value]) => `${key}=${value}\n`).join(''));
    const result = await doctor(sim, app, '--json');
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout) as { checks: Array<{ id: string }> };
    expect(report.checks.find((c) => c.id === 'env')).toMatchObject({ status: 'pass' });
    expect(report.checks.find((c) => c.id === 'database')).toEqual({
      id: 'database',
      title: 'database',
      category: 'input',
      status: 'pass',
      detail: 'in the cluster: postgres:17.6-bookworm, 1Gi volume (no DATABASE_URL in .env)',
    });
  });

  it('warns, and exits 0, when database.mode is in-cluster and .env still has a DATABASE_URL', async () => {
    const { sim, app } = await setup();
    app.write('todo-deploy.yaml', `${readFileSync(join(app.dir, 'todo-deploy.yaml'), 'utf8')}database:\n  mode: in-cluster\n`);
    const result = await doctor(sim, app);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^warn  database +in the cluster: postgres:17\.6-bookworm, 1Gi volume \(database\.mode: in-cluster\); the DATABASE_URL in \.env is not used$/m);
    expect(result.stdout).toContain('Remove DATABASE_URL from');
    for (const secret of secretValues) expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it('emits exactly one JSON document under --json', async () => {
    const { sim, app } = await setup();
    const result = await doctor(sim, app, '--json');
    expect(result.exitCode).toBe(0);
    const doc = JSON.parse(result.stdout) as { command: string; ok: boolean; checks: unknown[] };
    expect(doc).toMatchObject({ command: 'doctor', ok: true });
    expect(doc.checks.length).toBeGreaterThanOrEqual(8);
  });
});
