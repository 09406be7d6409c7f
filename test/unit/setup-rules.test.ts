import { createServer, type Server } from 'node:net';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/temp.js';
import { parse } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { maskDatabaseUrl } from '../../src/config/database-url.js';
import { checkEnvText, secretKeys, type SecretKey, type Secrets } from '../../src/config/env-file.js';
import { loadConfig } from '../../src/config/load.js';
import { defaults, type Config } from '../../src/config/schema.js';
import { CancelledError, PrereqError } from '../../src/errors.js';
import { Redactor } from '../../src/redact.js';
import { configDir, detectAppDir, appDirProblem } from '../../src/setup/app-dirs.js';
import { memoryBytes } from '../../src/checks/settings.js';
import { configAnswerProblem, configAnswerValue, envAnswerProblem, generateAuthSecret, minikubeAnswerProblem } from '../../src/setup/answers.js';
import { setConfigValues } from '../../src/setup/config-text.js';
import { databaseAddress, probeTcp } from '../../src/setup/database-probe.js';
import { frontendUrl, nodeIp } from '../../src/setup/frontend-url.js';
import { quoteEnvValue, setEnvValues } from '../../src/setup/env-text.js';
import { appendToGitignore, gitignoreCovers } from '../../src/setup/gitignore.js';
import type { Command, Exec } from '../../src/tools/exec.js';
import { toolsOf } from '../../src/adapters/index.js';
import { makeApp } from '../support/setup-fixture.js';

const AUTH = 'q7V0c2Jt9yXkR4pLw8ZbN3mHs6TfGd1A';
const DB = 'postgresql://neondb_owner:npg_S3cr3t@ep-cool-rain-123456.eu-central-1.aws.neon.tech/neondb?sslmode=require';
const OPENAI = 'sk-proj-9fJ2kLmN4pQ7rS0tUvW3xYz6AbCdEfGh';
const valid: Record<SecretKey, string> = { BETTER_AUTH_SECRET: AUTH, DATABASE_URL: DB, OPENAI_API_KEY: OPENAI, BETTER_AUTH_URL: 'http://localhost:30000' };
const template = (name: string) => readFileSync(join(import.meta.dirname, '../../templates', name), 'utf8');

