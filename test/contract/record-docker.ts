// Re-records test/contract/recorded/docker/*.json from a real Docker Engine this script starts
// and stops itself (test/engine/daemon.ts: its own socket and folders, no networking):
//   node --import ./bench/register.mjs test/contract/record-docker.ts
// Needs root and Debian's docker.io (dockerd and its 20.10 client, /usr/bin/docker). Also
// records the docker 28 client at /usr/local/bin/docker when there is one, and that client with
// the buildx plugin when BUILDX (or the engine tier's cache) has a docker-buildx binary.
// Every argv is the product's own (src/tools/docker.ts); the run folder and the build context
// are replaced by <run> and <context>, so re-recording changes only what the tools changed.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerBuildArgs, dockerVersionArgs, imageInspectArgs } from '../../src/tools/docker.js';
import { startDaemon, withHostNetwork, type Daemon } from '../engine/daemon.js';
import type { DockerRecording } from './recording.js';

const OUT = fileURLToPath(new URL('./recorded/docker/', import.meta.url));
const BUILDX = process.env.BUILDX ?? '/var/cache/todo-deploy-engine/buildx/docker-buildx';

/** A base image with nothing but a shell: enough for a RUN that prints and fails, no pull. */
const BASE = 'todo-contract-base:1';
export const FOUND = ['todo-frontend:3f9a1c2b7d4e', 'todo-backend:8e1d0a6c5b2f'] as const;
export const MISSING = 'todo-frontend:000000000000';

interface Client {
  /** Fixture name suffix. */
  id: string;
  path: string;
  env: Record<string, string>;
  /** Cases to record with this client. */
  builds: ('legacy' | 'buildkit')[];
}

function clients(work: string): Client[] {
  const list: Client[] = [{ id: 'docker-20.10', path: '/usr/bin/docker', env: {}, builds: ['legacy', 'buildkit'] }];
  if (existsSync('/usr/local/bin/docker')) {
    // A client with no buildx plugin: an empty config folder hides any plugin the machine has.
    const bare = join(work, 'config-bare');
    mkdirSync(bare, { recursive: true });
    list.push({ id: 'docker-28', path: '/usr/local/bin/docker', env: { DOCKER_CONFIG: bare }, builds: ['buildkit'] });
    if (existsSync(BUILDX)) {
      const withBuildx = join(work, 'config-buildx');
      mkdirSync(join(withBuildx, 'cli-plugins'), { recursive: true });
      copyFileSync(BUILDX, join(withBuildx, 'cli-plugins', 'docker-buildx'));
      chmodSync(join(withBuildx, 'cli-plugins', 'docker-buildx'), 0o755);
      list.push({ id: 'docker-28-buildx', path: '/usr/local/bin/docker', env: { DOCKER_CONFIG: withBuildx }, builds: ['buildkit'] });
    }
  }
  return list;
}

