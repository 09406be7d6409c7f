// The wizard, driven through the prompt port by a scripted user, and without a terminal by
// flags: what it asks, what it refuses (with the rule's own words), what it writes, and that a
// Ctrl-C or a "no" anywhere before the confirmation writes nothing.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';
import { checkConfig, checkEnv, checkInputs } from '../../src/checks/inputs.js';
import { main } from '../../src/cli.js';
import { setup, type SetupOptions } from '../../src/commands/setup.js';
import { checkEnvText } from '../../src/config/env-file.js';
import { CancelledError, ConfigError, PrereqError, UsageError } from '../../src/errors.js';
import { Redactor } from '../../src/redact.js';
import { createExec } from '../../src/tools/exec.js';
import { CTRL_C, ScriptedPrompter, type Step } from '../support/scripted-prompter.js';
import { binDir, makeApp, realGit, testContext, type TestContextOptions } from '../support/setup-fixture.js';

const AUTH = 'q7V0c2Jt9yXkR4pLw8ZbN3mHs6TfGd1A';
const DB_PASSWORD = 'npg_S3cr3tPassw0rd';
const DB = `postgresql://neondb_owner:${DB_PASSWORD}@ep-cool-rain-123456.eu-central-1.aws.neon.tech/neondb?sslmode=require`;
const DB_SHOWN = 'postgresql://neondb_owner:****@ep-cool-rain-123456.eu-central-1.aws.neon.tech/neondb?sslmode=require';
const OPENAI = 'sk-proj-9fJ2kLmN4pQ7rS0tUvW3xYz6AbCdEfGh';
const secrets = [AUTH, DB, DB_PASSWORD, OPENAI];
// A password pasted raw: the host is after the last @, and the first @ would make it "ss".
const RAW_DB = 'postgresql://todo:p@ss/LEAKY9@db.example.internal:5432/todo';
const RAW_DB_ENCODED = 'postgresql://todo:p%40ss%2FLEAKY9@db.example.internal:5432/todo';
const ENCODED_NOTICE =
  "DATABASE_URL's user name or password held characters a URL cannot hold as they are (@ / ? # or a lone %); " +
  '.env gets them percent-encoded (postgresql://todo:****@db.example.internal:5432/todo), which PostgreSQL reads as the same password.';
const git = realGit();