describe('setup: the answers obey the rules `up` applies', () => {
  // The prompt's verdict must be the .env check's verdict for the same value, whatever it is.
  it.each([
    ['DATABASE_URL', DB],
    ['DATABASE_URL', 'mysql://u:p@host/db'],
    ['DATABASE_URL', 'postgresql://u:p@db.example.com:5432'],
    ['DATABASE_URL', '<your-database-url>'],
    ['DATABASE_URL', 'neon'],
    ['OPENAI_API_KEY', OPENAI],
    ['OPENAI_API_KEY', 'pk-123456789'],
    ['OPENAI_API_KEY', 'sk-xxxxxxxx'],
    ['OPENAI_API_KEY', 'sk-abc def'],
    ['BETTER_AUTH_SECRET', AUTH],
    ['BETTER_AUTH_SECRET', 'too-short'],
    ['BETTER_AUTH_SECRET', 'changeme'],
    ['BETTER_AUTH_URL', 'http://localhost:30000'],
    ['BETTER_AUTH_URL', 'ftp://localhost'],
    ['BETTER_AUTH_URL', ''],
  ] as const)('%s = %j: same verdict as the .env check', (key, value) => {
    const secrets = { ...valid, [key]: value };
    const text = secretKeys.map((k) => `${k}=${quoteEnvValue(secrets[k])}`).join('\n');
    const envVerdict = checkEnvText(text, '.env', new Redactor()).problems.find((p) => p.includes(key));
    const promptVerdict = envAnswerProblem(key, value);
    expect(promptVerdict === undefined).toBe(envVerdict === undefined);
    if (promptVerdict) expect(envVerdict).toContain(promptVerdict);
  });

  it.each([
    ['minikube.cpus', '4', undefined],
    ['minikube.cpus', '0', 'expected an integer from 1 to 256, got "0"'],
    ['minikube.cpus', 'two', 'expected an integer from 1 to 256, got "two"'],
    ['minikube.memory', '4096mb', undefined],
    ['minikube.memory', '4 GB', 'expected a size such as 3g, 3072mb or 4096, got "4 GB"'],
    ['namespace', 'todo-dev', undefined],
    ['namespace', 'Todo_Dev', "expected a lowercase DNS label (a-z, 0-9, '-'; at most 63 characters), got \"Todo_Dev\""],
    ['namespace', '', 'expected a lowercase DNS label (a-z, 0-9, \'-\'; at most 63 characters), got nothing'],
  ] as const)('%s = %j → %s', (path, raw, problem) => {
    expect(configAnswerProblem(path, raw)).toBe(problem);
  });

  it('keeps cpus a number and memory a string, as todo-deploy.yaml holds them', () => {
    expect(configAnswerValue('minikube.cpus', '4')).toBe(4);
    expect(configAnswerValue('minikube.memory', '4096')).toBe('4096');
  });

  it('generates a fresh 43-character base64url secret each time, which the .env check accepts', () => {
    const a = generateAuthSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateAuthSecret()).not.toBe(a);
    expect(envAnswerProblem('BETTER_AUTH_SECRET', a)).toBeUndefined();
  });

  it.each([
    ['3g', 3 * 1024 ** 3],
    ['3072mb', 3072 * 1024 ** 2],
    ['3072', 3072 * 1024 ** 2],
    ['2G', 2 * 1024 ** 3],
    ['512k', 512 * 1024],
    ['lots', undefined],
  ])('memory %j is %d bytes', (value, bytes) => {
    expect(memoryBytes(value)).toBe(bytes);
  });

  it("refuses what up's preflight refuses: too few CPUs or too little memory for Minikube, more than the machine has", () => {
    const host = { cpus: 4, memoryBytes: 8 * 1024 ** 3 };
    expect(minikubeAnswerProblem('minikube.cpus', '4', host)).toBeUndefined();
    expect(minikubeAnswerProblem('minikube.cpus', '1', host)).toBe('minikube.cpus is 1; Minikube needs at least 2. Set minikube.cpus: 2 or more.');
    expect(minikubeAnswerProblem('minikube.cpus', '6', host)).toBe('minikube.cpus is 6; this machine has 4. Set minikube.cpus: 4 or less.');
    expect(minikubeAnswerProblem('minikube.memory', '8g', host)).toBeUndefined();
    expect(minikubeAnswerProblem('minikube.memory', '1g', host)).toMatch(/^minikube\.memory is 1g \(1024 MB\); Minikube needs at least 1800 MB/);
    expect(minikubeAnswerProblem('minikube.memory', '16g', host)).toBe('minikube.memory is 16g (16384 MB); this machine has 8192 MB. Set minikube.memory to less, such as 4g.');
    expect(minikubeAnswerProblem('namespace', 'todo', host)).toBeUndefined();
  });
});

describe('setup: masking a database URL', () => {
  it.each([
    ['postgresql://app:S3cret@db.example.com:5432/todo', 'postgresql://app:****@db.example.com:5432/todo'],
    ['postgres://app:p%40ss@db/todo?sslmode=require', 'postgres://app:****@db/todo?sslmode=require'],
    ['postgresql://app@db/todo', 'postgresql://app@db/todo'],
    ['postgresql://localhost:5432/todo', 'postgresql://localhost:5432/todo'],
    ['not a url', 'not a url'],
  ])('shows %j as %j', (value, shown) => {
    expect(maskDatabaseUrl(value)).toBe(shown);
  });

  // While typing: one star per character, and nothing of a half-typed password shows.
  it.each([
    ['postgresql://app:S3c', 'postgresql://app:***'],
    ['postgresql://app:S3cret@db', 'postgresql://app:******@db'],
    ['postgresql://app:S3/cret@db/todo', 'postgresql://app:*******@db/todo'],
    ['postgresql://app:p@ss@db/todo', 'postgresql://app:****@db/todo'],
    ['postgresql://app', 'postgresql://app'],
  ])('while typing shows %j as %j', (value, shown) => {
    expect(maskDatabaseUrl(value, true)).toBe(shown);
    expect(maskDatabaseUrl(value, true)).toHaveLength(value.length);
  });
});

