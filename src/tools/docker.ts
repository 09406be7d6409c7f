import { parseVersion, type Version } from './version.js';

// One call answers both "is the client installed" and "is the daemon reachable": with the
// daemon down the JSON still carries the client and `Server` is null (exit code non-zero).
export const dockerVersionArgs = ['version', '--format', '{{json .}}'];

export interface DockerVersion {
  client?: Version;
  server?: Version;
}

export function parseDockerVersion(stdout: string): DockerVersion {
  const json = parseJson(stdout) as { Client?: { Version?: string }; Server?: { Version?: string } | null } | undefined;
  return { client: parseVersion(json?.Client?.Version), server: parseVersion(json?.Server?.Version ?? undefined) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text.trim().split('\n')[0] ?? '');
  } catch {
    return undefined;
  }
}