/** The questions of a first run in order, each answered with a bare Enter unless `type` says otherwise. */
function script(type: Partial<Record<'frontend' | 'backend' | 'database' | 'db' | 'openai' | 'auth' | 'ownAuth' | 'url' | 'cpus' | 'memory' | 'namespace' | 'write' | 'up', Step['type']>> = {}): Step[] {
  return [
    { kind: 'input', message: /^Frontend folder \(the Next\.js app/, type: type.frontend ?? [''] },
    { kind: 'input', message: /^Backend folder \(the FastAPI app/, type: type.backend ?? [''] },
    { kind: 'select', message: /^Database \(the PostgreSQL the backend uses\)/, type: type.database ?? ['external'] },
    ...(type.database?.[0] === 'in-cluster' ? [] : [{ kind: 'input' as const, message: /^DATABASE_URL/, type: type.db ?? [DB] }]),
    { kind: 'password', message: /^OPENAI_API_KEY/, type: type.openai ?? [OPENAI] },
    { kind: 'select', message: /^BETTER_AUTH_SECRET/, type: type.auth ?? ['generate'] },
    ...(type.ownAuth ? [{ kind: 'password' as const, message: /^BETTER_AUTH_SECRET \(at least 32/, type: type.ownAuth }] : []),
    { kind: 'input', message: /^BETTER_AUTH_URL/, type: type.url ?? [''] },
    { kind: 'input', message: /^CPUs for Minikube/, type: type.cpus ?? [''] },
    { kind: 'input', message: /^Memory for Minikube/, type: type.memory ?? [''] },
    { kind: 'input', message: /^Kubernetes namespace/, type: type.namespace ?? [''] },
    { kind: 'confirm', message: /^Write these files/, type: type.write ?? [true] },
    { kind: 'confirm', message: /^Run todo-deploy up now\?/, type: type.up ?? [false] },
  ];
}

async function interactive(appDir: string, steps: Step[], options: SetupOptions = { checkDatabase: false }, extra: Partial<TestContextOptions> = {}) {
  const prompter = new ScriptedPrompter(steps);
  const { ctx, output } = await testContext({ appDir, interactive: true, prompts: prompter, ...extra });
  const result = await setup(ctx, options).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(prompter.remaining, 'the wizard stopped before the script ended').toEqual([]);
  return { prompter, output: output(), error: result, ctx };
}

async function flagsOnly(appDir: string, options: SetupOptions, extra: Partial<TestContextOptions> = {}) {
  const { ctx, output } = await testContext({ appDir, interactive: false, ...extra });
  const error = await setup(ctx, { checkDatabase: false, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { output: output(), error };
}

const read = (appDir: string, name: string) => readFileSync(join(appDir, name), 'utf8');
const written = (appDir: string) => ['.env', 'todo-deploy.yaml', '.gitignore'].filter((name) => existsSync(join(appDir, name)));

function expectNoSecrets(text: string) {
  for (const secret of secrets) expect(text).not.toContain(secret);
}

async function doctorChecks(appDir: string) {
  const redactor = new Redactor();
  const exec = createExec({ redactor, baseEnv: { PATH: binDir({ git }) } });
  const config = await checkConfig({ file: join(appDir, 'todo-deploy.yaml'), fileRequired: true, env: {}, flags: {} });
  const env = await checkEnv(exec, join(appDir, '.env'), redactor);
  return { config, env };
}

describe('setup in a terminal', () => {
  it("asks every question, refuses wrong answers with the rule's own words, and writes what doctor accepts", async () => {
    const app = makeApp();
    const { prompter, output, error } = await interactive(
      app,
      script({
        frontend: ['nowhere', 'backend', ''],
        backend: ['frontend', ''],
        db: ['mysql://u:p@db.example.com/db', '<your-database-url>', `postgresql://u:${DB_PASSWORD}@db.example.com:5432`, `postgresql://u:${DB_PASSWORD}@127.0.0.1:5432/todo`, DB],
        openai: ['', 'sk-abc def', 'sk-xxxxxxxx', 'pk-123', OPENAI],
        auth: ['enter'],
        ownAuth: ['too-short', 'changeme', AUTH],
        url: ['ftp://localhost', ''],
        cpus: ['0', 'two', '1', '2'],
        memory: ['4 GB', '1g', '2g'],
        namespace: ['Todo_Dev', 'todo-dev'],
      }),
    );
    expect(error).toBeUndefined();
    expect(refusedByPrompt(prompter)).toEqual({
      Frontend: [`${join(app, 'nowhere')} is not a folder.`, `${join(app, 'backend')} has no package.json that depends on next, so it is not the Next.js frontend.`],
      Backend: [`${join(app, 'frontend')} has no pyproject.toml or requirements.txt, so it is not the FastAPI backend.`],
      Database: [],
      DATABASE_URL: [
        'DATABASE_URL must be a postgres:// or postgresql:// URL, e.g. postgresql://user:password@host:5432/dbname.',
        expect.stringMatching(/^DATABASE_URL still holds a placeholder; set it to your PostgreSQL URL/),
        'DATABASE_URL has no database name after the host (postgresql://u:****@db.example.com:5432); add /dbname.',
        'DATABASE_URL points at 127.0.0.1, which inside a pod is the pod itself, not your machine, so the backend could not reach the database. ' +
          "For a PostgreSQL on your machine, use host.minikube.internal instead (your machine as Minikube's pods see it) and let PostgreSQL listen beyond 127.0.0.1 (listen_addresses and pg_hba.conf); otherwise use a host the cluster can reach.",
      ],
      OPENAI_API_KEY: [
        expect.stringMatching(/^OPENAI_API_KEY is empty; set it to your OpenAI API key/),
        'OPENAI_API_KEY contains whitespace; paste the key again without spaces or line breaks.',
        expect.stringMatching(/^OPENAI_API_KEY still holds a placeholder/),
        'OPENAI_API_KEY does not look like an OpenAI API key (they start with sk-).',
      ],
      BETTER_AUTH_SECRET: [],
      'BETTER_AUTH_SECRET#2': [
        expect.stringMatching(/^BETTER_AUTH_SECRET is too short: it needs at least 32 characters, it has 9;/),
        expect.stringMatching(/^BETTER_AUTH_SECRET still holds a placeholder/),
      ],
      BETTER_AUTH_URL: ['BETTER_AUTH_URL must be an http:// or https:// URL, e.g. http://localhost:30000.'],
      CPUs: ['minikube.cpus: expected an integer from 1 to 256, got "0"', 'minikube.cpus: expected an integer from 1 to 256, got "two"', 'minikube.cpus is 1; Minikube needs at least 2. Set minikube.cpus: 2 or more.'],
      Memory: ['minikube.memory: expected a size such as 3g, 3072mb or 4096, got "4 GB"', 'minikube.memory is 1g (1024 MB); Minikube needs at least 1800 MB. Set minikube.memory: 2g or more (3g is the default).'],
      Kubernetes: ["namespace: expected a lowercase DNS label (a-z, 0-9, '-'; at most 63 characters), got \"Todo_Dev\""],
      Write: [],
      Run: [],
    });
    expect(prompter.asked.find((a) => a.message.startsWith('BETTER_AUTH_URL'))).toMatchObject({ default: 'http://localhost:30000', answer: 'http://localhost:30000' });
    expect(prompter.asked.find((a) => a.message.startsWith('DATABASE_URL'))?.shown).toBe(DB_SHOWN);

    const env = checkEnvText(read(app, '.env'), '.env', new Redactor());
    expect(env.secrets).toEqual({ DATABASE_URL: DB, OPENAI_API_KEY: OPENAI, BETTER_AUTH_SECRET: AUTH, BETTER_AUTH_URL: 'http://localhost:30000' });
    expect(statSync(join(app, '.env')).mode & 0o777).toBe(0o600);
    expect(read(app, '.gitignore')).toBe('# Secrets (added by todo-deploy setup)\n.env\n');

    const { config, env: envCheck } = await doctorChecks(app);
    expect(config.result).toMatchObject({ status: 'pass' });
    expect(config.loaded?.config).toMatchObject({ namespace: 'todo-dev', minikube: { cpus: 2, memory: '2g' }, frontend: { sourceDir: './frontend' }, backend: { sourceDir: './backend' } });
    expect(envCheck.result).toMatchObject({ status: 'pass', warnings: [] });
    expect(envCheck.result.problems).toBeUndefined();

    expect(output).toContain(`DATABASE_URL        ${DB_SHOWN}`);
    expect(output).toContain('OPENAI_API_KEY      sk-••••••');
    expect(output).toContain('BETTER_AUTH_SECRET  •••••• (entered)');
    expect(output).toContain(`${join(app, '.gitignore')} (adds .env: it is not git-ignored yet)`);
    expect(output).toContain(`✔ Wrote ${join(app, '.env')} (mode 600), ${join(app, 'todo-deploy.yaml')}, ${join(app, '.gitignore')} (added .env).`);
    expectNoSecrets(output);
  });

  it('generates BETTER_AUTH_SECRET by default: random, long enough, and never shown', async () => {
    const first = makeApp();
    const second = makeApp();
    const a = await interactive(first, script());
    const b = await interactive(second, script());
    const secretOf = (app: string) => checkEnvText(read(app, '.env'), '.env', new Redactor()).secrets!.BETTER_AUTH_SECRET;
    expect(a.prompter.asked[5]).toMatchObject({ default: 'generate', choices: ['generate', 'enter'] });
    expect(secretOf(first)).toMatch(/^[\w-]{43}$/);
    expect(secretOf(first)).not.toBe(secretOf(second));
    expect(a.output).toContain('BETTER_AUTH_SECRET  •••••• (newly generated)');
    expect(a.output).not.toContain(secretOf(first));
  });

  it('keeps the previous values as the defaults when run again, and Enter keeps them all', async () => {
    const app = makeApp();
    await interactive(app, script({ cpus: ['2'], memory: ['2g'], namespace: ['todo-dev'], url: ['https://todo.example.com'] }));
    const envBefore = read(app, '.env');
    const yamlBefore = read(app, 'todo-deploy.yaml');

    const { prompter, output, error } = await interactive(
      app,
      script({ db: [''], openai: [''], auth: ['keep'] }).map((step) => (step.message.source.startsWith('^Write') ? { ...step, message: /^Write these files \(updating the existing \.env and todo-deploy\.yaml\)\?/ } : step)),
    );
    expect(error).toBeUndefined();
    const asked = Object.fromEntries(prompter.asked.map((a) => [a.message.split(' ')[0], a]));
    expect(asked.Frontend?.default).toBe('./frontend');
    expect(asked.Database).toMatchObject({ default: 'external', choices: ['in-cluster', 'external'] });
    expect(asked.DATABASE_URL?.message).toBe(`DATABASE_URL (postgresql://user:password@host:5432/dbname; Enter keeps ${DB_SHOWN})`);
    expect(asked.DATABASE_URL?.shown).toBe(DB_SHOWN);
    expect(asked.OPENAI_API_KEY?.message).toContain('Enter keeps the current key');
    expect(asked.BETTER_AUTH_SECRET).toMatchObject({ default: 'keep', choices: ['generate', 'keep', 'enter'] });
    expect(asked.BETTER_AUTH_URL?.default).toBe('https://todo.example.com');
    expect(asked.CPUs?.default).toBe('2');
    expect(asked.Memory?.default).toBe('2g');
    expect(asked.Kubernetes?.default).toBe('todo-dev');

    expect(read(app, '.env')).toBe(envBefore);
    expect(read(app, 'todo-deploy.yaml')).toBe(yamlBefore);
    expect(read(app, '.gitignore')).toBe('# Secrets (added by todo-deploy setup)\n.env\n');
    expect(output).toContain('(updated; its other lines and comments are kept; mode 600)');
    expect(output).toContain('BETTER_AUTH_SECRET  •••••• (kept)');
    expectNoSecrets(output);
  });

  it("keeps the rest of an existing todo-deploy.yaml and .env: other keys and lines, comments, order, and a world-readable .env becomes 600", async () => {
    const app = makeApp({ frontend: 'web' });
    const yaml = '# my settings\nnamespace: mine   # keep this comment\nfrontend:\n  sourceDir: ./web\n  replicas: 3 # three\n';
    writeFileSync(join(app, 'todo-deploy.yaml'), yaml);
    const envBefore = `# mine\nLOG_LEVEL=debug  # chatty\n\nexport OPENAI_API_KEY=${OPENAI}\nDATABASE_URL=postgresql://old@localhost/todo # before the cluster\n`;
    writeFileSync(join(app, '.env'), envBefore, { mode: 0o644 });
    chmodSync(join(app, '.env'), 0o644);
    const { prompter, error, output } = await interactive(app, script({ openai: [''], cpus: ['2'] }).map((s) => (s.kind === 'confirm' && s.message.source.startsWith('^Write') ? { ...s, message: /^Write these files \(updating the existing/ } : s)));
    expect(error).toBeUndefined();
    expect(prompter.asked[0]?.default).toBe('./web');
    // The localhost URL is not offered as the default, and the user is told why before the question.
    expect(output).toContain(`warning: ${join(app, '.env')}: DATABASE_URL points at localhost, which inside a pod is the pod itself, not your machine,`);
    expect(output).toMatch(/otherwise use a host the cluster can reach\. Setup does not keep it\./);
    expect(prompter.asked.find((a) => a.message.startsWith('DATABASE_URL'))?.message).toBe('DATABASE_URL (postgresql://user:password@host:5432/dbname)');
    expect(prompter.asked[9]?.default).toBe('mine');
    expect(read(app, 'todo-deploy.yaml')).toBe(
      '# my settings\nnamespace: mine   # keep this comment\nfrontend:\n  sourceDir: ./web\n  replicas: 3 # three\nbackend:\n  sourceDir: ./backend\nminikube:\n  cpus: 2\n  memory: 3g\n',
    );
    const env = read(app, '.env');
    const secret = checkEnvText(env, '.env', new Redactor()).secrets!.BETTER_AUTH_SECRET;
    // Only the values setup changed are replaced, where they stand; the key that was there unchanged is left as written.
    expect(env).toBe(
      `# mine\nLOG_LEVEL=debug  # chatty\n\nexport OPENAI_API_KEY=${OPENAI}\nDATABASE_URL='${DB}' # before the cluster\n` +
        `BETTER_AUTH_SECRET='${secret}'\nBETTER_AUTH_URL='http://localhost:30000'\n`,
    );
    expect(statSync(join(app, '.env')).mode & 0o777).toBe(0o600);
  });

  it('refuses an existing .env with an unclosed quote, naming the line and the fix, before asking anything', async () => {
    const app = makeApp();
    writeFileSync(join(app, '.env'), `# mine\nOPENAI_API_KEY="${OPENAI}\nLOG_LEVEL=debug\n`);
    const { error } = await interactive(app, []);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`${join(app, '.env')} has a value with an unclosed quote; setup keeps the file's other lines as they are, so fix it first:`);
    expect((error as ConfigError).problems).toEqual([
      `${join(app, '.env')}:2: OPENAI_API_KEY's value starts with " but no " closes it at the end of the value, so .env would read the " as part of it; put the closing " right after the value (OPENAI_API_KEY="…"), or remove the opening one.`,
    ]);
    expect((error as ConfigError).hint).toBe(`Fix ${join(app, '.env')} and run setup again (it keeps the rest of the file).`);
    expect(read(app, '.env')).toBe(`# mine\nOPENAI_API_KEY="${OPENAI}\nLOG_LEVEL=debug\n`);
  });

  it.each(script().map((step, index) => [step.message.source, index] as const).slice(0, -1))('Ctrl-C at %s writes nothing (exit 130)', async (_, index) => {
    const app = makeApp();
    const steps = script().slice(0, index + 1);
    steps[steps.length - 1] = { ...steps.at(-1)!, type: [CTRL_C] };
    const { error } = await interactive(app, steps);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).message).toBe('Setup cancelled: nothing was written.');
    expect(written(app)).toEqual([]);
  });

  it('Ctrl-C at the own BETTER_AUTH_SECRET prompt writes nothing', async () => {
    const app = makeApp();
    const steps = script({ auth: ['enter'], ownAuth: [CTRL_C] }).slice(0, 7);
    const { error } = await interactive(app, steps);
    expect(error).toBeInstanceOf(CancelledError);
    expect(written(app)).toEqual([]);
  });

  it('answering no to the summary writes nothing', async () => {
    const app = makeApp();
    const { error, output } = await interactive(app, script({ write: [false] }).slice(0, -1));
    expect(error).toBeInstanceOf(CancelledError);
    expect(output).toContain('Summary');
    expect(written(app)).toEqual([]);
  });

  it('Ctrl-C at the offer to run up leaves the written files and says so', async () => {
    const app = makeApp();
    const { error } = await interactive(app, script({ up: [CTRL_C] }));
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).message).toBe('Interrupted; the files are written.');
    expect(written(app)).toEqual(['.env', 'todo-deploy.yaml', '.gitignore']);
  });

  it('runs up when the user says yes (here it stops at the missing tools, after writing the files)', async () => {
    const app = makeApp();
    // The app brings its own Dockerfiles, so up gets past its input checks to the prerequisites.
    writeFileSync(join(app, 'frontend', 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(app, 'backend', 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(app, 'todo-deploy.yaml'), 'frontend:\n  dockerfile: frontend/Dockerfile\nbackend:\n  dockerfile: backend/Dockerfile\n');
    const steps = script({ up: [true] }).map((s) => (s.message.source.startsWith('^Write') ? { ...s, message: /^Write these files \(updating the existing todo-deploy\.yaml\)/ } : s));
    const { error, output } = await interactive(app, steps);
    expect(error).toBeInstanceOf(PrereqError);
    expect(output).toContain('Check prerequisites');
    expect(written(app)).toEqual(['.env', 'todo-deploy.yaml', '.gitignore']);
  });

  it('skips the questions whose flags are given, and says where each answer came from', async () => {
    const app = makeApp();
    const keyFile = join(app, 'key.txt');
    writeFileSync(keyFile, `${OPENAI}\n`);
    const steps = script().filter((s) => !/OPENAI|BETTER_AUTH_SECRET|CPUs/.test(s.message.source));
    const { output, error } = await interactive(app, steps, { checkDatabase: false, openaiApiKeyFile: keyFile, generateAuthSecret: true, cpus: '2' });
    expect(error).toBeUndefined();
    expect(output).toContain(`✔ OPENAI_API_KEY sk-•••••• (--openai-api-key-file ${keyFile})`);
    expect(output).toContain('✔ BETTER_AUTH_SECRET •••••• (newly generated) (--generate-auth-secret)');
    expect(output).toContain('✔ minikube.cpus 2 (--cpus)');
  });

  it("refuses more CPUs or memory than this machine has at the question, in the preflight's words", async () => {
    const app = makeApp();
    const { prompter, error } = await interactive(app, script({ cpus: ['256', ''], memory: ['4096g', ''] }));
    expect(error).toBeUndefined();
    const refused = refusedByPrompt(prompter);
    expect(refused.CPUs).toEqual([expect.stringMatching(/^minikube\.cpus is 256; this machine has \d+\. Set minikube\.cpus: \d+ or less\.$/)]);
    expect(refused.Memory).toEqual([expect.stringMatching(/^minikube\.memory is 4096g \(4194304 MB\); this machine has \d+ MB\. Set minikube\.memory to less, such as \d+g\.$/)]);
  });

  it("defaults BETTER_AUTH_URL to the node's IP for a VM driver, asking minikube", async () => {
    const app = makeApp();
    writeFileSync(join(app, 'todo-deploy.yaml'), 'minikube:\n  driver: kvm2\nfrontend:\n  nodePort: 30080\n');
    const minikube = join(binDir(), 'minikube');
    writeFileSync(minikube, '#!/bin/sh\n[ "$1 $2 $3" = "ip -p minikube" ] && echo 192.168.39.7\n', { mode: 0o755 });
    const steps = script().map((s) => (s.message.source.startsWith('^Write') ? { ...s, message: /^Write these files \(updating the existing todo-deploy\.yaml\)/ } : s));
    const { prompter } = await interactive(app, steps, { checkDatabase: false }, { tools: { minikube } });
    expect(prompter.asked.find((a) => a.message.startsWith('BETTER_AUTH_URL'))?.default).toBe('http://192.168.39.7:30080');
  });
});

/** The refusals each prompt showed, by the message's first word (a second prompt of the same word gets #2). */
function refusedByPrompt(prompter: ScriptedPrompter): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const asked of prompter.asked) {
    const word = asked.message.split(' ')[0]!;
    out[word in out ? `${word}#2` : word] = asked.refused;
  }
  return out;
}

describe('setup: a database password with characters a URL cannot hold', () => {
  it('in a terminal, offers to percent-encode it, and shows only the masked URL', async () => {
    const app = makeApp();
    const steps = script({ db: [RAW_DB] });
    steps.splice(4, 0, { kind: 'confirm', message: /^The user name or password has characters a URL cannot hold/, type: [true] });
    const { prompter, output, error } = await interactive(app, steps);
    expect(error).toBeUndefined();
    const offer = prompter.asked.find((a) => a.kind === 'confirm' && a.message.startsWith('The user name'))!;
    expect(offer.message).toBe(
      'The user name or password has characters a URL cannot hold as they are (@ / ? # or a lone %). Write it percent-encoded, as postgresql://todo:****@db.example.internal:5432/todo?',
    );
    expect(prompter.asked.find((a) => a.message.startsWith('DATABASE_URL'))?.shown).toBe('postgresql://todo:****@db.example.internal:5432/todo');
    expect(output).toContain('DATABASE_URL        postgresql://todo:****@db.example.internal:5432/todo');
    expect(output.toLowerCase()).not.toContain('leaky9');
    expect(checkEnvText(read(app, '.env'), '.env', new Redactor()).secrets?.DATABASE_URL).toBe(RAW_DB_ENCODED);
  });

  it('in a terminal, asks again when the offer is declined', async () => {
    const app = makeApp();
    const steps = script({ db: [RAW_DB] });
    steps.splice(4, 0, { kind: 'confirm', message: /^The user name or password/, type: [false] }, { kind: 'input', message: /^DATABASE_URL/, type: [DB] });
    const { output, error } = await interactive(app, steps);
    expect(error).toBeUndefined();
    expect(output).toContain('Then enter the URL with its user name and password percent-encoded (@ → %40, # → %23, / → %2F, ? → %3F, : → %3A, % → %25).');
    expect(checkEnvText(read(app, '.env'), '.env', new Redactor()).secrets?.DATABASE_URL).toBe(DB);
  });

  it('without a terminal, encodes it with a notice', async () => {
    const app = makeApp();
    const file = join(tempDir('todo-db-'), 'raw-db.url');
    writeFileSync(file, `${RAW_DB}\n`);
    const { output, error } = await flagsOnly(app, { databaseUrlFile: file, openaiApiKey: OPENAI, generateAuthSecret: true }, { yes: true });
    expect(error).toBeUndefined();
    expect(output).toContain(`warning: --database-url-file ${file}: ${ENCODED_NOTICE}`);
    expect(output.toLowerCase()).not.toContain('leaky9');
    const { env } = await doctorChecks(app);
    expect(env.result.status).toBe('pass');
    expect(env.secrets?.DATABASE_URL).toBe(RAW_DB_ENCODED);
  });
});

describe('setup: does the database answer?', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('says so when it answers', async () => {
    const { output } = await interactive(makeApp(), script({ db: [`postgresql://app:${DB_PASSWORD}@host.minikube.internal:${port}/todo`] }), {});
    expect(output).toContain(`✔ The database answers at 127.0.0.1:${port} (host.minikube.internal is this machine as the cluster sees it).`);
  });

  it("warns, and still writes, when it doesn't", async () => {
    const app = makeApp();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const free = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { output, error } = await flagsOnly(app, { databaseUrl: `postgresql://app@host.minikube.internal:${free}/todo`, openaiApiKey: OPENAI, generateAuthSecret: true, checkDatabase: true }, { yes: true });
    expect(error).toBeUndefined();
    expect(output).toContain(`warning: The database does not answer at 127.0.0.1:${free} (host.minikube.internal is this machine as the cluster sees it) (connection refused: nothing listens on that port). Kept anyway: only the cluster has to reach it.`);
    expect(written(app)).toContain('.env');
  });

  it('does not knock with --no-check-database', async () => {
    const { output } = await interactive(makeApp(), script({ db: [`postgresql://app:${DB_PASSWORD}@host.minikube.internal:${port}/todo`] }), { checkDatabase: false });
    expect(output).not.toContain('database answers');
  });
});

