// The questions setup asks, in the order it asks them. Each has its flag, the answer to use
// without a terminal (the previous value, what was detected, the default), and how to ask it.
import { encodeDatabaseUrl, maskDatabaseUrl } from '../config/database-url.js';
import { registerSecret } from '../config/env-file.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { REDACTED } from '../redact.js';
import { inClusterDatabase } from '../checks/database.js';
import type { HostResources } from '../checks/settings.js';
import { configAnswerProblem, envAnswerProblem, generateAuthSecret, minikubeAnswerProblem, type ConfigAnswerPath } from './answers.js';
import { appDirProblem, configDir, detectAppDir } from './app-dirs.js';
import { databaseAddress, probeTcp } from './database-probe.js';
import type { AnswerId, Given } from './flags.js';
import { frontendUrl } from './frontend-url.js';
import type { Previous } from './previous.js';

const PROBE_TIMEOUT_MS = 2_000;

export interface Question {
  id: AnswerId;
  /** The .env key or todo-deploy.yaml path the answer goes to. */
  label: string;
  /** How a missing answer is named when there is no terminal to ask on. */
  flags: string;
  given?: Given;
  fallback?: string;
  ask(): Promise<string>;
  /** How the answer is shown (secrets masked). */
  show(value: string): string;
  /** Warnings and checks once the answer is known. */
  after?(value: string): Promise<void>;
  /** Asked only when the answers before it call for it (DATABASE_URL: only for an external database). */
  when?(answers: Partial<Answers>): boolean;
}

