// `todo-deploy setup` as a person uses it: the built CLI in a real pseudo-terminal (tmux),
// answers typed key by key, the screen read back after every step. Also the same command with
// stdin not a terminal, where it must never prompt.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfig, checkEnv } from '../../src/checks/inputs.js';
import { checkEnvText } from '../../src/config/env-file.js';
import { Redactor } from '../../src/redact.js';
import { createExec } from '../../src/tools/exec.js';
import { binDir, makeApp, realGit } from '../support/setup-fixture.js';
import { tempDir } from '../support/temp.js';

const cli = resolve(import.meta.dirname, '../../bin/todo-deploy.js');
const built = existsSync(resolve(import.meta.dirname, '../../dist/cli.js'));
const tmuxPath = ['/usr/bin/tmux', '/usr/local/bin/tmux', '/opt/homebrew/bin/tmux'].find((p) => existsSync(p));
const git = realGit();

const DB_PASSWORD = 'S3cretPassw0rd-e2e';
const WRONG_PASSWORD = 'WrongPassw0rd-e2e';
const OPENAI = 'sk-e2e-Qw3rTy9UiOp0AsDfGhJkLzXc';

/** One tmux server of our own (its own socket), with nothing of the developer's environment. */
class Terminal {
  private readonly socket = `todo-deploy-e2e-${process.pid}-${Date.now()}`;
  private readonly home = tempDir('todo-home-');
  private readonly env = {
    HOME: this.home,
    // No CI, NO_COLOR or FORCE_COLOR; only git on PATH (node runs by its absolute path).
    PATH: binDir({ git }),
    TERM: 'xterm-256color',
    TMUX_TMPDIR: this.home,
    LANG: 'C.UTF-8',
  };
  /** Every screen read, so a test can prove what was never on it. */
  readonly screens: string[] = [];
  private session = 0;

  tmux(...args: string[]): string {
    return execFileSync(tmuxPath!, ['-L', this.socket, ...args], { env: this.env, encoding: 'utf8' });
  }

  start(args: string[]): string {
    const name = `s${++this.session}`;
    const conf = join(this.home, 'tmux.conf');
    // remain-on-exit: the pane stays after the CLI exits, so its last screen can be read.
    writeFileSync(conf, 'set -g default-terminal "xterm-256color"\nset -g remain-on-exit on\nset -g history-limit 5000\n');
    // The shell reports the exit status: tmux 3.3 does not always reap a pane's process, so
    // #{pane_dead_status} may stay empty although the CLI has exited.
    const command = `${[process.execPath, cli, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ')}; echo "[exit $?]"`;
    this.tmux('-f', conf, 'new-session', '-d', '-x', '200', '-y', '50', '-s', name, command);
    return name;
  }

  type(session: string, text: string): void {
    this.tmux('send-keys', '-t', session, '-l', text);
  }

  press(session: string, ...keys: string[]): void {
    this.tmux('send-keys', '-t', session, ...keys);
  }

  /** The whole pane, scrollback included, wrapped lines joined. */
  screen(session: string): string {
    const text = this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', session);
    this.screens.push(text);
    return text;
  }

