// The input checks shared by `doctor` and `up`: todo-deploy.yaml (and TODO_DEPLOY_*), .env,
// which database they choose, and what they point at (the app's sources, values files) or ask
// of Minikube.
import { join } from 'node:path';
import { checkEnvFile, envHint, type Secrets } from '../config/env-file.js';
import { loadConfig, SettingsError, type LoadedConfig, type LoadOptions } from '../config/load.js';
import { services, type Config, type Service } from '../config/schema.js';
import { reachesBuild, type BuildInput } from '../images/content-tag.js';
import { ConfigError } from '../errors.js';
import { checkPullSecret } from './cluster-target.js';
import type { Redactor } from '../redact.js';
import type { Exec } from '../tools/exec.js';
import { gitAdapter } from '../adapters/git.js';
import { checkApp, servicePaths, type PackageManagers } from './app.js';
import type { PreflightCheck } from './check.js';
import { checkDatabase, readDatabaseUrl } from './database.js';
import { checkSettings, thisMachine } from './settings.js';
import { checkValues } from './values.js';

export async function checkConfig(options: LoadOptions): Promise<{ result: PreflightCheck; loaded?: LoadedConfig }> {
  const base = { id: 'config', title: 'todo-deploy.yaml', category: 'input' as const };
  try {
    const loaded = await loadConfig(options);
    const detail = loaded.file ? `valid (${loaded.file})` : 'no file; using the defaults';
    const status = loaded.warnings.length > 0 ? 'warn' : 'pass';
    return { result: { ...base, status, detail, warnings: loaded.warnings }, loaded };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const count = error.problems.length;
    // Named after what holds the mistakes: a bad TODO_DEPLOY_* variable is not the file's fault.
    const title = error instanceof SettingsError ? error.names.join(' and ') : base.title;
    return {
      result: { ...base, title, status: 'fail', detail: count ? `${count} problem${count === 1 ? '' : 's'}` : error.message, problems: [...error.problems], hint: error.hint },
    };
  }
}

/** What each service's image is built from: its context folder and its Dockerfile (todo-deploy's own unless configured). */
export function buildInputOf(appDir: string, config: Config, service: Service): BuildInput {
  const { sourceDir, dockerfile } = servicePaths(appDir, config, service);
  return { context: sourceDir, dockerfile };
}

/** With the app's valid config, the env file is also checked against the build contexts. */
export async function checkEnv(exec: Exec, file: string, redactor: Redactor, app?: { appDir: string; config: Config }): Promise<{ result: PreflightCheck; secrets?: Secrets }> {
  const base = { id: 'env', title: '.env', category: 'input' as const };
  const [check, tracked, inBuilds] = await Promise.all([checkEnvFile(file, redactor, app?.config.database.mode), gitAdapter(exec).isTracked(file), app ? envFileInBuilds(file, app.appDir, app.config) : []]);
  const warnings = [...check.warnings];
  if (tracked) warnings.unshift(`${file} is tracked by git, so its secrets are in your history; run: git rm --cached ${file} and add it to .gitignore`);
  const problems = [...inBuilds, ...check.problems];
  if (problems.length > 0) {
    const count = problems.length;
    return { result: { ...base, status: 'fail', detail: `${count} problem${count === 1 ? '' : 's'} in ${file}`, problems, warnings, hint: envHint } };
  }
  return { result: { ...base, status: warnings.length > 0 ? 'warn' : 'pass', detail: `valid (${file})`, warnings }, secrets: check.secrets };
}

/**
 * An env file that `docker build` sends with a build context ends up in the image (`COPY .`),
 * with every secret in it: each context it would reach is a problem, saying how to fix it.
 */
async function envFileInBuilds(file: string, appDir: string, config: Config): Promise<string[]> {
  const defaultFile = join(appDir, '.env');
  const found = await Promise.all(
    services.map(async (service) => {
      const input = buildInputOf(appDir, config, service);
      return { service, input, ...(await reachesBuild(input, file)) };
    }),
  );
  return found
    .filter((f) => f.reaches)
    .map(({ service, input, ignoreFile }) => {
      const fix = file === defaultFile ? `Exclude it: add .env to ${ignoreFile ?? join(input.context, '.dockerignore')}` : `Move it out of ${input.context}, or use the default .env at the app's root (${defaultFile})`;
      return `${file} is inside the ${service}'s build context (${input.context}) and ${ignoreFile ? `its ignore file ${ignoreFile} lets it through` : 'no .dockerignore excludes it'}: docker build would copy it into the image, secrets and all. ${fix}.`;
    });
}

export interface Preflight {
  /** todo-deploy.yaml, .env, the database, the app's sources, the Helm values files, the settings: every input check. */
  checks: PreflightCheck[];
  loaded?: LoadedConfig;
  secrets?: Secrets;
  /** Found with the app's sources: what each shipped Dockerfile installs with. */
  packageManagers?: PackageManagers;
}

/**
 * The preflight of `doctor` and of the start of `up`: every input problem at once, before
 * anything changes. Checks that need a valid todo-deploy.yaml are skipped without one.
 */
export async function checkInputs(options: { configOptions: LoadOptions; envFile: string; appDir: string; exec: Exec; redactor: Redactor }): Promise<Preflight> {
  // The config first: with it, the env file is also checked against the build contexts.
  const config = await checkConfig(options.configOptions);
  const loaded = config.loaded;
  const [env, databaseUrl] = await Promise.all([checkEnv(options.exec, options.envFile, options.redactor, loaded && { appDir: options.appDir, config: loaded.config }), readDatabaseUrl(options.envFile)]);
  const host = thisMachine();
  if (!loaded) {
    const skipped = [
      { id: 'database', title: 'database' },
      { id: 'app', title: 'app sources' },
      { id: 'values', title: 'Helm values files' },
      { id: 'settings', title: 'settings' },
    ].map((c) => ({ ...c, category: 'input' as const, status: 'skip' as const, detail: 'needs valid settings (see above)' }));
    return { checks: [config.result, env.result, ...skipped], secrets: env.secrets };
  }
  const [app, values, settings, pullSecret] = await Promise.all([
    checkApp(options.appDir, loaded.config),
    checkValues(options.appDir, loaded.config),
    checkSettings(loaded.config, host),
    checkPullSecret(options.appDir, loaded.config, options.redactor),
  ]);
  const database = checkDatabase(loaded.config, options.envFile, databaseUrl);
  return { checks: [config.result, env.result, database, app.result, values, settings, ...pullSecret], loaded, secrets: env.secrets, packageManagers: app.packageManagers };
}
