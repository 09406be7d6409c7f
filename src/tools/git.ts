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
