// The structure the redesign promised, kept: every tool is reached through its adapter, and
// the modules of src/ import each other without a cycle (type-only imports included, as
// `madge --circular` counts them).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../sim/run-cli.js';

const src = join(repoRoot, 'src');
const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(src, f));
const text = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));

/** The src/ modules a file imports (or re-exports from), resolved to their .ts paths. */
function importsOf(file: string): string[] {
  const specs = [...text.get(file)!.matchAll(/^(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) => m[1]!);
  return specs.map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts')).filter((f) => text.has(f));
}

/** Every cycle's path, found by depth-first search (each cycle once per module it is entered from). */
function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      found.push([...path.slice(path.indexOf(file)), file].map((f) => relative(src, f)));
      return;
    }
    state.set(file, 'open');
    for (const next of importsOf(file)) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  return found;
}

describe('the structure of src/', () => {
  it('reaches docker, git, helm, kubectl and minikube only through src/adapters', () => {
    const outside = files.filter((f) => !f.startsWith(join(src, 'adapters')) && /\bexec\(\{\s*tool\b/.test(text.get(f)!));
    expect(outside.map((f) => relative(src, f))).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles()).toEqual([]);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    const a = join(src, '__a.ts');
    const b = join(src, '__b.ts');
    text.set(a, "import { b } from './__b.js';\n");
    text.set(b, "import type { a } from './__a.js';\n");
    files.push(a, b);
    try {
      expect(cycles()).toContainEqual(['__a.ts', '__b.ts', '__a.ts']);
    } finally {
      files.splice(files.indexOf(a), 2);
      text.delete(a);
      text.delete(b);
    }
  });
});