describe('setup without a terminal', () => {
  const allFlags = (app: string): SetupOptions => {
    // Outside the app's folder, in one removed with the test file's others.
    const file = join(tempDir('todo-db-'), 'db.url');
    writeFileSync(file, `${DB}\n`);
    return { databaseUrlFile: file, openaiApiKeyFile: '-', generateAuthSecret: true };
  };

  it('names every missing flag, asks nothing and writes nothing (exit 2)', async () => {
    const app = makeApp();
    const { error } = await flagsOnly(app, {});
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(
      'setup has no terminal to ask on, and these answers are missing: --openai-api-key-file FILE (or - for stdin); --generate-auth-secret (or --better-auth-secret-file FILE); --yes (to write the files without the confirmation).',
    );
    expect(written(app)).toEqual([]);
  });

  it('names the app folder flags when it cannot tell where the apps are', async () => {
    const app = makeApp({ frontend: 'web' });
    mkdirSync(join(app, 'admin'));
    writeFileSync(join(app, 'admin', 'package.json'), '{"dependencies":{"next":"15"}}');
    const { error } = await flagsOnly(app, { ...allFlags(app) }, { yes: true, stdin: OPENAI });
    expect((error as UsageError).message).toBe('setup has no terminal to ask on, and these answers are missing: --frontend-dir DIR (several Next.js apps: ./admin, ./web).');
  });

  it('writes everything from flags and stdin with --yes, asking nothing', async () => {
    const app = makeApp();
    const { error, output } = await flagsOnly(app, { ...allFlags(app), cpus: '2', memory: '2048mb', betterAuthUrl: 'https://todo.example.com' }, { yes: true, stdin: `${OPENAI}\n`, namespace: 'todo-ci', profile: 'ci' });
    expect(error).toBeUndefined();
    const env = checkEnvText(read(app, '.env'), '.env', new Redactor());
    expect(env.secrets).toMatchObject({ DATABASE_URL: DB, OPENAI_API_KEY: OPENAI, BETTER_AUTH_URL: 'https://todo.example.com' });
    const { config, env: envCheck } = await doctorChecks(app);
    expect(config.loaded?.config).toMatchObject({ namespace: 'todo-ci', minikube: { profile: 'ci', cpus: 2, memory: '2048mb' } });
    expect(envCheck.result.status).toBe('pass');
    expect(output).toContain('BETTER_AUTH_SECRET  •••••• (newly generated)');
    expectNoSecrets(output);
  });

  it('without flags on a re-run, keeps what is there', async () => {
    const app = makeApp();
    await flagsOnly(app, { ...allFlags(app), cpus: '2' }, { yes: true, stdin: OPENAI });
    const before = [read(app, '.env'), read(app, 'todo-deploy.yaml'), read(app, '.gitignore')];
    const { error } = await flagsOnly(app, {}, { yes: true });
    expect(error).toBeUndefined();
    expect([read(app, '.env'), read(app, 'todo-deploy.yaml'), read(app, '.gitignore')]).toEqual(before);
  });

  it('reports every bad flag at once, by flag, without echoing a secret', async () => {
    const app = makeApp();
    const { error } = await flagsOnly(
      app,
      {
        databaseUrl: `mysql://u:${DB_PASSWORD}@db/x`,
        openaiApiKeyFile: join(app, 'no-such-file'),
        betterAuthSecretFile: '-',
        generateAuthSecret: true,
        betterAuthUrl: 'localhost:30000',
        cpus: '0',
        memory: 'lots',
        frontendDir: 'backend',
      },
      { yes: true, namespace: 'Todo', profile: '-bad' },
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('9 flags have problems; nothing was written:');
    expect((error as ConfigError).problems).toEqual([
      `--frontend-dir: ${join(app, 'backend')} has no package.json that depends on next, so it is not the Next.js frontend.`,
      '--database-url: DATABASE_URL must be a postgres:// or postgresql:// URL, e.g. postgresql://user:password@host:5432/dbname.',
      `--openai-api-key-file: ${join(app, 'no-such-file')} does not exist.`,
      '--generate-auth-secret and --better-auth-secret-file both set BETTER_AUTH_SECRET; give one.',
      '--better-auth-url: BETTER_AUTH_URL must be an http:// or https:// URL, e.g. http://localhost:30000.',
      '--cpus: expected an integer from 1 to 256, got "0"',
      '--memory: expected a size such as 3g, 3072mb or 4096, got "lots"',
      "--namespace: expected a lowercase DNS label (a-z, 0-9, '-'; at most 63 characters), got \"Todo\"",
      '--profile: expected a profile name (letters, digits, - and _), got "-bad"',
    ]);
    expectNoSecrets((error as ConfigError).problems.join('\n'));
    expect(written(app)).toEqual([]);
  });

  it("refuses what up's preflight would: a localhost DATABASE_URL, more CPUs than this machine has", async () => {
    const app = makeApp();
    const { error } = await flagsOnly(app, { databaseUrl: `postgresql://app:${DB_PASSWORD}@localhost:5432/todo`, openaiApiKey: OPENAI, generateAuthSecret: true, cpus: '256' }, { yes: true });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^--database-url: DATABASE_URL points at localhost, which inside a pod is the pod itself, not your machine, .* use host\.minikube\.internal instead/),
      expect.stringMatching(/^--cpus: minikube\.cpus is 256; this machine has \d+\. Set minikube\.cpus: \d+ or less\.$/),
    ]);
    expectNoSecrets((error as ConfigError).problems.join('\n'));
    expect(written(app)).toEqual([]);
  });

  it('refuses two flags reading stdin', async () => {
    const { error } = await flagsOnly(makeApp(), { databaseUrlFile: '-', openaiApiKeyFile: '-', generateAuthSecret: true }, { yes: true });
    expect((error as ConfigError).problems[0]).toBe('Only one of --database-url-file, --openai-api-key-file and --better-auth-secret-file can read stdin (-).');
  });

  it('does not read a secret from stdin when stdin is a terminal', async () => {
    const { error } = await flagsOnly(makeApp(), { databaseUrl: DB, openaiApiKeyFile: '-', generateAuthSecret: true }, { yes: true, stdinIsTTY: true });
    expect((error as ConfigError).problems).toEqual(['--openai-api-key-file: stdin is a terminal: pipe the secret in (… < file), or name a file.']);
  });

  it('warns that a secret given as a flag value lands in the shell history', async () => {
    const { output, error } = await flagsOnly(makeApp(), { databaseUrl: DB, openaiApiKey: OPENAI, generateAuthSecret: true }, { yes: true });
    expect(error).toBeUndefined();
    expect(output).toContain('warning: --database-url puts a secret in your shell history and in the process list; prefer --database-url-file (a file, or - for stdin).');
    expect(output).toContain('warning: --openai-api-key puts a secret in your shell history and in the process list; prefer --openai-api-key-file (a file, or - for stdin).');
    expectNoSecrets(output);
  });

  it.each([
    'has # a hash and more text to be long enough',
    "quotes ' and \" and a \\ backslash, long enough",
    '  spaces around it, and long enough as well  ',
    'ключ-🔑-ü-ß-日本語-and-enough-characters-here',
  ])('writes BETTER_AUTH_SECRET %j so that the .env check reads back exactly that', async (secret) => {
    const app = makeApp();
    const file = join(app, 'auth.txt');
    writeFileSync(file, `${secret}\n`);
    const { error } = await flagsOnly(app, { databaseUrl: DB, openaiApiKey: OPENAI, betterAuthSecretFile: file }, { yes: true });
    expect(error).toBeUndefined();
    const { env } = await doctorChecks(app);
    expect(env.result.status).toBe('pass');
    expect(env.secrets?.BETTER_AUTH_SECRET).toBe(secret);
  });

  it('stops at an invalid todo-deploy.yaml before asking anything', async () => {
    const app = makeApp();
    writeFileSync(join(app, 'todo-deploy.yaml'), 'minikube:\n  memroy: 3g\n');
    const { error } = await flagsOnly(app, {}, { yes: true });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([`${join(app, 'todo-deploy.yaml')}:2:3: minikube.memroy: unknown key (did you mean "memory"?)`]);
    expect((error as ConfigError).hint).toMatch(/^Fix .* and run setup again/);
  });

  it('honours --env-file and --config', async () => {
    const app = makeApp();
    const { error } = await flagsOnly(app, allFlags(app), { yes: true, stdin: OPENAI, envFile: 'deploy/secrets.env', config: 'deploy/todo.yaml' });
    expect(error).toBeUndefined();
    expect(statSync(join(app, 'deploy', 'secrets.env')).mode & 0o777).toBe(0o600);
    expect(read(app, 'deploy/.gitignore')).toContain('\nsecrets.env\n');
    expect(read(app, 'deploy/todo.yaml')).toContain('sourceDir: ./frontend');
  });
});

