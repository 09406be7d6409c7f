// The output port. Commands describe what happens (a task starts, succeeds, a warning, the
// final result); this module decides how it looks: spinners and colour on a TTY, plain lines
// in CI or a pipe, and one JSON document on stdout under --json. Everything written passes
// through the redactor first (the document value by value, so it stays valid JSON).
import { Chalk, type ChalkInstance } from 'chalk';
import { formatDuration } from '../format.js';
import type { Redactor } from '../redact.js';

export type OutputMode = 'tty' | 'plain' | 'json';

export interface Task {
  update(text: string): void;
  succeed(detail?: string): void;
  warn(detail?: string): void;
  fail(detail?: string): void;
}

export interface Output {
  readonly mode: OutputMode;
  readonly style: ChalkInstance;
  /** A command's main output: stdout, or stderr under --json (stdout then holds only the document). */
  print(text: string): void;
  info(text: string): void;
  warn(text: string): void;
  /** Shown only with --verbose. */
  debug(text: string): void;
  task(title: string): Task;
  /** Sets (merges into) the document written by finish() under --json. */
  result(fields: Record<string, unknown>): void;
  /** Writes the JSON document under --json; nothing otherwise. Called once, by the CLI entry. */
  finish(fields: Record<string, unknown>): void;
}

export interface OutputOptions {
  json: boolean;
  verbose: boolean;
  /** false with --no-color. */
  color: boolean;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  redactor: Redactor;
}

/** Spinners only on an interactive terminal; CI, NO_COLOR and TERM=dumb get plain lines. */
export function detectMode(options: Pick<OutputOptions, 'json' | 'color' | 'env' | 'stderr'>): OutputMode {
  if (options.json) return 'json';
  const { env } = options;
  const interactive = options.stderr.isTTY === true && !env.CI && env.TERM !== 'dumb' && env.NO_COLOR === undefined && options.color;
  return interactive ? 'tty' : 'plain';
}

/** Colour on a TTY; FORCE_COLOR turns it on anywhere, NO_COLOR and --no-color turn it off. */
export function colorLevel(mode: OutputMode, options: Pick<OutputOptions, 'color' | 'env'>): 0 | 1 | 2 | 3 {
  const { env } = options;
  if (!options.color || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return 0;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false' ? 0 : env.FORCE_COLOR === '' ? 1 : (Math.min(3, Math.max(1, Number(env.FORCE_COLOR) || 1)) as 1 | 2 | 3);
  return mode === 'tty' ? 1 : 0;
}

export async function createOutput(options: OutputOptions): Promise<Output> {
  const mode = detectMode(options);
  const style = new Chalk({ level: colorLevel(mode, options) });
  const { redactor } = options;
  const human = mode === 'json' ? options.stderr : options.stdout;
  const write = (stream: NodeJS.WritableStream, text: string) => stream.write(`${redactor.scrub(text)}\n`);
  const document: Record<string, unknown> = {};
  // Loaded only on a TTY: plain and JSON runs never pay for the spinner library.
  const ora = mode === 'tty' ? (await import('ora')).default : undefined;

  const plainTask = (title: string): Task => {
    const started = Date.now();
    write(options.stderr, `… ${title}`);
    const end = (mark: string, detail?: string) =>
      write(options.stderr, `${mark} ${title}${detail ? `: ${detail}` : ''} (${elapsed(started)})`);
    return {
      update: () => {},
      succeed: (detail) => end(style.green('✔'), detail),
      warn: (detail) => end(style.yellow('⚠'), detail),
      fail: (detail) => end(style.red('✖'), detail),
    };
  };

  // One spinner for every task under way (phases can run at once): a line per task, each with
  // its elapsed time; a task that ends is printed above it, and the spinner goes on below.
  const active: Array<{ title: string; text: string; started: number }> = [];
  let spinner: ReturnType<NonNullable<typeof ora>> | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const spinnerText = () => active.map((t) => (Date.now() - t.started < 1000 ? t.text : `${t.text} ${style.dim(elapsed(t.started))}`)).join('\n  ');
  const ttyTask = (title: string): Task => {
    const task = { title, text: redactor.scrub(title), started: Date.now() };
    active.push(task);
    if (!spinner) {
      // is-interactive would say no under CI, but mode 'tty' already means an interactive terminal.
      spinner = ora!({ text: spinnerText(), stream: options.stderr, discardStdin: false, isEnabled: true }).start();
      ticker = setInterval(() => (spinner!.text = spinnerText()), 1000);
      ticker.unref();
    } else spinner.text = spinnerText();
    const end = (mark: string, detail?: string) => {
      if (!active.includes(task)) return;
      active.splice(active.indexOf(task), 1);
      if (active.length === 0) {
        clearInterval(ticker);
        spinner!.stop();
        spinner = undefined;
      } else spinner!.text = spinnerText();
      write(options.stderr, `${mark} ${title}${detail ? `: ${detail}` : ''} ${style.dim(`(${elapsed(task.started)})`)}`);
    };
    return {
      update: (text) => {
        task.text = redactor.scrub(`${title}: ${text}`);
        if (spinner && active.includes(task)) spinner.text = spinnerText();
      },
      succeed: (detail) => end(style.green('✔'), detail),
      warn: (detail) => end(style.yellow('⚠'), detail),
      fail: (detail) => end(style.red('✖'), detail),
    };
  };

  return {
    mode,
    style,
    print: (text) => write(human, text),
    info: (text) => write(options.stderr, text),
    warn: (text) => write(options.stderr, `${style.yellow('warning:')} ${text}`),
    debug: (text) => {
      if (options.verbose) write(options.stderr, style.dim(text));
    },
    task: (title) => (mode === 'tty' ? ttyTask(title) : plainTask(title)),
    result: (fields) => Object.assign(document, fields),
    finish: (fields) => {
      if (mode === 'json') options.stdout.write(`${JSON.stringify(redactor.scrubValues({ ...document, ...fields }), null, 2)}\n`);
    },
  };
}

function elapsed(since: number): string {
  return formatDuration(Date.now() - since);
}
