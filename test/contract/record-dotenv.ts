// Re-records what python-dotenv and docker compose's dotenv (compose-go) read from .env lines,
// each tricky value written in each quoting:
//   npm run record:dotenv
// Needs python3 (python-dotenv comes from PyPI into a throwaway venv) and go (compose-go comes
// through the Go module proxy into a throwaway module). Both run with HOME=/home/user and no
// other variable a value names, so an expanded variable shows.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { quotings, readingsPath, type Readings } from './dotenv/readings.js';
import { trickyValues } from './dotenv/values.js';

const PYTHON_DOTENV = '1.2.4';
// v2.17 needs a newer Go than this machine's 1.26.8.
const COMPOSE_GO = 'v2.16.2';

const here = join(import.meta.dirname, 'dotenv');
const work = mkdtempSync(join(tmpdir(), 'record-dotenv-'));
const env = { PATH: process.env.PATH!, HOME: '/home/user', GOPATH: process.env.GOPATH ?? join(process.env.HOME!, 'go'), GOCACHE: join(work, 'gocache'), GOFLAGS: '-mod=mod' };

function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', env, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
  return result.stdout as string;
}

try {
  const texts = trickyValues.flatMap((value) => Object.values(quotings).map((quote) => `KEY=${quote(value)}\n`));

  run('python3', ['-m', 'venv', join(work, 'venv')]);
  run(join(work, 'venv', 'bin', 'pip'), ['install', '--quiet', `python-dotenv==${PYTHON_DOTENV}`]);
  const python = JSON.parse(run(join(work, 'venv', 'bin', 'python'), [join(here, 'read-python.py')], { input: JSON.stringify(texts) })) as { version: string; values: Array<string | null> };

  const module = join(work, 'compose');
  mkdirSync(module);
  copyFileSync(join(here, 'read-compose.go'), join(module, 'main.go'));
  run('go', ['mod', 'init', 'readcompose'], { cwd: module });
  run('go', ['get', `github.com/compose-spec/compose-go/v2@${COMPOSE_GO}`], { cwd: module });
  const compose = JSON.parse(run('go', ['run', '.'], { cwd: module, input: JSON.stringify(texts) })) as Array<{ value: string | null; error?: string }>;

  let index = 0;
  const readings: Readings = {
    pythonDotenv: python.version,
    composeGo: COMPOSE_GO,
    how: 'python-dotenv: dotenv_values(stream=…), interpolation on (its default). compose-go: dotenv.ParseWithLookup(…, os.LookupEnv), as docker compose reads .env. Both with HOME=/home/user.',
    values: trickyValues.map((value) => ({
      value,
      lines: Object.values(quotings).map((quote) => {
        const line = `KEY=${quote(value)}`;
        const c = compose[index]!;
        const p = python.values[index++]!;
        return { line, python: p, compose: c.value, ...(c.error && { composeError: c.error }) };
      }),
    })),
  };
  mkdirSync(dirname(readingsPath), { recursive: true });
  writeFileSync(readingsPath, `${JSON.stringify(readings, null, 2)}\n`);
  const agreed = readings.values.filter((v) => v.lines.some((l) => l.python === v.value && l.compose === v.value)).length;
  console.log(`python-dotenv ${readings.pythonDotenv}, compose-go ${COMPOSE_GO}: ${agreed} of ${trickyValues.length} values read back the same by both in some quoting`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
