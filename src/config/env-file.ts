// The .env file: parsed with dotenv into a plain object (never into process.env), validated
// with every problem reported at once by key and line. Values are registered with the
// redactor before anything is reported, so no message can ever carry one.
import { readFile, stat } from 'node:fs/promises';
import { parse } from 'dotenv';
import type { Redactor } from '../redact.js';
import { databaseUrlSecrets, EXAMPLE, parseDatabaseUrl, podUnreachableProblem } from './database-url.js';
import { lowVariety, weakPassword } from './secret-strength.js';
import { suggest } from './suggest.js';

export const secretKeys = ['BETTER_AUTH_SECRET', 'DATABASE_URL', 'OPENAI_API_KEY', 'BETTER_AUTH_URL'] as const;
export type SecretKey = (typeof secretKeys)[number];
/** Keys kept in the Secrets for the app's sake whose values are no secret. */
export const publicKeys: readonly string[] = ['BETTER_AUTH_URL'];
/** What .env gives: DATABASE_URL only when the database is external (see `database.mode`). */
export type Secrets = Record<Exclude<SecretKey, 'DATABASE_URL'>, string> & { DATABASE_URL?: string };
export type DatabaseMode = 'auto' | 'in-cluster' | 'external';

/** The keys a .env must hold: DATABASE_URL only for an external database. */
export const requiredKeys = (database: DatabaseMode): SecretKey[] => secretKeys.filter((key) => key !== 'DATABASE_URL' || database === 'external');

/**
 * The one place a value of the .env keys is registered with the redactor, wherever it came
 * from (.env, a flag, a prompt). A public key's value is not; a DATABASE_URL adds its
 * password and credentials in every form a message may carry them.
 */
export function registerSecret(redactor: Redactor, key: SecretKey, value: string | undefined): void {
  // BETTER_AUTH_URL is where users open the app: a public URL that the tool prints, not a secret.
  if (value === undefined || publicKeys.includes(key)) return;
  redactor.add(value);
  if (key === 'DATABASE_URL') for (const secret of databaseUrlSecrets(value)) redactor.add(secret);
}

export interface EnvCheck {
  /** Present only when there are no problems. */
  secrets?: Secrets;
  problems: string[];
  warnings: string[];
}

const MAX_ENV_BYTES = 64 * 1024;
const MIN_AUTH_SECRET = 32;
const GENERATE_HINT = 'generate one with `openssl rand -base64 32` or `todo-deploy setup --generate-auth-secret`';
// OpenAI's own keys have 51 characters (legacy) or well over 100 (project keys); OpenAI-compatible
// gateways issue sk- keys of their own lengths, so the floor is lower: it catches a paste cut
// short, and a value this short could not be masked in the output without masking words.
const MIN_OPENAI_KEY = 20;

/**
 * Validates .env text; `label` names the file in messages. `database` is todo-deploy.yaml's
 * database.mode: without a DATABASE_URL the database runs in the cluster, unless it is
 * `external`; with `in-cluster` a DATABASE_URL is not used. Pure: no I/O.
 */
export function checkEnvText(raw: string, label: string, redactor: Redactor, database: DatabaseMode = 'auto'): EnvCheck {
  const { values, entries, stray, broken } = readEnvText(raw, label);
  // Keys the tool does not use are never sent anywhere, so nothing it prints can carry them
  // (and a LOG_LEVEL=debug must not mask the word "debug").
  for (const key of secretKeys) registerSecret(redactor, key, values[key]);

  const problems: string[] = [...broken];
  const warnings: string[] = [];
  const lines = new Map<string, number[]>();
  for (const entry of entries) lines.set(entry.key, [...(lines.get(entry.key) ?? []), entry.line]);
  const last = new Map(entries.map((entry) => [entry.key, entry]));
  const at = (key: string) => {
    const line = lines.get(key)?.at(-1);
    return line ? `${label}:${line}: ${key}` : `${label}: ${key}`;
  };

  for (const [key, where] of lines) {
    if (where.length > 1) warnings.push(`${label}:${where.at(-1)}: ${key} is set again (first on line ${where[0]}); the last value wins.`);
  }
  for (const line of stray) {
    warnings.push(`${label}:${line}: not a KEY=value line; it is ignored.`);
  }

  for (const key of secretKeys) {
    const value = values[key];
    const entry = last.get(key);
    if (entry?.unclosed) continue;
    // An empty DATABASE_URL (a template's blank, a CI secret not set) is none: the database runs in the cluster.
    if (key === 'DATABASE_URL' && database !== 'external' && value?.trim() === '') continue;
    if (key === 'DATABASE_URL' && database === 'in-cluster' && value !== undefined) {
      warnings.push(`${at(key)} is not used: database.mode is in-cluster, so todo-deploy runs PostgreSQL in the cluster. Remove it, or set database.mode: external in todo-deploy.yaml to use it.`);
      continue;
    }
    if (value === undefined && !requiredKeys(database).includes(key)) continue;
    if (value !== undefined && entry?.cut) {
      // What is left of the value is not what the user wrote: checking it would only quote a piece of it.
      problems.push(`${at(key)} has a # in its value, which .env reads as the start of a comment, so the value is cut there; ${cutFix[key]}.`);
    } else if (value === undefined) {
      const typo = Object.keys(values).find((k) => !(secretKeys as readonly string[]).includes(k) && suggest(k, [key]) === key);
      problems.push(`${at(key)} is missing${typo ? ` (is ${typo} a typo of it?)` : ''}; ${describeKey[key]}.`);
    } else {
      const problem = checkEnvValue(key, value);
      if (problem) problems.push(`${at(key)} ${problem}`);
    }
  }

  for (const key of Object.keys(values)) {
    if ((secretKeys as readonly string[]).includes(key)) continue;
    const close = suggest(key, secretKeys);
    warnings.push(`${at(key)} is not used by todo-deploy${close ? ` (did you mean ${close}?)` : ''}.`);
  }

  return problems.length === 0 ? { secrets: pick(values, database), problems, warnings } : { problems, warnings };
}

