// Runs the built CLI (bin/todo-deploy.js) against a simulator, with only the sim's environment
// (PATH, HOME, KUBECONFIG) plus what the test passes: never the developer's whole environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sim } from './harness.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const cliEntry = join(repoRoot, 'bin', 'todo-deploy.js');

export interface RunCliOptions {
  sim: Sim;
  cwd: string;
  /** Written to stdin, then stdin is closed; without it stdin is /dev/null (not a TTY). */
  input?: string;
  /** Added to sim.env; `undefined` removes a variable (e.g. { CI: 'true', NO_COLOR: '1' }). */
  env?: Record<string, string | undefined>;
  /** Killed with SIGKILL after this long (default 20 s); `timedOut` is then true. */
  timeoutMs?: number;
  /** The script to run instead of bin/todo-deploy.js (tests of this helper). */
  entry?: string;
  /** Called with the running CLI process, e.g. to send it SIGINT mid-run. */
  onSpawn?: (child: ChildProcess) => void;
}

export interface CliResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export function runCli(args: string[], options: RunCliOptions): Promise<CliResult> {
  const env: Record<string, string> = { ...options.sim.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [options.entry ?? cliEntry, ...args], {
      cwd: options.cwd,
      env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 20_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolvePromise({ exitCode, signal, stdout, stderr, timedOut });
    });
    if (options.input !== undefined) {
      // The CLI may exit without reading its stdin (EPIPE): that is its business, not an error.
      child.stdin!.on('error', () => {});
      child.stdin!.end(options.input);
    }
  });
}
