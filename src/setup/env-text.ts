// Writing .env so that every reader of it gets back exactly what was entered: todo-deploy
// (Node's dotenv), the app's own python-dotenv, and docker compose (compose-go's dotenv). They
// disagree on escapes and on `$`, so each value gets the first of three quotings that all
// three read as written; test/contract/recorded/dotenv holds what the real parsers read.
import { readEnvText } from '../config/env-file.js';

interface Quoting {
  quote(value: string): string;
  /** What this quoting cannot hold for one reader or another. */
  cannotHold: RegExp;
}

const quotings: Quoting[] = [
  // Literal for all three, except that python-dotenv turns \\ into \ (compose-go keeps both),
  // and a backslash before the closing quote escapes it.
  { quote: (value) => `'${value}'`, cannotHold: /'|\\\\|\\$/ },
  // python-dotenv and compose-go read backslash escapes, Node's dotenv only \n; compose-go expands $.
  { quote: (value) => `"${value}"`, cannotHold: /["\\$]/ },
  // Unquoted: Node's dotenv ends the value at any #, the others trim spaces and take a leading quote as a quote.
  { quote: (value) => value, cannotHold: /^\s|\s$|^['"`]|[#$\n]/ },
];

// python-dotenv replaces ${NAME} and ${NAME:-default} with a variable's value inside any
// quotes (its variables.py); Node's dotenv turns every \r into a line break before it reads.
const NOWHERE = /\$\{[^}:]*(?::-[^}]*)?\}|\r/;

/** The value as it goes after `KEY=`, or undefined when no quoting keeps it intact. */
export function quoteEnvValue(value: string): string | undefined {
  if (NOWHERE.test(value)) return undefined;
  return quotings.find((quoting) => !quoting.cannotHold.test(value))?.quote(value);
}

/** Why `quoteEnvValue` refuses the value. */
export const unquotableProblem =
  'cannot be written to .env so that todo-deploy, python-dotenv and docker compose all read it back the same: no quoting keeps a ${…}, a carriage return, ' +
  'or a \' together with one of " \\ $ (and a # or spaces at either end). Choose a value without them (in a DATABASE_URL password, percent-encode them: \' → %27, " → %22, \\ → %5C, $ → %24).';

/**
 * .env text with `values` set: each key's assignment (its last, the one that counts) gets the
 * new value in place, its `export`, spacing and trailing comment kept, or is left as it is when
 * the value is unchanged; keys the text lacks are appended. Comments, blank lines, order and
 * every other line stay as they are.
 */
export function setEnvValues(base: string, values: Readonly<Record<string, string>>): string {
  const { text, values: current, entries } = readEnvText(base, '.env');
  const line = (key: string, value: string) => {
    const quoted = quoteEnvValue(value);
    if (quoted === undefined) throw new Error(`${key} ${unquotableProblem}`);
    return quoted;
  };
  const last = new Map(entries.map((entry) => [entry.key, entry]));
  const edits = Object.entries(values)
    .flatMap(([key, value]) => {
      const entry = last.get(key);
      return entry && current[key] !== value ? [{ ...entry, text: line(key, value) }] : [];
    })
    .sort((a, b) => b.start - a.start);
  let result = text;
  for (const edit of edits) result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  const added = Object.entries(values).filter(([key]) => !last.has(key));
  if (added.length === 0) return result;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const separator = result === '' || result.endsWith('\n') ? '' : eol;
  return result + separator + added.map(([key, value]) => `${key}=${line(key, value)}${eol}`).join('');
}
