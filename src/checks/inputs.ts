// The input checks shared by `doctor` and `up`: todo-deploy.yaml (and TODO_DEPLOY_*) and .env.
import { checkEnvFile, envHint, type Secrets } from '../config/env-file.js';
import { loadConfig, type LoadedConfig, type LoadOptions } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Redactor } from '../redact.js';
import type { Exec } from '../tools/exec.js';
import { isTrackedByGit } from '../tools/git.js';
import type { CheckResult } from './check.js';

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
    return {
      result: { ...base, status: 'fail', detail: count ? `${count} problem${count === 1 ? '' : 's'}` : error.message, problems: [...error.problems], hint: error.hint },
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
