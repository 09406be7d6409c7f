// The simulated docker held to the real one. Each recording in recorded/docker/ (made by
// record-docker.ts from a real Docker Engine) is replayed against the simulator in the same
// scenario, and what the product reads from it must come out the same: parseDockerVersion's
// answer and the daemon-down reason doctor shows, parseImageTags' answer (which of up's images
// exist), the exit codes up's allowFailure calls see, and the build log tail a failed build
// shows. No Docker is needed here: the real side is the fixtures.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerVersionArgs, familiarRef, imageInspectArgs, parseBuildxVersion, parseDockerVersion, parseImageTags } from '../../src/tools/docker.js';
import { tail } from '../../src/tools/exec.js';
import type { ImageRecord, Sim } from '../sim/harness.js';
import { useSims, writeApp } from '../sim/sim-fixture.js';
import { loadRecordings, type DockerRecording } from './recording.js';

const recordings = loadRecordings('docker');
const sim = useSims();
const kind = (r: DockerRecording) => r.name.slice(0, r.name.lastIndexOf('.docker-'));
const of = (...kinds: string[]) => recordings.filter((r) => kinds.includes(kind(r)));
const byName = (list: DockerRecording[]) => list.map((r) => [r.name, r] as const);

/** The first non-empty stderr line: what doctor and up show as the daemon's "not reachable" reason. */
const reason = (stderr: string) => stderr.split('\n').find((line) => line.trim());

/** The refs a recording asked about, and the ones that existed (the recorder's FOUND). */
const FOUND = ['todo-frontend:3f9a1c2b7d4e', 'todo-backend:8e1d0a6c5b2f'];

function image(id: string): ImageRecord {
  return { id: `sha256:${id.repeat(64).slice(0, 64)}`, created: '2026-12-01T08:00:00.000Z', labels: {}, buildArgs: {}, secretIds: [], size: 1_000_000 };
}

/** The client a recording came from has the buildx plugin (the docker 28 client was recorded with and without). */
const withBuildx = (r: DockerRecording) => !r.name.endsWith('.docker-28');

/** A sim whose docker reports the recording's client and engine versions, the recorder's images on its daemon. */
async function simFor(r: DockerRecording): Promise<Sim> {
  return sim({
    tools: { docker: { clientVersion: r.client, serverVersion: r.server ?? '0.0.0', buildx: withBuildx(r) } },
    docker: { daemon: r.server === null ? 'down' : 'up', images: { host: Object.fromEntries(FOUND.map((ref, i) => [ref, image(String(i + 1))])) } },
  });
}

/** The recording's call, run on the sim: with the daemon down the client is pointed at the same (gone) socket. */
function replay(s: Sim, r: DockerRecording, options: { cwd?: string; context?: string } = {}) {
  const argv = r.argv.map((a) => (options.context ? a.replaceAll('<context>', options.context) : a));
  const env: Record<string, string> = {};
  if (r.server === null) env.DOCKER_HOST = r.env.DOCKER_HOST!;
  if (r.env.DOCKER_BUILDKIT) env.DOCKER_BUILDKIT = r.env.DOCKER_BUILDKIT;
  return s.exec('docker', argv, { env, cwd: options.cwd });
}

it('has recordings of every docker output the product parses, from at least two clients', () => {
  const kinds = new Set(recordings.map(kind));
  for (const k of ['version-up', 'version-down', 'inspect-found', 'inspect-missing', 'inspect-mixed', 'inspect-down', 'build-fails', 'build-ok']) expect(kinds).toContain(k);
  expect(new Set(recordings.map((r) => r.client)).size).toBeGreaterThanOrEqual(2);
  // The argv is the product's own, so a change to a builder re-opens the question.
  for (const r of of('version-up', 'version-down')) expect(r.argv).toEqual(dockerVersionArgs);
  for (const r of of('inspect-found', 'inspect-missing', 'inspect-mixed', 'inspect-down')) expect(r.argv.slice(0, 4)).toEqual(imageInspectArgs([]));
});

