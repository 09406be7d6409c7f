// `todo-deploy setup`: the guided wizard. Finds the app, asks for each .env value and the
// cluster's resources (every answer checked by the rules `up` applies), shows a summary with
// the secrets masked, and only after confirmation writes .env (mode 600), todo-deploy.yaml
// (from the template, comments kept) and the .gitignore entry; then offers to run `up`.
// Every question has a flag, so with --yes and the flags it runs without a terminal.
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { assetPath } from '../assets.js';
import { encodeDatabaseUrl, maskDatabaseUrl } from '../config/database-url.js';
import { checkEnvText, readEnvText, registerSecret, secretKeys, type SecretKey, type Secrets } from '../config/env-file.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Context } from '../context.js';
import { CancelledError, ConfigError, UsageError } from '../errors.js';
import { Redactor, REDACTED } from '../redact.js';
import { isTrackedByGit } from '../tools/git.js';
import { appDirProblem, configDir, detectAppDir } from '../setup/app-dirs.js';
import { thisMachine, type HostResources } from '../checks/settings.js';
import { configAnswerProblem, configAnswerValue, envAnswerProblem, generateAuthSecret, minikubeAnswerProblem, type ConfigAnswerPath } from '../setup/answers.js';
import { setConfigValues } from '../setup/config-text.js';
import { databaseAddress, probeTcp } from '../setup/database-probe.js';
import { setEnvValues } from '../setup/env-text.js';
import { frontendUrl } from '../setup/frontend-url.js';
import { readFlags, type AnswerId, type Given, type SetupFlags } from '../setup/flags.js';
import { appendToGitignore, gitignoreCovers, gitIgnores } from '../setup/gitignore.js';

export interface SetupOptions extends SetupFlags {
  /** false with --no-check-database. */
  checkDatabase?: boolean;
  /** true with --up, false with --no-up; otherwise a terminal user is asked. */
  up?: boolean;
}

const PROBE_TIMEOUT_MS = 2_000;

export async function setup(ctx: Context, options: SetupOptions = {}): Promise<void> {
  const host = thisMachine();
  let plan: WritePlan;
  try {
    const previous = await readPrevious(ctx);
    // Said before anything is asked, so that a value missing from the defaults is explained.
    for (const problem of previous.refused) ctx.out.warn(`${ctx.envFile}: ${problem} Setup does not keep it.`);
    const given = await readFlags(ctx, options, host);
    const questions = await buildQuestions(ctx, previous, given, host, options);
    if (!ctx.interactive) requireFlags(ctx, questions);
    const answers = await answerAll(ctx, questions);
    plan = await planWrites(ctx, previous, answers);
    ctx.out.print(renderSummary(ctx, plan, questions, answers));
    for (const warning of plan.warnings) ctx.out.warn(warning);
    if (ctx.interactive && !ctx.yes) {
      const replaced = [plan.env, plan.config].filter((f) => f.exists).map((f) => relative(ctx.appDir, f.path) || f.path);
      const write = await ctx.prompts.confirm({
        message: replaced.length > 0 ? `Write these files (updating the existing ${replaced.join(' and ')})?` : 'Write these files?',
        default: true,
      });
      if (!write) throw new CancelledError('Setup cancelled: nothing was written.');
    }
  } catch (error) {
    if (error instanceof CancelledError) throw new CancelledError('Setup cancelled: nothing was written.', 'Run todo-deploy setup again when you are ready.');
    throw error;
  }

  await writeFiles(plan);
  const written = [`${plan.env.path} (mode 600)`, plan.config.path, ...(plan.gitignore.append ? [`${plan.gitignore.path} (added ${plan.gitignore.entry})`] : [])];
  ctx.out.print(`${ctx.out.style.green('✔')} Wrote ${written.join(', ')}.`);
  ctx.out.result({ files: { env: plan.env.path, config: plan.config.path, gitignore: plan.gitignore.append ? plan.gitignore.path : null } });

  let runUp = options.up;
  if (runUp === undefined && ctx.interactive && !ctx.yes) {
    try {
      runUp = await ctx.prompts.confirm({ message: 'Run todo-deploy up now?', default: true });
    } catch (error) {
      if (error instanceof CancelledError) throw new CancelledError('Interrupted; the files are written.', 'Run todo-deploy up when you are ready.');
      throw error;
    }
  }
  ctx.out.result({ up: runUp === true });
  if (!runUp) {
    ctx.out.print(`Next: ${ctx.out.style.bold('todo-deploy up')} builds, deploys and verifies the app (${ctx.out.style.bold('todo-deploy doctor')} checks everything first).`);
    return;
  }
  const { up } = await import('./up.js');
  await up(ctx);
}

