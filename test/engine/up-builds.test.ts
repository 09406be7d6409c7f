// The engine tier (npm run test:engine): `todo-deploy up`'s image phases against a REAL Docker
// Engine, with the rest of the cluster simulated.
//
// Real: the built CLI (bin/todo-deploy.js), run as a user runs it; the docker client
// (/usr/bin/docker, Debian's 20.10, with the DOCKER_BUILDKIT=1 up sets; or ENGINE_DOCKER with
// the buildx plugin of ENGINE_DOCKER_CONFIG linked into up's HOME) and the tier's own
// dockerd (daemon.ts: no bridge, its own socket); every `docker version`, `docker image inspect`
// and `docker build` up makes, with up's argv, from the example app (test/fixtures/todo-app) and
// the shipped Dockerfiles; the images, the build cache, the build logs and their failures; Ctrl-C
// reaching the real client mid-build.
// Simulated (test/sim): minikube, whose `docker-env` prints this daemon's unix:// socket as
// DOCKER_HOST (the profile's `dockerHost`, test-only; no TLS variables, as for a local socket);
// helm and kubectl; the cluster, whose pods "run" an image when its image store holds it; the
// NodePorts, answered by HTTP servers on 127.0.0.1 (app-fixture.ts). No container is run.
// The app: the example app's frontend/ and backend/, with app-fixture.ts's .env and a
// todo-deploy.yaml of its NodePorts and a fixed backend URL (so the frontend's tag, and its
// build cache, hold between runs).
// Between the two: the sim's `docker` is replaced by real-docker.mjs, which logs each call in the
// sim's call log (the argv and environment up passed are what is asserted), adds only
// `--network host` to a build (the daemon has no bridge; up never passes it), and enters the
// images a build tagged in the sim's image store of the profile, with their real id and USER
// (read with its own `docker image inspect`, before and after, not logged).
// The base images: the stand-ins (bases.ts) tagged under the Dockerfiles' default names
// (node:…, python:…, ghcr.io/astral-sh/uv:…) in this private daemon, because up passes no base
// build arguments, and carrying this machine's CA bundle in their trust store, because up passes
// no CA secret and the builds' downloads go through a TLS-intercepting proxy (with-ca.Dockerfile).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, secretValues, type App } from '../e2e/app-fixture.js';
import { repoRoot } from '../support/helm.js';
import { createSim, type CallRecord, type Sim } from '../sim/harness.js';
import { runCli, type CliResult } from '../sim/run-cli.js';
import { CACHE, ensureStandIns, tagAsDefaultBases } from './bases.js';
import { startDaemon, type Daemon } from './daemon.js';
import { dockerClient, type Docker } from './docker-client.js';

/** The backend URL the frontend bakes in: fixed, so its content tag (and build cache) holds between runs. */
const BACKEND_URL = 'http://127.0.0.1:30001';

let daemon: Daemon;
let docker: Docker;
let sim: Sim;
let app: App;
let serverVersion = '';
const report: string[] = [];
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const appDir = () => join(sim.dir, 'app');

async function up(label: string, onSpawn?: (child: ChildProcess) => void): Promise<CliResult & { calls: CallRecord[] }> {
  const mark = sim.calls().length;
  const started = Date.now();
  const r = await runCli(['up'], { sim, cwd: appDir(), env: { CI: 'true' }, timeoutMs: 15 * 60_000, onSpawn });
  const calls = sim.calls().slice(mark);
  const builds = calls.filter((c) => c.tool === 'docker' && c.command === 'build');
  report.push(`${label.padEnd(34)} ${s(Date.now() - started).padStart(7)}  exit ${r.exitCode}${builds.map((b) => `; ${tagOfBuild(b)} ${s(b.end - b.start)}`).join('')}`);
  // Each build's own log, beside images.test.ts's.
  mkdirSync(join(CACHE, 'logs'), { recursive: true });
  for (const b of builds) writeFileSync(join(CACHE, 'logs', `up-${label.replace(/\W+/g, '-')}-${tagOfBuild(b).split(':')[0]}.log`), b.stderr);
  return { ...r, calls };
}

const dockerCalls = (calls: CallRecord[], command: string) => calls.filter((c) => c.tool === 'docker' && c.command === command);
const tagOfBuild = (c: CallRecord) => c.argv[c.argv.indexOf('--tag') + 1]!;