/** `checkDatabase`: false with --no-check-database. */
export async function buildQuestions(ctx: Context, previous: Previous, given: Partial<Record<AnswerId, Given>>, host: HostResources, checkDatabase: boolean): Promise<Question[]> {
  const { prompts } = ctx;
  const { config, env } = previous;
  const questions: Question[] = [];

  for (const service of ['frontend', 'backend'] as const) {
    const detected = given[service] ? undefined : await detectAppDir(ctx.appDir, service, config[service].sourceDir);
    const what = service === 'frontend' ? 'Next.js' : 'FastAPI';
    questions.push({
      id: service,
      label: `${service}.sourceDir`,
      flags: `--${service}-dir DIR (${detected?.candidates.length ? `several ${what} apps: ${detected.candidates.join(', ')}` : `no ${what} app found in ${ctx.appDir}`})`,
      given: given[service],
      fallback: detected?.dir,
      show: (value) => value,
      ask: async () =>
        configDir(
          ctx.appDir,
          (
            await prompts.input({
              message: `${service === 'frontend' ? 'Frontend' : 'Backend'} folder (the ${what} app${service === 'frontend' ? ', with package.json' : ', with pyproject.toml or requirements.txt'})`,
              default: detected?.dir ?? detected?.candidates[0],
              validate: (value) => appDirProblem(ctx.appDir, service, value.trim()),
            })
          ).trim(),
        ),
    });
  }

  // What is in force now is the default: the file's explicit mode, else (auto) external exactly
  // when a URL is known. Without one, PostgreSQL in the cluster: nothing to paste, nothing to fail.
  const urlKnown = given.DATABASE_URL !== undefined || env.DATABASE_URL !== undefined;
  const inForce = config.database.mode !== 'auto' ? config.database.mode : urlKnown ? 'external' : 'in-cluster';
  questions.push({
    id: 'database.mode',
    label: 'database',
    flags: '--database in-cluster|external',
    given: given['database.mode'],
    fallback: inForce,
    show: (value) => (value === 'external' ? 'external (DATABASE_URL)' : inClusterDatabase(config)),
    ask: () =>
      prompts.select({
        message: 'Database (the PostgreSQL the backend uses)',
        choices: [
          { value: 'in-cluster', name: 'Run PostgreSQL in the cluster (todo-deploy deploys and keeps it)', description: `${config.database.image} with a ${config.database.storage} volume; todo-deploy makes its password, you never type one` },
          { value: 'external', name: 'Use an external database (paste its URL)', description: 'Neon, a managed PostgreSQL, or one on your machine (host.minikube.internal)' },
        ],
        default: inForce,
      }),
  });

  const keep = (what: string) => `; Enter keeps ${what}`;
  const externalBy = given['database.mode']?.from === '--database' ? '--database external' : 'database.mode: external in todo-deploy.yaml';
  questions.push({
    id: 'DATABASE_URL',
    label: 'DATABASE_URL',
    flags: `--database-url-file FILE (or --database-url URL): ${externalBy} needs the database's URL; --database in-cluster runs PostgreSQL in the cluster instead`,
    given: given.DATABASE_URL,
    fallback: env.DATABASE_URL,
    when: (answers) => answers['database.mode'] === 'external',
    show: (value) => maskDatabaseUrl(value),
    ask: async () => {
      const current = env.DATABASE_URL;
      for (;;) {
        const answer = await prompts.input({
          message: `DATABASE_URL (postgresql://user:password@host:5432/dbname${current ? keep(maskDatabaseUrl(current)) : ''})`,
          // A raw password with @ / ? # in it is let through when encoding it is all it needs: setup offers that next.
          validate: (value) => (current && value.trim() === '' ? undefined : envAnswerProblem('DATABASE_URL', encodeDatabaseUrl(value.trim()) ?? value.trim())),
          display: (value, final) => (final && current && value.trim() === '' ? maskDatabaseUrl(current) : maskDatabaseUrl(value, !final)),
        });
        const value = answer.trim() || current!;
        const encoded = encodeDatabaseUrl(value);
        if (encoded === undefined) return value;
        registerSecret(ctx.redactor, 'DATABASE_URL', value);
        const encode = await prompts.confirm({
          message: `The user name or password has characters a URL cannot hold as they are (@ / ? # or a lone %). Write it percent-encoded, as ${maskDatabaseUrl(encoded)}?`,
          default: true,
        });
        if (encode) return encoded;
        ctx.out.info('Then enter the URL with its user name and password percent-encoded (@ → %40, # → %23, / → %2F, ? → %3F, : → %3A, % → %25).');
      }
    },
    after: async (value) => {
      registerSecret(ctx.redactor, 'DATABASE_URL', value);
      if (checkDatabase) await probeDatabase(ctx, value);
    },
  });

  questions.push({
    id: 'OPENAI_API_KEY',
    label: 'OPENAI_API_KEY',
    flags: '--openai-api-key-file FILE (or - for stdin)',
    given: given.OPENAI_API_KEY,
    fallback: env.OPENAI_API_KEY,
    show: () => `sk-${REDACTED}`,
    ask: async () => {
      const current = env.OPENAI_API_KEY;
      const answer = await prompts.password({
        message: `OPENAI_API_KEY (sk-…, from https://platform.openai.com/api-keys${current ? keep('the current key') : ''})`,
        validate: (value) => (current && value === '' ? undefined : envAnswerProblem('OPENAI_API_KEY', value)),
      });
      return answer || current!;
    },
    after: async (value) => registerSecret(ctx.redactor, 'OPENAI_API_KEY', value),
  });

  // How the secret came to be, for the summary: it is never shown, so say where it is from.
  const givenSecret = given.BETTER_AUTH_SECRET?.from;
  let authOrigin = givenSecret === '--generate-auth-secret' ? 'newly generated' : givenSecret ? `from ${givenSecret}` : 'kept';
  questions.push({
    id: 'BETTER_AUTH_SECRET',
    label: 'BETTER_AUTH_SECRET',
    flags: '--generate-auth-secret (or --better-auth-secret-file FILE)',
    given: given.BETTER_AUTH_SECRET,
    fallback: env.BETTER_AUTH_SECRET,
    show: () => `${REDACTED} (${authOrigin})`,
    ask: async () => {
      const current = env.BETTER_AUTH_SECRET;
      const choice = await prompts.select({
        message: 'BETTER_AUTH_SECRET (signs user sessions)',
        choices: [
          { value: 'generate', name: 'Generate a new random secret', description: '32 random bytes; signs everyone out if it replaces a secret in use' },
          ...(current ? [{ value: 'keep' as const, name: 'Keep the current secret' }] : []),
          { value: 'enter', name: 'Enter my own', description: 'at least 32 characters' },
        ],
        default: current ? 'keep' : 'generate',
      });
      authOrigin = { keep: 'kept', generate: 'newly generated', enter: 'entered' }[choice];
      if (choice === 'keep') return current!;
      if (choice === 'generate') return generateAuthSecret();
      return prompts.password({ message: 'BETTER_AUTH_SECRET (at least 32 characters)', validate: (value) => envAnswerProblem('BETTER_AUTH_SECRET', value) });
    },
    after: async (value) => registerSecret(ctx.redactor, 'BETTER_AUTH_SECRET', value),
  });

  const authUrl = env.BETTER_AUTH_URL ?? (given.BETTER_AUTH_URL ? undefined : await frontendUrl(ctx, config));
  questions.push({
    id: 'BETTER_AUTH_URL',
    label: 'BETTER_AUTH_URL',
    flags: '--better-auth-url URL',
    given: given.BETTER_AUTH_URL,
    fallback: authUrl,
    show: (value) => value,
    ask: async () =>
      (
        await prompts.input({
          message: 'BETTER_AUTH_URL (where users open the app)',
          default: authUrl,
          validate: (value) => envAnswerProblem('BETTER_AUTH_URL', value.trim()),
        })
      ).trim(),
  });

  const resource = (id: 'minikube.cpus' | 'minikube.memory' | 'namespace', message: string, current: string): Question => ({
    id,
    label: id,
    flags: `--${id.split('.').pop()}`,
    given: given[id],
    fallback: current,
    show: (value) => value,
    ask: async () => (await prompts.input({ message, default: current, validate: (value) => problemOf(id, value.trim(), host) })).trim(),
  });
  questions.push(
    resource('minikube.cpus', `CPUs for Minikube (this machine has ${host.cpus})`, String(config.minikube.cpus)),
    resource('minikube.memory', 'Memory for Minikube (e.g. 3g, 4096mb)', config.minikube.memory),
    resource('namespace', 'Kubernetes namespace', config.namespace),
  );
  return questions;
}

