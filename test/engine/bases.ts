// Stand-ins for the base images the shipped Dockerfiles name (node, python, uv), made on this
// machine because no container registry is reachable:
// - a Debian trixie rootfs from debootstrap (minbase), cached, imported with `docker import`;
// - NODE_IMAGE: this machine's own Node.js laid out like the official image (/usr/local/bin/node,
//   npm, npx and corepack under /usr/local/lib/node_modules);
// - PYTHON_IMAGE: trixie's python3.13 (the official python:3.13-slim-trixie is trixie too),
//   with `python`/`python3` in /usr/local/bin like the official image;
// - UV_IMAGE: `FROM scratch` with /uv and /uvx, as ghcr.io/astral-sh/uv is, from uv's PyPI wheel.
// The registries are reached through a TLS-intercepting proxy: its CA is not in the stand-ins
// (as it is in no official image) but reaches the app builds as the build secret `ca` that the
// shipped Dockerfiles take, as a user behind such a proxy would pass it. The node stand-in sets
// COREPACK_INTEGRITY_KEYS=0: this machine's registry mirror serves no signatures. Each
// stand-in's tag carries a hash of its inputs, so a re-run reuses it and a change (another
// Node) makes a new one.
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type Docker } from './docker-client.js';
import { withHostNetwork } from './daemon.js';

export const CACHE = process.env.TODO_ENGINE_CACHE ?? '/var/cache/todo-deploy-engine';
export const UV_VERSION = '0.9.5';
const SUITE = 'trixie';
const MIRROR = 'http://deb.debian.org/debian';
/** This machine's CA bundle, with the TLS proxy's CA: the app builds get it as the secret `ca`. */
export const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const here = dirname(fileURLToPath(import.meta.url));

export interface StandIns {
  /** The imported trixie rootfs, the base of the others. */
  debian: string;
  node: string;
  python: string;
  uv: string;
  /** NODE_IMAGE / PYTHON_IMAGE / UV_IMAGE, as build arguments. */
  buildArgs: { NODE_IMAGE: string; PYTHON_IMAGE: string; UV_IMAGE: string };
}

const hash = (...parts: (string | Buffer)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 12);
};

async function exists(docker: Docker, ref: string): Promise<boolean> {
  return (await docker.run(['image', 'inspect', '--format', '{{.Id}}', ref], { allowFailure: true })).exitCode === 0;
}

/** `debootstrap --variant=minbase trixie`, once per machine (about 1 minute, 214 MB). */
export async function ensureRootfs(log: (line: string) => void): Promise<string> {
  const rootfs = join(CACHE, `rootfs-${SUITE}`);
  if (existsSync(join(rootfs, 'etc', 'os-release'))) return rootfs;
  mkdirSync(CACHE, { recursive: true });
  const partial = `${rootfs}.partial`;
  rmSync(partial, { recursive: true, force: true });
  log(`debootstrap --variant=minbase ${SUITE} (once per machine)`);
  await run('debootstrap', ['--variant=minbase', SUITE, partial, MIRROR], { timeoutMs: 15 * 60_000, stdout: 'discard' });
  renameSync(partial, rootfs);
  return rootfs;
}

async function importRootfs(docker: Docker, rootfs: string): Promise<string> {
  // Without apt's package lists and downloaded .debs, as the official slim images are.
  const excludes = ['./var/lib/apt/lists/*_*', './var/cache/apt/*.bin', './var/cache/apt/archives/*.deb'];
  const ref = `todo-engine/debian:${SUITE}-${hash(readFileSync(join(rootfs, 'var', 'lib', 'dpkg', 'status')), ...excludes)}`;
  if (await exists(docker, ref)) return ref;
  const tar = ['tar', '--numeric-owner', ...excludes.map((e) => `--exclude='${e}'`), '-C "$ROOTFS" -c .'].join(' ');
  await run('bash', ['-o', 'pipefail', '-c', `${tar} | docker import - "$REF"`], {
    env: { PATH: process.env.PATH ?? '', ROOTFS: rootfs, REF: ref, DOCKER_HOST: docker.host, ...docker.env },
    stdout: 'discard',
  });
  return ref;
}

/** Builds a stand-in from test/engine/bases/<name>.Dockerfile and a context staged by `stage`. */
async function standIn(docker: Docker, name: string, tag: string, buildArgs: Record<string, string>, stage: (dir: string) => void): Promise<string> {
  const dockerfile = join(here, 'bases', `${name}.Dockerfile`);
  return buildOnce(docker, `todo-engine/${name}:${tag}-${hash(readFileSync(dockerfile), JSON.stringify(buildArgs))}`, dockerfile, buildArgs, stage);
}