describe('setup: writing .env so that it reads back exactly', () => {
  // What python-dotenv and docker compose read is held to recorded facts in dotenv-readers.test.ts.
  const awkward = [
    'plain-value-with-nothing-special-0123456789',
    'has # a hash and more text to be long',
    "it's got a single quote in it, quite long",
    'both \' and " quotes here, long enough too',
    'all three \' " ` quotes, long enough',
    '  leading and trailing spaces, long enough  ',
    '$HOME and $PATH are not expanded, no, no',
    'backslash \\n is not a line break here',
    'trailing backslash is kept as well \\',
    'ключ-🔑-ü-ß-日本語-and-enough-characters',
    '#starts-with-a-hash-and-is-long-enough',
    '"starts with a quote and is long enough',
  ];

  it.each(awkward)('round-trips %j through dotenv', (value) => {
    const quoted = quoteEnvValue(value);
    expect(quoted).toBeDefined();
    expect(parse(`KEY=${quoted}\n`).KEY).toBe(value);
  });

  it.each([
    ["' \" ` # all of them, and a hash in between"],
    ['python-dotenv expands ${HOME} in any quotes, even single ones'],
    ['a carriage return\rthat dotenv reads as a line break, long'],
  ])('refuses %j, which no quoting keeps the same for every reader, and says why', (value) => {
    expect(quoteEnvValue(value)).toBeUndefined();
    expect(envAnswerProblem('BETTER_AUTH_SECRET', value)).toMatch(/^BETTER_AUTH_SECRET cannot be written to \.env so that todo-deploy, python-dotenv and docker compose all read it back the same: .*Choose a value without /);
  });

  it.each(awkward.filter((v) => v.length >= 32))('a .env holding %j passes the .env check with that exact value', (value) => {
    const text = setEnvValues(template('env.example'), { ...valid, BETTER_AUTH_SECRET: value });
    const check = checkEnvText(text, '.env', new Redactor());
    expect(check.problems).toEqual([]);
    expect(check.warnings).toEqual([]);
    expect(check.secrets).toEqual({ ...valid, BETTER_AUTH_SECRET: value });
  });

  it("fills the template's lines and keeps its comments", () => {
    const text = setEnvValues(template('env.example'), valid);
    expect(text).toContain("# Create one at https://platform.openai.com/api-keys\nOPENAI_API_KEY='sk-proj-");
    expect(text).not.toMatch(/^[A-Z_]+=$/m);
    expect(text.match(/^[A-Z_]+=/gm)).toEqual(['BETTER_AUTH_SECRET=', 'DATABASE_URL=', 'OPENAI_API_KEY=', 'BETTER_AUTH_URL=']);
    // DATABASE_URL, optional, is commented out in the template: its value takes that line's place.
    expect(text.replace(/^([A-Z_]+)=.*$/gm, '$1=').replace(/^DATABASE_URL=$/m, '# DATABASE_URL=')).toBe(template('env.example'));
  });

  it('leaves the template\'s DATABASE_URL commented out without a value, and the rest passes the .env check (the database in the cluster)', () => {
    const { DATABASE_URL: _, ...rest } = valid;
    const text = setEnvValues(template('env.example'), rest);
    expect(text).toMatch(/^# DATABASE_URL=$/m);
    const check = checkEnvText(text, '.env', new Redactor());
    expect(check.problems).toEqual([]);
    expect(check.secrets).toEqual(rest);
  });

  it('removes every assignment of a key, each whole line with its trailing comment, keeping the lines around', () => {
    const before = `# mine\nDATABASE_URL=postgresql://a:b@c/d # old\nLOG_LEVEL=debug\r\nexport DATABASE_URL="${DB}"\n# the end\nDATABASE_URL='x`;
    expect(setEnvValues(before.replace(/'x$/, "'x'"), { OPENAI_API_KEY: OPENAI }, ['DATABASE_URL'])).toBe(`# mine\nLOG_LEVEL=debug\r\n# the end\nOPENAI_API_KEY='${OPENAI}'\r\n`);
  });

  it("changes a user's .env in place: comments, blank lines, order, export, spacing, trailing comments and unknown lines kept", () => {
    const before = [
      '# my app',
      '',
      'export OPENAI_API_KEY = "sk-old-key-0000000000000000"   # rotated monthly',
      'LOG_LEVEL=debug',
      'not a KEY=value line, but mine',
      'CERT="-----BEGIN-----',
      'abc',
      '-----END-----"',
      `BETTER_AUTH_URL=${valid.BETTER_AUTH_URL}`,
      '',
      '# the end',
      '',
    ].join('\n');
    const after = setEnvValues(before, valid);
    // The one value that changed is replaced where it stands; BETTER_AUTH_URL, unchanged, is left as
    // written; the two keys the file lacked are appended.
    expect(after).toBe(
      before.replace('"sk-old-key-0000000000000000"', `'${OPENAI}'`) + `BETTER_AUTH_SECRET='${AUTH}'\nDATABASE_URL='${DB}'\n`,
    );
    expect(parse(after)).toEqual({ ...valid, LOG_LEVEL: 'debug', CERT: '-----BEGIN-----\nabc\n-----END-----' });
  });

  it('sets the assignment that counts (the last) of a key set twice, keeps CRLF, and appends after a last line without a break', () => {
    const after = setEnvValues('OPENAI_API_KEY=sk-first\r\nOPENAI_API_KEY=sk-second # here\r\nLAST=1', { OPENAI_API_KEY: OPENAI, NEW: 'x' });
    expect(after).toBe(`OPENAI_API_KEY=sk-first\r\nOPENAI_API_KEY='${OPENAI}' # here\r\nLAST=1\r\nNEW='x'\r\n`);
  });

  it('returns the text untouched when no value changes', () => {
    const before = `# c\nBETTER_AUTH_SECRET="${AUTH}"\nDATABASE_URL=${DB}\nOPENAI_API_KEY=${OPENAI} # key\nBETTER_AUTH_URL='${valid.BETTER_AUTH_URL}'\n`;
    expect(setEnvValues(before, valid)).toBe(before);
  });
});

describe('setup: setting values in todo-deploy.yaml', () => {
  const base = template('todo-deploy.yaml');

  async function load(text: string) {
    const dir = tempDir('todo-yaml-');
    writeFileSync(join(dir, 'todo-deploy.yaml'), text);
    return (await loadConfig({ file: join(dir, 'todo-deploy.yaml'), fileRequired: true, env: {}, flags: {} })).config;
  }

  it('the template is valid and holds every default', async () => {
    const { defaults } = await import('../../src/config/schema.js');
    expect(await load(base)).toEqual(defaults);
  });

  it('changes only the values, byte for byte, and keeps trailing comments in their column', async () => {
    const text = setConfigValues(base, [
      ['minikube.cpus', 4],
      ['minikube.memory', '8192'],
      ['namespace', 'todo-dev'],
      ['frontend.sourceDir', './apps/web'],
    ]);
    const before = base.split('\n');
    const after = text.split('\n');
    expect(after).toHaveLength(before.length);
    const changed = after.filter((line, i) => line !== before[i]);
    expect(changed).toEqual([
      'namespace: todo-dev            # Kubernetes namespace for both releases and their Secrets',
      '  cpus: 4                      # CPUs for a new cluster (minikube start --cpus)',
      '  memory: "8192"               # memory for a new cluster, in minikube --memory syntax: 3072mb, 3g',
      "  sourceDir: ./apps/web        # build context, relative to the app's root",
    ]);
    const config = await load(text);
    expect(config.minikube).toMatchObject({ cpus: 4, memory: '8192' });
    expect(config.namespace).toBe('todo-dev');
    expect(config.frontend.sourceDir).toBe('./apps/web');
  });

  it('returns the text untouched when nothing changes', () => {
    expect(setConfigValues(base, [['minikube.cpus', 2], ['namespace', 'todo']])).toBe(base);
  });

  it.each([
    ['a key the file lacks', 'namespace: todo # ours\n', [['minikube.cpus', 3]] as const, { namespace: 'todo', minikube: { cpus: 3 } }],
    ['a section holding nothing', 'minikube:\n  # cpus: 2\nnamespace: x\n', [['minikube.cpus', 3]] as const, { namespace: 'x', minikube: { cpus: 3 } }],
    ['an empty file', '', [['namespace', 'n'], ['backend.sourceDir', '/abs/with space']] as const, { namespace: 'n', backend: { sourceDir: '/abs/with space' } }],
    ['a flow mapping', 'minikube: { cpus: 2, memory: 3g }\n', [['minikube.memory', 'a, b']] as const, { minikube: { cpus: 2, memory: 'a, b' } }],
  ])('sets %s', async (_, text, values, expected) => {
    const out = setConfigValues(text, values);
    const { parse: parseYaml } = await import('yaml');
    expect(parseYaml(out)).toEqual(expected);
    if (text.includes('# ours')) expect(out).toContain('# ours');
  });

  it.each([
    [
      'into an existing section, below its last key',
      'minikube:\n  driver: kvm2          # a VM\n  # memory: 3g\nnamespace: todo       # ours\n',
      [['minikube.cpus', 4], ['namespace', 'dev']] as const,
      'minikube:\n  driver: kvm2          # a VM\n  cpus: 4\n  # memory: 3g\nnamespace: dev        # ours\n',
    ],
    [
      'a new section at the end, and a file without a final line break',
      'namespace: todo   # ours',
      [['backend.sourceDir', './api'], ['minikube.cpus', 4], ['minikube.memory', '4096']] as const,
      'namespace: todo   # ours\nbackend:\n  sourceDir: ./api\nminikube:\n  cpus: 4\n  memory: "4096"\n',
    ],
    [
      'keys of a nested section above keys of its parent',
      'frontend:\n  replicas: 2\n',
      [['frontend.sourceDir', './web'], ['namespace', 'n']] as const,
      'frontend:\n  replicas: 2\n  sourceDir: ./web\nnamespace: n\n',
    ],
  ])('adds keys %s, leaving every other line as it was', (_, text, values, expected) => {
    expect(setConfigValues(text, values)).toBe(expected);
  });

  it('quotes strings YAML would read as something else', async () => {
    const out = setConfigValues(base, [['namespace', 'null'], ['minikube.memory', '4096'], ['minikube.profile', 'true']]);
    const { parse: parseYaml } = await import('yaml');
    expect(parseYaml(out)).toMatchObject({ namespace: 'null', minikube: { memory: '4096', profile: 'true' } });
  });
});

describe('setup: .gitignore', () => {
  it.each([
    ['.env\n', true],
    ['/.env\n', true],
    ['**/.env\n', true],
    ['.env*\n', true],
    ['*.env\n', true],
    ['# .env\n', false],
    ['.env.local\n', false],
    ['.env\n!.env\n', false],
    ['!.env\n.env\n', true],
    ['config/.env\n', false],
    ['.env/\n', false],
    ['node_modules\n', false],
    ['', false],
  ])('%j ignores .env: %s', (text, ignored) => {
    expect(gitignoreCovers(text, '.env')).toBe(ignored);
  });

  it('appends the entry on a line of its own', () => {
    expect(appendToGitignore('', '.env')).toBe('# Secrets (added by todo-deploy setup)\n.env\n');
    expect(appendToGitignore('node_modules', '.env')).toBe('node_modules\n# Secrets (added by todo-deploy setup)\n.env\n');
    expect(gitignoreCovers(appendToGitignore('!.env\n', '.env'), '.env')).toBe(true);
  });
});

describe('setup: finding the app', () => {
  it('takes the configured folders when they hold the apps', async () => {
    const app = makeApp();
    expect(await detectAppDir(app, 'frontend', './frontend')).toEqual({ dir: './frontend', candidates: ['./frontend'] });
    expect(await detectAppDir(app, 'backend', './backend')).toEqual({ dir: './backend', candidates: ['./backend'] });
  });

  it('finds them under other names, by package.json with next and pyproject.toml', async () => {
    const app = makeApp({ frontend: 'web', backend: 'api' });
    mkdirSync(join(app, 'docs'));
    expect(await detectAppDir(app, 'frontend', './frontend')).toEqual({ dir: './web', candidates: ['./web'] });
    expect(await detectAppDir(app, 'backend', './backend')).toEqual({ dir: './api', candidates: ['./api'] });
  });

  it('finds a pip backend by its requirements.txt', async () => {
    const app = makeApp({ backend: 'api' });
    rmSync(join(app, 'api', 'pyproject.toml'));
    writeFileSync(join(app, 'api', 'requirements.txt'), 'fastapi==0.165.0\n');
    expect(await detectAppDir(app, 'backend', './backend')).toEqual({ dir: './api', candidates: ['./api'] });
  });

  it('does not guess between several', async () => {
    const app = makeApp({ frontend: 'web' });
    mkdirSync(join(app, 'admin'));
    writeFileSync(join(app, 'admin', 'package.json'), '{"devDependencies":{"next":"15"}}');
    expect(await detectAppDir(app, 'frontend', './frontend')).toEqual({ dir: undefined, candidates: ['./admin', './web'] });
  });

  it('says why a folder does not fit', async () => {
    const app = makeApp();
    writeFileSync(join(app, 'frontend', 'package.json'), '{"dependencies":{"react":"19"}}');
    expect(await appDirProblem(app, 'frontend', 'frontend')).toBe(`${join(app, 'frontend')} has no package.json that depends on next, so it is not the Next.js frontend.`);
    expect(await appDirProblem(app, 'backend', 'nowhere')).toBe(`${join(app, 'nowhere')} is not a folder.`);
    expect(await appDirProblem(app, 'backend', 'frontend')).toBe(`${join(app, 'frontend')} has no pyproject.toml or requirements.txt, so it is not the FastAPI backend.`);
  });

  it.each([
    ['frontend', './frontend'],
    ['./frontend/', './frontend'],
    ['/elsewhere/web', '/elsewhere/web'],
    ['.', '.'],
  ])('writes %j as %j', (dir, written) => {
    expect(configDir('/home/me/todo', dir)).toBe(written);
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

  it.each([
    ['postgresql://u:p@db.example.com/todo', { host: 'db.example.com', port: 5432 }],
    ['postgresql://u:p@db.example.com:6543/todo', { host: 'db.example.com', port: 6543 }],
    ['postgresql://u:p@[::1]:5433/todo', { host: '::1', port: 5433 }],
    ['postgresql://u:p@host.minikube.internal:5432/todo', { host: '127.0.0.1', port: 5432, note: 'host.minikube.internal is this machine as the cluster sees it' }],
    ['nonsense', undefined],
  ])('knocks at %s → %j', (url, address) => {
    expect(databaseAddress(url)).toEqual(address);
  });

  it('says yes when something listens', async () => {
    expect(await probeTcp({ host: '127.0.0.1', port }, { timeoutMs: 2000 })).toEqual({ ok: true });
  });

  it('says why not when nothing does', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await probeTcp({ host: '127.0.0.1', port: freePort }, { timeoutMs: 2000 })).toEqual({ ok: false, reason: 'connection refused: nothing listens on that port' });
  });

  it('stops at Ctrl-C', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(probeTcp({ host: '127.0.0.1', port }, { timeoutMs: 2000, signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
  });
});

describe("setup: BETTER_AUTH_URL's default, by up's access rule", () => {
  const config = (driver: string, nodePort = 30000): Config => ({ ...defaults, minikube: { ...defaults.minikube, driver }, frontend: { ...defaults.frontend, nodePort } });
  /** An exec that answers `minikube ip` as told, and records what it was asked. */
  const minikubeIp = (answer: { stdout?: string; exitCode?: number } | Error) => {
    const calls: Command[] = [];
    const exec: Exec = async (command) => {
      calls.push(command);
      if (answer instanceof Error) throw answer;
      return { command: 'minikube ip', exitCode: answer.exitCode ?? 0, stdout: answer.stdout ?? '', stderr: '', durationMs: 1, dryRun: false };
    };
    return { ctx: { tools: toolsOf(exec) }, calls };
  };

  it.each([
    ['a container driver: localhost, without asking minikube', 'docker', { stdout: '192.168.49.2' }, 'http://localhost:30080', 0],
    ["a VM driver: the node's IP", 'kvm2', { stdout: '192.168.39.7\n' }, 'http://192.168.39.7:30080', 1],
    ["a VM driver on IPv6: the node's IP, bracketed", 'kvm2', { stdout: 'fd00::7' }, 'http://[fd00::7]:30080', 1],
    ['a VM driver, no cluster yet: localhost', 'kvm2', { exitCode: 85, stdout: '' }, 'http://localhost:30080', 1],
    ['a VM driver, minikube answers no IP: localhost', 'hyperkit', { stdout: '* Profile "minikube" not found.' }, 'http://localhost:30080', 1],
    ['a VM driver, no minikube: localhost', 'kvm2', new PrereqError('minikube is not installed'), 'http://localhost:30080', 1],
  ] as const)('%s', async (_, driver, answer, url, asked) => {
    const { ctx, calls } = minikubeIp(answer);
    expect(await frontendUrl(ctx, config(driver, 30080))).toBe(url);
    expect(calls).toHaveLength(asked);
  });

  it('asks `minikube ip` for the profile, as a probe with a timeout, and lets other errors through', async () => {
    const { ctx, calls } = minikubeIp({ stdout: '192.168.39.7' });
    expect(await nodeIp(ctx, 'dev')).toBe('192.168.39.7');
    expect(calls).toEqual([{ tool: 'minikube', args: ['ip', '-p', 'dev'], allowFailure: true, timeoutMs: 10_000 }]);
    await expect(nodeIp(minikubeIp(new TypeError('bug')).ctx, 'dev')).rejects.toThrow('bug');
  });
});