/** The real daemon's image: its id, USER and labels; undefined when it has no such tag. */
async function realImage(ref: string): Promise<{ Id: string; Config: { User: string; Labels: Record<string, string> } } | undefined> {
  const r = await docker.run(['image', 'inspect', '--format', '{{json .}}', ref], { allowFailure: true });
  return r.exitCode === 0 ? JSON.parse(r.stdout) : undefined;
}

/** The processes the daemon runs for build steps (runc and below; containerd is not one of them). */
function buildSteps(): string[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …: comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  const under = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === daemon.pid) return true;
    return false;
  };
  const cmdline = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      return '';
    }
  };
  return [...parents.keys()].filter(under).map(cmdline).filter((c) => c && !/^(containerd|\/usr\/bin\/containerd)/.test(c));
}

/** Every call: no secret in any argv, nothing refused (the wrapper refuses any other daemon). */
function assertClean(calls: CallRecord[], output: string): void {
  for (const c of calls) {
    expect(c.unexpected ?? c.safety ?? c.internalError, `${c.tool} ${c.argv.join(' ')}: ${c.stderr}`).toBeUndefined();
    for (const secret of secretValues) expect(c.argv.join(' ')).not.toContain(secret);
  }
  for (const secret of secretValues) expect(output).not.toContain(secret);
}

/** Each build: up's argv and environment, and the real client's argv with only --network host added. */
function assertUpsBuild(c: CallRecord): void {
  expect(c.argv).not.toContain('--network');
  expect(c.argv).not.toContain('--secret');
  expect(c.real?.argv).toEqual(['build', '--network', 'host', ...c.argv.slice(1)]);
  // docker-env's variables (no TLS ones for a unix socket) and up's DOCKER_BUILDKIT=1.
  expect(c.env).toEqual({ DOCKER_HOST: daemon.host, MINIKUBE_ACTIVE_DOCKERD: 'minikube', DOCKER_BUILDKIT: '1', KUBECONFIG: sim.kubeconfig });
}

