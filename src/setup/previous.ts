// What is there already (todo-deploy.yaml and .env): its values are the defaults of setup's run.
import { readFile } from 'node:fs/promises';
import { readEnvText, registerSecret, secretKeys, type SecretKey, type Secrets } from '../config/env-file.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Context } from '../context.js';
import { ConfigError } from '../errors.js';
import { envAnswerProblem } from './answers.js';

export interface Previous {
  config: Config;
  /** The todo-deploy.yaml text, when the file exists. */
  configText?: string;
  /** The .env text, when the file exists: setup changes its values in place. */
  envText?: string;
  /** Values of the previous .env that `up` would accept. */
  env: Partial<Secrets>;
  /** Why each other value of the four was not kept ("DATABASE_URL points at localhost, …"). */
  refused: string[];
}

export async function readPrevious(ctx: Context): Promise<Previous> {
  const file = ctx.configOptions.file;
  let config: Config;
  let configText: string | undefined;
  try {
    // The file's own values: TODO_DEPLOY_* variables and global flags belong to this run, not to the file.
    const loaded = await loadConfig({ file, fileRequired: false, env: {}, flags: {} });
    config = loaded.config;
    if (loaded.file) configText = await readFile(file, 'utf8');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(error.message, error.problems, `Fix ${file} and run setup again (it keeps the rest of the file), or move the file away to start from the template.`);
  }

  let envText: string | undefined;
  try {
    envText = await readFile(ctx.envFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new ConfigError(`${ctx.envFile} cannot be read (${code === 'EISDIR' ? 'it is a folder' : code}).`, [], 'Point --env-file at a file.');
  }
  const { values, broken } = readEnvText(envText ?? '', ctx.envFile);
  // Its other lines are kept as they are: one that .env cannot read would be kept broken, or lost.
  if (broken.length > 0) {
    const which = broken.length === 1 ? ['a value', 'it'] : [`${broken.length} values`, 'them'];
    throw new ConfigError(`${ctx.envFile} has ${which[0]} with an unclosed quote; setup keeps the file's other lines as they are, so fix ${which[1]} first:`, broken, `Fix ${ctx.envFile} and run setup again (it keeps the rest of the file).`);
  }
  const env: Partial<Secrets> = {};
  const refused: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    // Other keys are kept where they are, never sent anywhere or printed: nothing to mask.
    if (!(secretKeys as readonly string[]).includes(key)) continue;
    registerSecret(ctx.redactor, key as SecretKey, value);
    const problem = envAnswerProblem(key as SecretKey, value);
    if (!problem) env[key as SecretKey] = value;
    // An empty value is the template's blank, nothing the user set.
    else if (value.trim() !== '') refused.push(problem);
  }
  return { config, configText, envText, env, refused };
}
