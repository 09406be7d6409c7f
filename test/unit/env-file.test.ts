import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkEnvFile, checkEnvText, isPlaceholder, registerSecret } from '../../src/config/env-file.js';
import { Redactor } from '../../src/redact.js';
import { tempDir } from '../support/temp.js';

const AUTH = 'q7V0c2Jt9yXkR4pLw8ZbN3mHs6TfGd1A';
const DB_PASSWORD = 'npg_S3cr3tPassw0rd';
const DB = `postgresql://neondb_owner:${DB_PASSWORD}@ep-cool-rain-123456.eu-central-1.aws.neon.tech/neondb?sslmode=require`;
const OPENAI = 'sk-proj-9fJ2kLmN4pQ7rS0tUvW3xYz6AbCdEfGh';
const valid = `BETTER_AUTH_SECRET=${AUTH}\nDATABASE_URL=${DB}\nOPENAI_API_KEY=${OPENAI}\nBETTER_AUTH_URL=http://localhost:30000\n`;
const allSecrets = [AUTH, DB, DB_PASSWORD, OPENAI];

function check(text: string) {
  const redactor = new Redactor();
  const result = checkEnvText(text, '.env', redactor);
  const printed = [...result.problems, ...result.warnings].join('\n');
  for (const secret of allSecrets) expect(printed).not.toContain(secret);
  return { ...result, printed, redactor };
}

