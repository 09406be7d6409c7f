// What setup will write (.env, todo-deploy.yaml, the .gitignore entry), worked out in full and
// shown as a summary before anything is written.
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { assetPath } from '../assets.js';
import { inClusterDatabase, databaseHost } from '../checks/database.js';
import { checkEnvText, readEnvText, secretKeys } from '../config/env-file.js';
import { envName } from '../config/load.js';
import type { Context } from '../context.js';
import { Redactor } from '../redact.js';
import { configAnswerValue, type ConfigAnswerPath } from './answers.js';
import { setConfigValues } from './config-text.js';
import { setEnvValues } from './env-text.js';
import { appendToGitignore, gitignoreCovers } from './gitignore.js';
import type { Previous } from './previous.js';
import type { Answers, Question } from './questions.js';

export interface WritePlan {
  /** Where the backend's database is; `removed`: the DATABASE_URL the old .env held (as written), which in-cluster drops. */
  database: { mode: 'in-cluster' | 'external'; removed?: string; where: string };
  env: { path: string; exists: boolean; text: string };
  config: { path: string; exists: boolean; text: string; values: Array<[ConfigAnswerPath, string | number]> };
  gitignore: { path: string; entry: string; append: boolean; text: string };
  warnings: string[];
}

export async function planWrites(ctx: Context, previous: Previous, answers: Answers): Promise<WritePlan> {
  const mode = answers['database.mode'] === 'external' ? 'external' : 'in-cluster';
  const secrets = Object.fromEntries(secretKeys.flatMap((key) => (answers[key] === undefined ? [] : [[key, answers[key]]]))) as Record<string, string>;
  // In the cluster, .env holds no DATABASE_URL: under database.mode auto (the default) a URL
  // there would mean an external database, and one kept unused would only mislead.
  const removed = mode === 'in-cluster' && previous.envText !== undefined ? readEnvText(previous.envText, ctx.envFile).values.DATABASE_URL : undefined;
  const base = previous.envText ?? (await readFile(assetPath.template('env.example'), 'utf8'));
  const envText = setEnvValues(base, secrets, mode === 'in-cluster' ? ['DATABASE_URL'] : []);

  // todo-deploy.yaml says the mode only when its own mode would choose otherwise: auto follows .env.
  const fileMode = previous.config.database.mode;
  const writeMode = fileMode !== 'auto' && fileMode !== mode;
  // The file must read back exactly as entered; quoteEnvValue makes sure, this proves it.
  const readBack = checkEnvText(envText, ctx.envFile, new Redactor(), writeMode ? mode : fileMode);
  if (!readBack.secrets || secretKeys.some((key) => readBack.secrets![key] !== secrets[key])) {
    throw new Error('the .env written would not read back the values entered');
  }

  const values: Array<[ConfigAnswerPath, string | number]> = [
    ['frontend.sourceDir', answers.frontend!],
    ['backend.sourceDir', answers.backend!],
    ['namespace', configAnswerValue('namespace', answers.namespace!)],
    ['minikube.cpus', configAnswerValue('minikube.cpus', answers['minikube.cpus']!)],
    ['minikube.memory', configAnswerValue('minikube.memory', answers['minikube.memory']!)],
  ];
  const profile = ctx.configOptions.flags['minikube.profile'];
  if (profile !== undefined) values.push(['minikube.profile', configAnswerValue('minikube.profile', profile.trim())]);
  if (writeMode) values.push(['database.mode', mode]);
  const configText = setConfigValues(previous.configText ?? (await readFile(assetPath.template('todo-deploy.yaml'), 'utf8')), values);

  const gitignorePath = join(dirname(ctx.envFile), '.gitignore');
  const entry = basename(ctx.envFile);
  const gitignoreText = await readFile(gitignorePath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const ignored = (await ctx.tools.git.ignores(ctx.envFile)) ?? gitignoreCovers(gitignoreText, entry);

  const warnings = [...readBack.warnings];
  // A variable outranks the file: this shell's runs of up would not get what was chosen.
  const variable = envName('database.mode');
  const fromShell = ctx.configOptions.env[variable];
  // auto follows the .env written here, so it always agrees.
  if (fromShell !== undefined && fromShell !== 'auto' && fromShell !== mode) {
    warnings.push(`${variable}=${fromShell} is set in this shell and outranks todo-deploy.yaml, so up would not use the database chosen here (${mode}); unset it.`);
  }
  if (await ctx.tools.git.isTracked(ctx.envFile)) {
    warnings.push(`${ctx.envFile} is tracked by git, so its secrets would be committed; run: git rm --cached ${ctx.envFile}`);
  }
  return {
    database: {
      mode,
      ...(removed !== undefined && { removed }),
      where:
        mode === 'in-cluster'
          ? `${inClusterDatabase(previous.config)}; todo-deploy deploys and keeps it, and makes its password`
          : `external: ${databaseHost(secrets.DATABASE_URL!) ?? 'at DATABASE_URL'} (DATABASE_URL)`,
    },
    env: { path: ctx.envFile, exists: previous.envText !== undefined, text: envText },
    config: { path: ctx.configOptions.file, exists: previous.configText !== undefined, text: configText, values },
    gitignore: { path: gitignorePath, entry, append: !ignored, text: ignored ? gitignoreText : appendToGitignore(gitignoreText, entry) },
    warnings,
  };
}

/** What the plan writes, as shown before anything is written (secrets masked). */
export function renderSummary(ctx: Context, plan: WritePlan, questions: readonly Question[], answers: Answers): string {
  const { style } = ctx.out;
  const asked = questions.filter((q) => answers[q.id] !== undefined && q.id !== 'database.mode');
  const row = (q: Question) => [q.label, q.show(answers[q.id]!)] as const;
  const isSecret = (q: Question) => (secretKeys as readonly string[]).includes(q.id);
  const { database, env, config, gitignore } = plan;
  const envRows = [
    ...asked.filter(isSecret).map(row),
    ...(database.removed !== undefined ? [['DATABASE_URL', `removed (${removedUrl(database.removed)}): the database runs in the cluster`] as const] : []),
  ];
  const configRows = [
    ...asked.filter((q) => !isSecret(q)).map(row),
    ...config.values.filter(([path]) => !asked.some((q) => q.label === path)).map(([path, value]) => [path, String(value)] as const),
  ];
  const width = Math.max(...[...envRows, ...configRows].map(([label]) => label.length));
  const lines = (rows: ReadonlyArray<readonly [string, string]>) => rows.map(([label, value]) => `    ${label.padEnd(width)}  ${value}`);
  const file = (path: string, note: string) => `  ${style.bold(path)} ${style.dim(`(${note})`)}`;
  return [
    '',
    style.bold('Summary'),
    `  ${style.bold('Database')} ${database.where}`,
    file(env.path, env.exists ? 'updated; its other lines and comments are kept; mode 600' : 'new, from the template; mode 600'),
    ...lines(envRows),
    file(config.path, config.exists ? 'updated; its other keys and comments are kept' : 'new, from the template'),
    ...lines(configRows),
    file(gitignore.path, gitignore.append ? `adds ${gitignore.entry}: it is not git-ignored yet` : `unchanged: ${gitignore.entry} is already git-ignored`),
    '',
  ].join('\n');
}

/** The removed URL as doctor shows one: host and port only (a value that is no URL may be anything, a password too). */
function removedUrl(value: string): string {
  if (value.trim() === '') return 'it was empty';
  const host = databaseHost(value);
  return host ? `was at ${host}` : 'it was not a valid URL';
}
