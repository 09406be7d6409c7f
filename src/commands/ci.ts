// `todo-deploy ci`: writes a CI workflow into the app (GitHub Actions) that deploys it to a
// throwaway Minikube on every push, verifies it and publishes the report. The workflow is
// templates/github-actions.yml with this app's settings filled in; the secrets stay in the CI's
// secret store and reach only the step that writes .env.
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { assetPath, packageVersion } from '../assets.js';
import { checkConfig } from '../checks/inputs.js';
import type { Config } from '../config/schema.js';
import type { Context } from '../context.js';
import { ConfigError, UsageError } from '../errors.js';
import { checkTarget } from '../deployment/access.js';

export interface CiOptions {
  /** Where the workflow goes, relative to the app dir (default: the repository's .github/workflows). */
  output?: string;
  force?: boolean;
}

export const DEFAULT_WORKFLOW = '.github/workflows/todo-deploy.yml';

/** The minikube the workflow installs: the release todo-deploy's minikube contract is recorded from. */
export const CI_MINIKUBE_VERSION = '1.38.1';

/** The repository secrets the workflow reads (BETTER_AUTH_URL has a default). */
export const ciSecrets = ['DATABASE_URL', 'OPENAI_API_KEY', 'BETTER_AUTH_SECRET', 'BETTER_AUTH_URL'] as const;

export async function ci(ctx: Context, options: CiOptions): Promise<void> {
  const { result, loaded } = await checkConfig(ctx.configOptions);
  if (!loaded) throw new ConfigError(`${result.title} must be fixed first:`, result.problems ?? [], result.hint);
  for (const warning of loaded.warnings) ctx.out.warn(warning);
  checkTarget(loaded.config);
  if (loaded.config.target === 'cluster') {
    throw new UsageError(
      'todo-deploy ci writes a workflow that deploys to a throwaway Minikube in the job, but the settings choose target: cluster (todo-deploy.yaml, TODO_DEPLOY_TARGET or --target): the job would deploy to your cluster instead.',
      'Keep target: minikube in todo-deploy.yaml for the workflow and choose the cluster on your own command line (--target cluster --context …), or write a workflow yourself around `todo-deploy up --target cluster` with the cluster\'s credentials as repository secrets.',
    );
  }

  // GitHub reads workflows from the repository's top folder only; the steps then run in the app's folder.
  // git names the checkout by its real path, which a symlinked app folder is not.
  const top = await ctx.tools.git.topLevel(ctx.appDir);
  const inRepo = top === undefined ? '' : relative(top, await realpath(ctx.appDir));
  const depth = top === undefined || inRepo.startsWith('..') ? [] : inRepo.split(sep).filter(Boolean);
  const repoRoot = resolve(ctx.appDir, ...depth.map(() => '..'));
  const appPath = depth.join('/') || '.';
  const file = options.output ? resolve(ctx.appDir, options.output) : join(repoRoot, DEFAULT_WORKFLOW);
  const shown = relative(ctx.appDir, file) || file;
  const exists = existsSync(file);
  if (exists && !options.force) {
    throw new UsageError(`${shown} already exists; todo-deploy ci does not overwrite it.`, `Run \`todo-deploy ci --force\` to replace it, or \`--output FILE\` to write the workflow elsewhere.`);
  }
  const workflow = renderWorkflow(await readFile(assetPath.template('github-actions.yml'), 'utf8'), workflowValues(loaded.config, appPath));

  ctx.out.result({ file, dryRun: ctx.dryRun, replaced: exists, secrets: [...ciSecrets], ...(ctx.dryRun && { workflow }) });
  if (ctx.dryRun) {
    ctx.out.print(workflow.trimEnd());
    ctx.out.info(`Dry run: would ${exists ? 'replace' : 'write'} ${shown}; nothing was written.`);
    return;
  }
  await mkdir(dirname(file), { recursive: true });
  // 'wx' unless --force: a file that appeared since the check above is not overwritten either.
  await writeFile(file, workflow, { flag: options.force ? 'w' : 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') throw new UsageError(`${shown} already exists; todo-deploy ci does not overwrite it.`, 'Run `todo-deploy ci --force` to replace it.');
    throw new UsageError(`${shown} cannot be written: ${error.message}`, 'Check the folder and its permissions, or write the workflow elsewhere with --output FILE.');
  });
  const { style } = ctx.out;
  ctx.out.print(
    [
      `${style.green('✔')} ${exists ? 'Replaced' : 'Wrote'} ${shown}: on every push and pull request, a throwaway Minikube, \`todo-deploy up\`, \`todo-deploy verify --resilience\` with its report published as a check, and on failure the status, logs and events as artifacts.`,
      `  Add these secrets to the repository (Settings → Secrets and variables → Actions): ${ciSecrets.slice(0, 3).join(', ')}, and BETTER_AUTH_URL if the default http://localhost:${loaded.config.frontend.nodePort} does not fit. DATABASE_URL only for a database of your own: left empty, PostgreSQL runs in the throwaway cluster.`,
      `  Then commit ${shown}.`,
    ].join('\n'),
  );
}

/** The template's `@@name@@` placeholders, from the app's settings; `appPath`: the app's folder in the repository ('.' at its top). */
export function workflowValues(config: Config, appPath = '.'): Record<string, string> {
  const inApp = (name: string) => (appPath === '.' ? name : `${appPath}/${name}`);
  return {
    appPath,
    reportPath: inApp('todo-deploy-report.xml'),
    diagnosticsPath: inApp('todo-deploy-diagnostics/'),
    version: packageVersion(),
    namespace: config.namespace,
    minikubeVersion: CI_MINIKUBE_VERSION,
    driver: config.minikube.driver,
    containerRuntime: config.minikube.containerRuntime,
    kubernetesVersion: config.minikube.kubernetesVersion,
    cpus: String(config.minikube.cpus),
    memory: config.minikube.memory,
    frontendNodePort: String(config.frontend.nodePort),
  };
}

/** Fills each `@@name@@`; a placeholder without a value is a bug in the template, not the user's. */
export function renderWorkflow(template: string, values: Record<string, string>): string {
  return template.replace(/@@(\w+)@@/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`templates/github-actions.yml: no value for @@${name}@@`);
    return value;
  });
}
