// What the user reads is right: each message of issue 16's item 3, as the user sees it.
import type { ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { secrets } from './app-fixture.js';
import { assertSafe, useScenarios } from './up-fixture.js';

const scenario = useScenarios();

describe('--dry-run says what would change, and fails on nothing it did not do', () => {
  it('up --dry-run on a running cluster with nothing deployed: exit 0, "would", never "Changed:"/"wrote"/"built"', async () => {
    const { sim, up } = await scenario({ minikube: 'running' });
    const result = await up(['--dry-run']);
    expect(result.exitCode, result.stderr).toBe(0);
    const printed = (result.stdout + result.stderr).split('\n').filter((line) => !line.startsWith('[dry-run]')).join('\n');
    expect(printed).not.toMatch(/Changed:|\bwrote\b|\bbuilt\b|\binstalled\b|\bcreated\b|\bupgraded\b/);
    const wouldChange = /^ {2}Would change: {2}(.*)$/m.exec(printed)?.[1]?.split('; ').sort();
    expect(wouldChange).toEqual(['build todo-backend:', 'build todo-frontend:', 'create namespace todo', 'install backend', 'install frontend', 'write backend-secrets', 'write frontend-secrets'].map((c) => expect.stringContaining(c)));
    expect(printed).toMatch(/Build the images: todo-frontend:\w+ \(would build\), todo-backend:\w+ \(would build\)/);
    expect(printed).toContain('Create the secrets: would write frontend-secrets, backend-secrets');
    expect(printed).toContain('Deploy with Helm: frontend: would install, backend: would install');
    expect(printed).toContain('Verify rollouts and health: skipped (dry run: nothing was deployed)');
    expect(printed).toContain('Dry run: nothing was changed.');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
    expect(sim.calls().filter((c) => c.command === 'rollout status')).toEqual([]);
  });

  it('up --dry-run on a stopped cluster says it would start it', async () => {
    const { up } = await scenario({ minikube: 'stopped' });
    const result = await up(['--dry-run']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('Start the cluster: would start profile "minikube"');
    expect(result.stdout).toMatch(/Would change: {2}start Minikube profile "minikube"; /);
  });

  it('up --dry-run on a deployed app: nothing would change', async () => {
    const { up } = await scenario({ minikube: 'running' });
    expect((await up()).exitCode).toBe(0);
    const result = await up(['--dry-run']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Nothing would change: images, secrets and releases are already up to date.');
  });
});

describe('"A Secret may be half-written" only when a Secret write was under way', () => {
  it('the Secrets phase stopped before writing says no Secret was written', async () => {
    // docker-env refuses a multi-node profile while the Secrets phase waits for its reads.
    const { sim, up } = await scenario({ minikube: 'running', faults: { latency: { 'minikube docker-env': 300 } } });
    sim.update((s) => {
      s.minikube.profiles.minikube!.nodes = 2;
    });
    const result = await up();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/✖ Create the secrets: stopped: "Point builds at Minikube's image store" failed\. No Secret was written\./);
    expect(result.stderr).not.toContain('half-written');
  });

  it('Ctrl-C while the Secrets are written says one may be half-written', async () => {
    const { sim, up } = await scenario({ minikube: 'running', faults: { latency: { 'kubectl apply': 30_000, 'docker build': 30_000 } } });
    let child: ChildProcess | undefined;
    const running = up([], { onSpawn: (c) => (child = c) });
    // The Secrets are read (one kubectl get), then written at once.
    await vi.waitFor(() => expect(sim.calls().some((c) => c.tool === 'kubectl' && c.command === 'get')).toBe(true), { timeout: 20_000, interval: 100 });
    await sleep(1000);
    child!.kill('SIGINT');
    const result = await running;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/✖ Interrupted during .*"Create the secrets"/);
    expect(result.stderr).toContain('A Secret may be half-written; the next run writes it again.');
  });
});

describe('a bad flag or TODO_DEPLOY_* variable is blamed on itself, not on todo-deploy.yaml', () => {
  it('a variable out of range: named in the error, the check and the hint; the file is not', async () => {
    const { app, up, cli } = await scenario();
    const env = { TODO_DEPLOY_FRONTEND_NODE_PORT: '80' };
    const result = await up([], { env });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('✖ TODO_DEPLOY_FRONTEND_NODE_PORT must be fixed first; nothing was started:');
    expect(result.stderr).toContain('• TODO_DEPLOY_FRONTEND_NODE_PORT: expected an integer from 30000 to 32767, got "80"');
    expect(result.stderr).toContain('→ Fix or unset the variable TODO_DEPLOY_FRONTEND_NODE_PORT (`unset TODO_DEPLOY_FRONTEND_NODE_PORT`).');
    expect(result.stderr).not.toContain(`${app.dir}/todo-deploy.yaml`);
    const doctor = await cli(['doctor'], { env });
    expect(doctor.exitCode).toBe(2);
    expect(doctor.stdout).toMatch(/^FAIL {2}TODO_DEPLOY_FRONTEND_NODE_PORT +1 problem$/m);
    expect(doctor.stdout).toMatch(/^skip {2}app sources +needs valid settings \(see above\)$/m);
  });

  it('a bad flag: named, with the fix on the command line', async () => {
    const { up } = await scenario();
    const result = await up(['--namespace', 'Todo_App']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('✖ --namespace must be fixed first; nothing was started:');
    expect(result.stderr).toContain('• --namespace: expected a lowercase DNS label');
    expect(result.stderr).toContain('→ Fix --namespace on the command line.');
  });

  it('the file and a variable: each named', async () => {
    const { app, cli } = await scenario();
    app.write('todo-deploy.yaml', 'minikube:\n  cpus: many\n');
    const result = await cli(['doctor', '--json'], { env: { TODO_DEPLOY_BACKEND_REPLICAS: 'two' } });
    expect(result.exitCode).toBe(2);
    const config = (JSON.parse(result.stdout) as { checks: Array<{ id: string; title: string; hint: string }> }).checks.find((c) => c.id === 'config')!;
    expect(config.title).toBe('todo-deploy.yaml and TODO_DEPLOY_BACKEND_REPLICAS');
    expect(config.hint).toBe(`Fix ${app.dir}/todo-deploy.yaml (every key is documented in the README and in templates/todo-deploy.yaml). Fix or unset the variable TODO_DEPLOY_BACKEND_REPLICAS (\`unset TODO_DEPLOY_BACKEND_REPLICAS\`).`);
  });

  it('a misspelled variable: a warning with "did you mean", in up and doctor', async () => {
    const { up, cli } = await scenario({ minikube: 'running' });
    const env = { TODO_DEPLOY_FRONTEND_NODEPORT: '30005' };
    const result = await up(['--dry-run'], { env });
    expect(result.stderr).toContain('TODO_DEPLOY_FRONTEND_NODEPORT is not a todo-deploy setting and is ignored (did you mean TODO_DEPLOY_FRONTEND_NODE_PORT?).');
    const doctor = await cli(['doctor'], { env });
    expect(doctor.stdout).toContain('(did you mean TODO_DEPLOY_FRONTEND_NODE_PORT?)');
  });
});

describe('usage errors under --json still print one JSON document', () => {
  it.each([
    [['up', '--json', '--bogus'], 'up', "unknown option '--bogus'"],
    [['--json', 'frobnicate'], null, "unknown command 'frobnicate'"],
    [['logs', 'worker', '--json'], 'logs', "value 'worker' is invalid for argument 'service'"],
    [['teardown', '--cluster', 'explode', '--json'], 'teardown', "option '--cluster <action>' argument 'explode' is invalid"],
  ] as const)('%j', async (args, command, message) => {
    const { cli } = await scenario();
    const result = await cli([...args]);
    expect(result.exitCode).toBe(2);
    const doc = JSON.parse(result.stdout) as { command: string | null; ok: boolean; error: { kind: string; message: string } };
    expect(doc).toMatchObject({ command, ok: false, error: { kind: 'usage' } });
    expect(doc.error.message).toContain(message);
    expect(result.stderr).toContain(message);
  });

  it('a mistyped option with a value: the value (maybe a secret) is in neither the document nor stderr', async () => {
    const { cli } = await scenario();
    const result = await cli(['up', '--json', '--databse-url=postgresql://todo:Zq7LEAKYpw@db.example.internal/todo']);
    expect(result.exitCode).toBe(2);
    const doc = JSON.parse(result.stdout) as { error: { message: string } };
    expect(doc.error.message).toBe("unknown option '--databse-url=…'");
    expect(result.stdout + result.stderr).not.toMatch(/LEAKY|Zq7/);
  });
});

describe('minikube: a failing version is not "install minikube"; a resource refusal names the setting', () => {
  it('minikube installed but `minikube version` failing: says so, and what to run', async () => {
    const { sim, cli } = await scenario({ minikube: 'running' });
    const shim = join(sim.binDir, 'minikube');
    rmSync(shim);
    writeFileSync(shim, '#!/bin/sh\necho "Error reading config file at /home/me/.minikube/config/config.json: invalid character \'}\'" >&2\nexit 1\n', { mode: 0o755 });
    const result = await cli(['doctor']);
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toMatch(/^FAIL {2}minikube +installed, but `minikube version -o json` failed \(exit code 1\): Error reading config file at \/home\/me\/\.minikube\/config\/config\.json/m);
    expect(result.stdout).toContain('Run `minikube version -o json` in a terminal and fix what it reports');
    expect(result.stdout).not.toMatch(/→ Install minikube/);
  });

  it.each([
    ['RSRC_INSUFFICIENT_CORES', 29, 'Docker has less than 2 CPUs available, but Kubernetes requires at least 2 to be available', 'not enough CPUs for minikube.cpus: 2', 'Set minikube.cpus in todo-deploy.yaml'],
    ['RSRC_OVER_ALLOC_MEM', 23, 'Requested memory allocation 3072MB is more than your system limit 2048MB.', 'minikube.memory: 3g is more than Docker can give', 'Lower minikube.memory in todo-deploy.yaml'],
    ['RSRC_INSUFFICIENT_REQ_MEMORY', 23, 'Requested memory allocation 1024MiB is less than the usable minimum of 1800MB', 'minikube.memory: 3g is too little', 'Raise minikube.memory in todo-deploy.yaml'],
  ] as const)('minikube start exits with %s: the error names the setting', async (reason, exitCode, message, what, hint) => {
    const { up } = await scenario({ minikube: 'stopped', faults: { minikubeStart: { reason, exitCode, message } } });
    const result = await up();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`✖ Minikube could not start the profile "minikube": ${what} (${reason}).`);
    expect(result.stderr).toContain(`│ X Exiting due to ${reason}: ${message}`);
    expect(result.stderr).toContain(`→ ${hint}`);
    expect(result.stderr).toContain('minikube delete -p minikube');
  });
});

describe('a failing health check shows the body, and a steady error from Ready pods fails within seconds', () => {
  // The kind of body a FastAPI health endpoint returns when its database refuses the password.
  const body = JSON.stringify({
    status: 'error',
    detail: `database unreachable: connection to ${secrets.DATABASE_URL} failed: FATAL:  password authentication failed for user "neondb_owner"\n${'  at pool.connect()\n'.repeat(200)}`,
  });

  it('up: HTTP 503 from Ready pods fails after seconds (not the 3-minute deadline), with the body bounded and redacted', async () => {
    const { app, sim, up } = await scenario();
    app.write('todo-deploy.yaml', `timeouts:\n  verify: 3m\nfrontend:\n  nodePort: ${app.ports.frontend}\nbackend:\n  nodePort: ${app.ports.backend}\n`);
    app.setHealth('backend', 503, body);
    const result = await up([], { timeoutMs: 60_000 });
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/Health check failed: http:\/\/localhost:\d+\/api\/health \(HTTP 503 from Ready pods, steadily for \d+(\.\d)?s \(\d+ attempts\)\)\./);
    const answered = result.stderr.split('\n').find((line) => line.includes('/api/health answered: '))!;
    expect(answered).toContain('{"status":"error","detail":"database unreachable: connection to •••••• failed: FATAL: password authentication failed');
    expect(answered).toContain('password authentication failed for user \\"neondb_owner\\"');
    expect(answered.length).toBeLessThan(450);
    expect(answered).toMatch(/…$/);
    expect(result.stderr).toContain("The backend's health endpoint checks the database");
    expect(result.stderr).not.toContain('Check that the frontend serves');
    assertSafe(sim, result.stdout + result.stderr);
  });

  it('verify: the same, in the report', async () => {
    const { app, cli, up } = await scenario();
    expect((await up()).exitCode).toBe(0);
    app.write('todo-deploy.yaml', `timeouts:\n  verify: 3m\nfrontend:\n  nodePort: ${app.ports.frontend}\nbackend:\n  nodePort: ${app.ports.backend}\n`);
    app.setHealth('frontend', 500, 'Internal Server Error: TypeError: fetch failed');
    const result = await cli(['verify'], { timeoutMs: 60_000 });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/FAIL\s+frontend health endpoint\s+http:\/\/localhost:\d+\/api\/health: HTTP 500 from Ready pods, steadily for/);
    expect(result.stdout).toContain('it answered: Internal Server Error: TypeError: fetch failed');
  });

  it('an error that heals while retried still passes', async () => {
    const { app, up } = await scenario();
    let calls = 0;
    app.setHealth('backend', () => (++calls < 3 ? 503 : 200));
    const result = await up();
    expect(result.exitCode, result.stderr).toBe(0);
  });
});

