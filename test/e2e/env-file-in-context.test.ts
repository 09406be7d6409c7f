import { readFileSync } from 'node:fs';
import { assetPath } from '../../src/assets.js';
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

describe('env files and keys in a build context of your own', () => {
  it('up warns, naming them, the context and where to exclude them', async () => {
    const { app, up } = await scenario();
    // The user's own Dockerfile, with no ignore file beside it or in the context.
    app.write('backend/Dockerfile', readFileSync(assetPath.dockerfile('backend'), 'utf8'));
    app.write('todo-deploy.yaml', readFileSync(join(app.dir, 'todo-deploy.yaml'), 'utf8').replace('backend:\n', 'backend:\n  dockerfile: backend/Dockerfile\n'));
    app.write('backend/app/conf/.env', 'DEBUG=1\n');
    app.write('backend/certs/server.key', 'KEY\n');
    app.write('backend/.env.example', 'DEBUG=\n');
    const result = await up();
    expect(result.exitCode, result.stderr).toBe(0);
    const context = join(app.dir, 'backend');
    expect(result.stderr).toContain(
      `warning: app/conf/.env, certs/server.key in the backend's build context (${context}) are excluded by no .dockerignore, so its image holds them. If they hold secrets, exclude them: add **/.env, **/.env.* and **/*.key (or their names) to ${context}/.dockerignore.`,
    );
    expect(result.stderr).not.toContain("frontend's build context");
  });
});