  async waitFor(session: string, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.screen(session);
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`the screen never showed ${pattern}; it shows:\n${text}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Waits for the CLI to exit; its exit status. */
  async exitStatus(session: string, timeoutMs = 10_000): Promise<number> {
    const screen = await this.waitFor(session, /^\[exit \d+\]$/m, timeoutMs);
    return Number(/^\[exit (\d+)\]$/m.exec(screen)![1]);
  }

  kill(): void {
    spawnSync(tmuxPath!, ['-L', this.socket, 'kill-server'], { env: this.env });
  }
}

// CI installs tmux (.ci/run); a developer without it skips these, CI never does.
describe.skipIf(!tmuxPath && !process.env.CI)('setup in a real terminal (tmux)', () => {
  let term: Terminal;
  let db: Server;
  let dbPort: number;
  const app = makeApp({ git: Boolean(git) });

  beforeAll(async () => {
    if (!built) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
    if (!tmuxPath) throw new Error('tmux is missing: these tests type into a real terminal (.ci/run installs it; apt-get install tmux).');
    term = new Terminal();
    db = createServer((socket) => socket.end());
    await new Promise<void>((r) => db.listen(0, '127.0.0.1', r));
    dbPort = (db.address() as { port: number }).port;
  });

  afterAll(async () => {
    term?.kill();
    await new Promise<void>((r) => (db ? db.close(() => r()) : r()));
  });

  it('walks through every question, refuses a wrong answer until corrected, and writes the files', async () => {
    const s = term.start(['setup', '--app-dir', app]);
    await term.waitFor(s, /\? Frontend folder .*\(\.\/frontend\)/);
    term.press(s, 'Enter');
    await term.waitFor(s, /\? Backend folder .*\(\.\/backend\)/);
    term.press(s, 'Enter');

    // No URL known yet: PostgreSQL in the cluster is offered first; this user has a database of their own.
    await term.waitFor(s, /\? Database \(the PostgreSQL the backend uses\)[\s\S]*❯ Run PostgreSQL in the cluster \(todo-deploy deploys and keeps it\)/);
    expect(term.screen(s)).toContain('Use an external database (paste its URL)');
    term.press(s, 'Down');
    await term.waitFor(s, /❯ Use an external database \(paste its URL\)/);
    term.press(s, 'Enter');

    await term.waitFor(s, /\? DATABASE_URL/);
    term.type(s, `mysql://app:${WRONG_PASSWORD}@db.example.com/todo`);
    term.press(s, 'Enter');
    await term.waitFor(s, /> DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(term.screen(s)).toContain(`mysql://app:${'*'.repeat(WRONG_PASSWORD.length)}@db.example.com/todo`);
    term.press(s, 'C-u');
    term.type(s, `postgresql://app:${DB_PASSWORD}@127.0.0.1:${dbPort}/todo`);
    await term.waitFor(s, /postgresql:\/\/app:\*{18}@127\.0\.0\.1/);
    term.press(s, 'Enter');
    // The user's localhost is not the pod's: refused at the question, with the host to use.
    await term.waitFor(s, /> DATABASE_URL points at 127\.0\.0\.1, which inside a pod is the pod itself, not your machine/);
    expect(term.screen(s)).toMatch(/use host\.minikube\.internal\s+instead/);
    term.press(s, 'C-u');
    term.type(s, `postgresql://app:${DB_PASSWORD}@host.minikube.internal:${dbPort}/todo`);
    await term.waitFor(s, /postgresql:\/\/app:\*{18}@host\.minikube\.internal/);
    term.press(s, 'Enter');
    await term.waitFor(s, new RegExp(`✔ The database answers at 127\\.0\\.0\\.1:${dbPort} \\(host\\.minikube\\.internal is this machine as the cluster sees it\\)\\.`));

    await term.waitFor(s, /\? OPENAI_API_KEY/);
    term.type(s, OPENAI);
    await term.waitFor(s, new RegExp(`OPENAI_API_KEY .*\\*{${OPENAI.length}}`));
    term.press(s, 'Enter');

    await term.waitFor(s, /❯ Generate a new random secret/);
    term.press(s, 'Enter');
    await term.waitFor(s, /\? BETTER_AUTH_URL \(where users open the app\) \(http:\/\/localhost:30000\)/);
    term.press(s, 'Enter');

    await term.waitFor(s, /\? CPUs for Minikube .*\(2\)/);
    term.type(s, '0');
    term.press(s, 'Enter');
    await term.waitFor(s, /> minikube\.cpus: expected an integer from 1 to 256, got "0"/);
    term.press(s, 'C-u');
    term.type(s, '2');
    term.press(s, 'Enter');
    await term.waitFor(s, /\? Memory for Minikube .*\(3g\)/);
    term.press(s, 'Enter');
    await term.waitFor(s, /\? Kubernetes namespace \(todo\)/);
    term.type(s, 'todo-e2e');
    term.press(s, 'Enter');

    const summary = await term.waitFor(s, /\? Write these files\? \(Y\/n\)/);
    expect(summary).toContain(`DATABASE_URL        postgresql://app:****@host.minikube.internal:${dbPort}/todo`);
    expect(summary).toContain(`Database external: host.minikube.internal:${dbPort} (DATABASE_URL)`);
    expect(summary).toContain('OPENAI_API_KEY      sk-••••••');
    expect(summary).toContain('BETTER_AUTH_SECRET  •••••• (newly generated)');
    expect(summary).toContain('namespace           todo-e2e');
    expect(summary).toContain(`${join(app, '.gitignore')} (adds .env: it is not git-ignored yet)`);
    expect(existsSync(join(app, '.env')), 'nothing is written before the confirmation').toBe(false);
    term.press(s, 'Enter');

    await term.waitFor(s, /\? Run todo-deploy up now\? \(Y\/n\)/);
    term.type(s, 'n');
    term.press(s, 'Enter');
    expect(await term.exitStatus(s)).toBe(0);
    expect(term.screen(s)).toContain(`✔ Wrote ${join(app, '.env')} (mode 600)`);

    const envText = readFileSync(join(app, '.env'), 'utf8');
    const env = checkEnvText(envText, '.env', new Redactor());
    expect(env.secrets).toMatchObject({
      DATABASE_URL: `postgresql://app:${DB_PASSWORD}@host.minikube.internal:${dbPort}/todo`,
      OPENAI_API_KEY: OPENAI,
      BETTER_AUTH_URL: 'http://localhost:30000',
    });
    expect(env.secrets?.BETTER_AUTH_SECRET).toMatch(/^[\w-]{43}$/);
    expect(statSync(join(app, '.env')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(app, '.gitignore'), 'utf8')).toBe('# Secrets (added by todo-deploy setup)\n.env\n');
    if (git) expect(spawnSync(git, ['check-ignore', '-q', '.env'], { cwd: app }).status).toBe(0);

    // What doctor checks: the config and the .env, on the files just written.
    const redactor = new Redactor();
    const config = await checkConfig({ file: join(app, 'todo-deploy.yaml'), fileRequired: true, env: {}, flags: {} });
    expect(config.result.status).toBe('pass');
    expect(config.loaded?.config).toMatchObject({ namespace: 'todo-e2e', minikube: { cpus: 2, memory: '3g' } });
    const envCheck = await checkEnv(createExec({ redactor, baseEnv: { PATH: binDir({ git }) } }), join(app, '.env'), redactor);
    expect(envCheck.result.problems).toBeUndefined();
    expect(envCheck.result.status).toBe('pass');

    // No secret was ever on the screen, not even the rejected one, not even while it was typed.
    for (const secret of [DB_PASSWORD, WRONG_PASSWORD, OPENAI, env.secrets!.BETTER_AUTH_SECRET]) {
      for (const screen of term.screens) expect(screen).not.toContain(secret);
    }
  });