describe('rollback with no service rolls back what it can and reports the rest', () => {
  it('backend has an earlier good revision, frontend only one: the backend is rolled back, the frontend named', async () => {
    const { sim, app, cli, up } = await scenario({ minikube: 'running' });
    expect((await up()).exitCode).toBe(0);
    app.write('backend/main.py', 'version = 2\n');
    expect((await up()).exitCode).toBe(0);
    const result = await cli(['rollback']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('Not rolled back: frontend has only revision 1: there is no earlier one to go back to. After a `todo-deploy up` that changes it, this rolls that change back.');
    expect(result.stderr).toContain('Rolling back backend 2 → 1');
    expect(result.stdout).toContain('Rolled back backend to revision 1.');
    expect(sim.state().helm.releases.minikube!['todo/backend']!.at(-1)).toMatchObject({ revision: 3, description: 'Rollback to 1' });
    expect(sim.state().helm.releases.minikube!['todo/frontend']).toHaveLength(1);
  });

  it('neither can go back: exit 2, each named', async () => {
    const { cli, up } = await scenario({ minikube: 'running' });
    expect((await up()).exitCode).toBe(0);
    const result = await cli(['rollback']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('✖ Nothing to roll back: frontend has only revision 1: there is no earlier one to go back to. backend has only revision 1: there is no earlier one to go back to.');
  });
});

describe('a running profile with another container runtime than todo-deploy.yaml says', () => {
  it('is named, with minikube.containerRuntime in the hint, before anything is written or built', async () => {
    const { sim, up } = await scenario({ minikube: 'running' });
    sim.update((s) => {
      s.minikube.profiles.minikube!.containerRuntime = 'containerd';
    });
    const result = await up();
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('✖ The Minikube profile "minikube" runs the containerd container runtime, but minikube.containerRuntime is docker.');
    expect(result.stderr).toContain('→ Set minikube.containerRuntime: containerd in todo-deploy.yaml (or TODO_DEPLOY_MINIKUBE_CONTAINER_RUNTIME) to use the profile as it is, or recreate it with docker: minikube delete -p minikube, then todo-deploy up.');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('with minikube.containerRuntime set to match, up goes on (minikube image build)', async () => {
    const { sim, up } = await scenario({ minikube: 'running' });
    sim.update((s) => {
      s.minikube.profiles.minikube!.containerRuntime = 'containerd';
    });
    const result = await up([], { env: { TODO_DEPLOY_MINIKUBE_CONTAINER_RUNTIME: 'containerd' } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(sim.calls().some((c) => c.tool === 'minikube' && c.command === 'image build')).toBe(true);
  });
});