/** One KEY=value of a .env file, where the text has it. */
export interface EnvEntry {
  key: string;
  /** 1-based line of the key. */
  line: number;
  /** Where the value stands in the text, quotes included and a trailing comment not. */
  start: number;
  end: number;
  /** An unquoted value with a # right after another character: .env ends the value there. */
  cut: boolean;
  /** A quoted value that no matching quote closes at its end. */
  unclosed: boolean;
}

export interface EnvText {
  /** The text without a byte-order mark; entries' offsets are in it. */
  text: string;
  /** What dotenv, todo-deploy's reader, makes of it. */
  values: Record<string, string>;
  entries: EnvEntry[];
  /** Lines that are neither blank, a comment, a KEY=value line nor inside a quoted value. */
  stray: number[];
  /** Values .env would not read as written (an unclosed quote), by line, with the fix. */
  broken: string[];
}

/**
 * .env text read as todo-deploy reads it, with where each entry stands. The one reader of
 * .env files: `up`, `doctor` and `setup` all see the same values and the same broken lines.
 */
export function readEnvText(raw: string, label: string): EnvText {
  const text = raw.replace(/^\uFEFF/, '');
  const entries: EnvEntry[] = [];
  const stray: number[] = [];
  const broken: string[] = [];
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    const eol = lineEnd(text, pos);
    const content = text.slice(pos, eol);
    const match = keyLine.exec(content);
    let next = eol;
    if (!match) {
      if (content.trim() !== '' && !content.trim().startsWith('#')) stray.push(line);
    } else {
      const key = match[1]!;
      const start = pos + match[0].length;
      const quote = text[start]!;
      if ('\'"`'.includes(quote) && start < eol) {
        // dotenv's own pattern for a quoted value (a quote escaped by a backslash does not close
        // it), which may span lines and must end its line, bar a comment. Without it dotenv reads
        // the line unquoted: the value with a stray quote in it.
        const quoted = new RegExp(`${quote}(?:\\\\${quote}|[^${quote}])*${quote}(?=[ \\t]*(?:#[^\\r\\n]*)?(?:\\r|\\n|$))`, 'y');
        quoted.lastIndex = start;
        const found = quoted.exec(text);
        if (found) {
          const end = start + found[0].length;
          entries.push({ key, line, start, end, cut: false, unclosed: false });
          next = lineEnd(text, end);
        } else {
          entries.push({ key, line, start, end: eol, cut: false, unclosed: true });
          broken.push(
            `${label}:${line}: ${key}'s value starts with ${quote} but no ${quote} closes it at the end of the value, so .env would read the ${quote} as part of it; ` +
              `put the closing ${quote} right after the value (${key}=${quote}…${quote}), or remove the opening one.`,
          );
        }
      } else {
        const value = content.slice(match[0].length);
        const kept = value.replace(/#.*/, '').trimEnd();
        entries.push({ key, line, start, end: start + kept.length, cut: /[^\s#]#/.test(value), unclosed: false });
      }
    }
    line += (text.slice(pos, next).match(/\r\n?|\n/g)?.length ?? 0) + (next < text.length ? 1 : 0);
    pos = next + (text.startsWith('\r\n', next) ? 2 : 1);
  }
  return { text, values: parse(text), entries, stray, broken };
}

function lineEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
  return end;
}

export const envHint = 'Edit the file (templates/env.example explains every key), or run `todo-deploy setup` to write it for you.';

export async function checkEnvFile(file: string, redactor: Redactor, database: DatabaseMode = 'auto'): Promise<EnvCheck> {
  let bytes: Buffer;
  let mode: number;
  try {
    [bytes, { mode }] = await Promise.all([readFile(file), stat(file)]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code})`;
    return { problems: [`${file} ${reason}; it must hold ${requiredKeys(database).join(', ')}${database === 'external' ? '' : ' (and DATABASE_URL for a database of your own)'}.`], warnings: [] };
  }
  if (bytes.length > MAX_ENV_BYTES) {
    return { problems: [`${file} is ${bytes.length} bytes; a .env holds a few lines (is --env-file pointing at the right file?).`], warnings: [] };
  }
  const text = bytes.toString('utf8');
  if (bytes.includes(0) || text.includes('\uFFFD')) {
    return { problems: [`${file} is not a UTF-8 text file (is --env-file pointing at the right file?).`], warnings: [] };
  }
  const check = checkEnvText(text, file, redactor, database);
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    check.warnings.unshift(`${file} can be read by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
  }
  return check;
}

/**
 * What is wrong with one value, as a phrase that follows the key ("is too short: …"), or
 * undefined when `up` accepts it. The one rule for .env files and for `setup`'s prompts.
 */
export function checkEnvValue(key: SecretKey, value: string): string | undefined {
  if (value.trim() === '') return `is empty; ${describeKey[key]}.`;
  if (isPlaceholder(value)) return `still holds a placeholder; ${describeKey[key]}.`;
  return validate[key](value);
}

const cutFix: Record<SecretKey, string> = {
  BETTER_AUTH_SECRET: "put the value in single quotes (BETTER_AUTH_SECRET='…'), or generate one without # (`openssl rand -base64 32` has none)",
  DATABASE_URL: 'percent-encode the # as %23 in the password (and @ as %40, / as %2F, ? as %3F, : as %3A)',
  OPENAI_API_KEY: "put the value in single quotes (OPENAI_API_KEY='…')",
  BETTER_AUTH_URL: "put the value in single quotes (BETTER_AUTH_URL='…')",
};

const describeKey: Record<SecretKey, string> = {
  BETTER_AUTH_SECRET: `set it to a random string of at least ${MIN_AUTH_SECRET} characters (${GENERATE_HINT})`,
  DATABASE_URL: `set it to your PostgreSQL URL, e.g. ${EXAMPLE} (Neon: Dashboard → Connection string)`,
  OPENAI_API_KEY: 'set it to your OpenAI API key, which starts with sk- (https://platform.openai.com/api-keys)',
  BETTER_AUTH_URL: 'set it to the URL users open the app at, e.g. http://localhost:30000',
};

const validate: Record<SecretKey, (value: string) => string | undefined> = {
  BETTER_AUTH_SECRET(value) {
    if (value.length < MIN_AUTH_SECRET) return `is too short: it needs at least ${MIN_AUTH_SECRET} characters, it has ${value.length}; ${GENERATE_HINT}.`;
    const variety = lowVariety(value);
    return variety && `is too easy to guess: ${variety}; ${GENERATE_HINT}.`;
  },
  DATABASE_URL(value) {
    const { url, problem } = parseDatabaseUrl(value);
    if (!url) return problem;
    const unreachable = podUnreachableProblem(url);
    if (unreachable) return unreachable;
    const weak = url.password && weakPassword(url.password, url);
    if (!weak) return undefined;
    return (
      `has a weak password: it ${weak}. A weak password is easy to guess, and todo-deploy cannot hide it in its output without hiding every word it appears in. ` +
      'Set a strong password on the database, e.g. one from `openssl rand -hex 24` (hex needs no percent-encoding in a URL), and put it in the URL.'
    );
  },
  OPENAI_API_KEY(value) {
    if (/\s/.test(value)) return 'contains whitespace; paste the key again without spaces or line breaks.';
    if (!value.startsWith('sk-')) return 'does not look like an OpenAI API key (they start with sk-).';
    if (value.length < MIN_OPENAI_KEY) return `is too short to be an OpenAI API key (fewer than ${MIN_OPENAI_KEY} characters); paste the whole key again.`;
    return undefined;
  },
  BETTER_AUTH_URL(value) {
    const url = URL.canParse(value) ? new URL(value) : undefined;
    return url && ['http:', 'https:'].includes(url.protocol) && url.hostname ? undefined : 'must be an http:// or https:// URL, e.g. http://localhost:30000.';
  },
};

const placeholderPatterns = [
  /<[^>]*>/, // <your-secret>
  /^\[[^\]]*\]$/,
  /^\$\{[^}]*\}$/,
  /^(changeme|change[-_ ]me|todo|tbd|fixme|placeholder|replace[-_ ]?me|example|secret|password|dummy|none|null|undefined)$/i,
  /^(sk-)?(x{3,}|\.{3,}|\*{3,}|your[-_ ].*|(your|my)[-_]?(api[-_]?)?(key|secret|token).*)$/i,
  /^your[-_]/i,
];

export function isPlaceholder(value: string): boolean {
  const trimmed = value.trim();
  return placeholderPatterns.some((pattern) => pattern.test(trimmed));
}

function pick(values: Record<string, string>, database: DatabaseMode): Secrets {
  const used = secretKeys.filter((key) => values[key] !== undefined && !(key === 'DATABASE_URL' && (database === 'in-cluster' || values[key]!.trim() === '')));
  return Object.fromEntries(used.map((key) => [key, values[key]!])) as Secrets;
}

// dotenv's key pattern: KEY=value, with spaces around the =, or YAML-like KEY: value.
const keyLine = /^\s*(?:export\s+)?([\w.-]+)(?:\s*=|:\s)[ \t]*/;