describe.skipIf(!git)('setup and git', () => {
  it('leaves .gitignore alone when git already ignores .env', async () => {
    const app = makeApp({ git: true });
    writeFileSync(join(app, '.gitignore'), 'node_modules\n.env*\n');
    const { output } = await flagsOnly(app, { databaseUrl: DB, openaiApiKey: OPENAI, generateAuthSecret: true }, { yes: true, tools: { git } });
    expect(read(app, '.gitignore')).toBe('node_modules\n.env*\n');
    expect(output).toContain('(unchanged: .env is already git-ignored)');
  });

  it('adds .env when git does not ignore it, even if a rule un-ignores it', async () => {
    const app = makeApp({ git: true });
    writeFileSync(join(app, '.gitignore'), '*.env\n!.env\n');
    await flagsOnly(app, { databaseUrl: DB, openaiApiKey: OPENAI, generateAuthSecret: true }, { yes: true, tools: { git } });
    expect(execFileSync(git!, ['check-ignore', '-q', '.env'], { cwd: app }).length).toBe(0);
  });

  it('warns when .env is tracked by git', async () => {
    const app = makeApp({ git: true });
    writeFileSync(join(app, '.env'), 'OLD=1\n');
    execFileSync(git!, ['add', '.env'], { cwd: app });
    const { output } = await flagsOnly(app, { databaseUrl: DB, openaiApiKey: OPENAI, generateAuthSecret: true }, { yes: true, tools: { git } });
    expect(output).toContain(`warning: ${join(app, '.env')} is tracked by git, so its secrets would be committed; run: git rm --cached ${join(app, '.env')}`);
  });
});

