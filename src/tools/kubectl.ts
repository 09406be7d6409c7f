import { parseVersion, type Version } from './version.js';

// --client: the version of the binary only, without asking whatever cluster is current.
export const kubectlVersionArgs = ['version', '--client', '-o', 'json'];

export function parseKubectlVersion(stdout: string): Version | undefined {
  try {
    return parseVersion((JSON.parse(stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion);
  } catch {
    return undefined;
  }
}

export const getContextsArgs = ['config', 'get-contexts', '-o', 'name'];

export function parseContexts(stdout: string): string[] {
  return stdout.split('\n').map((line) => line.trim()).filter(Boolean);
}
