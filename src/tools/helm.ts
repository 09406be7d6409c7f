import { parseVersion, type Version } from './version.js';

// Both majors print "v3.17.2" / "v4.1.4" for this template.
export const helmVersionArgs = ['version', '--template', '{{.Version}}'];

export function parseHelmVersion(stdout: string): Version | undefined {
  return parseVersion(stdout);
}
