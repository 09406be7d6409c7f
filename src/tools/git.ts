import { dirname } from 'node:path';
import { PrereqError } from '../errors.js';
import type { Exec } from './exec.js';

/** Whether git tracks the file; false when git is absent or the folder is no repository. */
export async function isTrackedByGit(exec: Exec, file: string): Promise<boolean> {
  try {
    const result = await exec({ tool: 'git', args: ['ls-files', '--error-unmatch', '--', file], cwd: dirname(file), allowFailure: true, timeoutMs: 10_000 });
    return result.exitCode === 0;
  } catch (error) {
    if (error instanceof PrereqError) return false;
    throw error;
  }
}

/** The top folder of the git checkout holding `dir`; undefined when git is absent or `dir` is in no repository. */
export async function gitTopLevel(exec: Exec, dir: string): Promise<string | undefined> {
  try {
    const result = await exec({ tool: 'git', args: ['rev-parse', '--show-toplevel'], cwd: dir, allowFailure: true, timeoutMs: 10_000 });
    return result.exitCode === 0 && result.stdout.trim() ? result.stdout.trim() : undefined;
  } catch (error) {
    if (error instanceof PrereqError) return undefined;
    throw error;
  }
}
