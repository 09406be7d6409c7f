// The git calls the product makes, on the exec seam; git is optional: absent, it answers "no".
import { basename, dirname } from 'node:path';
import { PrereqError } from '../errors.js';
import type { Exec } from '../tools/exec.js';

export type Git = ReturnType<typeof gitAdapter>;

export function gitAdapter(exec: Exec) {
  /** The call's result when git ran; undefined when git is absent. */
  const git = async (args: string[], cwd: string) => {
    try {
      return await exec({ tool: 'git', args, cwd, allowFailure: true, timeoutMs: 10_000 });
    } catch (error) {
      if (error instanceof PrereqError) return undefined;
      throw error;
    }
  };
  return {
    /** Whether git tracks the file; false when git is absent or the folder is no repository. */
    isTracked: async (file: string): Promise<boolean> => (await git(['ls-files', '--error-unmatch', '--', file], dirname(file)))?.exitCode === 0,

    /** The top folder of the git checkout holding `dir`; undefined when git is absent or `dir` is in no repository. */
    async topLevel(dir: string): Promise<string | undefined> {
      const result = await git(['rev-parse', '--show-toplevel'], dir);
      return result?.exitCode === 0 && result.stdout.trim() ? result.stdout.trim() : undefined;
    },

    /** true or false when git can tell whether it ignores the file; undefined when git is absent or the folder is no repository. */
    async ignores(file: string): Promise<boolean | undefined> {
      // --no-index: a tracked file is judged by the rules too (tracked files are otherwise never "ignored").
      const result = await git(['check-ignore', '-q', '--no-index', '--', basename(file)], dirname(file));
      return result?.exitCode === 0 ? true : result?.exitCode === 1 ? false : undefined;
    },
  };
}
