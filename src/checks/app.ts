// The app the images are built from, checked before anything runs: each build context is a
// folder, each Dockerfile a file, and, for a shipped Dockerfile, the package manager it installs
// with is found from the app's lockfile.
// (That the env file stays out of every build context is checked with .env, in inputs.ts.)
import { stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { assetPath } from '../assets.js';
import { services, type Config, type Service } from '../config/schema.js';
import { detectPackageManager, type PackageManager } from '../images/package-manager.js';
import type { PreflightCheck } from './check.js';

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

/** The package manager of each service built with a shipped Dockerfile (none for a Dockerfile of the user's own). */
export type PackageManagers = Partial<Record<Service, PackageManager>>;

export async function checkApp(appDir: string, config: Config): Promise<{ result: PreflightCheck; packageManagers: PackageManagers }> {
  const paths = services.map((service) => servicePaths(appDir, config, service));
  const found = await Promise.all(services.map((service, i) => serviceProblems(paths[i]!, service)));
  const problems = [...found.flatMap((f) => f.problems), ...(await caBundleProblems(appDir, config))];
  const packageManagers: PackageManagers = Object.fromEntries(services.flatMap((s, i) => (found[i]!.manager ? [[s, found[i]!.manager]] : [])));
  const describe = (s: Service, i: number) => {
    const { manager, lockfile } = found[i]!;
    return `${s}: ${relative(appDir, paths[i]!.sourceDir) || '.'} (${manager ? `${manager}, ${lockfile}` : `own Dockerfile ${relative(appDir, paths[i]!.dockerfile)}`})`;
  };
  const result: PreflightCheck = {
    id: 'app',
    title: 'app sources',
    category: 'input',
    ...(problems.length > 0
      ? { status: 'fail', detail: count(problems.length), problems, hint: "Run todo-deploy from the app's repository root (or pass --app-dir), or set the paths in todo-deploy.yaml." }
      : { status: 'pass', detail: services.map(describe).join(', ') }),
  };
  return { result, packageManagers };
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

async function serviceProblems(paths: ServicePaths, service: Service): Promise<{ problems: string[]; manager?: PackageManager; lockfile?: string }> {
  const [source, dockerfile] = await Promise.all([kindOf(paths.sourceDir), kindOf(paths.dockerfile)]);
  const problems: string[] = [];
  if (source !== 'directory') problems.push(`${service}.sourceDir: ${paths.sourceDir} ${source === 'missing' ? 'does not exist' : 'is a file, not a folder'}`);
  if (dockerfile !== 'file') problems.push(`${service}.dockerfile: ${paths.dockerfile} ${dockerfile === 'missing' ? 'does not exist' : 'is a directory, not a Dockerfile'}`);
  // A Dockerfile of the user's own installs however it does: nothing to find.
  if (source !== 'directory' || !paths.shippedDockerfile) return { problems };
  const detected = await detectPackageManager(service, paths.sourceDir);
  return 'problem' in detected ? { problems: [...problems, detected.problem] } : { problems, ...detected };
}

async function kindOf(path: string): Promise<'file' | 'directory' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
}

export const count = (n: number) => `${n} problem${n === 1 ? '' : 's'}`;
