// Temp folders of the tests' own (helm and kubectl homes, values files), removed once the test
// file that made them is done — not left behind in /tmp by every run. (A process exit hook does
// not do: vitest ends its workers without one.) This module is imported afresh for each test
// file, while its tests are collected: the hook below is that file's; a folder made later, in a
// test, goes with it too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
// Not under vitest (npm run record:helm, record:kubectl), the folders are left to the system.
if (process.env.VITEST) {
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