beforeAll(async () => {
  const started = Date.now();
  daemon = await startDaemon({ dataRoot: join(CACHE, 'docker') });
  const daemonUp = Date.now() - started;
  docker = dockerClient(daemon.host);
  serverVersion = (await docker.run(['version', '--format', '{{.Server.Version}}'])).stdout.trim();
  const standIns = await ensureStandIns(docker, (line) => report.push(line));
  const bases = await tagAsDefaultBases(docker, standIns);
  report.push(`docker ${docker.path} against Engine ${serverVersion}; bases as up names them: ${bases.join(', ')}`);
  report.push(`daemon up in ${s(daemonUp)}; bases ready in ${s(Date.now() - started - daemonUp)}`);
  // ENGINE_COLD=1: no build cache (the stand-in bases stay), as in images.test.ts.
  if (process.env.ENGINE_COLD === '1') {
    const pruning = Date.now();
    await docker.run(['builder', 'prune', '--all', '--force']);
    report.push(`ENGINE_COLD=1: build cache pruned in ${s(Date.now() - pruning)}`);
  }
  // No app image from an earlier run: the first up finds neither and builds both.
  const stale = (await docker.run(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter((r) => /^todo-(frontend|backend):/.test(r));
  if (stale.length) await docker.run(['image', 'rm', '--force', ...stale]);

  sim = await createSim({ minikube: { profiles: { minikube: { dockerHost: daemon.host } } } });
  app = await createApp(sim);
  // The example app instead of createApp's placeholder sources; its .env and servers stay.
  for (const service of ['frontend', 'backend']) {
    rmSync(join(appDir(), service), { recursive: true, force: true });
    cpSync(join(repoRoot, 'test', 'fixtures', 'todo-app', service), join(appDir(), service), { recursive: true });
  }
  writeFileSync(
    join(appDir(), 'todo-deploy.yaml'),
    `timeouts:\n  verify: 5s\nfrontend:\n  nodePort: ${app.ports.frontend}\n  backendUrl: ${BACKEND_URL}\nbackend:\n  nodePort: ${app.ports.backend}\n`,
  );
  sim.update((st) => {
    st.minikube.profiles.minikube!.ports = [app.ports.frontend, app.ports.backend].map((p) => `127.0.0.1:${p}:${p}`);
  });
  // ENGINE_DOCKER_CONFIG (another client, with buildx): its plugin where a user's is, in the HOME up runs with.
  const config = process.env.ENGINE_DOCKER_CONFIG;
  if (config) {
    mkdirSync(join(sim.home, '.docker', 'cli-plugins'), { recursive: true });
    symlinkSync(join(config, 'cli-plugins', 'docker-buildx'), join(sim.home, '.docker', 'cli-plugins', 'docker-buildx'));
  }
  // The sim's docker becomes the real client (real-docker.mjs), the sim's folder and this daemon baked in.
  const wrapper = pathToFileURL(join(repoRoot, 'test', 'engine', 'real-docker.mjs')).href;
  const shim = join(sim.binDir, 'docker');
  writeFileSync(shim, `#!${process.execPath}\nimport(${JSON.stringify(wrapper)}).then((m) => m.main(${JSON.stringify(sim.dir)}, ${JSON.stringify({ docker: docker.path, host: daemon.host })}));\n`);
  chmodSync(shim, 0o755);
}, 30 * 60_000);

afterAll(async () => {
  const ending = Date.now();
  if (docker) {
    const images = (await docker.run(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], { allowFailure: true })).stdout.split('\n').filter((r) => /^todo-(frontend|backend):/.test(r));
    if (images.length) await docker.run(['image', 'rm', '--force', ...images], { allowFailure: true });
    await docker.run(['builder', 'prune', '--force', '--keep-storage', '6gb'], { allowFailure: true });
  }
  await daemon?.stop();
  await app?.close();
  await sim?.cleanup();
  report.push(`clean-up (app images removed, cache bounded, daemon stopped) in ${s(Date.now() - ending)}`);
  const text = ['', 'engine tier: up against the real daemon', ...report.map((l) => `  ${l}`), ''].join('\n');
  writeFileSync(join(CACHE, 'last-report-up.txt'), text);
  console.log(text);
}, 10 * 60_000);

describe("up's image phases on a real Docker Engine", () => {
  let first: { frontend: string; backend: string };
  let interrupted = '';

  it("the stand-in docker reaches this daemon only: another DOCKER_HOST or -H is refused before any client runs", async () => {
    const mark = sim.calls().length;
    const other = await sim.exec('docker', ['version', '--format', '{{json .}}'], { env: { DOCKER_HOST: 'unix:///var/run/docker.sock' } });
    const flag = await sim.exec('docker', ['-H', 'tcp://127.0.0.1:2375', 'image', 'ls'], { env: { DOCKER_HOST: daemon.host } });
    for (const r of [other, flag]) expect(r).toMatchObject({ exitCode: 97, stdout: '' });
    expect(other.stderr).toContain("only the tier's daemon");
    expect(sim.calls().slice(mark).map((c) => [c.unexpected, c.real])).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
  });

  it('first up: the real docker version, one image inspect that finds neither image, both builds at once, each image once', async () => {
    const r = await up('first up (both images missing)');
    expect(r.exitCode, r.stderr).toBe(0);
    assertClean(r.calls, r.stdout + r.stderr);

    // The simulated minikube's docker-env named this daemon, and only the TLS-less variables.
    const [env] = r.calls.filter((c) => c.tool === 'minikube' && c.command === 'docker-env');
    expect(JSON.parse(env!.stdout)).toMatchObject({ DOCKER_HOST: daemon.host, MINIKUBE_ACTIVE_DOCKERD: 'minikube' });
    expect(JSON.parse(env!.stdout)).not.toHaveProperty('DOCKER_TLS_VERIFY');
    const [version] = dockerCalls(r.calls, 'version');
    expect(version?.exitCode).toBe(0);
    expect(version?.real).toBeDefined();
    expect((JSON.parse(version!.stdout) as { Server: { Version: string } }).Server.Version).toBe(serverVersion);

    const inspects = dockerCalls(r.calls, 'image inspect');
    expect(inspects).toHaveLength(1);
    expect(inspects[0]!.exitCode).toBe(1);
    expect(inspects[0]!.env.DOCKER_HOST).toBe(daemon.host);

    const builds = dockerCalls(r.calls, 'build');
    expect(builds.map((b) => tagOfBuild(b).split(':')[0]).sort()).toEqual(['todo-backend', 'todo-frontend']);
    for (const b of builds) {
      expect(b.exitCode, b.stderr).toBe(0);
      assertUpsBuild(b);
      // The managers of the example app's lockfiles (pnpm-lock.yaml, uv.lock), found by up's preflight.
      expect(b.argv).toContain(tagOfBuild(b).startsWith('todo-frontend:') ? 'PACKAGE_MANAGER=pnpm' : 'PACKAGE_MANAGER=uv');
    }
    // Both at once: each started before the other ended.
    expect(Math.max(...builds.map((b) => b.start))).toBeLessThan(Math.min(...builds.map((b) => b.end)));
    // The inspect named exactly the refs the builds then tagged, and said neither exists.
    const refs = builds.map(tagOfBuild);
    expect(inspects[0]!.argv.slice(-2).sort()).toEqual([...refs].sort());
    for (const ref of refs) expect(inspects[0]!.stderr).toContain(`No such image: ${ref}`);

    first = Object.fromEntries(refs.map((ref) => [ref.startsWith('todo-frontend:') ? 'frontend' : 'backend', ref])) as typeof first;
    for (const [service, ref] of Object.entries(first)) {
      const image = await realImage(ref);
      expect(image, `${ref} in the real daemon`).toBeDefined();
      expect(image!.Config.User).toBe('1001:1001');
      expect(image!.Config.Labels['dev.todo-deploy.content-tag']).toBe(ref.split(':')[1]);
      expect(image!.Config.Labels['org.opencontainers.image.title']).toBe(`todo-${service}`);
    }
    expect(r.stdout).toContain(`built ${first.frontend}`);
    expect(r.stdout).toContain(`built ${first.backend}`);
  });

  it('a re-run finds both images in the real daemon and builds nothing', async () => {
    const r = await up('re-run (nothing changed)');
    expect(r.exitCode, r.stderr).toBe(0);
    assertClean(r.calls, r.stdout + r.stderr);
    const [inspect, ...more] = dockerCalls(r.calls, 'image inspect');
    expect(more).toEqual([]);
    expect(inspect!.exitCode).toBe(0);
    expect(inspect!.stdout).toContain(first.frontend);
    expect(inspect!.stdout).toContain(first.backend);
    expect(dockerCalls(r.calls, 'build')).toEqual([]);
    expect(r.calls.filter((c) => c.mutating && c.changed)).toEqual([]);
    expect(r.stdout + r.stderr).toContain('Nothing changed');
  });

  it('one changed file rebuilds exactly that image: the inspect finds one tag and misses the other', async () => {
    appendFileSync(join(appDir(), 'backend', 'main.py'), `\n# changed by the engine tier: ${randomBytes(8).toString('hex')}\n`);
    const r = await up('backend main.py changed');
    expect(r.exitCode, r.stderr).toBe(0);
    assertClean(r.calls, r.stdout + r.stderr);
    const builds = dockerCalls(r.calls, 'build');
    expect(builds).toHaveLength(1);
    const rebuilt = tagOfBuild(builds[0]!);
    expect(rebuilt).toMatch(/^todo-backend:/);
    expect(rebuilt).not.toBe(first.backend);
    assertUpsBuild(builds[0]!);
    const [inspect] = dockerCalls(r.calls, 'image inspect');
    // Present and missing in one call: exit 1, the found tag on stdout, the missing one on stderr.
    expect(inspect!.exitCode).toBe(1);
    expect(inspect!.stdout).toContain(first.frontend);
    expect(inspect!.stderr).toContain(`No such image: ${rebuilt}`);
    expect(inspect!.stderr).not.toContain(first.frontend);
    expect(await realImage(rebuilt)).toBeDefined();
    expect(r.stdout).toContain(`Changed:  built ${rebuilt}; upgraded backend`);
    expect(r.stdout).not.toContain('built todo-frontend');
    first.backend = rebuilt;
  });

  it("a failing build fails up with the build log's last lines, and tags nothing", async () => {
    const pyproject = join(appDir(), 'backend', 'pyproject.toml');
    const good = readFileSync(pyproject, 'utf8');
    writeFileSync(pyproject, `${good}\nthis line is not TOML\n`);
    try {
      const r = await up('failing backend build');
      expect(r.exitCode).not.toBe(0);
      assertClean(r.calls, r.stdout + r.stderr);
      const builds = dockerCalls(r.calls, 'build');
      expect(builds).toHaveLength(1);
      const failed = builds[0]!;
      expect(failed.exitCode).not.toBe(0);
      // uv's own error, from the RUN step, and BuildKit's last line, as up shows them.
      expect(failed.stderr).toMatch(/pyproject\.toml/);
      expect(r.stderr).toContain('The backend image failed to build.');
      const lastLines = failed.stderr.trimEnd().split('\n').slice(-3);
      for (const line of lastLines) expect(r.stderr).toContain(line.trim());
      // BuildKit's verdict: 20.10's words, or a current client's.
      expect(r.stderr).toMatch(/executor failed running .*: exit code: 2|did not complete successfully: exit code: 2/);
      expect(r.stderr).toContain('error: Failed to parse: `pyproject.toml`');
      expect(await realImage(tagOfBuild(failed))).toBeUndefined();
    } finally {
      writeFileSync(pyproject, good);
    }
  });

  it('Ctrl-C during a real build: the client is stopped, up exits 130 and says so, no image is tagged', async () => {
    appendFileSync(join(appDir(), 'frontend', 'app', 'page.js'), `\n// changed by the engine tier: ${randomBytes(8).toString('hex')}\n`);
    const liveDir = join(sim.dir, 'live');
    const logsBefore = new Set(existsSync(liveDir) ? readdirSync(liveDir) : []);
    let child: ChildProcess | undefined;
    const running = up('Ctrl-C during the frontend build', (c) => (child = c));
    // The frontend's `next build` is running in the daemon: its RUN step has printed output.
    await vi.waitFor(
      () => {
        const logs = (existsSync(liveDir) ? readdirSync(liveDir) : []).filter((f) => !logsBefore.has(f)).map((f) => readFileSync(join(liveDir, f), 'utf8'));
        const log = logs.find((l) => l.includes('todo-frontend:'));
        // `"$PACKAGE_MANAGER" run build`, which BuildKit shows with the build argument put in: pnpm, from the example app's pnpm-lock.yaml.
        const step = log && /^#(\d+) \[builder [^\]]*\] RUN .*"pnpm" run build/m.exec(log)?.[1];
        if (!step || !new RegExp(`^#${step} \\d+\\.\\d+ `, 'm').test(log)) throw new Error('the frontend build is not running its next build yet');
        // …and the daemon runs it: a process of the step under dockerd.
        if (!buildSteps().some((c) => /pnpm|next/.test(c))) throw new Error(`no build step under dockerd: ${buildSteps().join('; ')}`);
      },
      { timeout: 5 * 60_000, interval: 100 },
    );
    child!.kill('SIGINT');
    const r = await running;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain('✖ Interrupted during "Build the images".');
    expect(r.stderr).toContain('Run the same command again: it picks up where this one stopped.');
    const builds = dockerCalls(r.calls, 'build');
    expect(builds).toHaveLength(1);
    const [build] = builds;
    expect(tagOfBuild(build!)).toMatch(/^todo-frontend:/);
    expect(build!.exitCode).toBe(130);
    // The real client is gone; the daemon stops the step it was running; the build tagged nothing.
    expect(() => process.kill(build!.real!.pid, 0)).toThrow();
    await vi.waitFor(() => expect(buildSteps()).toEqual([]), { timeout: 30_000, interval: 100 });
    expect(await realImage(tagOfBuild(build!))).toBeUndefined();
    expect(await realImage(first.frontend)).toBeDefined();
    interrupted = tagOfBuild(build!);
  });

  it('the next up builds the interrupted image, and only it, and converges', async () => {
    const r = await up('up after Ctrl-C');
    expect(r.exitCode, r.stderr).toBe(0);
    assertClean(r.calls, r.stdout + r.stderr);
    const builds = dockerCalls(r.calls, 'build');
    expect(builds.map(tagOfBuild)).toEqual([interrupted]);
    assertUpsBuild(builds[0]!);
    expect(await realImage(interrupted)).toBeDefined();
    expect(r.stdout).toContain(`Changed:  built ${interrupted}; upgraded frontend`);
  });
});