/** Builds `ref` from a Dockerfile and a context staged by `stage`, unless the daemon holds it already. */
async function buildOnce(docker: Docker, ref: string, dockerfile: string, buildArgs: Record<string, string>, stage: (dir: string) => void): Promise<string> {
  if (await exists(docker, ref)) return ref;
  const context = mkdtempSync(join(tmpdir(), 'tde-build-'));
  try {
    stage(context);
    const args = ['build', '--tag', ref, '--file', dockerfile, ...Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]), context];
    await docker.run(withHostNetwork(args), { timeoutMs: 20 * 60_000 });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return ref;
}

/** This machine's node install: the binary and its lib/node_modules (npm, corepack). */
function nodeInstall(): { binary: string; modules: string } {
  const binary = realpathSync(process.execPath);
  const modules = join(dirname(dirname(binary)), 'lib', 'node_modules');
  for (const m of ['npm', 'corepack']) if (!existsSync(join(modules, m))) throw new Error(`no ${m} beside ${binary} (${modules})`);
  return { binary, modules };
}

/** The uv and uvx binaries from uv's manylinux wheel on PyPI, downloaded once with pip. */
async function uvBinaries(): Promise<string> {
  const dir = join(CACHE, `uv-${UV_VERSION}`);
  if (existsSync(join(dir, 'uvx'))) return dir;
  const wheels = mkdtempSync(join(tmpdir(), 'tde-uv-'));
  try {
    await run('python3', ['-m', 'pip', 'download', `uv==${UV_VERSION}`, '--no-deps', '--only-binary=:all:', '--platform', 'manylinux_2_17_x86_64', '--dest', wheels], { stdout: 'discard', timeoutMs: 5 * 60_000 });
    const wheel = readdirSync(wheels).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error('pip downloaded no uv wheel');
    const unpacked = join(wheels, 'unpacked');
    await run('python3', ['-m', 'zipfile', '-e', join(wheels, wheel), unpacked]);
    const scripts = join(unpacked, `uv-${UV_VERSION}.data`, 'scripts');
    mkdirSync(`${dir}.partial`, { recursive: true });
    for (const b of ['uv', 'uvx']) cpSync(join(scripts, b), join(`${dir}.partial`, b));
    await run('chmod', ['0755', join(`${dir}.partial`, 'uv'), join(`${dir}.partial`, 'uvx')]);
    renameSync(`${dir}.partial`, dir);
  } finally {
    rmSync(wheels, { recursive: true, force: true });
  }
  return dir;
}

