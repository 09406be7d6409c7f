// The preflight shared by `doctor` and the start of `up`: every problem of the app and its
// settings found at once, before anything is started, built or written.
import { rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { secrets } from './app-fixture.js';
import { assertSafe, useScenarios, type Scenario } from './up-fixture.js';

const scenario = useScenarios();

/** A checkout with every problem the preflight knows of. */
async function everythingWrong(): Promise<Scenario> {
  const s = await scenario({ minikube: 'stopped' });
  const { app } = s;
  rmSync(`${app.dir}/backend/uv.lock`);
  app.write('frontend-values.yaml', 'replicas: 3\nimage:\n  tag: 123\n');
  // The database on the user's own machine, and a quote left open.
  const env = { ...secrets, DATABASE_URL: secrets.DATABASE_URL.replace(/@[^/]+\//, '@localhost:5432/') };
  app.write('backend/app.env', Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\nLOG_FORMAT="json\n');
  app.write(
    'todo-deploy.yaml',
    [
      'timeouts:\n  verify: 5s',
      'minikube:\n  cpus: 1\n  memory: 1g',
      `frontend:\n  sourceDir: ./web\n  dockerfile: /etc\n  nodePort: ${app.ports.frontend}\n  valuesFile: frontend-values.yaml`,
      `backend:\n  nodePort: ${app.ports.frontend}\n  replicas: 0\n  valuesFile: missing-values.yaml`,
      '',
    ].join('\n'),
  );
  return s;
}

const expectedProblems = [
  /frontend\.sourceDir: .*\/web does not exist/,
  /frontend\.dockerfile: \/etc is a directory, not a Dockerfile/,
  /backend: .*\/backend has neither uv\.lock nor requirements\.txt; the shipped backend Dockerfile installs with uv \(uv\.lock\) or pip \(requirements\.txt\)/,
  /\/backend\/app\.env is inside the backend's build context .* lets it through: docker build would copy it into the image/,
  /frontend\.valuesFile .*frontend-values\.yaml: replicas: unknown key \(did you mean "replicaCount"\?\)/,
  /frontend\.valuesFile .*frontend-values\.yaml: image\.tag: must be string/,
  /backend\.valuesFile: .*missing-values\.yaml does not exist/,
  /frontend\.nodePort and backend\.nodePort are both \d+/,
  /backend\.replicas is 0/,
  /minikube\.cpus is 1; Minikube needs at least 2/,
  /minikube\.memory is 1g \(1024 MB\); Minikube needs at least 1800 MB/,
  /app\.env:\d: DATABASE_URL points at localhost, which inside a pod is the pod itself, not your machine, .*use host\.minikube\.internal instead/,
  /app\.env:5: LOG_FORMAT's value starts with " but no " closes it at the end of the value, so \.env would read the " as part of it; put the closing " right after the value \(LOG_FORMAT="…"\), or remove the opening one\./,
];

describe('preflight: every problem at once, nothing started', () => {
  it('doctor lists every problem and exits 2, changing nothing', async () => {
    const { sim, cli } = await everythingWrong();
    const result = await cli(['doctor', '--env-file', 'backend/app.env']);
    expect(result.exitCode, result.stderr).toBe(2);
    for (const problem of expectedProblems) expect(result.stdout).toMatch(problem);
    expect(result.stderr).toContain('Invalid:');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('up reports the same problems together, exits 2, and starts, builds and writes nothing', async () => {
    const { sim, up } = await everythingWrong();
    const result = await up(['--env-file', 'backend/app.env']);
    expect(result.exitCode, result.stderr).toBe(2);
    for (const problem of expectedProblems) expect(result.stderr).toMatch(problem);
    expect(result.stderr).not.toContain('EISDIR');
    const calls = sim.calls();
    expect(calls.filter((c) => c.mutating)).toEqual([]);
    expect(calls.filter((c) => c.tool === 'minikube' && c.command === 'start')).toEqual([]);
    expect(calls.filter((c) => c.command.includes('build'))).toEqual([]);
    expect(calls.filter((c) => c.tool === 'kubectl' || c.tool === 'helm')).toEqual([]);
    assertSafe(sim, result.stdout + result.stderr);
  });

  it('a values file that fails the chart schema is a usage error (exit 2) before anything runs, not a failed Helm install', async () => {
    const { sim, app, up } = await scenario({ minikube: 'running' });
    app.write('todo-deploy.yaml', `frontend:\n  nodePort: ${app.ports.frontend}\n  valuesFile: v.yaml\nbackend:\n  nodePort: ${app.ports.backend}\n`);
    app.write('v.yaml', 'service:\n  nodePrt: 30005\n');
    const result = await up();
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/frontend\.valuesFile .*v\.yaml: service\.nodePrt: unknown key \(did you mean "nodePort"\?\)/);
    expect(result.stderr).not.toContain('Helm could not');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('a values file that is not YAML, or not a mapping, is named with its line', async () => {
    const { app, cli } = await scenario({ minikube: 'running' });
    app.write('todo-deploy.yaml', `frontend:\n  nodePort: ${app.ports.frontend}\n  valuesFile: a.yaml\nbackend:\n  nodePort: ${app.ports.backend}\n  valuesFile: b.yaml\n`);
    app.write('a.yaml', 'image:\n  tag: [unclosed\n');
    app.write('b.yaml', '- a list\n');
    const result = await cli(['doctor']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toMatch(/frontend\.valuesFile .*a\.yaml:\d+:\d+: invalid YAML/);
    expect(result.stdout).toMatch(/backend\.valuesFile .*b\.yaml: must be a mapping of keys to values/);
  });

  it('a valid values file passes, and replicaCount 0 in it is refused as replicas: 0 is', async () => {
    const { app, cli } = await scenario({ minikube: 'running' });
    app.write('todo-deploy.yaml', `frontend:\n  nodePort: ${app.ports.frontend}\n  valuesFile: a.yaml\nbackend:\n  nodePort: ${app.ports.backend}\n  valuesFile: b.yaml\n`);
    app.write('a.yaml', 'resources:\n  limits:\n    memory: 1Gi\n');
    app.write('b.yaml', 'replicaCount: 0\n');
    const result = await cli(['doctor']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).not.toMatch(/frontend\.valuesFile/);
    expect(result.stdout).toMatch(/backend\.valuesFile .*b\.yaml: replicaCount is 0/);
  });

  it('more CPUs or memory than this machine has is refused, naming what it has', async () => {
    const { app, cli } = await scenario({ minikube: 'absent' });
    const many = cpus().length + 1;
    const tooMuch = Math.ceil(totalmem() / 1024 ** 3) + 1;
    app.write('todo-deploy.yaml', `minikube:\n  cpus: ${many}\n  memory: ${tooMuch}g\nfrontend:\n  nodePort: ${app.ports.frontend}\nbackend:\n  nodePort: ${app.ports.backend}\n`);
    const result = await cli(['doctor']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain(`minikube.cpus is ${many}; this machine has ${cpus().length}`);
    expect(result.stdout).toMatch(new RegExp(`minikube\\.memory is ${tooMuch}g \\(\\d+ MB\\); this machine has \\d+ MB`));
  });

  it('the frontend without a lockfile is named, with the fix; a Dockerfile of the user\'s own needs none', async () => {
    const { app, cli } = await scenario({ minikube: 'running' });
    rmSync(`${app.dir}/frontend/pnpm-lock.yaml`);
    const without = await cli(['doctor']);
    expect(without.exitCode).toBe(2);
    expect(without.stdout).toMatch(/frontend: .*\/frontend has no lockfile \(package-lock\.json, yarn\.lock or pnpm-lock\.yaml\); the shipped frontend Dockerfile installs exactly what the lockfile pins, with the manager that wrote it\. Run `npm install` \(or `yarn install`, `pnpm install`\) in .*\/frontend and commit the lockfile/);
    app.write('frontend/Dockerfile', 'FROM scratch\nCOPY . .\n');
    app.write('todo-deploy.yaml', `frontend:\n  nodePort: ${app.ports.frontend}\n  dockerfile: frontend/Dockerfile\nbackend:\n  nodePort: ${app.ports.backend}\n`);
    const own = await cli(['doctor']);
    expect(own.stdout).not.toContain('lockfile');
    expect(own.stdout).toMatch(/app sources +frontend: frontend \(own Dockerfile frontend\/Dockerfile\), backend: backend \(uv, uv\.lock\)/);
    expect(own.exitCode).toBe(0);
  });
});