function problemOf(path: ConfigAnswerPath, value: string, host: HostResources): string | undefined {
  const problem = configAnswerProblem(path, value);
  return problem ? `${path}: ${problem}` : minikubeAnswerProblem(path, value, host);
}

export function requireFlags(ctx: Context, questions: readonly Question[]): void {
  // The answers without a terminal, in order: a question asked only for some of them is needed only then.
  const answers: Partial<Answers> = {};
  const missing: string[] = [];
  for (const q of questions) {
    if (q.when && !q.when(answers)) continue;
    answers[q.id] = q.given?.value ?? q.fallback;
    if (answers[q.id] === undefined) missing.push(q.flags);
  }
  if (!ctx.yes) missing.push('--yes (to write the files without the confirmation)');
  if (missing.length === 0) return;
  throw new UsageError(
    `setup has no terminal to ask on, and these answers are missing: ${missing.join('; ')}.`,
    'Pass them as flags (secrets from a file, or - for stdin; todo-deploy setup --help lists every flag), or run setup in a terminal.',
  );
}

export type Answers = Record<AnswerId, string | undefined>;

export async function answerAll(ctx: Context, questions: readonly Question[]): Promise<Answers> {
  const answers = {} as Answers;
  for (const question of questions) {
    if (question.when && !question.when(answers)) continue;
    let value: string;
    if (question.given) {
      value = question.given.value;
      if (ctx.interactive) ctx.out.info(`${ctx.out.style.green('✔')} ${question.id} ${question.show(value)} ${ctx.out.style.dim(`(${question.given.from})`)}`);
    } else {
      value = ctx.interactive ? await question.ask() : question.fallback!;
    }
    answers[question.id] = value;
    await question.after?.(value);
  }
  return answers;
}

async function probeDatabase(ctx: Context, databaseUrl: string): Promise<void> {
  const address = databaseAddress(databaseUrl);
  if (!address) return;
  const where = `${address.host}:${address.port}${address.note ? ` (${address.note})` : ''}`;
  const result = await probeTcp(address, { timeoutMs: PROBE_TIMEOUT_MS, signal: ctx.signal });
  if (result.ok) ctx.out.info(`${ctx.out.style.green('✔')} The database answers at ${where}.`);
  else ctx.out.warn(`The database does not answer at ${where} (${result.reason}). Kept anyway: only the cluster has to reach it. --no-check-database skips this check.`);
}
