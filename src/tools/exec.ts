// The one seam between todo-deploy and the outside world: the only module that starts a child
// process. Every external command passes through run(): argv arrays (never a shell string),
// per-call env, a timeout, cancellation, redaction, dry-run and one typed error.
// It is node:child_process itself, not a wrapper library: loading execa took longer than the
// rest of `up`'s start-up together (bench/, README "Performance"), and this is all of it we use.
import { spawn } from 'node:child_process';
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
    const result = await runChild(cmd, { env: childEnv(baseEnv, cmd.env), timeoutMs, signal, graceMs, onLine: onLine && ((line) => onLine(redactor.scrub(line))) });
    const { stdout, stderr } = result;
    const exitCode = result.exitCode ?? -1;
    options.onEvent?.({ kind: 'ran', command, exitCode, durationMs: Math.round(result.durationMs), inputLabel: cmd.inputLabel });

    if (result.canceled) throw new CancelledError(`Interrupted while running: ${command}`);
    if (result.spawnError?.code === 'ENOENT') {
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
    const failed = result.exitCode !== 0;
    if (failed && !cmd.allowFailure) {
      const how = result.exitCode !== undefined ? `exit code ${result.exitCode}` : (result.signal ?? result.spawnError?.code ?? 'no exit code');
      throw new ToolError(`${cmd.tool} failed (${how}).`, command, result.exitCode, redactor.scrub(tail(stderr || (result.spawnError?.message ?? ''))), false);
    }
    return { command, exitCode, stdout, stderr, durationMs: result.durationMs, dryRun: false };
  };
}

interface ChildOutcome {
  /** Undefined when the child was killed by a signal or never started. */
  exitCode?: number;
  signal?: NodeJS.Signals;
  /** Why the child could not be started (ENOENT: not on PATH). */
  spawnError?: NodeJS.ErrnoException;
  /** Without its final newline; empty when the lines went to onLine. */
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  canceled: boolean;
}

interface ChildOptions {
  env: Record<string, string>;
  /** 0: no limit. */
  timeoutMs: number;
  signal?: AbortSignal;
  graceMs: number;
  onLine?: (line: string) => void;
}

function runChild(cmd: Command, o: ChildOptions): Promise<ChildOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    // The command is looked up on the PATH of `env`, which is what the child gets.
    const child = spawn(cmd.tool, [...cmd.args], { env: o.env, cwd: cmd.cwd, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    let stdout = '';
    let stderr = '';
    let partial = '';
    let timedOut = false;
    let canceled = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    let forceKill: NodeJS.Timeout | undefined;
    // The same signal a user's Ctrl-C would send, so the tool can clean up; then a grace period.
    const stop = () => {
      child.kill('SIGINT');
      forceKill ??= setTimeout(() => child.kill('SIGKILL'), o.graceMs);
    };
    const timer =
      o.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            stop();
          }, o.timeoutMs)
        : undefined;
    const onAbort = () => {
      canceled = true;
      stop();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (!o.onLine) {
        stdout += chunk;
        return;
      }
      // Line by line as the child writes them, keeping none of it.
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) o.onLine(line.replace(/\r$/, ''));
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // A child that reads no stdin may exit before the write lands (EPIPE): that is no failure.
    child.stdin.on('error', () => {});
    child.stdin.end(cmd.input ?? '');
    child.on('error', (error) => {
      spawnError = error;
    });
    // 'close' follows 'error' too, and comes once stdout and stderr are drained.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(forceKill);
      o.signal?.removeEventListener('abort', onAbort);
      if (o.onLine && partial) o.onLine(partial.replace(/\r$/, ''));
      resolve({
        exitCode: spawnError || code === null ? undefined : code,
        signal: signal ?? undefined,
        spawnError,
        stdout: stripFinalNewline(stdout),
        stderr: stripFinalNewline(stderr),
        durationMs: performance.now() - started,
        timedOut,
        canceled,
      });
    });
  });
}

const stripFinalNewline = (text: string) => text.replace(/\r?\n$/, '');

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
