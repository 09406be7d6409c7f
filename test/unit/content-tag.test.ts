import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets.js';
import { digestContext, reachesBuild, secretLookingFiles, SECRET_FILE_PATTERNS, tagOf } from '../../src/images/content-tag.js';
import { tempDir } from '../support/temp.js';

function project(files: Record<string, string>) {
  const root = tempDir('tag-');
  const context = join(root, 'backend');
  const dockerfile = join(root, 'backend.Dockerfile');
  writeFileSync(dockerfile, 'FROM python:3.13-slim\n');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(context, path, '..'), { recursive: true });
    writeFileSync(join(context, path), content);
  }
  const tag = async (buildArgs: Record<string, string> = {}) => tagOf(await digestContext({ context, dockerfile }), buildArgs);
  return { root, context, dockerfile, tag, write: (path: string, content: string) => writeFileSync(join(context, path), content) };
}

describe('content tags (digestContext + tagOf)', () => {
  it('is stable for unchanged content and 12 hex characters long', async () => {
    const p = project({ 'main.py': 'print(1)', 'app/api.py': 'x = 1' });
    const first = await p.tag();
    expect(first).toMatch(/^[0-9a-f]{12}$/);
    expect(await p.tag()).toBe(first);
  });

  it.each([
    ['a source file changes', (p: ReturnType<typeof project>) => p.write('main.py', 'print(2)')],
    ['a file is added', (p: ReturnType<typeof project>) => p.write('new.py', '')],
    ['the Dockerfile changes', (p: ReturnType<typeof project>) => writeFileSync(p.dockerfile, 'FROM python:3.12-slim\n')],
  ])('changes when %s', async (_, change) => {
    const p = project({ 'main.py': 'print(1)' });
    const before = await p.tag();
    change(p);
    expect(await p.tag()).not.toBe(before);
  });

  it('changes with the build arguments (NEXT_PUBLIC_* are baked in at build time)', async () => {
    const p = project({ 'page.tsx': 'x' });
    expect(await p.tag({ NEXT_PUBLIC_BACKEND_URL: 'http://localhost:30001' })).not.toBe(await p.tag({ NEXT_PUBLIC_BACKEND_URL: 'http://192.168.49.2:30001' }));
  });

  it("ignores what the context's .dockerignore excludes", async () => {
    const p = project({ '.dockerignore': '.venv\n**/__pycache__\n*.log\n', 'main.py': 'x', '.venv/lib/a.py': '1', 'app/__pycache__/a.pyc': '1', 'debug.log': '1' });
    const before = await p.tag();
    p.write('.venv/lib/a.py', '2');
    p.write('app/__pycache__/a.pyc', '2');
    p.write('debug.log', '2');
    expect(await p.tag()).toBe(before);
    p.write('main.py', 'y');
    expect(await p.tag()).not.toBe(before);
  });

  it('prefers <Dockerfile>.dockerignore beside the Dockerfile, as BuildKit does', async () => {
    const p = project({ '.dockerignore': '', 'notes.md': 'a' });
    writeFileSync(`${p.dockerfile}.dockerignore`, '*.md\n');
    const before = await p.tag();
    p.write('notes.md', 'b');
    expect(await p.tag()).toBe(before);
  });

  it('honours exceptions inside an excluded folder', async () => {
    const p = project({ '.dockerignore': 'docs\n!docs/keep.md\n', 'docs/keep.md': 'a', 'docs/drop.md': 'a' });
    const before = await p.tag();
    p.write('docs/drop.md', 'b');
    expect(await p.tag()).toBe(before);
    p.write('docs/keep.md', 'b');
    expect(await p.tag()).not.toBe(before);
  });
});

describe('the shipped Dockerfiles keep secrets out of their build contexts at any depth', () => {
  const secretFiles = ['.env', 'app/conf/.env', 'app/conf/.env.local', '.env.production', 'certs/key.pem', 'certs/server.key', 'deploy/id_rsa', 'deploy/id_ed25519'];

  it.each(['frontend', 'backend'] as const)('%s: nested .env, .env.*, keys and pem files are not in the context digest, and changing them keeps the tag', async (service) => {
    const p = project({ 'main.py': 'x', 'app/conf/settings.py': 'y', '.env.example': 'KEY=', ...Object.fromEntries(secretFiles.map((f) => [f, 'SECRET=1'])) });
    const input = { context: p.context, dockerfile: assetPath.dockerfile(service) };
    const digest = await digestContext(input);
    expect(digest.files).toEqual(expect.arrayContaining(['main.py', 'app/conf/settings.py', '.env.example']));
    for (const file of secretFiles) expect(digest.files).not.toContain(file);
    const before = tagOf(digest, {});
    for (const file of secretFiles) p.write(file, 'SECRET=2');
    expect(tagOf(await digestContext(input), {})).toBe(before);
  });
});

describe('secret-looking files that reach a build', () => {
  it.each(['frontend', 'backend'] as const)("the shipped %s ignore file excludes every one of them (the names up warns about)", (service) => {
    const lines = readFileSync(`${assetPath.dockerfile(service)}.dockerignore`, 'utf8').split('\n').map((l) => l.trim());
    for (const pattern of SECRET_FILE_PATTERNS) expect(lines).toContain(pattern);
  });

  it("are found in a context whose own .dockerignore lets them through, at any depth; .env.example is none", async () => {
    const p = project({ '.dockerignore': '.env\n', '.env': 'x', 'app/.env': 'x', 'app/.env.local': 'x', '.env.example': 'x', 'certs/tls.pem': 'x', 'keys/id_ed25519': 'x', 'main.py': 'x' });
    const digest = await digestContext({ context: p.context, dockerfile: p.dockerfile });
    expect(digest.ignoreFile).toBe(join(p.context, '.dockerignore'));
    expect(await secretLookingFiles(digest)).toEqual(['app/.env', 'app/.env.local', 'certs/tls.pem', 'keys/id_ed25519']);
  });
});

describe('reachesBuild: whether a file goes to the builder with a context', () => {
  it.each([
    ['a file inside the context that the ignore file lets through', 'backend/secrets.env', true],
    ['a nested .env the ignore file excludes', 'backend/app/.env', false],
    ['a file outside the context', 'secrets.env', false],
    ['a link outside the context to a file inside it (sent as that file)', 'link-to-inside.env', true],
    ['a link inside the context to a file outside it (sent as a link)', 'backend/link-to-outside.env', false],
  ])('%s: %s', async (_, file, expected) => {
    const p = project({ '.dockerignore': '**/.env\n', 'secrets.env': 'x', 'app/.env': 'x', 'main.py': 'x' });
    writeFileSync(join(p.root, 'secrets.env'), 'x');
    writeFileSync(join(p.context, 'secrets.env'), 'x');
    symlinkSync(join(p.context, 'secrets.env'), join(p.root, 'link-to-inside.env'));
    symlinkSync(join(p.root, 'secrets.env'), join(p.context, 'link-to-outside.env'));
    // The app's folder reached through a link: real paths on both sides.
    const linkedRoot = `${p.root}-linked`;
    symlinkSync(p.root, linkedRoot);
    const input = { context: join(linkedRoot, 'backend'), dockerfile: p.dockerfile };
    expect((await reachesBuild(input, join(p.root, file))).reaches).toBe(expected);
  });
});
