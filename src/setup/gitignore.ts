// Keeping .env out of git. git itself answers best (global excludes, nested .gitignore files,
// negations); without git, or outside a repository, the folder's own .gitignore is read.
import { basename, dirname } from 'node:path';
import { PrereqError } from '../errors.js';
import type { Exec } from '../tools/exec.js';

/** true or false when git can tell; undefined when git is absent or the folder is no repository. */
export async function gitIgnores(exec: Exec, file: string): Promise<boolean | undefined> {
  try {
    // --no-index: a tracked .env is judged by the rules too (tracked files are otherwise never "ignored").
    const result = await exec({ tool: 'git', args: ['check-ignore', '-q', '--no-index', '--', basename(file)], cwd: dirname(file), allowFailure: true, timeoutMs: 10_000 });
    if (result.exitCode === 0) return true;
    if (result.exitCode === 1) return false;
    return undefined;
  } catch (error) {
    if (error instanceof PrereqError) return undefined;
    throw error;
  }
}

/** Whether a .gitignore in the file's own folder ignores `name` (a plain file name). */
export function gitignoreCovers(text: string, name: string): boolean {
  let ignored = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const pattern = (negated ? line.slice(1) : line).replace(/^(\*\*\/|\/)/, '');
    // Patterns with a slash inside or a trailing one (directories only) cannot name this file.
    if (pattern.includes('/')) continue;
    if (globToRegExp(pattern).test(name)) ignored = !negated;
  }
  return ignored;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** The .gitignore text with `name` appended on a line of its own. */
export function appendToGitignore(text: string, name: string): string {
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${separator}# Secrets (added by todo-deploy setup)\n${name}\n`;
}
