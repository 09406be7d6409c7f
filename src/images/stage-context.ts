// `minikube image build` sends its context folder to the node and looks for the Dockerfile
// inside it, but the shipped Dockerfiles live in this package, outside the app's folders. So
// that build gets a staged copy of its context: the files the dockerignore lets through (those
// the content tag was computed from), with the Dockerfile beside them.
import { copyFile, lstat, mkdir, mkdtemp, readlink, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The Dockerfile's name in a staged context. */
export const STAGED_DOCKERFILE = 'Dockerfile.todo-deploy';

export interface StagedContext {
  dir: string;
  remove(): Promise<void>;
}

export async function stageContext(context: string, files: readonly string[], dockerfile: string): Promise<StagedContext> {
  const dir = await mkdtemp(join(tmpdir(), 'todo-deploy-context-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    // One file at a time: a context may hold thousands, more than a process may have open.
    for (const file of files) {
      const from = join(context, file);
      const to = join(dir, file);
      await mkdir(dirname(to), { recursive: true });
      if ((await lstat(from)).isSymbolicLink()) await symlink(await readlink(from), to);
      else await copyFile(from, to);
    }
    await copyFile(dockerfile, join(dir, STAGED_DOCKERFILE));
  } catch (error) {
    await remove();
    throw error;
  }
  return { dir, remove };
}