describe('who gets the questions', () => {
  const tty = () => Object.assign(new PassThrough(), { isTTY: true });
  it.each([
    ['a terminal', {}, {}, true],
    ['a terminal with NO_COLOR', { NO_COLOR: '1' }, {}, true],
    ['a terminal with --no-color', {}, { color: false }, true],
    ['CI', { CI: 'true' }, {}, false],
    ['--json', {}, { json: true }, false],
    ['TERM=dumb', { TERM: 'dumb' }, {}, false],
  ])('%s: interactive is %s', async (_, env, options, interactive) => {
    const { createContext } = await import('../../src/context.js');
    const ctx = await createContext({ appDir: makeApp(), ...options }, { cwd: '/', env: { TERM: 'xterm-256color', ...env }, stdout: tty() as never, stderr: tty() as never, stdin: tty() as never, signal: new AbortController().signal });
    expect(ctx.interactive).toBe(interactive);
  });

  it('not when stdin is no terminal', async () => {
    const { createContext } = await import('../../src/context.js');
    const ctx = await createContext({ appDir: makeApp() }, { cwd: '/', env: { TERM: 'xterm-256color' }, stdout: tty() as never, stderr: tty() as never, stdin: new PassThrough() as never, signal: new AbortController().signal });
    expect(ctx.interactive).toBe(false);
  });
});

