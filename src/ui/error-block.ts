import { ConfigError, OperationError, TodoDeployError, ToolError } from '../errors.js';
import type { Output } from './output.js';

/** One block per failure: what failed, the (redacted) command, its stderr tail, and what to do. */
export function renderError(error: TodoDeployError, style: Output['style']): string {
  const lines = [`${style.red('✖')} ${style.bold(error.message)}`];
  if (error instanceof ConfigError) for (const problem of error.problems) lines.push(`  ${style.red('•')} ${problem}`);
  if (error instanceof OperationError) for (const detail of error.details) lines.push(...detail.split('\n').map((line) => `  ${line}`));
  if (error instanceof ToolError) {
    lines.push(`  ${style.dim('command:')} ${error.command}`);
    if (error.stderrTail) lines.push(...error.stderrTail.split('\n').map((line) => `  ${style.dim('│')} ${line}`));
  }
  if (error.hint) lines.push(`  ${style.cyan('→')} ${error.hint}`);
  return lines.join('\n');
}

/** The error's part of the --json document. */
export function errorDocument(error: TodoDeployError): Record<string, unknown> {
  return {
    kind: error.kind,
    message: error.message,
    ...(error.hint && { hint: error.hint }),
    ...(error instanceof ConfigError && { problems: error.problems }),
    ...(error instanceof OperationError && { details: error.details }),
    ...(error instanceof ToolError && { command: error.command, exitCode: error.exitCode, stderrTail: error.stderrTail, timedOut: error.timedOut }),
  };
}