  it('run again, offers every previous value as the default, and Enter keeps them all', async () => {
    const before = readFileSync(join(app, '.env'), 'utf8');
    const yamlBefore = readFileSync(join(app, 'todo-deploy.yaml'), 'utf8');
    const s = term.start(['setup', '--app-dir', app, '--no-check-database']);
    await term.waitFor(s, /\? Frontend folder .*\(\.\/frontend\)/);
    term.press(s, 'Enter');
    await term.waitFor(s, /\? Backend folder .*\(\.\/backend\)/);
    term.press(s, 'Enter');
    // The URL in .env makes the external database the default.
    await term.waitFor(s, /❯ Use an external database \(paste its URL\)/);
    term.press(s, 'Enter');
    await term.waitFor(s, new RegExp(`\\? DATABASE_URL \\(.*Enter keeps postgresql://app:\\*\\*\\*\\*@host\\.minikube\\.internal:${dbPort}/todo\\)`));
    term.press(s, 'Enter');
    await term.waitFor(s, /\? OPENAI_API_KEY .*Enter keeps the current key/);
    term.press(s, 'Enter');
    await term.waitFor(s, /❯ Keep the current secret/);
    term.press(s, 'Enter');
    for (const prompt of [/\? BETTER_AUTH_URL .*\(http:\/\/localhost:30000\)/, /\? CPUs for Minikube .*\(2\)/, /\? Memory for Minikube .*\(3g\)/, /\? Kubernetes namespace \(todo-e2e\)/]) {
      await term.waitFor(s, prompt);
      term.press(s, 'Enter');
    }
    await term.waitFor(s, /\? Write these files \(updating the existing \.env and todo-deploy\.yaml\)\? \(Y\/n\)/);
    expect(term.screen(s)).toContain('BETTER_AUTH_SECRET  •••••• (kept)');
    term.press(s, 'Enter');
    await term.waitFor(s, /\? Run todo-deploy up now\?/);
    term.type(s, 'n');
    term.press(s, 'Enter');
    expect(await term.exitStatus(s)).toBe(0);
    expect(readFileSync(join(app, '.env'), 'utf8')).toBe(before);
    expect(readFileSync(join(app, 'todo-deploy.yaml'), 'utf8')).toBe(yamlBefore);
  });

