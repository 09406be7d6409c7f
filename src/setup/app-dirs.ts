// Finding the app: the frontend is the folder whose package.json depends on `next`, the
// backend the one with a pyproject.toml (uv) or a requirements.txt (pip): the shipped
// Dockerfiles build exactly those.
import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Service } from '../config/schema.js';

const markers: Record<Service, { file: string; kind: string }> = {
  frontend: { file: 'package.json that depends on next', kind: 'the Next.js frontend' },
  backend: { file: 'pyproject.toml or requirements.txt', kind: 'the FastAPI backend' },
};

/** What is wrong with `dir` as the service's source folder, or undefined when it fits. */
export async function appDirProblem(appDir: string, service: Service, dir: string): Promise<string | undefined> {
  if (dir.trim() === '') return `Enter the ${service}'s folder, relative to ${appDir}.`;
  const path = resolve(appDir, dir);
  if (!(await isDirectory(path))) return `${path} is not a folder.`;
  const fits = service === 'frontend' ? await isNextApp(path) : (await isFile(join(path, 'pyproject.toml'))) || (await isFile(join(path, 'requirements.txt')));
  return fits ? undefined : `${path} has no ${markers[service].file}, so it is not ${markers[service].kind}.`;
}

/**
 * The service's folder: the configured one when it fits, else the only folder just below the
 * app dir that does. Undefined when none or several fit (then the user has to say).
 */
export async function detectAppDir(appDir: string, service: Service, configured: string): Promise<{ dir?: string; candidates: string[] }> {
  if (!(await appDirProblem(appDir, service, configured))) return { dir: configured, candidates: [configured] };
  let entries: string[];
  try {
    entries = (await readdir(appDir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
      .map((e) => e.name)
      .sort();
  } catch {
    return { candidates: [] };
  }
  const checks = await Promise.all(entries.map(async (name) => ((await appDirProblem(appDir, service, name)) ? undefined : `./${name}`)));
  const candidates = checks.filter((c): c is string => c !== undefined);
  return { dir: candidates.length === 1 ? candidates[0] : undefined, candidates };
}

/** How todo-deploy.yaml names a folder: `./frontend` inside the app dir, absolute outside it. */
export function configDir(appDir: string, dir: string): string {
  const path = resolve(appDir, dir);
  const rel = relative(appDir, path);
  if (rel === '') return '.';
  if (rel.startsWith('..') || isAbsolute(rel)) return path;
  return `./${rel.split(sep).join('/')}`;
}

async function isNextApp(dir: string): Promise<boolean> {
  try {
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    return ['dependencies', 'devDependencies'].some((field) => typeof (pkg[field] as Record<string, unknown> | undefined)?.next === 'string');
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}
