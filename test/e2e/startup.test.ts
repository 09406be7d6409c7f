// What --help and --version load: commander and the CLI's declarations, nothing of what the
// commands need (prompts, spinners, colour, YAML, .env parsing, execa). Structure only; the time
// it takes is measured by `npm run bench`.
//
// dist/ is a bundle in chunks (see the build script): each chunk names the source file of every
// module in it with a `// path` comment at the module's start, which is what these tests read.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEntry, repoRoot } from '../sim/run-cli.js';

/** The exit code of `todo-deploy ...args` and the source modules in the chunks of dist/ it loaded. */
function run(args: string[]): { status: number | null; sources: string[] } {
  const result = spawnSync(process.execPath, ['--import', join(repoRoot, 'test', 'support', 'loaded-modules.mjs'), cliEntry, ...args], { encoding: 'utf8' });
  const chunks = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('loaded ') && line.includes('/dist/'))
    .map((line) => fileURLToPath(line.slice('loaded '.length)));
  const sources = chunks.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/^\/\/ (\S+\.[cm]?[jt]s)$/gm)].map((m) => m[1]!));
  return { status: result.status, sources };
}

const heavy = /node_modules\/(ora|@inquirer|chalk|yaml|dotenv|execa|@balena)\/|^src\/(commands|phases|context)\b/;

describe('start-up', () => {
  it.each([['--help'], ['--version'], ['up', '--help']])('todo-deploy %s loads no command module and no heavy package', (...args) => {
    const { status, sources } = run(args);
    expect(status).toBe(0);
    // The chunks do name their modules: the CLI's declarations and commander are there.
    expect(sources).toContain('src/cli.ts');
    expect(sources.some((source) => source.includes('node_modules/commander/'))).toBe(true);
    expect(sources.filter((source) => heavy.test(source))).toEqual([]);
  });

  it('a command loads what it runs: the same reading sees the context and execa', () => {
    const { status, sources } = run(['--app-dir', join(repoRoot, 'no-such-folder'), 'doctor']);
    expect(status).toBe(2);
    expect(sources).toContain('src/context.ts');
    expect(sources.some((source) => source.includes('node_modules/execa/'))).toBe(true);
  });
});
