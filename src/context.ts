// What every command receives: resolved paths, the exec seam, the output port, the abort
// signal. Built once per run by the CLI entry; tests build their own.
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { toolsOf, type Tools } from './adapters/index.js';
import type { LoadOptions } from './config/load.js';
import { CancelledError, UsageError } from './errors.js';
import { Redactor } from './redact.js';
import { createExec, type Exec } from './tools/exec.js';
import { createOutput, type Output } from './ui/output.js';
import { createInquirerPrompter, type Prompter } from './ui/prompts.js';

export interface GlobalOptions {
  appDir?: string;
  config?: string;
  envFile?: string;
  namespace?: string;
  profile?: string;
  context?: string;
  target?: string;
  registry?: string;
  /** up's --platform. */
  platform?: string;
  yes?: boolean;
  json?: boolean;
  verbose?: boolean;
  /** false with --no-color. */
  color?: boolean;
  dryRun?: boolean;
}

export interface Io {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  signal: AbortSignal;
}

export interface Context {
  appDir: string;
  envFile: string;
  /** The user's todo-deploy state folder (the deployment locks): $XDG_STATE_HOME/todo-deploy or ~/.local/state/todo-deploy. */
  stateDir: string;
  /** How to load todo-deploy.yaml with this run's flags and environment. */
  configOptions: LoadOptions;
  redactor: Redactor;
  exec: Exec;
  /** The tool adapters, on `exec`: the only way a command reaches docker, git, helm, kubectl or minikube. */
  tools: Tools;
  out: Output;
  /** Aborted by Ctrl-C, or by stop(). Every external command and wait of the run listens to it. */
  signal: AbortSignal;
  /**
   * Stops the rest of the run's work as Ctrl-C would (children get SIGINT, waits end), for a
   * command whose work has failed in one part while other parts are under way.
   */
  stop(): void;
  yes: boolean;
  dryRun: boolean;
  /** Prompts are allowed: stdin and stderr are a terminal, not CI, not --json. */
  interactive: boolean;
  /** The prompt port; only used when `interactive`. */
  prompts: Prompter;
  /** For answers piped in (`--openai-api-key-file -`). */
  stdin: NodeJS.ReadableStream;
}

export async function createContext(options: GlobalOptions, io: Io): Promise<Context> {
  const redactor = new Redactor();
  const out = await createOutput({
    json: options.json ?? false,
    verbose: options.verbose ?? false,
    color: options.color ?? true,
    env: io.env,
    stdout: io.stdout,
    stderr: io.stderr,
    redactor,
  });
  const appDir = resolve(io.cwd, options.appDir ?? '.');
  if (!isDirectory(appDir)) {
    throw new UsageError(`--app-dir ${appDir} is not a directory.`, "Run todo-deploy from your app's repository root, or point --app-dir at it.");
  }
  const dryRun = options.dryRun ?? false;
  const stopper = new AbortController();
  const signal = AbortSignal.any([io.signal, stopper.signal]);
  const exec = createExec({
    redactor,
    signal,
    dryRun,
    baseEnv: io.env,
    onEvent: (event) => {
      const stdin = event.inputLabel ? ` < ${event.inputLabel}` : '';
      if (event.kind === 'dry-run') out.print(`[dry-run] ${event.command}${stdin}`);
      else out.debug(`$ ${event.command}${stdin}  → exit ${event.exitCode} in ${event.durationMs}ms`);
    },
  });
  return {
    appDir,
    envFile: resolve(appDir, options.envFile ?? '.env'),
    stateDir: stateDirOf(io.env),
    configOptions: {
      file: resolve(appDir, options.config ?? 'todo-deploy.yaml'),
      fileRequired: options.config !== undefined,
      env: io.env,
      flags: { namespace: options.namespace, 'minikube.profile': options.profile, 'cluster.context': options.context, target: options.target, 'cluster.registry': options.registry, 'cluster.platform': options.platform },
    },
    redactor,
    exec,
    tools: toolsOf(exec),
    out,
    signal,
    stop: () => stopper.abort(new CancelledError()),
    yes: options.yes ?? false,
    dryRun,
    // Colour is no condition: NO_COLOR and --no-color users still get the wizard.
    interactive: out.mode !== 'json' && io.stdin.isTTY === true && io.stderr.isTTY === true && !io.env.CI && io.env.TERM !== 'dumb',
    // Prompts go to stderr, like progress: stdout stays the command's output.
    prompts: createInquirerPrompter({ input: io.stdin, output: io.stderr, signal }),
    stdin: io.stdin,
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Per user, not per app checkout: two checkouts deploying to one Minikube profile must see each other's lock. */
function stateDirOf(env: NodeJS.ProcessEnv): string {
  // The XDG spec says a relative $XDG_STATE_HOME is to be ignored.
  const base = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'todo-deploy');
}
