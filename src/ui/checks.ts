// The one renderer of checks, for `doctor`, `verify`, `rollback` and `up`: a line per check
// (its mark, its title aligned, what was seen), and under it what explains it. Plain mode
// spells the marks out, so a log or a grep reads them without colour.
import type { Check, CheckStatus } from '../checks/check.js';
import type { Output } from './output.js';

const marks: Record<CheckStatus, [tty: string, plain: string]> = {
  pass: ['✔', 'ok'],
  warn: ['⚠', 'warn'],
  fail: ['✖', 'FAIL'],
  skip: ['-', 'skip'],
};

export interface RenderOptions {
  /** The heading of each group, by its name; a group without one is headed by its name. */
  headings?: Record<string, string>;
  /** One line per check, nothing under it: for an overview that an error with the details follows. */
  brief?: boolean;
}

export function renderChecks(checks: readonly Check[], out: Pick<Output, 'mode' | 'style'>, options: RenderOptions = {}): string {
  if (checks.length === 0) return '';
  const { style } = out;
  const paint: Record<CheckStatus, (s: string) => string> = { pass: style.green, warn: style.yellow, fail: style.red, skip: style.dim };
  const width = Math.max(...checks.map((c) => c.title.length));
  const markWidth = out.mode === 'tty' ? 1 : 4;
  const indent = ' '.repeat(markWidth + width + 4);
  const lines: string[] = [];
  let group: string | undefined;
  for (const check of checks) {
    if (check.group !== undefined && check.group !== group) lines.push(style.bold(options.headings?.[check.group] ?? check.group));
    group = check.group;
    const mark = marks[check.status][out.mode === 'tty' ? 0 : 1].padEnd(markWidth);
    lines.push(`${paint[check.status](mark)}  ${check.title.padEnd(width)}  ${check.detail}`);
    if (options.brief) continue;
    for (const problem of check.problems ?? []) lines.push(`${indent}${style.red('•')} ${problem}`);
    // A diagnosis line may hold several (a pod's log lines): each is indented.
    for (const line of check.diagnosis ?? []) lines.push(line.split('\n').map((l) => `${indent}${l}`).join('\n'));
    for (const warning of check.warnings ?? []) lines.push(`${indent}${style.yellow('•')} ${warning}`);
    if (check.hint && (check.status === 'fail' || check.status === 'warn')) lines.push(`${indent}${style.dim('→')} ${check.hint}`);
  }
  return lines.join('\n');
}
