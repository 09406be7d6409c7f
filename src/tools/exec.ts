// The one seam between todo-deploy and the outside world: the only module that imports execa.
// Every external command passes through run(): argv arrays (never a shell string), per-call
// env, a timeout, cancellation, redaction, dry-run and one typed error.
import { execa } from 'execa';
import { CancelledError, PrereqError, ToolError } from '../errors.js';
import type { Redactor } from '../redact.js';
import { formatDuration } from '../format.js';
import { installHints } from './install-hints.js';

export interface Command {
  tool: string;
  args: readonly string[];
  /** Written to the child's stdin; never printed (it may hold secrets). */
  input?: string;
  /** Shown instead of the stdin content in dry-run and --verbose output. */
  inputLabel?: string;
  /** Added to (or, with `undefined`, removed from) the inherited environment of this call only. */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  timeoutMs?: number;
  /** Changes something outside: under --dry-run it is printed, not run. */
  mutates?: boolean;
  /** Return a failed result instead of throwing (for probes whose failure is an answer). */
  allowFailure?: boolean;
  /**
   * Receives each line of stdout, redacted, as soon as the child writes it (a stream the user
   * watches, such as `kubectl logs --follow`); the result's stdout is then empty.
   */
  onStdoutLine?: (line: string) => void;
  /** Its owner ends it (a port-forward): aborted, the child is stopped as Ctrl-C would stop it and the call resolves. */
  stop?: AbortSignal;
}

export interface CommandResult {
  /** The redacted command line, for display. */
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  dryRun: boolean;
}

export type ExecEvent =
  | { kind: 'ran'; command: string; exitCode: number; durationMs: number; inputLabel?: string }
  | { kind: 'dry-run'; command: string; inputLabel?: string };

export interface ExecOptions {
  redactor: Redactor;
  signal?: AbortSignal;
  dryRun?: boolean;
  /** The environment children inherit (default: process.env). */
  baseEnv?: NodeJS.ProcessEnv;
  defaultTimeoutMs?: number;
  /** After SIGINT, how long a child gets to exit before SIGKILL. */
  graceMs?: number;
  onEvent?: (event: ExecEvent) => void;
}

export type Exec = (command: Command) => Promise<CommandResult>;

const STDERR_TAIL_LINES = 20;

export function createExec(options: ExecOptions): Exec {
  const { redactor, signal, dryRun = false, defaultTimeoutMs = 60_000, graceMs = 5_000 } = options;
  const baseEnv = options.baseEnv ?? process.env;

  return async function run(cmd: Command): Promise<CommandResult> {
    const command = redactor.scrub(formatCommand(cmd.tool, cmd.args));
    if (signal?.aborted) throw new CancelledError();
    if (dryRun && cmd.mutates) {
      options.onEvent?.({ kind: 'dry-run', command, inputLabel: cmd.inputLabel });
      return { command, exitCode: 0, stdout: '', stderr: '', durationMs: 0, dryRun: true };
    }

    const timeoutMs = cmd.timeoutMs ?? defaultTimeoutMs;
    const onLine = cmd.onStdoutLine;
    const result = await execa(cmd.tool, [...cmd.args], {
      input: cmd.input ?? '',
      // A generator transform sees stdout line by line; yielding nothing keeps none of it in memory.
      stdout: onLine
        ? function* (line: unknown) {
            onLine(redactor.scrub(String(line)));
          }
        : 'pipe',
      env: childEnv(baseEnv, cmd.env),
      extendEnv: false,
      cwd: cmd.cwd,
      timeout: timeoutMs,
      cancelSignal: cmd.stop && signal ? AbortSignal.any([signal, cmd.stop]) : (cmd.stop ?? signal),
      // A child gets the same signal as a user's Ctrl-C would send it, then a grace period.
      killSignal: 'SIGINT',
      forceKillAfterDelay: graceMs,
      reject: false,
      stripFinalNewline: true,
      windowsHide: true,
    });
    const stdout = String(result.stdout ?? '');
    const stderr = String(result.stderr ?? '');
    const exitCode = result.exitCode ?? -1;
    options.onEvent?.({ kind: 'ran', command, exitCode, durationMs: Math.round(result.durationMs), inputLabel: cmd.inputLabel });

    if (result.isCanceled && !signal?.aborted && cmd.stop?.aborted) return { command, exitCode, stdout, stderr, durationMs: result.durationMs, dryRun: false };
    if (result.isCanceled) throw new CancelledError(`Interrupted while running: ${command}`);
    if (result.code === 'ENOENT' && result.exitCode === undefined) {
      throw new PrereqError(`${cmd.tool} was not found on PATH.`, installHints[cmd.tool]);
    }
    if (result.timedOut) {
      throw new ToolError(
        `${cmd.tool} did not finish within ${formatDuration(timeoutMs)} and was stopped.`,
        command,
        undefined,
        redactor.scrub(tail(stderr)),
        true,
      );
    }
    if (result.failed && !cmd.allowFailure) {
      const how = result.exitCode !== undefined ? `exit code ${result.exitCode}` : (result.signal ?? 'no exit code');
      throw new ToolError(`${cmd.tool} failed (${how}).`, command, result.exitCode, redactor.scrub(tail(stderr)), false);
    }
    return { command, exitCode, stdout, stderr, durationMs: result.durationMs, dryRun: false };
  };
}

function childEnv(base: NodeJS.ProcessEnv, extra: Command['env']): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...base, ...extra })) {
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/** A copy-pasteable rendering of argv: arguments with shell metacharacters are single-quoted. */
export function formatCommand(tool: string, args: readonly string[]): string {
  return [tool, ...args].map(quoteArg).join(' ');
}

function quoteArg(arg: string): string {
  if (arg !== '' && /^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function tail(text: string, lines = STDERR_TAIL_LINES): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