describe('.env validation', () => {
  it('accepts a valid file and returns exactly the four secrets', () => {
    const result = check(valid);
    expect(result.problems).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.secrets).toEqual({ BETTER_AUTH_SECRET: AUTH, DATABASE_URL: DB, OPENAI_API_KEY: OPENAI, BETTER_AUTH_URL: 'http://localhost:30000' });
  });

  it('registers every value, and the database password alone, with the redactor', () => {
    const { redactor } = check(valid);
    expect(redactor.scrub(`a ${AUTH} b ${OPENAI} c ${DB_PASSWORD}`)).toBe('a •••••• b •••••• c ••••••');
  });

  it.each([
    ['CRLF line endings', valid.replaceAll('\n', '\r\n')],
    ['a byte-order mark', `\uFEFF${valid}`],
    ['export prefixes', valid.replace(/^/gm, 'export ').replace(/export $/, '')],
    ['double quotes', `BETTER_AUTH_SECRET="${AUTH}"\nDATABASE_URL="${DB}"\nOPENAI_API_KEY="${OPENAI}"\nBETTER_AUTH_URL="http://localhost:30000"\n`],
    ['single quotes and comments', `# secrets\nBETTER_AUTH_SECRET='${AUTH}' # auth\nDATABASE_URL='${DB}'\nOPENAI_API_KEY='${OPENAI}'\n\nBETTER_AUTH_URL='http://localhost:30000'\n`],
    ['spaces around =', valid.replaceAll('=', ' = ').replace('sslmode = require', 'sslmode=require')],
  ])('reads %s', (_, text) => {
    const result = check(text);
    expect(result.problems).toEqual([]);
    expect(result.secrets?.DATABASE_URL).toBe(DB);
    expect(result.secrets?.BETTER_AUTH_SECRET).toBe(AUTH);
  });

  it('keeps unicode in values intact', () => {
    const secret = 'ключ-🔑-' + 'ü'.repeat(30);
    const result = check(valid.replace(AUTH, secret));
    expect(result.secrets?.BETTER_AUTH_SECRET).toBe(secret);
  });

  it.each([
    ['a missing key', valid.replace(/^OPENAI_API_KEY=.*\n/m, ''), '.env: OPENAI_API_KEY is missing; set it to your OpenAI API key'],
    ['a misspelt key', valid.replace('OPENAI_API_KEY', 'OPENAI_APIKEY'), '.env: OPENAI_API_KEY is missing (is OPENAI_APIKEY a typo of it?)'],
    ['an empty value', valid.replace(`OPENAI_API_KEY=${OPENAI}`, 'OPENAI_API_KEY='), '.env:3: OPENAI_API_KEY is empty'],
    ['a short auth secret', valid.replace(AUTH, 'short-secret-123'), '.env:1: BETTER_AUTH_SECRET is too short: it needs at least 32 characters, it has 16'],
    ['a placeholder secret', valid.replace(AUTH, '<your-secret>'), '.env:1: BETTER_AUTH_SECRET still holds a placeholder'],
    ['changeme', valid.replace(AUTH, 'changeme'), 'BETTER_AUTH_SECRET still holds a placeholder'],
    ['a mysql URL', valid.replace(DB, 'mysql://u:p@host/db'), '.env:2: DATABASE_URL must be a postgres:// or postgresql:// URL'],
    ['a URL without a database', valid.replace(DB, `postgresql://u:${DB_PASSWORD}@db.example.com:5432`), '.env:2: DATABASE_URL has no database name after the host (postgresql://u:****@db.example.com:5432)'],
    ['not a URL at all', valid.replace(DB, 'neon database'), 'DATABASE_URL must be a postgres:// or postgresql:// URL'],
    ['a key without sk-', valid.replace(OPENAI, 'pk-123456789012345678901234'), '.env:3: OPENAI_API_KEY does not look like an OpenAI API key (they start with sk-)'],
    ['a key with whitespace', valid.replace(OPENAI, `"${OPENAI.slice(0, 10)} ${OPENAI.slice(10)}"`), '.env:3: OPENAI_API_KEY contains whitespace'],
    ['an sk-xxx placeholder', valid.replace(OPENAI, 'sk-xxxxxxxxxxxx'), 'OPENAI_API_KEY still holds a placeholder'],
    ['an ftp auth URL', valid.replace('http://localhost:30000', 'ftp://localhost'), '.env:4: BETTER_AUTH_URL must be an http:// or https:// URL'],
  ])('reports %s with key and line, and no value', (_, text, expected) => {
    const result = check(text);
    expect(result.secrets).toBeUndefined();
    expect(result.printed).toContain(expected);
  });

  it('reports every problem at once', () => {
    const result = check('BETTER_AUTH_SECRET=\nDATABASE_URL=<your-database-url>\nOPENAI_API_KEY=sk-abc def\n');
    expect(result.problems).toHaveLength(4);
    expect(result.problems.map((p) => p.split(' ')[0])).toEqual(['.env:1:', '.env:2:', '.env:3:', '.env:']);
  });

  it('warns about duplicate keys, unknown keys and stray lines', () => {
    const text = `${valid}BETTER_AUTH_URL=http://localhost:30000\nBETTER_AUTH_SECRE=x\nthis line is junk\nPORT=3000\n`;
    const result = check(text);
    expect(result.problems).toEqual([]);
    expect(result.warnings).toEqual([
      '.env:5: BETTER_AUTH_URL is set again (first on line 4); the last value wins.',
      '.env:7: not a KEY=value line; it is ignored.',
      '.env:6: BETTER_AUTH_SECRE is not used by todo-deploy (did you mean BETTER_AUTH_SECRET?).',
      '.env:8: PORT is not used by todo-deploy.',
    ]);
  });

  it.each(['localhost', '127.0.0.1', '127.0.1.1', '[::1]'])('refuses a DATABASE_URL at %s: a pod cannot reach the user\'s machine there', (host) => {
    const result = check(valid.replace(DB, `postgresql://u:${DB_PASSWORD}@${host}:5432/todo`));
    expect(result.secrets).toBeUndefined();
    expect(result.problems).toEqual([
      `.env:2: DATABASE_URL points at ${host}, which inside a pod is the pod itself, not your machine, so the backend could not reach the database. ` +
        "For a PostgreSQL on your machine, use host.minikube.internal instead (your machine as Minikube's pods see it) and let PostgreSQL listen beyond 127.0.0.1 (listen_addresses and pg_hba.conf); otherwise use a host the cluster can reach.",
    ]);
  });

  it.each([
    ['a double quote', `OPENAI_API_KEY="${OPENAI}\n`, '"'],
    ['a single quote, the next line opening another', `OPENAI_API_KEY='${OPENAI}\nNOTE='x'\n`, "'"],
    ['text after the closing quote', `OPENAI_API_KEY="${OPENAI}"x\n`, '"'],
  ])('an unclosed quote is a problem at its line, with the fix, not a value with a stray quote: %s', (_, line, quote) => {
    const result = check(valid.replace(`OPENAI_API_KEY=${OPENAI}\n`, line));
    expect(result.secrets).toBeUndefined();
    expect(result.problems).toEqual([
      `.env:3: OPENAI_API_KEY's value starts with ${quote} but no ${quote} closes it at the end of the value, so .env would read the ${quote} as part of it; ` +
        `put the closing ${quote} right after the value (OPENAI_API_KEY=${quote}…${quote}), or remove the opening one.`,
    ]);
  });

  it('reads a quote escaped inside quotes, a comment after the closing quote, and an empty value as closed', () => {
    const result = check(`${valid}A="say \\"hi\\"" # greeting\nB=\nC='x'\n`);
    expect(result.problems).toEqual([]);
    expect(result.warnings).toEqual(['.env:5: A is not used by todo-deploy.', '.env:6: B is not used by todo-deploy.', '.env:7: C is not used by todo-deploy.']);
  });

  it('does not mistake the lines of a quoted multi-line value for stray lines', () => {
    const result = check(`${valid}CERT="-----BEGIN-----\nabc def\n-----END-----"\n`);
    expect(result.warnings).toEqual(['.env:5: CERT is not used by todo-deploy.']);
  });

  it.each([
    ['changeme', true],
    ['<your-secret>', true],
    ['${SECRET}', true],
    ['xxx', true],
    ['sk-...', true],
    ['your-openai-key', true],
    ['TODO', true],
    [AUTH, false],
    [OPENAI, false],
    [DB, false],
  ])('isPlaceholder(%j) is %s', (value, expected) => expect(isPlaceholder(value)).toBe(expected));
});