  it('with PostgreSQL in the cluster (the default without a URL), asks no URL and writes none', async () => {
    const fresh = makeApp();
    const s = term.start(['setup', '--app-dir', fresh]);
    for (const prompt of [/\? Frontend folder/, /\? Backend folder/, /❯ Run PostgreSQL in the cluster \(todo-deploy deploys and keeps it\)/]) {
      await term.waitFor(s, prompt);
      term.press(s, 'Enter');
    }
    await term.waitFor(s, /\? OPENAI_API_KEY/);
    expect(term.screen(s)).not.toMatch(/\? DATABASE_URL/);
    term.type(s, OPENAI);
    term.press(s, 'Enter');
    for (const prompt of [/❯ Generate a new random secret/, /\? BETTER_AUTH_URL/, /\? CPUs for Minikube/, /\? Memory for Minikube/, /\? Kubernetes namespace/]) {
      await term.waitFor(s, prompt);
      term.press(s, 'Enter');
    }
    const summary = await term.waitFor(s, /\? Write these files\? \(Y\/n\)/);
    expect(summary).toContain('Database in the cluster: postgres:17.6-bookworm, 1Gi volume; todo-deploy deploys and keeps it, and makes its password');
    term.press(s, 'Enter');
    await term.waitFor(s, /\? Run todo-deploy up now\?/);
    term.type(s, 'n');
    term.press(s, 'Enter');
    expect(await term.exitStatus(s)).toBe(0);
    const env = checkEnvText(readFileSync(join(fresh, '.env'), 'utf8'), '.env', new Redactor());
    expect(env.problems).toEqual([]);
    expect(env.secrets?.DATABASE_URL).toBeUndefined();
  });

  it('Ctrl-C at a prompt writes nothing and exits 130', async () => {
    const fresh = makeApp();
    const s = term.start(['setup', '--app-dir', fresh, '--no-check-database']);
    await term.waitFor(s, /\? Frontend folder/);
    term.press(s, 'Enter');
    await term.waitFor(s, /\? Backend folder/);
    term.press(s, 'Enter');
    await term.waitFor(s, /❯ Run PostgreSQL in the cluster/);
    term.press(s, 'Down');
    await term.waitFor(s, /❯ Use an external database/);
    term.press(s, 'Enter');
    await term.waitFor(s, /\? DATABASE_URL/);
    term.type(s, `postgresql://app:${DB_PASSWORD}@db.example.com/todo`);
    term.press(s, 'Enter');
    await term.waitFor(s, /\? OPENAI_API_KEY/);
    term.type(s, OPENAI.slice(0, 12));
    term.press(s, 'C-c');
    expect(await term.exitStatus(s)).toBe(130);
    expect(term.screen(s)).toContain('✖ Setup cancelled: nothing was written.');
    expect(['.env', 'todo-deploy.yaml', '.gitignore'].filter((f) => existsSync(join(fresh, f)))).toEqual([]);
    for (const screen of term.screens) expect(screen).not.toContain(DB_PASSWORD);
  });
});

describe('setup with stdin not a terminal', () => {
  const run = (args: string[], input = '') =>
    spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', env: { PATH: binDir(), HOME: tmpdir() }, timeout: 20_000 });

  it.skipIf(!built)('never prompts: exits 2 naming the missing flags', () => {
    const app = makeApp();
    const result = run(['setup', '--app-dir', app]);
    expect(result.status).toBe(2);
    // Without a URL the database runs in the cluster: DATABASE_URL is no missing answer.
    expect(result.stderr).toContain('setup has no terminal to ask on, and these answers are missing: --openai-api-key-file FILE (or - for stdin); --generate-auth-secret (or --better-auth-secret-file FILE); --yes');
    expect(result.stdout).toBe('');
  });

  it.skipIf(!built)('with --yes and the flags writes the files, the key read from stdin', () => {
    const app = makeApp();
    const dbFile = join(app, 'db.url');
    writeFileSync(dbFile, `postgresql://app:${DB_PASSWORD}@db.example.com/todo\n`);
    const result = run(['setup', '--app-dir', app, '--yes', '--generate-auth-secret', '--database-url-file', dbFile, '--openai-api-key-file', '-', '--no-check-database', '--cpus', '2'], `${OPENAI}\n`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(statSync(join(app, '.env')).mode & 0o777).toBe(0o600);
    expect(checkEnvText(readFileSync(join(app, '.env'), 'utf8'), '.env', new Redactor()).secrets?.OPENAI_API_KEY).toBe(OPENAI);
    expect(result.stdout).not.toContain(DB_PASSWORD);
    expect(result.stdout).not.toContain(OPENAI);
  });
});
