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
  // Backslash escapes: Node's dotenv reads \n and \r, python-dotenv \\ \' \" \a \b \f \n \r \t \v,
  // compose-go those and \c \$ \0…; a backslash before anything else is kept by all three.
  // compose-go also expands $NAME and ${…}, and reads $$ as $ (its template package).
  { quote: (value) => `"${value}"`, cannotHold: /"|\$[$A-Za-z_{]|\\(?:[\\'"abcfnrtv$0]|$)/ },
  // Unquoted: Node's dotenv ends the value at any #, the others trim spaces and take a leading quote as a quote.
  { quote: (value) => value, cannotHold: /^\s|\s$|^['"`]|[#\n]|\$[$A-Za-z_{]/ },
];

// python-dotenv replaces ${NAME} and ${NAME:-default} with a variable's value inside any
// quotes (its variables.py); Node's dotenv turns every \r into a line break before it reads.
const NOWHERE = /\$\{[^}:]*(?::-[^}]*)?\}|\r/;

/** Every way to write the value after `KEY=` that all three readers read back as it is, best first. */
export function envValueQuotings(value: string): string[] {
  if (NOWHERE.test(value)) return [];
  return quotings.filter((quoting) => !quoting.cannotHold.test(value)).map((quoting) => quoting.quote(value));
}

/** The value as it goes after `KEY=`, or undefined when no quoting keeps it intact. */
export function quoteEnvValue(value: string): string | undefined {
  return envValueQuotings(value)[0];
}

/** Why `quoteEnvValue` refuses the value. */
export const unquotableProblem =
  'cannot be written to .env so that todo-deploy, python-dotenv and docker compose all read it back the same: no quoting keeps its mix of quotes, backslashes, $, # ' +
  'and spaces at the ends the same for all three (nor a ${…} or a carriage return). Choose a value without \' " \\ $ (in a DATABASE_URL password, percent-encode them: \' → %27, " → %22, \\ → %5C, $ → %24).';

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
