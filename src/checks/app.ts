// The app the images are built from, checked before anything runs: each build context is a
// folder, each Dockerfile a file, and the lockfile a shipped Dockerfile installs from is there.
// (That the env file stays out of every build context is checked with .env, in inputs.ts.)
import { stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { assetPath } from '../assets.js';
import { services, type Config, type Service } from '../config/schema.js';
import type { CheckResult } from './check.js';

/** Where a service's files are, as absolute paths. */
export interface ServicePaths {
  sourceDir: string;
  dockerfile: string;
  /** The Dockerfile shipped with todo-deploy, not one of the user's own. */
  shippedDockerfile: boolean;
  /** Empty when none is set. */
  valuesFile: string;
}

export function servicePaths(appDir: string, config: Config, service: Service): ServicePaths {
  const c = config[service];
  return {
    sourceDir: resolve(appDir, c.sourceDir),
    dockerfile: c.dockerfile ? resolve(appDir, c.dockerfile) : assetPath.dockerfile(service),
    shippedDockerfile: !c.dockerfile,
    valuesFile: c.valuesFile ? resolve(appDir, c.valuesFile) : '',
  };
}

export async function checkApp(appDir: string, config: Config): Promise<CheckResult> {
  const problems = [...(await Promise.all(services.map((service) => serviceProblems(servicePaths(appDir, config, service), service)))).flat(), ...(await caBundleProblems(appDir, config))];
  return {
    id: 'app',
    title: 'app sources',
    category: 'input',
    ...(problems.length > 0
      ? { status: 'fail', detail: count(problems.length), problems, hint: "Run todo-deploy from the app's repository root (or pass --app-dir), or set the paths in todo-deploy.yaml." }
      : { status: 'pass', detail: services.map((s) => `${s}: ${relative(appDir, servicePaths(appDir, config, s).sourceDir) || '.'}`).join(', ') }),
  };
}

/** build.caBundle is handed to `docker build` as a secret; `minikube image build` has no way to send one. */
async function caBundleProblems(appDir: string, config: Config): Promise<string[]> {
  if (!config.build.caBundle) return [];
  const file = resolve(appDir, config.build.caBundle);
  const kind = await kindOf(file);
  return [
    ...(kind === 'file' ? [] : [`build.caBundle: ${file} ${kind === 'missing' ? 'does not exist' : 'is a directory, not a CA bundle'}; point it at a PEM file (e.g. /etc/ssl/certs/ca-certificates.crt)`]),
    ...(config.minikube.containerRuntime === 'docker' ? [] : [`build.caBundle is set, but with minikube.containerRuntime ${config.minikube.containerRuntime} the images are built by \`minikube image build\`, which sends no build secrets; use the docker runtime, or leave build.caBundle empty and give the base images your CA`]),
  ];
}

async function serviceProblems(paths: ServicePaths, service: Service): Promise<string[]> {
  const [source, dockerfile] = await Promise.all([kindOf(paths.sourceDir), kindOf(paths.dockerfile)]);
  const problems: string[] = [];
  if (source !== 'directory') problems.push(`${service}.sourceDir: ${paths.sourceDir} ${source === 'missing' ? 'does not exist' : 'is a file, not a folder'}`);
  if (dockerfile !== 'file') problems.push(`${service}.dockerfile: ${paths.dockerfile} ${dockerfile === 'missing' ? 'does not exist' : 'is a directory, not a Dockerfile'}`);
  if (source !== 'directory') return problems;
  if (paths.shippedDockerfile) {
    const lockfile = await lockfileProblem(service, paths.sourceDir);
    if (lockfile) problems.push(lockfile);
  }
  return problems;
}

/**
 * Why the shipped Dockerfile cannot install this app's dependencies, or undefined. Each shipped
 * Dockerfile installs from one lockfile; a package manager it learns goes here.
 */
export async function lockfileProblem(service: Service, sourceDir: string): Promise<string | undefined> {
  const wanted = {
    frontend: { file: 'pnpm-lock.yaml', install: 'pnpm --frozen-lockfile', fix: 'pnpm install' },
    backend: { file: 'uv.lock', install: 'uv --locked', fix: 'uv lock' },
  }[service];
  if ((await kindOf(join(sourceDir, wanted.file))) === 'file') return undefined;
  return `${service}: ${sourceDir} has no ${wanted.file}; the shipped ${service} Dockerfile installs with ${wanted.install}. Run \`${wanted.fix}\` in ${sourceDir} and commit ${wanted.file}, or set ${service}.dockerfile to a Dockerfile of your own.`;
}

async function kindOf(path: string): Promise<'file' | 'directory' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
}

export const count = (n: number) => `${n} problem${n === 1 ? '' : 's'}`;
