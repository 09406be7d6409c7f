// The docker client the engine tier drives its daemon with. Debian's 20.10 client
// (/usr/bin/docker, from docker.io) builds with BuildKit only when DOCKER_BUILDKIT=1; a newer
// client needs the buildx plugin (ENGINE_DOCKER_CONFIG: a config folder whose cli-plugins/
// holds docker-buildx), else it falls back to the legacy builder, which cannot build the
// shipped Dockerfiles (`RUN --mount`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface Docker {
  /** The client binary. */
  readonly path: string;
  /** What a build call needs besides DOCKER_HOST (DOCKER_BUILDKIT or DOCKER_CONFIG). */
  readonly env: Record<string, string>;
  readonly host: string;
  run(args: readonly string[], options?: { input?: string | Buffer; env?: Record<string, string>; allowFailure?: boolean; timeoutMs?: number; stdout?: 'keep' | 'discard' }): Promise<RunResult>;
}

export function dockerClient(host: string): Docker {
  const config = process.env.ENGINE_DOCKER_CONFIG;
  const path = process.env.ENGINE_DOCKER ?? (config ? 'docker' : '/usr/bin/docker');
  if (config && !existsSync(join(config, 'cli-plugins', 'docker-buildx'))) throw new Error(`ENGINE_DOCKER_CONFIG=${config} has no cli-plugins/docker-buildx`);
  const env: Record<string, string> = config ? { DOCKER_CONFIG: config } : { DOCKER_BUILDKIT: '1' };
  return {
    path,
    env,
    host,
    run(args, options = {}) {
      return run(path, args, { ...options, env: { DOCKER_HOST: host, ...env, ...options.env } });
    },
  };
}

/** Runs a command (argv, no shell); rejects on a non-zero exit unless allowFailure. */
export function run(
  command: string,
  args: readonly string[],
  options: { input?: string | Buffer; env?: Record<string, string>; allowFailure?: boolean; timeoutMs?: number; stdout?: 'keep' | 'discard'; cwd?: string } = {},
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? '/root', ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => {
      if (options.stdout !== 'discard') out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGINT'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const result = { exitCode: code ?? (signal ? 128 : -1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), durationMs: Date.now() - started };
      if (result.exitCode !== 0 && !options.allowFailure) {
        const tail = result.stderr.trimEnd().split('\n').slice(-25).join('\n');
        reject(new Error(`${command} ${args.join(' ')} exited ${result.exitCode}${signal ? ` (${signal})` : ''}:\n${tail}`));
      } else resolve(result);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
