import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { assertSafe, useDeployed, useScenarios } from './up-fixture.js';

const scenario = useScenarios();
const deployed = useDeployed();

interface Junit {
  testsuites: { tests: string; failures: string; testsuite: Array<{ name: string; testcase: Array<{ name: string; classname: string; failure?: { message: string; '#text': string }; skipped?: unknown }> }> };
}

/** A JUnit report, checked to be well-formed XML first. */
function parseJunit(xml: string): Junit {
  expect(XMLValidator.validate(xml)).toBe(true);
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testcase' || name === 'testsuite' }).parse(xml) as Junit;
}

describe('todo-deploy verify', () => {
  it('passes on a healthy deployment: every check for both services, helm tests included', async () => {
    const { sim, app, cli, callsSince } = await deployed();
    const mark = sim.calls().length;
    const result = await cli(['verify']);
    expect(result.exitCode, result.stderr).toBe(0);
    for (const service of ['frontend', 'backend']) {
      for (const check of ['release deployed', 'rollout complete', 'pods ready, no restarts climbing', 'health endpoint', 'helm test']) {
        expect(result.stdout).toMatch(new RegExp(`ok\\s+${service} ${check}`));
      }
    }
    expect(result.stdout).toContain(`http://localhost:${app.ports.backend}/api/health → HTTP 200, database reachable`);
    // The app itself, as a browser and a user see it.
    const { frontend, backend } = { frontend: `http://localhost:${app.ports.frontend}`, backend: `http://localhost:${app.ports.backend}` };
    expect(result.stdout).toMatch(new RegExp(`ok\\s+frontend UI page and static assets\\s+${frontend}/ → HTML; 2 of 2 JavaScript chunks load`));
    expect(result.stdout).toMatch(new RegExp(`ok\\s+frontend backend URL in the UI bundle\\s+the UI calls ${backend} \\(in /_next/static/chunks/app/page-9b2e.js\\)`));
    expect(result.stdout).toMatch(/ok\s+frontend Better Auth endpoint\s+\S+\/api\/auth\/ok → HTTP 200/);
    expect(result.stdout).toMatch(new RegExp(`ok\\s+backend API docs\\s+${backend}/openapi.json → OpenAPI 3.1.0, 1 path; ${backend}/docs → HTTP 200`));
    expect(result.stdout).toMatch(new RegExp(`ok\\s+backend CORS for the UI\\s+OPTIONS ${backend}/api/health: ${frontend} allowed, a foreign origin refused`));
    expect(result.stderr).toMatch(/✔ Verifying the deployment: 15 checks passed/);
    const calls = callsSince(mark);
    // Nothing changes but the chart's test pods.
    expect(calls.filter((c) => c.mutating).map((c) => `${c.tool} ${c.command} ${c.argv[1]}`).sort()).toEqual(['helm test backend', 'helm test frontend']);
    expect(calls.some((c) => c.tool === 'minikube' && c.command === 'start')).toBe(false);
    assertSafe(sim, result.stdout + result.stderr);
  });

  it.each([
    ['CrashLoopBackOff', { state: 'CrashLoopBackOff', previousLogs: ['Traceback (most recent call last):', "KeyError: 'DATABASE_URL'"] }, [/CrashLoopBackOff: keeps crashing/, /│ KeyError: 'DATABASE_URL'/]],
    ['ImagePullBackOff', { state: 'ImagePullBackOff' }, [/ImagePullBackOff: cannot get its image/, /IfNotPresent/]],
    ['ErrImageNeverPull', { state: 'ErrImageNeverPull' }, [/ErrImageNeverPull: cannot get its image/, /docker-env/]],
    ['CreateContainerConfigError', { state: 'CreateContainerConfigError', message: "couldn't find key auth-url in Secret todo/backend-secrets" }, [/CreateContainerConfigError: cannot be configured: couldn't find key auth-url/]],
    ['OOMKilled', { state: 'OOMKilled' }, [/OOMKilled: was killed for using more memory than its limit \(1Gi\)/]],
    ['Unschedulable', { state: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.' }, [/Unschedulable: cannot be scheduled: 0\/1 nodes are available: 1 Insufficient memory/]],
  ] as const)('fails with the diagnosis when the backend pod is in %s', async (_, fault, expected) => {
    const { sim, cli } = await deployed();
    sim.update((s) => {
      s.faults.pods = { backend: fault as never };
    });
    const result = await cli(['verify']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/FAIL\s+backend (rollout complete|pods ready)/);
    for (const pattern of expected) expect(result.stdout).toMatch(pattern);
    // The frontend is still checked, and passes.
    expect(result.stdout).toMatch(/ok\s+frontend health endpoint/);
    expect(result.stderr).toMatch(/✖ Verification failed: backend/);
    assertSafe(sim, result.stdout + result.stderr);
  });

  it.each([
    ['answers 503', 503, /FAIL\s+backend health endpoint\s+http:\/\/localhost:\d+\/api\/health: HTTP 503 after \d+ attempts/],
    ['does not answer', 0, /FAIL\s+backend health endpoint\s+http:\/\/localhost:\d+\/api\/health: (no answer within|ECONNREFUSED)/],
  ])('fails naming the URL when the backend health endpoint %s, and says the database is checked there', async (_, status, message) => {
    const { app, cli } = await deployed();
    if (status) app.setHealth('backend', status);
    else await app.close();
    const result = await cli(['verify']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(message);
    expect(result.stdout).toContain('DATABASE_URL');
  });

  it('fails when a helm test hook fails, with the test pod\'s logs', async () => {
    const { sim, cli } = await deployed();
    sim.update((s) => {
      s.faults.helmTest = [{ release: 'frontend', logs: ['wget: server returned error: HTTP/1.1 500 Internal Server Error'] }];
    });
    const result = await cli(['verify']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/FAIL\s+frontend helm test\s+helm test frontend failed: frontend-test-health/);
    // Read from the failed test pod, which stays (helm test --logs would fail on passing pods).
    expect(result.stdout).toContain('│ wget: server returned error: HTTP/1.1 500 Internal Server Error');
    const test = sim.calls().filter((c) => c.command === 'test');
    expect(test.every((c) => !c.argv.includes('--logs'))).toBe(true);
  });

  it('says what is missing when nothing is deployed, and when the cluster is stopped', async () => {
    const { sim, cli } = await scenario({ minikube: 'running' });
    const empty = await cli(['verify']);
    expect(empty.exitCode).toBe(1);
    expect(empty.stdout).toMatch(/FAIL\s+backend release deployed\s+release backend is not installed in namespace todo/);
    expect(empty.stdout).toMatch(/skip\s+backend health endpoint\s+the release is not installed/);
    sim.update((s) => {
      s.minikube.profiles.minikube!.status = 'Stopped';
    });
    const stopped = await cli(['verify']);
    expect(stopped.exitCode).toBe(3);
    expect(stopped.stderr).toContain('The Minikube profile "minikube" is stopped.');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('--report is written even when the deployment cannot be reached: every check failed, with the reason', async () => {
    const { sim, cli, app } = await scenario({ minikube: 'stopped' });
    const result = await cli(['verify', '--report', 'verify.xml']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('Report written to verify.xml');
    const cases = parseJunit(readFileSync(join(app.dir, 'verify.xml'), 'utf8')).testsuites.testsuite.flatMap((s) => s.testcase);
    expect(cases).toHaveLength(15);
    for (const c of cases) expect(c.failure?.message).toBe('not checked: The Minikube profile "minikube" is stopped.');
    expect(cases[0]!.failure!['#text']).toContain('hint: ');

    expect((await cli(['verify', '--resilience', '--report', 'verify.json'])).exitCode).toBe(3);
    const report = JSON.parse(readFileSync(join(app.dir, 'verify.json'), 'utf8')) as { ok: boolean; summary: Record<string, number>; target: Record<string, string> };
    expect(report).toMatchObject({ ok: false, summary: { tests: 17, passed: 0, failed: 15, skipped: 2 }, target: { profile: 'minikube', namespace: 'todo' } });
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('--resilience deletes the backend pod, reports its replacement and the measured outage, and verifies again', async () => {
    const { sim, app, cli, callsSince } = await deployed();
    const startMs = 1500;
    sim.update((s) => {
      s.faults.podStartMs = startMs;
      // The deployed pods started long ago; only a new pod is slow.
      for (const pod of Object.values(s.kube.clusters.minikube!.pods)) pod.created = new Date(Date.now() - 60_000).toISOString();
    });
    // The backend answers only while a ready pod serves it, as through its Service.
    app.setHealth('backend', () => {
      const pods = Object.values(sim.state().kube.clusters.minikube!.pods).filter((p) => p.labels['app.kubernetes.io/instance'] === 'backend');
      return pods.some((p) => Date.now() - Date.parse(p.created) >= startMs) ? 200 : 503;
    });
    const before = Object.keys(sim.state().kube.clusters.minikube!.pods).filter((k) => k.startsWith('todo/backend-'));
    const mark = sim.calls().length;
    const result = await cli(['verify', '--resilience', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { ok: boolean; resilience: { deleted: string[]; replacements: string[]; replacementReadyMs: number; unavailableMs: number; failedProbes: number }; checks: Array<{ id: string; status: string }> };
    expect(doc.ok).toBe(true);
    expect(doc.resilience.deleted).toEqual(before.map((k) => k.split('/')[1]));
    expect(doc.resilience.replacements).toHaveLength(1);
    expect(doc.resilience.replacements[0]).not.toBe(doc.resilience.deleted[0]);
    // The outage is measured, not assumed: the replacement took startMs to become ready.
    expect(doc.resilience.failedProbes).toBeGreaterThan(0);
    expect(doc.resilience.unavailableMs).toBeGreaterThan(startMs / 2);
    expect(doc.resilience.replacementReadyMs).toBeGreaterThanOrEqual(doc.resilience.unavailableMs / 2);
    expect(doc.checks.filter((c) => c.id.startsWith('after-resilience.')).map((c) => c.status)).toEqual(Array(8).fill('passed'));
    expect(doc.checks.find((c) => c.id === 'resilience.backend.replacement')?.status).toBe('passed');
    expect(result.stderr).toMatch(/Resilience: the backend was unavailable for \d+\.\ds while backend-/);
    const deletes = callsSince(mark).filter((c) => c.tool === 'kubectl' && c.command === 'delete');
    expect(deletes.map((c) => c.argv.slice(c.argv.indexOf('delete')))).toEqual([['delete', 'pod', ...doc.resilience.deleted, '--wait=false']]);
    // Only the backend's pods were touched.
    expect(callsSince(mark).filter((c) => c.mutating && !(c.tool === 'helm' && c.command === 'test'))).toHaveLength(1);
  });

  it('--resilience on an unhealthy deployment deletes nothing and reports the test as skipped', async () => {
    const { sim, cli, callsSince } = await deployed();
    sim.update((s) => {
      s.faults.pods = { backend: { state: 'CrashLoopBackOff' } };
    });
    const mark = sim.calls().length;
    const result = await cli(['verify', '--resilience', '--json']);
    expect(result.exitCode).toBe(1);
    const doc = JSON.parse(result.stdout) as { checks: Array<{ id: string; status: string; detail: string }> };
    expect(doc.checks.filter((c) => c.id.startsWith('resilience.'))).toEqual([
      expect.objectContaining({ id: 'resilience.backend.replacement', status: 'skipped', detail: 'not run: the deployment is not healthy' }),
      expect.objectContaining({ id: 'resilience.backend.availability', status: 'skipped' }),
    ]);
    expect(callsSince(mark).some((c) => c.command === 'delete')).toBe(false);
  });

  it('--resilience fails, with the pod states, when no replacement becomes ready', async () => {
    const { sim, app, cli } = await deployed();
    sim.update((s) => {
      s.faults.podStartMs = 60_000;
      for (const pod of Object.values(s.kube.clusters.minikube!.pods)) pod.created = new Date(Date.now() - 120_000).toISOString();
    });
    app.setHealth('backend', () => (Object.values(sim.state().kube.clusters.minikube!.pods).some((p) => p.labels['app.kubernetes.io/instance'] === 'backend' && Date.now() - Date.parse(p.created) > 60_000) ? 200 : 503));
    const result = await cli(['verify', '--resilience']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/FAIL\s+backend pod replaced\s+no ready replacement for backend-\S+ within 5\.0s/);
    expect(result.stdout).toMatch(/FAIL\s+backend availability while replaced\s+http:\/\/localhost:\d+\/api\/health did not answer 200 again/);
    expect(result.stdout).not.toContain('After the replacement');
  });

  it('--report writes JUnit XML with one test case per check, and JSON in its documented shape', async () => {
    const { sim, cli, app } = await deployed();
    sim.update((s) => {
      s.faults.pods = { backend: { state: 'CrashLoopBackOff', previousLogs: ['\u001b[31mERROR\u001b[0m <db> & "pool" exhausted'] } };
    });
    const xmlFile = join(app.dir, 'reports', 'verify.xml');
    const jsonFile = join(app.dir, 'verify.json');
    (await import('node:fs')).mkdirSync(join(app.dir, 'reports'));
    expect((await cli(['verify', '--report', 'reports/verify.xml'])).exitCode).toBe(1);
    expect((await cli(['verify', '--report', 'verify.json'])).exitCode).toBe(1);

    const xml = readFileSync(xmlFile, 'utf8');
    const parsed = parseJunit(xml);
    const cases = parsed.testsuites.testsuite.flatMap((s) => s.testcase);
    expect(cases).toHaveLength(15);
    expect(parsed.testsuites.tests).toBe('15');
    expect(new Set(cases.map((c) => `${c.classname} ${c.name}`)).size).toBe(15);
    const failures = cases.filter((c) => c.failure);
    expect(Number(parsed.testsuites.failures)).toBe(failures.length);
    expect(failures.map((c) => c.name)).toContain('backend pods ready, no restarts climbing');
    expect(failures.map((c) => c.failure!['#text']).join('\n')).toContain('ERROR <db> & "pool" exhausted');
    expect(cases.filter((c) => c.name.startsWith('frontend')).every((c) => !c.failure)).toBe(true);

    const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as Record<string, unknown> & { checks: Array<Record<string, unknown>>; summary: Record<string, number> };
    expect(Object.keys(report)).toEqual(['tool', 'version', 'command', 'ok', 'startedAt', 'durationMs', 'target', 'urls', 'summary', 'checks']);
    expect(report).toMatchObject({ tool: 'todo-deploy', command: 'verify', ok: false, target: { profile: 'minikube', kubeContext: 'minikube', namespace: 'todo' } });
    expect(report.summary.tests).toBe(15);
    expect(report.summary.passed! + report.summary.failed! + report.summary.skipped!).toBe(15);
    // The backend's app checks are not run on a broken backend, and say why.
    expect(report.checks.find((c) => c.id === 'verify.backend.cors')).toMatchObject({ status: 'skipped', detail: 'not run: the backend rollout complete check failed' });
    for (const check of report.checks) {
      expect(Object.keys(check)).toEqual(expect.arrayContaining(['id', 'group', 'service', 'kind', 'name', 'status', 'detail', 'durationMs']));
    }
    assertSafe(sim, xml + JSON.stringify(report));
  });

  it('fails when the frontend was built with a backend URL the browser cannot reach, naming it, why, and the setting that fixes it', async () => {
    const { sim, app, cli, up } = await deployed();
    const inCluster = 'http://backend.todo.svc.cluster.local:8000';
    app.write('todo-deploy.yaml', `timeouts:\n  verify: 5s\nfrontend:\n  nodePort: ${app.ports.frontend}\n  backendUrl: ${inCluster}\nbackend:\n  nodePort: ${app.ports.backend}\n`);
    // up rebuilds the frontend with that URL baked in, and its own verify step refuses it.
    const rebuilt = await up();
    expect(rebuilt.exitCode).toBe(1);
    expect(rebuilt.stderr).toContain(`App check failed: frontend backend URL in the UI bundle: the UI's JavaScript calls ${inCluster}: a Kubernetes Service name, which resolves only inside the cluster, not in the browser.`);
    expect(rebuilt.stderr).toContain(`Set frontend.backendUrl in todo-deploy.yaml (TODO_DEPLOY_FRONTEND_BACKEND_URL) to a URL the browser reaches, or leave it empty for http://localhost:${app.ports.backend}`);

    const result = await cli(['verify', '--report', 'verify.xml']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`FAIL\\s+frontend backend URL in the UI bundle\\s+the UI's JavaScript calls ${inCluster}: a Kubernetes Service name`));
    expect(result.stdout).toContain(`frontend.backendUrl is ${inCluster} in todo-deploy.yaml.`);
    expect(result.stderr).toContain('✖ Verification failed: frontend backend URL in the UI bundle.');
    const failed = parseJunit(readFileSync(join(app.dir, 'verify.xml'), 'utf8')).testsuites.testsuite.flatMap((s) => s.testcase).filter((c) => c.failure);
    expect(failed.map((c) => c.name)).toEqual(['frontend backend URL in the UI bundle']);
    expect(failed[0]!.failure!['#text']).toContain('hint: Every API call of the UI will fail.');
    assertSafe(sim, result.stdout + result.stderr + rebuilt.stderr);
  });

  it('says "skipped: turned off" for the checks todo-deploy.yaml turns off, and passes without them', async () => {
    const { app, cli } = await deployed();
    app.write('todo-deploy.yaml', `timeouts:\n  verify: 5s\nfrontend:\n  nodePort: ${app.ports.frontend}\nbackend:\n  nodePort: ${app.ports.backend}\nchecks:\n  auth: false\n  apiDocs: false\n`);
    const result = await cli(['verify']);
    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/skip\s+frontend Better Auth endpoint\s+skipped: turned off \(checks\.auth: false in todo-deploy\.yaml\)/);
    expect(result.stdout).toMatch(/skip\s+backend API docs\s+skipped: turned off \(checks\.apiDocs: false in todo-deploy\.yaml\)/);
    expect(result.stderr).toMatch(/✔ Verifying the deployment: 13 checks passed, 2 skipped/);
  });

  it('refuses a report file it cannot write in a known format, before doing anything', async () => {
    const { sim, cli } = await scenario({ minikube: 'running' });
    const result = await cli(['verify', '--report', 'verify.html']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--report verify.html: the file name must end in .json (a JSON report) or .xml (JUnit XML).');
    const folder = await cli(['verify', '--report', 'reports/verify.xml']);
    expect(folder.exitCode).toBe(2);
    expect(folder.stderr).toMatch(/--report reports\/verify\.xml: the folder \S+\/reports does not exist\./);
    expect(sim.calls()).toEqual([]);
  });
});
