export interface Version {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

/** The first x.y.z in a tool's version output (`v3.17.2`, `28.2.2`, `v1.34.5+k3s1`). */
export function parseVersion(text: string | undefined): Version | undefined {
  const match = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text ?? '');
  if (!match) return undefined;
  const [, major, minor, patch = '0'] = match;
  return { major: Number(major), minor: Number(minor), patch: Number(patch), text: `${major}.${minor}.${patch}` };
}

export function atLeast(version: Version, minimum: string): boolean {
  return compare(version, parseVersion(minimum)!) >= 0;
}

function compare(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}