describe('todo-deploy setup through the CLI entry', () => {
  async function cli(args: string[], stdin = '') {
    let stdout = '';
    let stderr = '';
    const out = new PassThrough();
    const err = new PassThrough();
    out.on('data', (c) => (stdout += String(c)));
    err.on('data', (c) => (stderr += String(c)));
    const exitCode = await main(args, { stdout: out as never, stderr: err as never, stdin: Readable.from([Buffer.from(stdin)]) as never, env: { PATH: binDir(), HOME: '/nonexistent' } });
    return { exitCode, stdout, stderr };
  }

  it('exits 2 naming the missing flags when stdin is no terminal', async () => {
    const app = makeApp();
    const { exitCode, stderr } = await cli(['setup', '--app-dir', app]);
    expect(exitCode).toBe(2);
    // Without a URL the database runs in the cluster: DATABASE_URL is no missing answer.
    expect(stderr).toContain('these answers are missing: --openai-api-key-file FILE (or - for stdin);');
    expect(stderr).not.toContain('--database-url');
    expect(written(app)).toEqual([]);
  });

  it('exits 0 having written the files, with a JSON document under --json', async () => {
    const app = makeApp();
    const { exitCode, stdout, stderr } = await cli(['setup', '--app-dir', app, '--json', '--yes', '--generate-auth-secret', '--database-url', DB, '--openai-api-key-file', '-', '--no-check-database'], OPENAI);
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      command: 'setup',
      ok: true,
      files: { env: join(app, '.env'), config: join(app, 'todo-deploy.yaml'), gitignore: join(app, '.gitignore') },
      up: false,
    });
    expectNoSecrets(stdout + stderr);
  });

  it('percent-encodes a raw password given by flag, says so, and shows none of it, also under --json', async () => {
    const app = makeApp();
    const { exitCode, stdout, stderr } = await cli(['setup', '--app-dir', app, '--json', '--yes', '--generate-auth-secret', '--database-url', RAW_DB, '--openai-api-key-file', '-', '--no-check-database'], OPENAI);
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ command: 'setup', ok: true });
    expect(stderr).toContain(`warning: --database-url: ${ENCODED_NOTICE}`);
    expect((stdout + stderr).toLowerCase()).not.toContain('leaky9');
    expect(checkEnvText(read(app, '.env'), '.env', new Redactor()).secrets?.DATABASE_URL).toBe(RAW_DB_ENCODED);
  });

  it('refuses a weak database password by flag (exit 2), and masks no ordinary word in saying so', async () => {
    const app = makeApp();
    const { exitCode, stderr } = await cli(['setup', '--app-dir', app, '--yes', '--generate-auth-secret', '--database-url', 'postgresql://todo:todo@db.example.com/todo', '--openai-api-key-file', '-'], OPENAI);
    expect(exitCode).toBe(2);
    expect(stderr).toContain('--database-url: DATABASE_URL has a weak password: it is shorter than 8 characters.');
    expect(stderr).toContain('`openssl rand -hex 24`');
    expect(stderr).toContain('todo-deploy setup --help');
    expect(stderr).not.toContain('••••••');
    expect(written(app)).toEqual([]);
  });

  it('lists the flags in its help', async () => {
    const { stdout } = await cli(['setup', '--help']);
    for (const flag of ['--database', '--database-url-file', '--openai-api-key-file', '--generate-auth-secret', '--better-auth-secret-file', '--better-auth-url', '--cpus', '--memory', '--no-check-database', '--up', '--frontend-dir', '--backend-dir']) {
      expect(stdout).toContain(flag);
    }
  });
});

