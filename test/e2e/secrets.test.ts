// Hostile secrets in .env, through the built CLI against the simulator: a DATABASE_URL whose
// password is not percent-encoded. What the user sees is asserted: the exit code, a message naming key, line and fix, and no piece of the password.
import { describe, expect, it } from 'vitest';
import { secrets } from './app-fixture.js';
import { assertSafe, useScenarios } from './up-fixture.js';

const scenario = useScenarios();

const envWith = (overrides: Partial<typeof secrets>) =>
  Object.entries({ ...secrets, ...overrides })
    .map(([key, value]) => `${key}=${value}`)
    .join('\n') + '\n';

const ENCODE = '@ → %40, # → %23, / → %2F, ? → %3F, : → %3A, % → %25';

describe('a DATABASE_URL password with characters a URL cannot hold', () => {
  it.each([
    ['p@ss/LEAKY9', 'postgresql://todo:p@ss/LEAKY9@db.example.internal:5432/todo', `Percent-encode them in the user name and password: ${ENCODE}`],
    ['p@ssLEAKY9#x', 'postgresql://todo:p@ssLEAKY9#x@db.example.internal:5432/todo', 'has a # in its value, which .env reads as the start of a comment'],
    ['pa#xLEAKY9 (quoted)', "'postgresql://todo:pa#xLEAKY9@db.example.internal:5432/todo'", `Percent-encode them in the user name and password: ${ENCODE}`],
    ['pa/xLEAKY9', 'postgresql://todo:pa/xLEAKY9@db.example.internal:5432/todo', `Percent-encode them in the user name and password: ${ENCODE}`],
    ['pa?xLEAKY9', 'postgresql://todo:pa?xLEAKY9@db.example.internal:5432/todo', `Percent-encode them in the user name and password: ${ENCODE}`],
  ])('%s: doctor --json exits 2 naming key, line and fix, and prints no piece of it', async (_, url, fix) => {
    const { sim, app, cli } = await scenario({ minikube: 'running' });
    app.write('.env', envWith({ DATABASE_URL: url }));
    const result = await cli(['doctor', '--json']);
    expect(result.exitCode).toBe(2);
    const report = JSON.parse(result.stdout) as { checks: Array<{ id: string; problems?: string[] }> };
    const problems = report.checks.find((c) => c.id === 'env')!.problems!;
    expect(problems).toEqual([expect.stringMatching(/\.env:2: DATABASE_URL /)]);
    expect(problems[0]).toContain(fix);
    const printed = (result.stdout + result.stderr).toLowerCase();
    for (const piece of ['leaky9', 'p@ss', 'ss/', 'pa#x', 'pa/x', 'pa?x']) expect(printed).not.toContain(piece);
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('percent-encoded, up accepts it and the encoded password reaches no argv or output', async () => {
    const { sim, app, up } = await scenario();
    app.write('.env', envWith({ DATABASE_URL: 'postgresql://todo:p%40ss%2FLEAKY9-Vq8r@db.example.internal:5432/todo' }));
    const result = await up();
    expect(result.exitCode, result.stderr).toBe(0);
    assertSafe(sim, result.stdout + result.stderr);
    for (const call of sim.calls()) expect(call.argv.join(' ')).not.toContain('LEAKY9');
    expect((result.stdout + result.stderr).toLowerCase()).not.toContain('leaky9');
  });
});
