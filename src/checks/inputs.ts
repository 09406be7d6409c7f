// The input checks shared by `doctor` and `up`: todo-deploy.yaml (and TODO_DEPLOY_*), .env,
// and what they point at (the app's sources, values files) or ask of Minikube.
import { cpus, totalmem } from 'node:os';
import { checkEnvFile, envHint, type Secrets } from '../config/env-file.js';
import { loadConfig, SettingsError, type LoadedConfig, type LoadOptions } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Redactor } from '../redact.js';
import type { Exec } from '../tools/exec.js';
import { isTrackedByGit } from '../tools/git.js';
import { checkApp } from './app.js';
import type { CheckResult } from './check.js';
import { checkSettings } from './settings.js';
import { checkValues } from './values.js';

export async function checkConfig(options: LoadOptions): Promise<{ result: CheckResult; loaded?: LoadedConfig }> {
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

export async function checkEnv(exec: Exec, file: string, redactor: Redactor): Promise<{ result: CheckResult; secrets?: Secrets }> {
  const base = { id: 'env', title: '.env', category: 'input' as const };
  const [check, tracked] = await Promise.all([checkEnvFile(file, redactor), isTrackedByGit(exec, file)]);
  const warnings = [...check.warnings];
  if (tracked) warnings.unshift(`${file} is tracked by git, so its secrets are in your history; run: git rm --cached ${file} and add it to .gitignore`);
  if (check.problems.length > 0) {
    const count = check.problems.length;
    return { result: { ...base, status: 'fail', detail: `${count} problem${count === 1 ? '' : 's'} in ${file}`, problems: check.problems, warnings, hint: envHint } };
  }
  return { result: { ...base, status: warnings.length > 0 ? 'warn' : 'pass', detail: `valid (${file})`, warnings }, secrets: check.secrets };
}

export interface Preflight {
  /** todo-deploy.yaml, .env, the app's sources, the Helm values files, the settings: every input check. */
  checks: CheckResult[];
  loaded?: LoadedConfig;
  secrets?: Secrets;
}

/**
 * The preflight of `doctor` and of the start of `up`: every input problem at once, before
 * anything changes. Checks that need a valid todo-deploy.yaml are skipped without one.
 */
export async function checkInputs(options: { configOptions: LoadOptions; envFile: string; appDir: string; exec: Exec; redactor: Redactor }): Promise<Preflight> {
  const [config, env] = await Promise.all([checkConfig(options.configOptions), checkEnv(options.exec, options.envFile, options.redactor)]);
  const loaded = config.loaded;
  const host = { cpus: cpus().length, memoryBytes: totalmem() };
  const dependent = loaded
    ? await Promise.all([checkApp(options.appDir, loaded.config, options.envFile), checkValues(options.appDir, loaded.config), checkSettings(loaded.config, host)])
    : [
        { id: 'app', title: 'app sources' },
        { id: 'values', title: 'Helm values files' },
        { id: 'settings', title: 'settings' },
      ].map((c) => ({ ...c, category: 'input' as const, status: 'skip' as const, detail: 'needs valid settings (see above)' }));
  return { checks: [config.result, env.result, ...dependent], loaded, secrets: env.secrets };
}
