// `todo-deploy doctor`: every read-only check `up` would make, in one report. Changes nothing.
import type { CheckResult, CheckStatus } from '../checks/check.js';
import { checkInputs } from '../checks/inputs.js';
import { checkDockerBuilder, checkPrereqs } from '../checks/prereqs.js';
import { defaults } from '../config/schema.js';
import type { Context } from '../context.js';
import { ConfigError, PrereqError } from '../errors.js';
import type { Output } from '../ui/output.js';

export async function doctor(ctx: Context): Promise<void> {
  const task = ctx.out.task('Checking tools, cluster, configuration and .env');
  const inputs = await checkInputs(ctx);
  // With an invalid config the prerequisite checks still run, on the defaults.
  const prereqs = await checkPrereqs(ctx.exec, inputs.loaded?.config ?? defaults);
  // After the docker check, whose version says whether buildx is needed.
  const builder = await checkDockerBuilder(ctx.exec, prereqs.find((c) => c.id === 'docker'));
  const daemon = prereqs.findIndex((c) => c.id === 'docker-daemon');
  const checks = [...prereqs.slice(0, daemon + 1), builder, ...prereqs.slice(daemon + 1), ...inputs.checks];
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length > 0) task.fail(`${failed.length} of ${checks.length} checks failed`);
  else task.succeed(`${checks.length} checks passed`);

  ctx.out.print(renderReport(checks, ctx.out));
  ctx.out.result({ checks });

  const failedPrereqs = failed.filter((c) => c.category === 'prereq');
  if (failedPrereqs.length > 0) {
    throw new PrereqError(`Missing or unreachable: ${failedPrereqs.map((c) => c.title).join(', ')}.`, 'Follow the hints above, then run `todo-deploy doctor` again.');
  }
  if (failed.length > 0) {
    throw new ConfigError(`Invalid: ${failed.map((c) => c.title).join(', ')}.`, [], 'Fix the problems listed above, then run `todo-deploy doctor` again.');
  }
}

const marks: Record<CheckStatus, [tty: string, plain: string]> = {
  pass: ['✔', 'ok'],
  warn: ['⚠', 'warn'],
  fail: ['✖', 'FAIL'],
  skip: ['-', 'skip'],
};

export function renderReport(checks: readonly CheckResult[], out: Pick<Output, 'mode' | 'style'>): string {
  const { style } = out;
  const paint: Record<CheckStatus, (s: string) => string> = { pass: style.green, warn: style.yellow, fail: style.red, skip: style.dim };
  const width = Math.max(...checks.map((c) => c.title.length));
  const markWidth = out.mode === 'tty' ? 1 : 4;
  const indent = ' '.repeat(markWidth + width + 4);
  const lines: string[] = [];
  for (const check of checks) {
    const mark = marks[check.status][out.mode === 'tty' ? 0 : 1].padEnd(markWidth);
    lines.push(`${paint[check.status](mark)}  ${check.title.padEnd(width)}  ${check.detail}`);
    for (const problem of check.problems ?? []) lines.push(`${indent}${style.red('•')} ${problem}`);
    for (const warning of check.warnings ?? []) lines.push(`${indent}${style.yellow('•')} ${warning}`);
    if (check.hint && check.status !== 'pass') lines.push(`${indent}${style.dim('→')} ${check.hint}`);
  }
  return lines.join('\n');
}