// ---------------------------------------------------------------------------------------------
// What is there already: its values are the defaults of this run.

interface Previous {
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

async function readPrevious(ctx: Context): Promise<Previous> {
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

// ---------------------------------------------------------------------------------------------
// The questions, in the order they are asked. Each has its flag, the answer to use without a
// terminal (the previous value, what was detected, the default), and how to ask it.

interface Question {
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
}

async function buildQuestions(ctx: Context, previous: Previous, given: Partial<Record<AnswerId, Given>>, host: HostResources, options: SetupOptions): Promise<Question[]> {
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

  const keep = (what: string) => `; Enter keeps ${what}`;
  questions.push({
    id: 'DATABASE_URL',
    label: 'DATABASE_URL',
    flags: '--database-url-file FILE (or --database-url URL)',
    given: given.DATABASE_URL,
    fallback: env.DATABASE_URL,
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
      if (options.checkDatabase !== false) await checkDatabase(ctx, value);
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

function requireFlags(ctx: Context, questions: readonly Question[]): void {
  const missing = questions.filter((q) => !q.given && q.fallback === undefined).map((q) => q.flags);
  if (!ctx.yes) missing.push('--yes (to write the files without the confirmation)');
  if (missing.length === 0) return;
  throw new UsageError(
    `setup has no terminal to ask on, and these answers are missing: ${missing.join('; ')}.`,
    'Pass them as flags (secrets from a file, or - for stdin; todo-deploy setup --help lists every flag), or run setup in a terminal.',
  );
}

type Answers = Record<AnswerId, string | undefined>;

async function answerAll(ctx: Context, questions: readonly Question[]): Promise<Answers> {
  const answers = {} as Answers;
  for (const question of questions) {
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

async function checkDatabase(ctx: Context, databaseUrl: string): Promise<void> {
  const address = databaseAddress(databaseUrl);
  if (!address) return;
  const where = `${address.host}:${address.port}${address.note ? ` (${address.note})` : ''}`;
  const result = await probeTcp(address, { timeoutMs: PROBE_TIMEOUT_MS, signal: ctx.signal });
  if (result.ok) ctx.out.info(`${ctx.out.style.green('✔')} The database answers at ${where}.`);
  else ctx.out.warn(`The database does not answer at ${where} (${result.reason}). Kept anyway: only the cluster has to reach it. --no-check-database skips this check.`);
}

// ---------------------------------------------------------------------------------------------
// What will be written, shown before anything is.

interface WritePlan {
  env: { path: string; exists: boolean; text: string };
  config: { path: string; exists: boolean; text: string; values: Array<[ConfigAnswerPath, string | number]> };
  gitignore: { path: string; entry: string; append: boolean; text: string };
  warnings: string[];
}

async function planWrites(ctx: Context, previous: Previous, answers: Answers): Promise<WritePlan> {
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
  const ignored = (await gitIgnores(ctx.exec, ctx.envFile)) ?? gitignoreCovers(gitignoreText, entry);

  const warnings = [...readBack.warnings];
  if (await isTrackedByGit(ctx.exec, ctx.envFile)) {
    warnings.push(`${ctx.envFile} is tracked by git, so its secrets would be committed; run: git rm --cached ${ctx.envFile}`);
  }
  return {
    env: { path: ctx.envFile, exists: previous.envText !== undefined, text: envText },
    config: { path: ctx.configOptions.file, exists: previous.configText !== undefined, text: configText, values },
    gitignore: { path: gitignorePath, entry, append: !ignored, text: ignored ? gitignoreText : appendToGitignore(gitignoreText, entry) },
    warnings,
  };
}

function renderSummary(ctx: Context, plan: WritePlan, questions: readonly Question[], answers: Answers): string {
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

async function writeFiles(plan: WritePlan): Promise<void> {
  await mkdir(dirname(plan.env.path), { recursive: true });
  // chmod before the first byte: an existing .env may be world-readable, and `mode` applies only to new files.
  const handle = await open(plan.env.path, 'w', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(plan.env.text);
  } finally {
    await handle.close();
  }
  await mkdir(dirname(plan.config.path), { recursive: true });
  await writeFile(plan.config.path, plan.config.text);
  if (plan.gitignore.append) await writeFile(plan.gitignore.path, plan.gitignore.text);
}