describe.concurrent('docker version --format {{json .}}', () => {
  it.each(byName(of('version-up', 'version-down')))('%s', async (_, r) => {
    const s = await simFor(r);
    const simulated = await replay(s, r);
    expect(simulated.exitCode).toBe(r.exitCode);
    // One JSON line on stdout, daemon up or down.
    for (const out of [r.stdout, simulated.stdout]) expect(out).toMatch(/^\{.*\}\n$/);
    // The keys the product reads: Client.Version always; Server with a Version, or null (present, not missing).
    for (const out of [r.stdout, simulated.stdout]) {
      const json = JSON.parse(out) as { Client: { Version?: unknown }; Server?: { Version?: unknown } | null };
      expect(typeof json.Client.Version).toBe('string');
      expect('Server' in json).toBe(true);
      if (r.server === null) expect(json.Server).toBeNull();
      else expect(typeof json.Server?.Version).toBe('string');
    }
    expect(parseDockerVersion(simulated.stdout)).toEqual(parseDockerVersion(r.stdout));
    expect(parseDockerVersion(r.stdout).server === undefined).toBe(r.server === null);
    // Daemon down: the reason doctor prints is the same line from both.
    expect(reason(simulated.stderr)).toBe(reason(r.stderr));
    if (r.server === null) expect(reason(r.stderr)).toMatch(/^Cannot connect to the Docker daemon at \S+\. Is the docker daemon running\?$/);
    else expect(r.stderr).toBe('');
  });
});

describe.concurrent("docker image inspect --format '{{json .RepoTags}}'", () => {
  it.each(byName(of('inspect-found', 'inspect-missing', 'inspect-mixed', 'inspect-down')))('%s', async (_, r) => {
    const s = await simFor(r);
    const simulated = await replay(s, r);
    const refs = r.argv.slice(4);
    expect(simulated.exitCode).toBe(r.exitCode);
    // Exactly what the product parses: one line per image found, a lone empty line when none was.
    expect(simulated.stdout).toBe(r.stdout);
    const held = parseImageTags(r.stdout);
    expect(parseImageTags(simulated.stdout).sort()).toEqual([...held].sort());
    // up's question, "is this ref present?", from both alike.
    for (const ref of refs) expect(held.includes(familiarRef(ref))).toBe(r.server !== null && FOUND.includes(ref));
    // Every missing ref is named in stderr (the 20.10 and 28 clients word it differently), one line each.
    const missing = r.server === null ? [] : refs.filter((ref) => !FOUND.includes(ref));
    for (const out of [r.stderr, simulated.stderr]) {
      for (const ref of missing) expect(out).toMatch(new RegExp(`No such image: ${ref.replace(/[.:]/g, '\\$&')}`, 'i'));
      expect(out.trimEnd().split('\n').filter(Boolean)).toHaveLength(r.server === null ? refs.length : missing.length);
    }
    if (r.server === null) expect(reason(simulated.stderr)).toBe(reason(r.stderr));
  });
});

const failingDockerfile = 'FROM todo-contract-base:1\nRUN exit 1\n';
const BUILD_LOG = ["Type error: Property 'title' does not exist on type 'Task'.", ' ELIFECYCLE  Command failed with exit code 1.'];

/** Clients that build with BuildKit: the Debian 20.10 client with DOCKER_BUILDKIT=1, a newer one with buildx. */
const buildkit = (r: DockerRecording) => !kind(r).endsWith('-legacy') && r.name.slice(r.name.lastIndexOf('.') + 1) !== 'docker-28';

describe.concurrent('docker build (BuildKit), as up runs it', () => {
  it.each(byName(of('build-fails').filter(buildkit)))('%s: the log tail up shows holds the failing step and its exit code', async (_, r) => {
    const s = await simFor(r);
    const app = writeApp(s, { 'ctx/Dockerfile': failingDockerfile });
    s.update((state) => {
      state.faults.builds = [{ match: 'todo-frontend', log: BUILD_LOG, exitCode: 1 }];
    });
    const simulated = await replay(s, r, { cwd: app, context: join(app, 'ctx') });
    expect(simulated.exitCode).toBe(r.exitCode);
    expect(r.exitCode).not.toBe(0);
    for (const out of [r.stderr, simulated.stderr]) {
      const shown = tail(out);
      for (const line of BUILD_LOG) expect(shown).toContain(line);
      expect(shown.split('\n').at(-1)).toMatch(/exit code: 1$/);
    }
    // The simulator speaks as docker 28 with buildx: one `ERROR: failed to solve:` line at the
    // end, after a box repeating the step's last log lines.
    if (r.name.endsWith('.docker-28-buildx')) {
      for (const out of [r.stderr, simulated.stderr]) {
        expect(out.trimEnd().split('\n').at(-1)).toMatch(/^ERROR: failed to solve: /);
        // The box: between the last two `------` lines, the step's header, then its output lines (time-stamped, in the order they came).
        const lines = out.trimEnd().split('\n');
        const [open, close] = [lines.lastIndexOf('------', lines.length - 3), lines.lastIndexOf('------')];
        expect(lines[open + 1]).toMatch(/^ > \[[^\]]+\] RUN .*:$/);
        const box = lines.slice(open + 2, close);
        for (const line of box) expect(line).toMatch(/^\d+\.\d+ /);
        for (const line of BUILD_LOG) expect(box.map((l) => l.replace(/^\d+\.\d+ /, ''))).toContain(line);
      }
    }
  });

  it.each(byName(of('build-ok').filter(buildkit)))('%s: succeeds, progress on stderr only', async (_, r) => {
    const s = await simFor(r);
    const app = writeApp(s, { 'ctx/Dockerfile': 'FROM todo-contract-base:1\nRUN --mount=type=cache,target=/cache echo built > /built\n' });
    const simulated = await replay(s, r, { cwd: app, context: join(app, 'ctx') });
    expect(simulated.exitCode).toBe(r.exitCode);
    expect(r.exitCode).toBe(0);
    for (const out of [r.stdout, simulated.stdout]) expect(out).toBe('');
  });
});

