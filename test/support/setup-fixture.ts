// An app checkout to run `setup` in, and a Context for it whose output is captured and whose
// PATH holds only what the test puts there (git, when a test wants it), never a real cluster tool.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createContext, type Context } from '../../src/context.js';
import type { Prompter } from '../../src/ui/prompts.js';
import { tempDir } from './temp.js';

export function makeApp(options: { git?: boolean; frontend?: string; backend?: string } = {}): string {
  const appDir = tempDir('todo-app-');
  const frontend = join(appDir, options.frontend ?? 'frontend');
  const backend = join(appDir, options.backend ?? 'backend');
  mkdirSync(frontend, { recursive: true });
  mkdirSync(backend, { recursive: true });
  writeFileSync(join(frontend, 'package.json'), JSON.stringify({ name: 'todo-frontend', dependencies: { next: '15.5.0', react: '19.1.0' } }));
  writeFileSync(join(backend, 'pyproject.toml'), '[project]\nname = "todo-backend"\ndependencies = ["fastapi"]\n');
  if (options.git) execFileSync(realGit()!, ['init', '-q', appDir]);
  return appDir;
}

/** The real git, or undefined where there is none. */
export function realGit(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'git');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** A folder for PATH with nothing but the named tools in it. */
export function binDir(tools: Record<string, string | undefined> = {}): string {
  const dir = tempDir('todo-bin-');
  for (const [name, target] of Object.entries(tools)) if (target) symlinkSync(target, join(dir, name));
  return dir;
}

export interface TestContextOptions {
  appDir: string;
  interactive: boolean;
  prompts?: Prompter;
  yes?: boolean;
  namespace?: string;
  profile?: string;
  envFile?: string;
  config?: string;
  /** Tools on PATH (default: none). */
  tools?: Record<string, string | undefined>;
  stdin?: string;
  /** stdin claims to be a terminal. */
  stdinIsTTY?: boolean;
  signal?: AbortSignal;
}

export async function testContext(options: TestContextOptions): Promise<{ ctx: Context; output: () => string; stdout: () => string }> {
  let stdout = '';
  let stderr = '';
  const out = new PassThrough();
  const err = new PassThrough();
  out.on('data', (chunk) => (stdout += String(chunk)));
  err.on('data', (chunk) => (stderr += String(chunk)));
  const ctx = await createContext(
    { appDir: options.appDir, yes: options.yes, namespace: options.namespace, profile: options.profile, envFile: options.envFile, config: options.config },
    {
      cwd: options.appDir,
      env: { PATH: binDir(options.tools), HOME: options.appDir },
      stdout: out as never,
      stderr: err as never,
      stdin: Object.assign(Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]), { isTTY: options.stdinIsTTY }) as never,
      signal: options.signal ?? new AbortController().signal,
    },
  );
  const unscripted: Prompter = new Proxy({} as Prompter, {
    get: () => () => Promise.reject(new Error('a non-interactive run asked a question')),
  });
  return {
    ctx: { ...ctx, interactive: options.interactive, prompts: options.prompts ?? unscripted },
    output: () => stdout + stderr,
    stdout: () => stdout,
  };
}
