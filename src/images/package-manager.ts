// Which package manager installs a service's dependencies in the shipped Dockerfiles: read from
// the app's lockfile (and, for the frontend, package.json's "packageManager", which corepack
// obeys). The Dockerfiles take it as the build argument PACKAGE_MANAGER, so it is part of the
// image's content tag like any other build argument.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Service } from '../config/schema.js';

export const packageManagers = { frontend: ['npm', 'yarn', 'pnpm'], backend: ['uv', 'pip'] } as const;
export type PackageManager = (typeof packageManagers)[Service][number];

/** The file each manager installs from: the build fails without it, and pins nothing with another. */
export const lockfileOf: Record<PackageManager, string> = { npm: 'package-lock.json', yarn: 'yarn.lock', pnpm: 'pnpm-lock.yaml', uv: 'uv.lock', pip: 'requirements.txt' };

/** What writes each frontend lockfile, for the fix in a message. */
const lockCommand = { npm: 'npm install', yarn: 'yarn install', pnpm: 'pnpm install' };

export type Detection = { manager: PackageManager; lockfile: string } | { problem: string };

/** The shipped Dockerfile's build argument that picks the manager's install stage. */
export const packageManagerBuildArg = (manager: PackageManager) => ({ PACKAGE_MANAGER: manager });

export async function detectPackageManager(service: Service, sourceDir: string): Promise<Detection> {
  return service === 'frontend' ? detectNode(sourceDir) : detectPython(sourceDir);
}

const ownDockerfile = (service: Service) => `or set ${service}.dockerfile to a Dockerfile of your own`;

async function detectPython(dir: string): Promise<Detection> {
  // uv.lock first: a uv project often exports a requirements.txt for others, never the reverse.
  for (const manager of packageManagers.backend) if (await isFile(join(dir, lockfileOf[manager]))) return { manager, lockfile: lockfileOf[manager] };
  return {
    problem: `backend: ${dir} has neither uv.lock nor requirements.txt; the shipped backend Dockerfile installs with uv (uv.lock) or pip (requirements.txt), exactly what the lockfile pins. Run \`uv lock\` (a pyproject.toml project) or \`pip freeze > requirements.txt\` in ${dir} and commit the file, ${ownDockerfile('backend')}.`,
  };
}

async function detectNode(dir: string): Promise<Detection> {
  const manifest = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
  if (manifest === undefined) return { problem: `frontend: ${dir} has no package.json; point frontend.sourceDir at the Next.js app's folder.` };
  let pinned: unknown;
  try {
    pinned = (JSON.parse(manifest) as { packageManager?: unknown }).packageManager;
  } catch (error) {
    return { problem: `frontend: ${join(dir, 'package.json')} is not valid JSON (${(error as Error).message}); fix it, then run todo-deploy again.` };
  }
  const present = (await Promise.all(packageManagers.frontend.map(async (m) => ((await isFile(join(dir, lockfileOf[m]))) ? [m] : [])))).flat();
  let manager: (typeof packageManagers.frontend)[number];
  if (pinned !== undefined) {
    // corepack runs the manager package.json names, whatever lockfiles lie beside it.
    const name = typeof pinned === 'string' ? /^(npm|yarn|pnpm)@/.exec(pinned)?.[1] : undefined;
    if (!name) return { problem: `frontend: package.json's "packageManager" is ${JSON.stringify(pinned)}; the shipped frontend Dockerfile builds with npm, yarn or pnpm ("<name>@<version>"). Name one of them, ${ownDockerfile('frontend')}.` };
    manager = name as typeof manager;
    if (!present.includes(manager)) return { problem: `frontend: package.json's "packageManager" is ${pinned as string}, but ${dir} has no ${lockfileOf[manager]}. Run \`${lockCommand[manager]}\` in ${dir} and commit ${lockfileOf[manager]}, ${ownDockerfile('frontend')}.` };
  } else if (present.length === 1) {
    manager = present[0]!;
  } else if (present.length === 0) {
    return {
      problem: `frontend: ${dir} has no lockfile (package-lock.json, yarn.lock or pnpm-lock.yaml); the shipped frontend Dockerfile installs exactly what the lockfile pins, with the manager that wrote it. Run \`npm install\` (or \`yarn install\`, \`pnpm install\`) in ${dir} and commit the lockfile, ${ownDockerfile('frontend')}.`,
    };
  } else {
    return { problem: `frontend: ${dir} has ${present.map((m) => lockfileOf[m]).join(' and ')}, so which manager builds it is unclear. Delete the lockfile you no longer use, or name the manager in package.json's "packageManager" (e.g. "${present[0]}@<version>").` };
  }
  if (manager === 'yarn') {
    const problem = await yarnProblem(dir, typeof pinned === 'string' ? pinned : undefined);
    if (problem) return { problem };
  }
  return { manager, lockfile: lockfileOf[manager] };
}

/**
 * Yarn 1 and Yarn 2+ (berry) write different lockfiles, and neither installs from the other's
 * with a frozen lockfile. Without "packageManager", corepack runs Yarn 1 (its default), unless
 * .yarnrc.yml's yarnPath hands over to a Yarn checked into the app.
 */
async function yarnProblem(dir: string, pinned: string | undefined): Promise<string | undefined> {
  const berryLock = /^__metadata:/m.test(await readFile(join(dir, 'yarn.lock'), 'utf8'));
  const pinnedMajor = pinned ? Number(/^yarn@(\d+)/.exec(pinned)?.[1]) : undefined;
  const berryRunner = pinnedMajor !== undefined ? pinnedMajor >= 2 : /^yarnPath:/m.test((await readFile(join(dir, '.yarnrc.yml'), 'utf8').catch(() => '')));
  if (berryLock && !berryRunner) {
    return `frontend: ${join(dir, 'yarn.lock')} was written by Yarn 2 or later, but ${pinned ? `package.json's "packageManager" is ${pinned}` : 'package.json names no Yarn version in "packageManager", so corepack runs Yarn 1'}, which cannot install from it. Run \`yarn set version <the version you use>\` in ${dir} (it writes "packageManager") and commit package.json.`;
  }
  if (!berryLock && berryRunner && pinned) {
    return `frontend: ${join(dir, 'yarn.lock')} was written by Yarn 1, but package.json's "packageManager" is ${pinned}, which would rewrite it. Run \`yarn install\` in ${dir} with that Yarn and commit the new yarn.lock.`;
  }
  return undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