describe('.env files on disk', () => {
  const write = (content: string | Buffer, mode = 0o600) => {
    const file = join(tempDir('envfile-'), '.env');
    writeFileSync(file, content);
    chmodSync(file, mode);
    return file;
  };

  it('warns when other users can read the file', async () => {
    const result = await checkEnvFile(write(valid, 0o644), new Redactor());
    expect(result.secrets).toBeDefined();
    expect(result.warnings[0]).toMatch(/can be read by other users \(mode 644\); run: chmod 600 .*\.env$/);
  });

  it.each([
    ['binary garbage', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x02, 0xc3, 0x28]), 'is not a UTF-8 text file'],
    ['invalid UTF-8', Buffer.from([0x41, 0x3d, 0xc3, 0x28, 0x0a]), 'is not a UTF-8 text file'],
    ['a huge file', `${valid}${'PADDING=0123456789\n'.repeat(10_000)}`, 'bytes; a .env holds a few lines'],
  ])('refuses %s without echoing it', async (_, content, expected) => {
    const result = await checkEnvFile(write(content), new Redactor());
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toContain(expected);
  });

  it('lists every problem of a file, and names a missing file', async () => {
    const broken = await checkEnvFile(write('DATABASE_URL=mysql://x\n'), new Redactor());
    expect(broken.secrets).toBeUndefined();
    expect(broken.problems).toEqual(expect.arrayContaining([expect.stringContaining('DATABASE_URL must be'), expect.stringContaining('OPENAI_API_KEY is missing')]));
    expect((await checkEnvFile('/nonexistent/.env', new Redactor())).problems).toEqual([expect.stringContaining('/nonexistent/.env does not exist')]);
  });
});

