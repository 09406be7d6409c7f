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
 * the value is unchanged; a key the text lacks takes the place of its commented-out empty
 * assignment (`# KEY=`, as the template has it), or is appended. Every assignment of a key in
 * `remove` goes, its whole line with it. Comments, blank lines, order and every other line stay
 * as they are.
 */
export function setEnvValues(base: string, values: Readonly<Record<string, string>>, remove: readonly string[] = []): string {
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
    .concat(entries.filter((entry) => remove.includes(entry.key)).map((entry) => ({ ...entry, ...wholeLine(text, entry), text: '' })))
    .sort((a, b) => b.start - a.start);
  let result = text;
  for (const edit of edits) result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  const appended: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(values)) {
    if (last.has(key)) continue;
    // A key the template leaves commented out (`# DATABASE_URL=`, optional) is set where it stands, under its explanation.
    const placeholder = new RegExp(`^#[ \\t]*${key}=[ \\t]*$`, 'm').exec(result);
    if (placeholder) result = result.slice(0, placeholder.index) + `${key}=${line(key, value)}` + result.slice(placeholder.index + placeholder[0].length);
    else appended.push([key, value]);
  }
  if (appended.length === 0) return result;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const separator = result === '' || result.endsWith('\n') ? '' : eol;
  return result + separator + appended.map(([key, value]) => `${key}=${line(key, value)}${eol}`).join('');
}

/** From the start of the entry's line (its key) to the start of the next line: a quoted value may span lines. */
function wholeLine(text: string, entry: { start: number; end: number }): { start: number; end: number } {
  const start = Math.max(text.lastIndexOf('\n', entry.start - 1), text.lastIndexOf('\r', entry.start - 1)) + 1;
  const eol = /\r\n|\r|\n|$/g;
  eol.lastIndex = entry.end;
  const found = eol.exec(text)!;
  return { start, end: found.index + found[0].length };
}
