// Hostile secrets in .env, through the built CLI against the simulator: a DATABASE_URL whose
// password is not percent-encoded, and values too weak to keep or to mask. What the user sees
// is asserted: the exit code, a message naming key, line and fix, and no piece of the password.
import { describe, expect, it } from 'vitest';
import { secrets } from './app-fixture.js';
import { assertSafe, useDeployed, useScenarios } from './up-fixture.js';

const scenario = useScenarios();
const deployed = useDeployed();

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

describe('a secret too weak to keep, or to mask', () => {
  it('up refuses a short database password (exit 2) by key and line, says how to make a strong one, and changes nothing', async () => {
    const { sim, app, up } = await scenario();
    app.write('.env', envWith({ DATABASE_URL: 'postgresql://todo:todo@db.example.internal:5432/todo' }));
    const result = await up();
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('.env:2: DATABASE_URL has a weak password: it is shorter than 8 characters.');
    expect(result.stderr).toContain('`openssl rand -hex 24`');
    // The word the password is made of is no secret to mask: the message stays readable.
    expect(result.stderr).not.toContain('••••••');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it.each([
    ['a common password', 'postgresql://todo:postgres@db.example.internal:5432/todo', 'DATABASE_URL has a weak password: it is a common password.'],
    ['the user name as password', 'postgresql://todo_owner:todo_owner@db.example.internal:5432/todo', 'DATABASE_URL has a weak password: it is the user name.'],
  ])('doctor refuses %s', async (_, url, expected) => {
    const { app, cli } = await scenario({ minikube: 'running' });
    app.write('.env', envWith({ DATABASE_URL: url }));
    const result = await cli(['doctor']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain(`.env:2: ${expected}`);
  });

  it('doctor refuses a low-variety BETTER_AUTH_SECRET and says how to generate one', async () => {
    const { app, cli } = await scenario({ minikube: 'running' });
    app.write('.env', envWith({ BETTER_AUTH_SECRET: 'abcd'.repeat(10) }));
    const result = await cli(['doctor']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain('.env:1: BETTER_AUTH_SECRET is too easy to guess: it uses fewer than 5 different characters; generate one with `openssl rand -base64 32`');
  });

  it('status and status --json are not corrupted by a short password in .env: nothing masks "todo"', async () => {
    const { app, cli } = await deployed();
    app.write('.env', envWith({ DATABASE_URL: 'postgresql://todo:todo@db.example.internal:5432/todo' }));
    const result = await cli(['status']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('context minikube, namespace todo');
    // The weak value is not masked, and the user is told so.
    expect(result.stderr).toMatch(/\.env has 1 problem that `todo-deploy up` refuses .*a weak secret among them is not masked in this output/);
    expect(result.stdout).toMatch(/image {7}todo-backend:[0-9a-f]{12}/);
    expect(result.stdout + result.stderr).not.toContain('••••••');
    const json = await cli(['status', '--json']);
    expect(json.exitCode).toBe(0);
    const doc = JSON.parse(json.stdout) as { cluster: { namespace: string }; services: Record<string, { release: { image: string } }> };
    expect(doc.cluster.namespace).toBe('todo');
    expect(doc.services.backend!.release.image).toMatch(/^todo-backend:[0-9a-f]{12}$/);
    expect(json.stdout).not.toContain('••••••');
  });
});
