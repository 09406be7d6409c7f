import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useScenarios } from './up-fixture.js';

const scenario = useScenarios();

// An env file that `docker build` would send with a build context ends up in the image
// (`COPY . /app`): it is refused before anything runs.
describe('an --env-file inside a build context', () => {
  it('up refuses it with exit 2, naming the file and the context and how to fix it; nothing runs', async () => {
    const { sim, app, up } = await scenario();
    app.write('frontend/secrets.env', readFileSync(join(app.dir, '.env'), 'utf8'));
    const result = await up(['--env-file', 'frontend/secrets.env']);
    expect(result.exitCode).toBe(2);
    const file = join(app.dir, 'frontend', 'secrets.env');
    expect(result.stderr).toContain(`${file} is inside the frontend's build context (${join(app.dir, 'frontend')})`);
    expect(result.stderr).toContain('docker build would copy it into the image');
    expect(result.stderr).toContain(`Move it out of ${join(app.dir, 'frontend')}, or use the default .env at the app's root (${join(app.dir, '.env')})`);
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('doctor reports it under .env and exits 2', async () => {
    const { app, cli } = await scenario({ minikube: 'running' });
    app.write('frontend/secrets.env', readFileSync(join(app.dir, '.env'), 'utf8'));
    const result = await cli(['doctor', '--env-file', 'frontend/secrets.env']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toMatch(/^FAIL {2}\.env +/m);
    expect(result.stdout).toContain(`${join(app.dir, 'frontend', 'secrets.env')} is inside the frontend's build context`);
  });

  it("is accepted where the Dockerfile's ignore file keeps it out of the context (a nested .env)", async () => {
    const { app, cli } = await scenario({ minikube: 'running' });
    app.write('backend/app/conf/.env', readFileSync(join(app.dir, '.env'), 'utf8'));
    const result = await cli(['doctor', '--env-file', 'backend/app/conf/.env']);
    expect(result.stdout).toMatch(/^(ok|warn) +\.env +/m);
    expect(result.stdout).not.toContain('build context');
  });
});
