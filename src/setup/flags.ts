// Answers given as flags: read (secrets from a file or stdin), checked by the same rules as
// the prompts, all problems reported at once before anything is asked.
import { readFile } from 'node:fs/promises';
import type { Service } from '../config/schema.js';
import { databaseUrlSecrets, encodeDatabaseUrl, maskDatabaseUrl } from '../config/database-url.js';
import { registerSecret, type SecretKey } from '../config/env-file.js';
import type { Context } from '../context.js';
import { CancelledError, ConfigError } from '../errors.js';
import { appDirProblem, configDir } from './app-dirs.js';
import type { HostResources } from '../checks/settings.js';
import { configAnswerProblem, envAnswerProblem, generateAuthSecret, minikubeAnswerProblem, type ConfigAnswerPath } from './answers.js';

export interface SetupFlags {
  frontendDir?: string;
  backendDir?: string;
  /** in-cluster or external (--database). */
  database?: string;
  databaseUrl?: string;
  databaseUrlFile?: string;
  openaiApiKey?: string;
  openaiApiKeyFile?: string;
  betterAuthSecretFile?: string;
  generateAuthSecret?: boolean;
  betterAuthUrl?: string;
  cpus?: string;
  memory?: string;
}

/** An answer taken from a flag, and which flag it came from. */
export interface Given {
  value: string;
  from: string;
}

export type AnswerId = Service | SecretKey | Exclude<ConfigAnswerPath, `${Service}.sourceDir`>;

const MAX_SECRET_FILE_BYTES = 64 * 1024;

export async function readFlags(ctx: Context, flags: SetupFlags, host: HostResources): Promise<Partial<Record<AnswerId, Given>>> {
  const given: Partial<Record<AnswerId, Given>> = {};
  const problems: string[] = [];
  const stdinFlags = [flags.databaseUrlFile, flags.openaiApiKeyFile, flags.betterAuthSecretFile].filter((f) => f === '-').length;
  if (stdinFlags > 1) problems.push('Only one of --database-url-file, --openai-api-key-file and --better-auth-secret-file can read stdin (-).');

  for (const service of ['frontend', 'backend'] as const) {
    const dir = service === 'frontend' ? flags.frontendDir : flags.backendDir;
    if (dir === undefined) continue;
    const problem = await appDirProblem(ctx.appDir, service, dir);
    if (problem) problems.push(`--${service}-dir: ${problem}`);
    else given[service] = { value: configDir(ctx.appDir, dir), from: `--${service}-dir` };
  }

  const secret = async (key: SecretKey, direct: { flag: string; value?: string; warning: (value: string) => string | undefined }, file: { flag: string; path?: string }) => {
    if (direct.value !== undefined && file.path !== undefined) {
      problems.push(`${direct.flag} and ${file.flag} both set ${key}; give one.`);
      return;
    }
    let entry: Given | undefined;
    if (direct.value !== undefined) {
      entry = { value: direct.value.trim(), from: direct.flag };
      const warning = direct.warning(entry.value);
      if (warning) ctx.out.warn(warning);
    } else if (file.path !== undefined) {
      const read = await readSecretFile(ctx, file.path);
      if (typeof read !== 'string') {
        problems.push(`${file.flag}: ${read.problem}`);
        return;
      }
      entry = { value: read, from: `${file.flag} ${file.path}` };
    }
    if (!entry) return;
    registerSecret(ctx.redactor, key, entry.value);
    if (key === 'DATABASE_URL') {
      // A raw password with @ / ? # in it: encoded as the user meant it (split at the last @), and said so.
      const encoded = encodeDatabaseUrl(entry.value);
      if (encoded !== undefined) {
        entry.value = encoded;
        if (!envAnswerProblem(key, encoded)) ctx.out.warn(encodedNotice(entry.from, encoded));
      }
    }
    const problem = envAnswerProblem(key, entry.value);
    if (problem) problems.push(`${entry.from}: ${problem}`);
    else given[key] = entry;
  };

  const history = (flag: string, instead: string) => `${flag} puts a secret in your shell history and in the process list; prefer ${instead} (a file, or - for stdin).`;
  await secret(
    'DATABASE_URL',
    { flag: '--database-url', value: flags.databaseUrl, warning: (v) => (hasPassword(v) ? history('--database-url', '--database-url-file') : undefined) },
    { flag: '--database-url-file', path: flags.databaseUrlFile },
  );
  // Where the database is: --database, or external when its URL is given.
  const urlFlag = flags.databaseUrl !== undefined ? '--database-url' : flags.databaseUrlFile !== undefined ? '--database-url-file' : undefined;
  if (flags.database !== undefined) {
    const value = flags.database.trim();
    if (value !== 'in-cluster' && value !== 'external') problems.push(`--database: expected in-cluster or external, got ${JSON.stringify(value)}`);
    else if (value === 'in-cluster' && urlFlag) {
      problems.push(`--database in-cluster and ${urlFlag} contradict each other: in the cluster, todo-deploy makes the database and its password, so .env gets no DATABASE_URL. Drop ${urlFlag}, or use --database external.`);
    } else given['database.mode'] = { value, from: '--database' };
  } else if (given.DATABASE_URL && urlFlag) {
    given['database.mode'] = { value: 'external', from: urlFlag };
  }
  await secret('OPENAI_API_KEY', { flag: '--openai-api-key', value: flags.openaiApiKey, warning: () => history('--openai-api-key', '--openai-api-key-file') }, { flag: '--openai-api-key-file', path: flags.openaiApiKeyFile });
  if (flags.generateAuthSecret && flags.betterAuthSecretFile !== undefined) {
    problems.push('--generate-auth-secret and --better-auth-secret-file both set BETTER_AUTH_SECRET; give one.');
  } else if (flags.generateAuthSecret) {
    given.BETTER_AUTH_SECRET = { value: generateAuthSecret(), from: '--generate-auth-secret' };
    registerSecret(ctx.redactor, 'BETTER_AUTH_SECRET', given.BETTER_AUTH_SECRET.value);
  } else {
    await secret('BETTER_AUTH_SECRET', { flag: '', warning: () => undefined }, { flag: '--better-auth-secret-file', path: flags.betterAuthSecretFile });
  }
  if (flags.betterAuthUrl !== undefined) {
    const value = flags.betterAuthUrl.trim();
    const problem = envAnswerProblem('BETTER_AUTH_URL', value);
    if (problem) problems.push(`--better-auth-url: ${problem}`);
    else given.BETTER_AUTH_URL = { value, from: '--better-auth-url' };
  }

  const configFlags: Array<[Exclude<AnswerId, Service | SecretKey>, string, string | undefined]> = [
    ['minikube.cpus', '--cpus', flags.cpus],
    ['minikube.memory', '--memory', flags.memory],
    ['namespace', '--namespace', ctx.configOptions.flags.namespace],
    ['minikube.profile', '--profile', ctx.configOptions.flags['minikube.profile']],
  ];
  for (const [path, flag, raw] of configFlags) {
    if (raw === undefined) continue;
    const problem = configAnswerProblem(path, raw.trim()) ?? minikubeAnswerProblem(path, raw.trim(), host);
    if (problem) problems.push(`${flag}: ${problem}`);
    else given[path] = { value: raw.trim(), from: flag };
  }

  if (problems.length > 0) {
    throw new ConfigError(
      `${problems.length === 1 ? 'A flag has a problem' : `${problems.length} flags have problems`}; nothing was written:`,
      problems,
      'Fix the flags and run setup again (todo-deploy setup --help lists them).',
    );
  }
  return given;
}