// What up meets with a client that cannot build the shipped Dockerfiles: the Debian 20.10
// client without DOCKER_BUILDKIT=1, and a 23+ client without the buildx plugin (the legacy
// builder, or a refusal when DOCKER_BUILDKIT=1 asks for BuildKit).
describe.concurrent('docker build without BuildKit', () => {
  const legacy = [...of('build-ok-legacy', 'build-fails-legacy'), ...of('build-ok', 'build-fails').filter((r) => !buildkit(r))];
  it.each(byName(legacy))('%s: the legacy builder, its log on stdout', async (_, r) => {
    const s = await simFor(r);
    const failing = kind(r).startsWith('build-fails');
    const app = writeApp(s, { 'ctx/Dockerfile': failing ? failingDockerfile : 'FROM todo-contract-base:1\nRUN --mount=type=cache,target=/cache echo built > /built\n' });
    if (failing) {
      s.update((state) => {
        state.faults.builds = [{ match: 'todo-frontend', log: BUILD_LOG, exitCode: 1 }];
      });
    }
    const simulated = await replay(s, r, { cwd: app, context: join(app, 'ctx') });
    expect(simulated.exitCode).toBe(r.exitCode);
    expect(r.exitCode).toBe(1);
    for (const out of [r.stdout, simulated.stdout]) expect(out).toMatch(/^Sending build context to Docker daemon/);
    // up shows stderr's tail: a RUN --mount is refused; a failed RUN names its exit code, its log is not there.
    const last = (out: string) => tail(out).split('\n').at(-1);
    if (failing) for (const out of [r.stderr, simulated.stderr]) expect(last(out)).toMatch(/^The command '\/bin\/sh -c .*' returned a non-zero code: 1$/);
    else expect(last(simulated.stderr)).toBe(last(r.stderr));
    // A 23+ client says why first.
    for (const out of [r.stderr, simulated.stderr]) expect(out.startsWith('DEPRECATED: The legacy builder is deprecated')).toBe(Number(r.client.split('.')[0]) >= 23);
  });

  it.each(byName(of('build-ok-buildkit-env')))('%s: DOCKER_BUILDKIT=1 without buildx is refused', async (_, r) => {
    const s = await simFor(r);
    const app = writeApp(s, { 'ctx/Dockerfile': 'FROM todo-contract-base:1\n' });
    const simulated = await replay(s, r, { cwd: app, context: join(app, 'ctx') });
    expect([simulated.exitCode, simulated.stderr, simulated.stdout]).toEqual([r.exitCode, r.stderr, r.stdout]);
    expect(r.stderr).toMatch(/^ERROR: BuildKit is enabled but the buildx component is missing or broken\./);
  });

  it.each(byName(of('buildx-version')))('%s', async (_, r) => {
    const s = await simFor(r);
    const simulated = await replay(s, r);
    expect([simulated.exitCode, simulated.stderr]).toEqual([r.exitCode, r.stderr]);
    for (const out of [r.stdout, simulated.stdout]) expect(/^github\.com\/docker\/buildx v\d+\.\d+\.\d+ /.test(out)).toBe(r.exitCode === 0);
    // What doctor reads: the plugin's version, or none.
    expect(parseBuildxVersion(simulated.stdout)).toEqual(parseBuildxVersion(r.stdout));
    expect(parseBuildxVersion(r.stdout)?.text).toBe(r.exitCode === 0 ? '0.24.0' : undefined);
  });
});

// Why the shipped Dockerfiles have no `# syntax=` line: with it, BuildKit resolves
// docker/dockerfile:1 on Docker Hub before the first step, and offline every build fails there.
describe('docker build of a Dockerfile with # syntax=docker/dockerfile:1, offline', () => {
  it.each(byName(of('build-syntax-directive').filter(buildkit)))('%s', (_, r) => {
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/docker\.io\/docker\/dockerfile:1/);
    expect(r.stderr).not.toMatch(/RUN echo built/);
  });
});