describe('a DATABASE_URL whose password is not percent-encoded', () => {
  // The user meant everything up to the last @ as user:password; a URL parser stops earlier.
  it.each([
    ['@ and /', 'postgresql://todo:p@ss/LEAKY9@db.example.internal:5432/todo', 'p@ss/LEAKY9'],
    ['@ and # (quoted, or # would start a comment)', "'postgresql://todo:p@ssLEAKY9#x@db.example.internal:5432/todo'", 'p@ssLEAKY9#x'],
    ['# (quoted)', "'postgresql://todo:pa#xLEAKY9@db.example.internal:5432/todo'", 'pa#xLEAKY9'],
    ['/', 'postgresql://todo:pa/xLEAKY9@db.example.internal:5432/todo', 'pa/xLEAKY9'],
    ['?', 'postgresql://todo:pa?xLEAKY9@db.example.internal:5432/todo', 'pa?xLEAKY9'],
    ['a lone %', 'postgresql://todo:100%LEAKY9@db.example.internal:5432/todo', '100%LEAKY9'],
    ['an @ in the user name', 'postgresql://todo@LEAKY9corp:Vq8rT2mZk4Lp@db.example.internal:5432/todo', 'Vq8rT2mZk4Lp'],
  ])('with %s: refused by key and line, with how to encode, and no character of it shown', (_, url, password) => {
    const result = check(valid.replace(DB, url));
    expect(result.secrets).toBeUndefined();
    expect(result.problems).toEqual([
      '.env:2: DATABASE_URL has a user name or password with characters a URL cannot hold as they are (@ / ? # or a lone %), so the host would be read from inside the password. ' +
        'Percent-encode them in the user name and password: @ → %40, # → %23, / → %2F, ? → %3F, : → %3A, % → %25 (`todo-deploy setup` can do it for you). ' +
        'The URL is shown without them: postgresql://****@db.example.internal:5432/todo',
    ]);
    expect(result.printed.toLowerCase()).not.toContain('leaky9');
    for (const piece of password.split(/[@/?#%]/).filter((p) => p.length >= 4)) expect(result.printed).not.toContain(piece);
  });

  // dotenv ends an unquoted value at a #: what is left would show a piece of the password as "the host".
  it.each([
    ['@ and #', 'postgresql://todo:p@ssLEAKY9#x@db.example.internal:5432/todo'],
    ['#', 'postgresql://todo:pa#xLEAKY9@db.example.internal:5432/todo'],
  ])('unquoted, with %s: says the # cut the value, and shows none of it', (_, url) => {
    const result = check(valid.replace(DB, url));
    expect(result.problems).toEqual([
      '.env:2: DATABASE_URL has a # in its value, which .env reads as the start of a comment, so the value is cut there; percent-encode the # as %23 in the password (and @ as %40, / as %2F, ? as %3F, : as %3A).',
    ]);
    expect(result.printed.toLowerCase()).not.toContain('leaky9');
  });

  it('a # after a space is a comment, as the user meant', () => {
    const result = check(valid.replace(DB, `${DB} # Neon, eu-central-1`));
    expect(result.problems).toEqual([]);
    expect(result.secrets?.DATABASE_URL).toBe(DB);
  });

  it('an auth secret with an unquoted # is cut too: said so, nothing shown', () => {
    const result = check(valid.replace(AUTH, `${AUTH.slice(0, 20)}#${AUTH.slice(20)}`));
    expect(result.problems).toEqual([
      ".env:1: BETTER_AUTH_SECRET has a # in its value, which .env reads as the start of a comment, so the value is cut there; put the value in single quotes (BETTER_AUTH_SECRET='…'), or generate one without # (`openssl rand -base64 32` has none).",
    ]);
  });

  it('accepts the same password percent-encoded, and masks it decoded', () => {
    const result = check(valid.replace(DB, 'postgresql://todo:p%40ss%2FLEAKY9xyz@db.example.internal:5432/todo'));
    expect(result.problems).toEqual([]);
    expect(result.redactor.scrub('auth failed for p@ss/LEAKY9xyz')).toBe('auth failed for ••••••');
  });

  it('says "not a valid URL" without showing any of it when the host part is broken', () => {
    const result = check(valid.replace(DB, 'postgresql://todo:Vq8rT2mZk4Lp/db.example.internal:5432/todo'));
    expect(result.problems).toEqual(['.env:2: DATABASE_URL is not a valid URL; check the host and port after the @, e.g. postgresql://user:password@host:5432/dbname.']);
  });

  it('masks a password given as a parameter', () => {
    const result = check(valid.replace(DB, 'postgresql://todo@db.example.internal:5432?password=Vq8rT2mZk4Lp'));
    expect(result.problems).toEqual(['.env:2: DATABASE_URL has no database name after the host (postgresql://todo@db.example.internal:5432?password=****); add /dbname.']);
  });
});

describe('weak secrets are refused where .env is read', () => {
  const weakDb = (reason: string) =>
    `.env:2: DATABASE_URL has a weak password: it ${reason}. A weak password is easy to guess, and todo-deploy cannot hide it in its output without hiding every word it appears in. ` +
    'Set a strong password on the database, e.g. one from `openssl rand -hex 24` (hex needs no percent-encoding in a URL), and put it in the URL.';
  it.each([
    ['a short password', 'postgresql://todo:todo@db.example.com:5432/todo', weakDb('is shorter than 8 characters')],
    ['the user name', 'postgresql://neondb_owner:NeonDB_Owner@db.example.com/neondb', weakDb('is the user name')],
    ['the database name', 'postgresql://app:todo-chatbot@db.example.com/todo-chatbot', weakDb('is the database name')],
    ['a common password', 'postgresql://app:postgres@db.example.com/todo', weakDb('is a common password')],
    ['a word todo-deploy prints', 'postgresql://app:frontend@db.example.com/todo', weakDb('is a common password')],
    ['one character repeated', 'postgresql://app:aaaaaaaaaaaa@db.example.com/todo', weakDb('is too simple: it uses fewer than 5 different characters')],
    ['a short password as a parameter', 'postgresql://app@db.example.com/todo?password=todo', weakDb('is shorter than 8 characters')],
  ])('DATABASE_URL with %s', (_, url, expected) => {
    const result = check(valid.replace(DB, url));
    expect(result.problems).toEqual([expected]);
  });

  it('accepts a URL without a password (trust or peer authentication)', () => {
    expect(check(valid.replace(DB, 'postgresql://todo@db.example.com:5432/todo')).problems).toEqual([]);
  });

  it.each([
    ['one character repeated', 'a'.repeat(40), 'it uses fewer than 5 different characters'],
    ['a word repeated', 'password'.repeat(4), 'it repeats a short pattern'],
    ['digits counted up', '1234567890'.repeat(4), 'it repeats a short pattern'],
  ])('BETTER_AUTH_SECRET with %s', (_, secret, reason) => {
    const result = check(valid.replace(AUTH, secret));
    expect(result.problems).toEqual([
      `.env:1: BETTER_AUTH_SECRET is too easy to guess: ${reason}; generate one with \`openssl rand -base64 32\` or \`todo-deploy setup --generate-auth-secret\`.`,
    ]);
  });

  it('OPENAI_API_KEY cut short', () => {
    expect(check(valid.replace(OPENAI, 'sk-proj-9fJ2')).problems).toEqual([
      '.env:3: OPENAI_API_KEY is too short to be an OpenAI API key (fewer than 20 characters); paste the whole key again.',
    ]);
  });
});

describe('what the redactor learns from .env', () => {
  it('nothing from keys todo-deploy does not use, and no value too short to mask', () => {
    const redactor = new Redactor();
    checkEnvText(`${valid.replace(DB, 'postgresql://todo:todo@db/todo')}NODE_ENV=production\n`, '.env', redactor);
    expect(redactor.scrub('namespace todo, production build')).toBe('namespace todo, production build');
  });

  it('scrubs every secret but not BETTER_AUTH_URL, the public URL the tool prints', () => {
    const redactor = new Redactor();
    checkEnvText(valid.replace('http://localhost:30000', 'http://localhost:31000'), '.env', redactor);
    expect(redactor.scrub(`open http://localhost:31000 with ${AUTH}`)).toBe('open http://localhost:31000 with ••••••');
  });
});

describe('registerSecret: the one rule for what a .env value adds to the redactor', () => {
  it("a secret's value, but not the public BETTER_AUTH_URL, and nothing for a missing value", () => {
    const redactor = new Redactor();
    registerSecret(redactor, 'OPENAI_API_KEY', OPENAI);
    registerSecret(redactor, 'BETTER_AUTH_URL', 'http://localhost:31000');
    registerSecret(redactor, 'BETTER_AUTH_SECRET', undefined);
    expect(redactor.scrub(`open http://localhost:31000 with ${OPENAI}`)).toBe('open http://localhost:31000 with ••••••');
  });

  it("a DATABASE_URL's password on its own too, as a tool's message may quote it", () => {
    const redactor = new Redactor();
    registerSecret(redactor, 'DATABASE_URL', DB);
    expect(redactor.scrub(`${DB} | password authentication failed: ${DB_PASSWORD}`)).toBe('•••••• | password authentication failed: ••••••');
  });
});