/** A secret from a file or stdin (`-`), without the line break(s) that end the file. */
async function readSecretFile(ctx: Context, path: string): Promise<string | { problem: string }> {
  // Reading a terminal until Ctrl-D would echo the secret; '-' is for a pipe or a redirect.
  if (path === '-' && (ctx.stdin as { isTTY?: boolean }).isTTY) return { problem: 'stdin is a terminal: pipe the secret in (… < file), or name a file.' };
  let text: string;
  try {
    text = path === '-' ? await readStdin(ctx) : await readFileCapped(path);
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : code === 'EFBIG' ? 'is too big for a secret' : `cannot be read (${code ?? (error as Error).message})`;
    return { problem: `${path === '-' ? 'stdin' : path} ${reason}.` };
  }
  return text.replace(/^\uFEFF/, '').replace(/[\r\n]+$/, '');
}

async function readFileCapped(path: string): Promise<string> {
  const bytes = await readFile(path);
  if (bytes.length > MAX_SECRET_FILE_BYTES) throw Object.assign(new Error('too big'), { code: 'EFBIG' });
  return bytes.toString('utf8');
}

async function readStdin(ctx: Context): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const read = (async () => {
    for await (const chunk of ctx.stdin) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += buffer.length;
      if (size > MAX_SECRET_FILE_BYTES) throw Object.assign(new Error('too big'), { code: 'EFBIG' });
      chunks.push(buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  })();
  // Waiting on stdin must not outlive Ctrl-C.
  const aborted = new Promise<never>((_, reject) => {
    if (ctx.signal.aborted) reject(new CancelledError());
    ctx.signal.addEventListener('abort', () => reject(new CancelledError()), { once: true });
  });
  return Promise.race([read, aborted]);
}

function hasPassword(url: string): boolean {
  return databaseUrlSecrets(url).length > 0;
}

/** What setup says when it percent-encodes a DATABASE_URL's user name or password. */
export function encodedNotice(from: string, encoded: string): string {
  return (
    `${from}: DATABASE_URL's user name or password held characters a URL cannot hold as they are (@ / ? # or a lone %); ` +
    `.env gets them percent-encoded (${maskDatabaseUrl(encoded)}), which PostgreSQL reads as the same password.`
  );
}
