// What --help and --version load: commander and the CLI's declarations, nothing of what the
// commands need (prompts, spinners, colour, YAML, .env parsing). Structure only; the time it
// takes is measured by `npm run bench`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEntry, repoRoot } from '../sim/run-cli.js';

function loaded(args: string[]): string[] {
  const result = spawnSync(process.execPath, ['--import', join(repoRoot, 'test', 'support', 'loaded-modules.mjs'), cliEntry, ...args], { encoding: 'utf8' });
  expect(result.status).toBe(0);
  return result.stderr.split('\n').filter((line) => line.startsWith('loaded ')).map((line) => line.slice('loaded '.length));
}

describe('start-up', () => {
  it.each([['--help'], ['--version'], ['up', '--help']])('todo-deploy %s loads no command module and no heavy package', (...args) => {
    const urls = loaded(args);
    expect(urls.some((url) => url.endsWith('/dist/cli.js'))).toBe(true);
    const heavy = urls.filter((url) => /node_modules\/(ora|@inquirer|chalk|yaml|dotenv|@balena)\/|\/dist\/(commands|phases|context)\b/.test(url));
    expect(heavy).toEqual([]);
  });
});
