// A real tool's output, recorded by test/contract/record-*.ts from the real binary: the
// claim each simulated tool is held to by the contract tests beside this file.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Recording {
  tool: 'docker';
  /** The client's version, as it reported it. */
  client: string;
  /** The engine's version, or null when none answered. */
  server: string | null;
  note?: string;
  /** The environment the call had besides PATH and HOME (run folders as placeholders). */
  env: Record<string, string>;
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface DockerRecording extends Recording {
  /** The file name without .json: `<case>.<client>`, e.g. `inspect-mixed.docker-20.10`. */
  name: string;
}

export function loadRecordings(tool: Recording['tool']): DockerRecording[] {
  const dir = fileURLToPath(new URL(`./recorded/${tool}/`, import.meta.url));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.slice(0, -'.json'.length), ...(JSON.parse(readFileSync(`${dir}${f}`, 'utf8')) as Recording) }));
}
