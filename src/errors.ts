// Errors are values with a voice: each says what failed and what to do next. The CLI entry
// (cli.ts) is the one place that maps their kind to an exit code.

export type ErrorKind = 'usage' | 'config' | 'prereq' | 'operation' | 'cancelled';

export class TodoDeployError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** What the user can do about it. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Invalid flags or arguments. */
export class UsageError extends TodoDeployError {
  constructor(message: string, hint?: string) {
    super('usage', message, hint);
  }
}

/** Invalid todo-deploy.yaml, TODO_DEPLOY_* variable or .env: every problem at once. */
export class ConfigError extends TodoDeployError {
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
    hint?: string,
  ) {
    super('config', message, hint);
  }
}

/** A tool is missing, too old, or something it needs (a daemon, a cluster) is unreachable. */
export class PrereqError extends TodoDeployError {
  constructor(message: string, hint?: string) {
    super('prereq', message, hint);
  }
}

/** An external command failed. Everything in it is already redacted. */
export class ToolError extends TodoDeployError {
  constructor(
    message: string,
    readonly command: string,
    readonly exitCode: number | undefined,
    readonly stderrTail: string,
    readonly timedOut: boolean,
    hint?: string,
  ) {
    super('operation', message, hint);
  }
}

/** The user pressed Ctrl-C (or the work was otherwise aborted). */
export class CancelledError extends TodoDeployError {
  constructor(message = 'Interrupted.', hint?: string) {
    super('cancelled', message, hint);
  }
}

/** The deployment or its verification failed; `details` say what was seen (pod states, logs). */
export class OperationError extends TodoDeployError {
  constructor(
    message: string,
    readonly details: readonly string[] = [],
    hint?: string,
  ) {
    super('operation', message, hint);
  }
}
