import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { tempDir } from '../support/temp.js';

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const out = new PassThrough();
  const err = new PassThrough();
  out.on('data', (c) => (stdout += String(c)));
  err.on('data', (c) => (stderr += String(c)));
  const exitCode = await main(args, { stdout: out as never, stderr: err as never, env: { PATH: tempDir('empty-') }, cwd: tmpdir() });
  return { exitCode, stdout, stderr };
}

describe('CLI entry', () => {
  it('prints help with examples and exits 0', async () => {
    const { exitCode, stdout } = await cli(['--help']);
    expect(exitCode).toBe(0);
    expect(stdout).toContain('Usage: todo-deploy');
    expect(stdout).toContain('Examples:');
    expect(stdout).toContain('doctor');
  });

  it('prints the package version', async () => {
    const { exitCode, stdout } = await cli(['--version']);
    expect(exitCode).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([
    [['deploy-everything']],
    [['doctor', '--no-such-flag']],
    [['--namespace']],
  ])('exits 2 on invalid usage %j', async (args) => {
    const { exitCode, stderr } = await cli(args);
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/error: /);
  });

  it('exits 2 with a clear error when --app-dir is not a directory', async () => {
    const { exitCode, stderr } = await cli(['doctor', '--app-dir', '/nonexistent/app']);
    expect(exitCode).toBe(2);
    expect(stderr).toContain('--app-dir /nonexistent/app is not a directory.');
  });

  it('exits 2 with a JSON error document for an invalid flag value under --json', async () => {
    const { exitCode, stdout } = await cli(['doctor', '--json', '--app-dir', '/nonexistent/app']);
    expect(exitCode).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ command: 'doctor', ok: false, error: { kind: 'usage' } });
  });
});
