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

export interface BuildOptions {
  ref: string;
  dockerfile: string;
  context: string;
  /** Never a secret: build arguments persist in the image's history. */
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
}

export function dockerBuildArgs(o: BuildOptions): string[] {
  return [
    'build',
    '--tag', o.ref,
    '--file', o.dockerfile,
    ...Object.entries(o.buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]),
    ...Object.entries(o.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    o.context,
  ];
}

export const imageInspectArgs = (ref: string) => ['image', 'inspect', '--format', '{{.Id}}', ref];