export async function ensureStandIns(docker: Docker, log: (line: string) => void = () => {}): Promise<StandIns> {
  const rootfs = await ensureRootfs(log);
  const debian = await importRootfs(docker, rootfs);
  const node = nodeInstall();
  const nodeRef = await standIn(docker, 'node', process.versions.node, { DEBIAN_IMAGE: debian, NODE_VERSION: process.versions.node }, (dir) => {
    mkdirSync(join(dir, 'bin'));
    cpSync(node.binary, join(dir, 'bin', 'node'));
    for (const m of ['npm', 'corepack']) cpSync(join(node.modules, m), join(dir, 'lib', 'node_modules', m), { recursive: true, verbatimSymlinks: true });
    // As the official image (and npm's own install) links them.
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(dir, 'bin', 'npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(dir, 'bin', 'npx'));
    symlinkSync('../lib/node_modules/corepack/dist/corepack.js', join(dir, 'bin', 'corepack'));
  });
  const pythonRef = await standIn(docker, 'python', '3.13', { DEBIAN_IMAGE: debian }, () => {});
  const uvDir = await uvBinaries();
  const uvRef = await standIn(docker, 'uv', UV_VERSION, {}, (dir) => {
    for (const b of ['uv', 'uvx']) cpSync(join(uvDir, b), join(dir, b));
  });
  writeFileSync(join(CACHE, 'stand-ins.json'), `${JSON.stringify({ debian, node: nodeRef, python: pythonRef, uv: uvRef }, null, 2)}\n`);
  // Stand-ins of earlier inputs (another Node, another Dockerfile) only fill the cache.
  const current = new Set([debian, nodeRef, pythonRef, uvRef]);
  // with-ca stand-ins (tagAsDefaultBases) of a current stand-in stay.
  const onCurrent = (ref: string) => ref.startsWith('todo-engine/with-ca:') && [nodeRef, pythonRef].some((base) => ref.startsWith(`todo-engine/with-ca:${slug(base)}-`));
  const stale = (await docker.run(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', 'todo-engine/*'])).stdout
    .split('\n')
    .filter((ref) => ref && !current.has(ref) && !onCurrent(ref));
  if (stale.length) await docker.run(['image', 'rm', ...stale], { allowFailure: true });
  return { debian, node: nodeRef, python: pythonRef, uv: uvRef, buildArgs: { NODE_IMAGE: nodeRef, PYTHON_IMAGE: pythonRef, UV_IMAGE: uvRef } };
}

/** todo-engine/node:20.20.2-a71a193e1994 → node-20.20.2-a71a193e1994 */
const slug = (ref: string) => ref.replace(/^todo-engine\//, '').replace(/[:/]/g, '-');

/** The `ARG <name>=<default>` of a shipped Dockerfile: the base image `up` builds on. */
export function defaultBase(service: 'frontend' | 'backend', arg: 'NODE_IMAGE' | 'PYTHON_IMAGE' | 'UV_IMAGE'): string {
  const text = readFileSync(join(here, '..', '..', 'Dockerfiles', `${service}.Dockerfile`), 'utf8');
  const match = new RegExp(`^ARG ${arg}=(\\S+)$`, 'm').exec(text);
  if (!match) throw new Error(`Dockerfiles/${service}.Dockerfile has no ARG ${arg}=<default>`);
  return match[1]!;
}

/**
 * The stand-ins under the names the shipped Dockerfiles default to (node:…, python:…,
 * ghcr.io/astral-sh/uv:…), in this private daemon only, so `up`'s argv — which names no base —
 * builds on them unchanged. node and python carry this machine's CA bundle (with-ca.Dockerfile):
 * `up` passes no CA secret, and the builds' downloads go through the TLS proxy. uv is /uv alone
 * and needs none. Returns the default names.
 */
export async function tagAsDefaultBases(docker: Docker, standIns: StandIns): Promise<string[]> {
  const bundle = readFileSync(CA_BUNDLE);
  const withCa = async (base: string): Promise<string> =>
    standIn(docker, 'with-ca', `${slug(base)}-${hash(bundle)}`, { BASE: base }, (dir) => writeFileSync(join(dir, 'ca-certificates.crt'), bundle));
  const pairs: Array<[string, string]> = [
    [defaultBase('frontend', 'NODE_IMAGE'), await withCa(standIns.node)],
    [defaultBase('backend', 'PYTHON_IMAGE'), await withCa(standIns.python)],
    [defaultBase('backend', 'UV_IMAGE'), standIns.uv],
  ];
  for (const [name, ref] of pairs) await docker.run(['tag', ref, name]);
  return pairs.map(([name]) => name);
}

/** The repository of the PostgreSQL stand-in: outside todo-engine/, so ensureStandIns never sweeps it. */
export const POSTGRES_STANDIN = 'todo-postgres-standin';

/**
 * The stand-in for the database chart's postgres:17.6-bookworm (bases/postgres.Dockerfile and its
 * docker-entrypoint.sh): Debian trixie's postgresql-17 laid out as the official image is, uid/gid
 * 999. Tagged todo-postgres-standin:17-<hash of the Dockerfile, the entrypoint and the base>, so a
 * re-run reuses it (about 2 minutes to build, once); stand-ins of earlier inputs are removed.
 * For todo-deploy.yaml's database.image.
 */
export async function ensurePostgresStandIn(docker: Docker, standIns: Pick<StandIns, 'debian'>): Promise<string> {
  const dockerfile = join(here, 'bases', 'postgres.Dockerfile');
  const entrypoint = join(here, 'bases', 'postgres-entrypoint.sh');
  const buildArgs = { DEBIAN_IMAGE: standIns.debian };
  const ref = `${POSTGRES_STANDIN}:17-${hash(readFileSync(dockerfile), readFileSync(entrypoint), JSON.stringify(buildArgs))}`;
  await buildOnce(docker, ref, dockerfile, buildArgs, (dir) => {
    cpSync(entrypoint, join(dir, 'postgres-entrypoint.sh'));
    chmodSync(join(dir, 'postgres-entrypoint.sh'), 0o755);
  });
  const stale = (await docker.run(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', POSTGRES_STANDIN])).stdout.split('\n').filter((r) => r && r !== ref);
  if (stale.length) await docker.run(['image', 'rm', ...stale], { allowFailure: true });
  return ref;
}
