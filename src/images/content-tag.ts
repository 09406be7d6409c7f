// Image tags derived from what goes into the build — the files of the build context that the
// dockerignore lets through, the Dockerfile and the build arguments — so an unchanged service
// is never rebuilt and a changed one always gets a new tag (and so always rolls out).
import { createHash } from 'node:crypto';
import { readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type dockerignore from '@balena/dockerignore';

/** A build: its context folder and its Dockerfile. */
export interface BuildInput {
  context: string;
  dockerfile: string;
}

const TAG_LENGTH = 12;

/** The Dockerfile and one digest line per file of the context that reaches the build. */
export interface ContextDigest {
  dockerfile: Buffer;
  entries: string[];
  /** The paths, relative to the context, of the files and links that reach the build. */
  files: string[];
}

/** Reads the Dockerfile and the build context: the slow part of a tag, and it needs nothing but the files, so it can start first. */
export async function digestContext(input: BuildInput): Promise<ContextDigest> {
  const [dockerfile, patterns, createIgnore] = await Promise.all([readFile(input.dockerfile), ignorePatterns(input), loadDockerignore()]);
  const ignore = createIgnore({ ignorecase: false }).add(patterns);
  // With an exception (`!pattern`) an excluded folder may still contribute files, so only
  // without exceptions can a whole excluded folder (node_modules, .venv) be skipped unread.
  const canPrune = !patterns.some((pattern) => pattern.trim().startsWith('!'));
  const entries = await contextEntries(input.context, ignore, canPrune);
  return { dockerfile, entries, files: entries.map((entry) => entry.slice(0, entry.indexOf('\0'))) };
}

/** The tag of a digested context built with these build arguments. */
export function tagOf(digest: ContextDigest, buildArgs: Record<string, string>): string {
  const hash = createHash('sha256');
  hash.update(digest.dockerfile).update('\0');
  for (const [key, value] of Object.entries(buildArgs).sort(([a], [b]) => a.localeCompare(b))) hash.update(`${key}=${value}\0`);
  for (const entry of digest.entries) hash.update(entry);
  return hash.digest('hex').slice(0, TAG_LENGTH);
}

/** Whether the dockerignore that applies to this build keeps a path (relative to the context, `/`-separated) out of it. */
export async function excludedFromContext(input: BuildInput, path: string): Promise<boolean> {
  const [patterns, createIgnore] = await Promise.all([ignorePatterns(input), loadDockerignore()]);
  return createIgnore({ ignorecase: false }).add(patterns).ignores(path);
}

/** BuildKit prefers `<Dockerfile>.dockerignore` beside the Dockerfile over the context's `.dockerignore`. */
async function ignorePatterns(input: BuildInput): Promise<string[]> {
  for (const file of [`${input.dockerfile}.dockerignore`, join(input.context, '.dockerignore')]) {
    try {
      return (await readFile(file, 'utf8')).split(/\r?\n/).filter((line) => line.trim() && !line.trim().startsWith('#'));
    } catch {
      // Not there: try the next one.
    }
  }
  return [];
}

// Loaded on first use: `up` needs it only once the cluster runs, and nothing else needs it at all.
async function loadDockerignore() {
  // The package's types declare an ES default export, but it is CommonJS `module.exports = factory`.
  return (await import('@balena/dockerignore')).default as unknown as typeof dockerignore.default;
}

type Ignore = ReturnType<Awaited<ReturnType<typeof loadDockerignore>>>;

/** One digest line per file or link that reaches the build, in a stable order. */
async function contextEntries(context: string, ignore: Ignore, canPrune: boolean): Promise<string[]> {
  const entries: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const children = await readdir(dir, { withFileTypes: true });
    await Promise.all(
      children.map(async (child) => {
        const path = join(dir, child.name);
        const rel = relative(context, path).split(sep).join('/');
        const ignored = ignore.ignores(rel);
        if (child.isDirectory()) {
          if (!(ignored && canPrune)) await walk(path);
        } else if (!ignored && child.isSymbolicLink()) {
          entries.push(`${rel}\0link\0${await readlink(path)}\0`);
        } else if (!ignored && child.isFile()) {
          const [content, info] = await Promise.all([readFile(path), stat(path)]);
          const digest = createHash('sha256').update(content).digest('hex');
          entries.push(`${rel}\0${info.mode & 0o111 ? 'x' : '-'}\0${digest}\0`);
        }
      }),
    );
  };
  await walk(context);
  return entries.sort();
}
