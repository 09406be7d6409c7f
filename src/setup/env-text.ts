// Writing .env so that dotenv reads back exactly what was entered. dotenv has no escapes
// (a double-quoted value only turns \n into a line break), so each value gets the first
// quoting that survives a round trip through dotenv itself: '…', "…", `…`, then bare.
import { parse } from 'dotenv';
import { secretKeys, type SecretKey, type Secrets } from '../config/env-file.js';

/** The value as it goes after `KEY=`, or undefined when no quoting keeps it intact. */
export function quoteEnvValue(value: string): string | undefined {
  for (const candidate of [`'${value}'`, `"${value}"`, `\`${value}\``, value]) {
    if (parse(`KEY=${candidate}\n`).KEY === value) return candidate;
  }
  return undefined;
}

/** Why `quoteEnvValue` refuses the value. */
export const unquotableProblem = 'cannot be written to .env as it is: dotenv cannot read back a value with all three quote characters (\' " `) and a # or surrounding spaces.';

const assignment = /^\s*(?:export\s+)?([\w.-]+)\s*=/;

/**
 * .env text from a template: each of the four keys replaces the template's line for it (its
 * comments stay), keys the template lacks are appended, and `kept` (other keys of a previous
 * .env) follow at the end.
 */
export function renderEnvFile(template: string, secrets: Secrets, kept: Readonly<Record<string, string>> = {}): string {
  const line = (key: string, value: string) => {
    const quoted = quoteEnvValue(value);
    if (quoted === undefined) throw new Error(`${key} ${unquotableProblem}`);
    return `${key}=${quoted}`;
  };
  const written = new Set<string>();
  const lines: string[] = [];
  for (const text of template.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const key = assignment.exec(text)?.[1];
    if (key && (secretKeys as readonly string[]).includes(key)) {
      if (!written.has(key)) lines.push(line(key, secrets[key as SecretKey]));
      written.add(key);
    } else if (!key) {
      lines.push(text);
    }
    // Other assignments in the template are examples with placeholder values: not written.
  }
  while (lines.at(-1) === '') lines.pop();
  const missing = secretKeys.filter((key) => !written.has(key));
  if (missing.length > 0) lines.push('', ...missing.map((key) => line(key, secrets[key])));
  const others = Object.entries(kept).filter(([key]) => !(secretKeys as readonly string[]).includes(key));
  if (others.length > 0) lines.push('', '# Kept from the previous .env', ...others.map(([key, value]) => line(key, value)));
  return `${lines.join('\n')}\n`;
}
