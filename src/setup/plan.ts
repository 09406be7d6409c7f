// What setup will write (.env, todo-deploy.yaml, the .gitignore entry), worked out in full and
// shown as a summary before anything is written.
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { assetPath } from '../assets.js';
import { checkEnvText, secretKeys, type Secrets } from '../config/env-file.js';
import type { Context } from '../context.js';
import { Redactor } from '../redact.js';
import { configAnswerValue, type ConfigAnswerPath } from './answers.js';
import { setConfigValues } from './config-text.js';
import { setEnvValues } from './env-text.js';
import { appendToGitignore, gitignoreCovers } from './gitignore.js';
import type { Previous } from './previous.js';
import type { Answers, Question } from './questions.js';

export interface WritePlan {
  env: { path: string; exists: boolean; text: string };
  config: { path: string; exists: boolean; text: string; values: Array<[ConfigAnswerPath, string | number]> };
  gitignore: { path: string; entry: string; append: boolean; text: string };
  warnings: string[];
}

export async function planWrites(ctx: Context, previous: Previous, answers: Answers): Promise<WritePlan> {
  const secrets = Object.fromEntries(secretKeys.map((key) => [key, answers[key]!])) as Secrets;
  const envText = setEnvValues(previous.envText ?? (await readFile(assetPath.template('env.example'), 'utf8')), secrets);
  // The file must read back exactly as entered; quoteEnvValue makes sure, this proves it.
  const readBack = checkEnvText(envText, ctx.envFile, new Redactor());
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
  const configText = setConfigValues(previous.configText ?? (await readFile(assetPath.template('todo-deploy.yaml'), 'utf8')), values);

  const gitignorePath = join(dirname(ctx.envFile), '.gitignore');
  const entry = basename(ctx.envFile);
  const gitignoreText = await readFile(gitignorePath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const ignored = (await ctx.tools.git.ignores(ctx.envFile)) ?? gitignoreCovers(gitignoreText, entry);

  const warnings = [...readBack.warnings];
  if (await ctx.tools.git.isTracked(ctx.envFile)) {
    warnings.push(`${ctx.envFile} is tracked by git, so its secrets would be committed; run: git rm --cached ${ctx.envFile}`);
  }
  return {
    env: { path: ctx.envFile, exists: previous.envText !== undefined, text: envText },
    config: { path: ctx.configOptions.file, exists: previous.configText !== undefined, text: configText, values },
    gitignore: { path: gitignorePath, entry, append: !ignored, text: ignored ? gitignoreText : appendToGitignore(gitignoreText, entry) },
    warnings,
  };
}

/** What the plan writes, as shown before anything is written (secrets masked). */
export function renderSummary(ctx: Context, plan: WritePlan, questions: readonly Question[], answers: Answers): string {
  const { style } = ctx.out;
  const row = (q: Question) => [q.label, q.show(answers[q.id]!)] as const;
  const envRows = questions.filter((q) => (secretKeys as readonly string[]).includes(q.id)).map(row);
  const configRows = [
    ...questions.filter((q) => !(secretKeys as readonly string[]).includes(q.id)).map(row),
    ...plan.config.values.filter(([path]) => !questions.some((q) => q.label === path)).map(([path, value]) => [path, String(value)] as const),
  ];
  const width = Math.max(...[...envRows, ...configRows].map(([label]) => label.length));
  const lines = (rows: ReadonlyArray<readonly [string, string]>) => rows.map(([label, value]) => `    ${label.padEnd(width)}  ${value}`);
  const file = (path: string, note: string) => `  ${style.bold(path)} ${style.dim(`(${note})`)}`;
  const { env, config, gitignore } = plan;
  return [
    '',
    style.bold('Summary'),
    file(env.path, env.exists ? 'updated; its other lines and comments are kept; mode 600' : 'new, from the template; mode 600'),
    ...lines(envRows),
    file(config.path, config.exists ? 'updated; its other keys and comments are kept' : 'new, from the template'),
    ...lines(configRows),
    file(gitignore.path, gitignore.append ? `adds ${gitignore.entry}: it is not git-ignored yet` : `unchanged: ${gitignore.entry} is already git-ignored`),
    '',
  ].join('\n');
}