function run(client: Client, args: string[], env: Record<string, string>) {
  const r = spawnSync(client.path, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...client.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { exitCode: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function versions(client: Client, host: string): { client: string; server: string | null } {
  const r = run(client, dockerVersionArgs, { DOCKER_HOST: host });
  const json = JSON.parse(r.stdout.trim()) as { Client: { Version: string }; Server: { Version: string } | null };
  return { client: json.Client.Version, server: json.Server?.Version ?? null };
}

/** A tar of /bin/sh (the host's dash) and the two libraries it needs, imported as BASE. */
function importBase(work: string, host: string): void {
  const root = join(work, 'base');
  for (const file of ['/bin/sh', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']) {
    mkdirSync(join(root, dirname(file)), { recursive: true });
    copyFileSync(realpathSync(file), join(root, file));
  }
  chmodSync(join(root, 'bin/sh'), 0o755);
  // One import per reference: each is its own image, so its RepoTags holds that tag alone, as a
  // service's image does.
  for (const ref of [BASE, ...FOUND]) {
    const tar = spawnSync('sh', ['-c', `tar -C ${root} -c . | /usr/bin/docker import - ${ref}`], { env: { ...process.env, DOCKER_HOST: host }, encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`docker import failed: ${tar.stderr}`);
  }
}

/** Build contexts: one whose RUN prints a build log and fails, one that builds (with a cache mount, as the shipped Dockerfiles have). */
function contexts(work: string): { failing: string; passing: string; syntax: string } {
  const failing = join(work, 'ctx-failing');
  const passing = join(work, 'ctx-passing');
  const syntax = join(work, 'ctx-syntax');
  for (const dir of [failing, passing, syntax]) mkdirSync(dir, { recursive: true });
  // What the shipped Dockerfiles had on their first line: BuildKit resolves that image first.
  writeFileSync(join(syntax, 'Dockerfile'), `# syntax=docker/dockerfile:1\nFROM ${BASE}\nRUN echo built > /built\n`);
  writeFileSync(
    join(failing, 'Dockerfile'),
    `FROM ${BASE}\nRUN echo "> todo-frontend@0.1.0 build /app" && echo "> next build" && echo "Type error: Property 'title' does not exist on type 'Task'." >&2 && echo " ELIFECYCLE  Command failed with exit code 1." >&2 && exit 1\n`,
  );
  writeFileSync(join(passing, 'Dockerfile'), `FROM ${BASE}\nRUN --mount=type=cache,target=/cache echo built > /built\n`);
  return { failing, passing, syntax };
}

const fixtures: DockerRecording[] = [];

function record(name: string, client: Client, clientVersions: { client: string; server: string | null }, args: string[], env: Record<string, string>, scrub: (s: string) => string): void {
  const r = run(client, args, env);
  fixtures.push({
    name: `${name}.${client.id}`,
    tool: 'docker',
    client: clientVersions.client,
    server: clientVersions.server,
    ...(client.id === 'docker-28' ? { note: 'docker 28 client without the buildx plugin' } : {}),
    ...(client.id === 'docker-28-buildx' ? { note: 'docker 28 client with the buildx plugin (v0.24.0, built from its Go module)' } : {}),
    env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, scrub(v)])),
    argv: args.map(scrub),
    exitCode: r.exitCode,
    stdout: scrub(r.stdout),
    stderr: scrub(r.stderr),
  });
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'tdrec-'));
  let daemon: Daemon | undefined;
  try {
    daemon = await startDaemon();
    const host = daemon.host;
    // The run folders vary, and so does this machine's DNS resolver (in the offline pull errors).
    const scrub = (s: string) => s.replaceAll(daemon!.runDir, '<run>').replaceAll(work, '<work>').replace(/ on [\d.]+:53: /g, ' on <resolver>:53: ');
    importBase(work, host);
    const ctx = contexts(work);
    const all = clients(work);
    const up = new Map(all.map((c) => [c.id, versions(c, host)]));
    const withHost = { DOCKER_HOST: host };
    for (const c of all) {
      const v = up.get(c.id)!;
      record('version-up', c, v, dockerVersionArgs, withHost, scrub);
      record('inspect-found', c, v, imageInspectArgs(FOUND), withHost, scrub);
      record('inspect-missing', c, v, imageInspectArgs([MISSING]), withHost, scrub);
      record('inspect-mixed', c, v, imageInspectArgs([FOUND[0], MISSING, FOUND[1]]), withHost, scrub);
      // Not read by the product yet: what a BuildKit check (issue 14) would see from each client.
      record('buildx-version', c, v, ['buildx', 'version'], withHost, scrub);
      for (const mode of c.builds) {
        // The 20.10 client builds with the legacy builder unless DOCKER_BUILDKIT=1; newer ones default to BuildKit.
        const env = mode === 'legacy' ? withHost : c.id === 'docker-20.10' ? { ...withHost, DOCKER_BUILDKIT: '1' } : withHost;
        // The product's argv, plus --network host: this daemon has no bridge, and a BuildKit RUN
        // on the default network fails with "network bridge not found".
        const build = (dir: string, ref: string) =>
          withHostNetwork(dockerBuildArgs({ ref, dockerfile: join(dir, 'Dockerfile'), context: dir, buildArgs: { NEXT_PUBLIC_BACKEND_URL: 'http://127.0.0.1:30001' }, labels: { 'dev.todo-deploy.content-tag': 'abc' } }));
        const suffix = mode === 'legacy' ? '-legacy' : '';
        record(`build-fails${suffix}`, c, v, build(ctx.failing, 'todo-frontend:failing'), env, (s) => scrub(s.replaceAll(ctx.failing, '<context>')));
        record(`build-ok${suffix}`, c, v, build(ctx.passing, 'todo-frontend:passing'), env, (s) => scrub(s.replaceAll(ctx.passing, '<context>')));
        if (mode === 'buildkit') record('build-syntax-directive', c, v, build(ctx.syntax, 'todo-frontend:syntax'), env, (s) => scrub(s.replaceAll(ctx.syntax, '<context>')));
        // A 23+ client without buildx, told to use BuildKit: it refuses before contacting the daemon.
        if (c.id === 'docker-28') record('build-ok-buildkit-env', c, v, build(ctx.passing, 'todo-frontend:passing'), { ...withHost, DOCKER_BUILDKIT: '1' }, (s) => scrub(s.replaceAll(ctx.passing, '<context>')));
      }
    }
    await daemon.stop();
    // The same calls once the daemon is gone: the client still answers for itself.
    for (const c of all) {
      const v = { client: up.get(c.id)!.client, server: null };
      record('version-down', c, v, dockerVersionArgs, withHost, scrub);
      record('inspect-down', c, v, imageInspectArgs(FOUND), withHost, scrub);
    }
    mkdirSync(OUT, { recursive: true });
    for (const old of readdirSync(OUT)) if (old.endsWith('.json')) rmSync(join(OUT, old));
    for (const f of fixtures) {
      const { name, ...body } = f;
      writeFileSync(join(OUT, `${name}.json`), `${JSON.stringify(body, null, 2)}\n`);
    }
    console.log(`recorded ${fixtures.length} docker outputs into ${OUT}`);
  } finally {
    await daemon?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