describe('setup: where the database runs', () => {
  const inCluster = 'in the cluster: postgres:17.6-bookworm, 1Gi volume';
  const preflight = async (app: string) => {
    const redactor = new Redactor();
    const { checks } = await checkInputs({
      configOptions: { file: join(app, 'todo-deploy.yaml'), fileRequired: false, env: {}, flags: {} },
      envFile: join(app, '.env'),
      appDir: app,
      exec: createExec({ redactor, baseEnv: { PATH: binDir() } }),
      redactor,
    });
    return Object.fromEntries(checks.map((c) => [c.id, c]));
  };

  it('offers PostgreSQL in the cluster first when no URL is known; chosen, it asks no URL and writes no DATABASE_URL', async () => {
    const app = makeApp();
    const { prompter, output, error } = await interactive(app, script({ database: ['in-cluster'] }));
    expect(error).toBeUndefined();
    const asked = prompter.asked.find((a) => a.message.startsWith('Database'));
    expect(asked).toMatchObject({ default: 'in-cluster', choices: ['in-cluster', 'external'] });
    expect(prompter.asked.some((a) => a.message.startsWith('DATABASE_URL'))).toBe(false);
    expect(output).toContain(`Database ${inCluster}; todo-deploy deploys and keeps it, and makes its password`);
    expect(output).not.toContain('DATABASE_URL');

    const envText = read(app, '.env');
    expect(envText).toMatch(/^# DATABASE_URL=$/m);
    const env = checkEnvText(envText, '.env', new Redactor());
    expect(env.problems).toEqual([]);
    expect(Object.keys(env.secrets!).sort()).toEqual(['BETTER_AUTH_SECRET', 'BETTER_AUTH_URL', 'OPENAI_API_KEY']);
    // auto, the default, already means the cluster for a .env without a URL: nothing to write.
    expect(read(app, 'todo-deploy.yaml')).not.toMatch(/^database:/m);
    const checks = await preflight(app);
    expect(checks.env).toMatchObject({ status: 'pass' });
    expect(checks.database).toMatchObject({ status: 'pass', detail: `${inCluster} (no DATABASE_URL in .env)` });
  });

  it('offers the external database first when .env has a valid URL, and keeps it', async () => {
    const app = makeApp();
    await interactive(app, script());
    const { prompter, output } = await interactive(
      app,
      script({ db: [''], openai: [''], auth: ['keep'] }).map((s) => (s.message.source.startsWith('^Write') ? { ...s, message: /^Write these files \(updating/ } : s)),
    );
    expect(prompter.asked.find((a) => a.message.startsWith('Database'))?.default).toBe('external');
    expect(output).toContain('Database external: ep-cool-rain-123456.eu-central-1.aws.neon.tech:5432 (DATABASE_URL)');
    expect((await preflight(app)).database).toMatchObject({ status: 'pass', detail: 'external: ep-cool-rain-123456.eu-central-1.aws.neon.tech:5432 (DATABASE_URL)' });
    expectNoSecrets(output);
  });

  it('switching to the cluster removes the URL from .env (and says so, masked), keeping the lines around it', async () => {
    const app = makeApp();
    writeFileSync(join(app, '.env'), `# mine\nDATABASE_URL=${DB} # Neon\nLOG_LEVEL=debug\n`);
    const { prompter, output, error } = await interactive(
      app,
      script({ database: ['in-cluster'] }).map((s) => (s.message.source.startsWith('^Write') ? { ...s, message: /^Write these files \(updating the existing \.env\)/ } : s)),
    );
    expect(error).toBeUndefined();
    expect(prompter.asked.find((a) => a.message.startsWith('Database'))?.default).toBe('external');
    expect(output).toContain('DATABASE_URL        removed (was at ep-cool-rain-123456.eu-central-1.aws.neon.tech:5432): the database runs in the cluster');
    expectNoSecrets(output);
    const envText = read(app, '.env');
    expect(envText).toMatch(/^# mine\nLOG_LEVEL=debug\n/);
    expect(envText).not.toContain('DATABASE_URL');
    expect(checkEnvText(envText, '.env', new Redactor()).secrets?.DATABASE_URL).toBeUndefined();
    expect((await preflight(app)).database).toMatchObject({ status: 'pass', detail: `${inCluster} (no DATABASE_URL in .env)` });
  });

  it.each([
    ['external', 'in-cluster', []],
    ['in-cluster', 'external', [DB]],
  ] as const)('writes database.mode when todo-deploy.yaml says %s and %s is chosen', async (before, chosen, db) => {
    const app = makeApp();
    writeFileSync(join(app, 'todo-deploy.yaml'), `# mine\ndatabase:\n  mode: ${before}   # said so\n  storage: 2Gi\n`);
    const steps = script({ database: [chosen], db: [...db] }).map((s) => (s.message.source.startsWith('^Write') ? { ...s, message: /^Write these files \(updating the existing todo-deploy\.yaml\)/ } : s));
    const { prompter, output, error } = await interactive(app, steps);
    expect(error).toBeUndefined();
    // The file's own mode is what is in force, so it is the default.
    expect(prompter.asked.find((a) => a.message.startsWith('Database'))?.default).toBe(before);
    expect(output).toContain(`database.mode       ${chosen}`);
    // In place, its comment kept in its column.
    expect(read(app, 'todo-deploy.yaml')).toMatch(new RegExp(`^# mine\\ndatabase:\\n  mode: ${chosen} +# said so\\n  storage: 2Gi\\n`));
    const checks = await preflight(app);
    expect(checks.env?.status).toBe('pass');
    expect(checks.database).toMatchObject(
      chosen === 'in-cluster'
        ? { status: 'pass', detail: 'in the cluster: postgres:17.6-bookworm, 2Gi volume (database.mode: in-cluster)' }
        : { status: 'pass', detail: 'external: ep-cool-rain-123456.eu-central-1.aws.neon.tech:5432 (DATABASE_URL; database.mode: external)' },
    );
  });

  it('does not ask where the database is when --database says so', async () => {
    const app = makeApp();
    const steps = script({ database: ['in-cluster'] }).filter((s) => !s.message.source.startsWith('^Database'));
    const { output, error } = await interactive(app, steps, { checkDatabase: false, database: 'in-cluster' });
    expect(error).toBeUndefined();
    expect(output).toContain(`✔ database.mode ${inCluster} (--database)`);
    expect(read(app, '.env')).not.toMatch(/^DATABASE_URL=/m);
  });

  it('without a terminal and without a URL, chooses the cluster (--yes)', async () => {
    const app = makeApp();
    const { output, error } = await flagsOnly(app, { openaiApiKey: OPENAI, generateAuthSecret: true }, { yes: true });
    expect(error).toBeUndefined();
    expect(output).toContain(`Database ${inCluster}; todo-deploy deploys and keeps it, and makes its password`);
    const env = checkEnvText(read(app, '.env'), '.env', new Redactor(), 'auto');
    expect(env.problems).toEqual([]);
    expect(env.secrets?.DATABASE_URL).toBeUndefined();
    expect((await preflight(app)).database?.status).toBe('pass');
  });

  it('without a terminal, --database external with a URL writes it', async () => {
    const app = makeApp();
    const { output, error } = await flagsOnly(app, { database: 'external', databaseUrl: DB, openaiApiKey: OPENAI, generateAuthSecret: true }, { yes: true });
    expect(error).toBeUndefined();
    expect(output).toContain('Database external: ep-cool-rain-123456.eu-central-1.aws.neon.tech:5432 (DATABASE_URL)');
    // The URL stands where the template explains it, not at the end.
    expect(read(app, '.env')).toMatch(/no encoding\.\n# Neon: .*\n# must be .*\nDATABASE_URL='postgresql:/);
    expect(checkEnvText(read(app, '.env'), '.env', new Redactor()).secrets?.DATABASE_URL).toBe(DB);
    expectNoSecrets(output);
  });

  it('refuses --database in-cluster with a URL, and a --database that is neither (exit 2)', async () => {
    const app = makeApp();
    const { error } = await flagsOnly(app, { database: 'in-cluster', databaseUrl: DB, openaiApiKey: OPENAI, generateAuthSecret: true }, { yes: true });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      '--database in-cluster and --database-url contradict each other: in the cluster, todo-deploy makes the database and its password, so .env gets no DATABASE_URL. Drop --database-url, or use --database external.',
    ]);
    expectNoSecrets((error as ConfigError).problems.join('\n'));
    const other = await flagsOnly(app, { database: 'neon', openaiApiKey: OPENAI, generateAuthSecret: true }, { yes: true });
    expect((other.error as ConfigError).problems).toEqual(['--database: expected in-cluster or external, got "neon"']);
    expect(written(app)).toEqual([]);
  });

  it('without a terminal, --database external without a URL is a usage error naming the fix', async () => {
    const app = makeApp();
    const { error } = await flagsOnly(app, { database: 'external', openaiApiKey: OPENAI, generateAuthSecret: true }, { yes: true });
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(
      "setup has no terminal to ask on, and these answers are missing: --database-url-file FILE (or --database-url URL): --database external needs the database's URL; --database in-cluster runs PostgreSQL in the cluster instead.",
    );
    expect(written(app)).toEqual([]);
  });

  it("without a terminal, keeps todo-deploy.yaml's database.mode: external, and asks for its URL", async () => {
    const app = makeApp();
    writeFileSync(join(app, 'todo-deploy.yaml'), 'database:\n  mode: external\n');
    const { error } = await flagsOnly(app, { openaiApiKey: OPENAI, generateAuthSecret: true }, { yes: true });
    expect((error as UsageError).message).toContain("--database-url-file FILE (or --database-url URL): database.mode: external in todo-deploy.yaml needs the database's URL");
  });
});

describe('setup: a TODO_DEPLOY_DATABASE_MODE in the shell', () => {
  it('warns that it outranks todo-deploy.yaml when it disagrees with the choice', async () => {
    const app = makeApp();
    const { ctx, output } = await testContext({ appDir: app, interactive: false, yes: true });
    const error = await setup({ ...ctx, configOptions: { ...ctx.configOptions, env: { TODO_DEPLOY_DATABASE_MODE: 'external' } } }, { checkDatabase: false, openaiApiKey: OPENAI, generateAuthSecret: true }).catch((e: unknown) => e);
    expect(error).toBeUndefined();
    expect(output()).toContain('warning: TODO_DEPLOY_DATABASE_MODE=external is set in this shell and outranks todo-deploy.yaml, so up would not use the database chosen here (in-cluster); unset it.');
  });
});
