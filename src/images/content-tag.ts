// Image tags derived from what goes into the build — the files of the build context that the
// dockerignore lets through, the Dockerfile and the build arguments — so an unchanged service
// is never rebuilt and a changed one always gets a new tag (and so always rolls out).
import { createHash } from 'node:crypto';
import { readFile, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
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
  /** The dockerignore in effect, if any. */
  ignoreFile?: string;
}

/**
 * Files that hold secrets by their names — env files, private keys — at any depth: the shipped
 * Dockerfiles' ignore files exclude these (a test holds them to it); in a context of the user's
 * own they are what would put a secret into an image.
 */
export const SECRET_FILE_PATTERNS = ['**/.env', '**/.env.*', '!**/.env.example', '**/*.pem', '**/*.key', '**/*.p12', '**/*.pfx', '**/id_rsa*', '**/id_dsa*', '**/id_ecdsa*', '**/id_ed25519*'];

/** The files of a digested context that look like secrets: they reach the build, so the image may hold them. */
export async function secretLookingFiles(digest: ContextDigest): Promise<string[]> {
  const matcher = (await loadDockerignore())({ ignorecase: false }).add(SECRET_FILE_PATTERNS);
  return digest.files.filter((file) => matcher.ignores(file));
}

/** Reads the Dockerfile and the build context: the slow part of a tag, and it needs nothing but the files, so it can start first. */
export async function digestContext(input: BuildInput): Promise<ContextDigest> {
  const [dockerfile, { file: ignoreFile, patterns }, createIgnore] = await Promise.all([readFile(input.dockerfile), ignoreFileOf(input), loadDockerignore()]);
  const ignore = createIgnore({ ignorecase: false }).add(patterns);
  // With an exception (`!pattern`) an excluded folder may still contribute files, so only
  // without exceptions can a whole excluded folder (node_modules, .venv) be skipped unread.
  const canPrune = !patterns.some((pattern) => pattern.trim().startsWith('!'));
  const entries = await contextEntries(input.context, ignore, canPrune);
  return { dockerfile, entries, files: entries.map((entry) => entry.slice(0, entry.indexOf('\0'))), ...(ignoreFile && { ignoreFile }) };
}

/** The tag of a digested context built with these build arguments. */
export function tagOf(digest: ContextDigest, buildArgs: Record<string, string>, platform?: string): string {
  const hash = createHash('sha256');
  hash.update(digest.dockerfile).update('\0');
  // An image built for another platform is another image (the cluster target's --platform).
  if (platform) hash.update(`--platform=${platform}\0`);
  for (const [key, value] of Object.entries(buildArgs).sort(([a], [b]) => a.localeCompare(b))) hash.update(`${key}=${value}\0`);
  for (const entry of digest.entries) hash.update(entry);
  return hash.digest('hex').slice(0, TAG_LENGTH);
}

/**
 * Whether `docker build` would send this file's content with the context: it is inside the
 * context folder and the dockerignore in effect lets it through. Returns that dockerignore too.
 * Real paths are compared: a `.env` that links to `frontend/secrets.env` is sent as that file
 * (and a link inside the context to a file outside it is sent as a link, not the content).
 */
export async function reachesBuild(input: BuildInput, file: string): Promise<{ reaches: boolean; ignoreFile?: string }> {
  const real = (path: string) => realpath(path).catch(() => path);
  const rel = relative(await real(input.context), await real(file));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return { reaches: false };
  const [{ file: ignoreFile, patterns }, createIgnore] = await Promise.all([ignoreFileOf(input), loadDockerignore()]);
  const ignored = createIgnore({ ignorecase: false }).add(patterns).ignores(rel.split(sep).join('/'));
  return { reaches: !ignored, ...(ignoreFile && { ignoreFile }) };
}

/** BuildKit prefers `<Dockerfile>.dockerignore` beside the Dockerfile over the context's `.dockerignore`. */
async function ignoreFileOf(input: BuildInput): Promise<{ file?: string; patterns: string[] }> {
  for (const file of [`${input.dockerfile}.dockerignore`, join(input.context, '.dockerignore')]) {
    try {
      return { file, patterns: (await readFile(file, 'utf8')).split(/\r?\n/).filter((line) => line.trim() && !line.trim().startsWith('#')) };
    } catch {
      // Not there: try the next one.
    }
  }
  return { patterns: [] };
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
