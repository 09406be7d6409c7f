// The one check model's renderer, and the selection of checks `up`'s verify step makes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Chalk } from 'chalk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../src/checks/check.js';
import { defaults, type Config } from '../../src/config/schema.js';
import type { Context } from '../../src/context.js';
import { checkKinds, groupHeadings, runChecks, selections } from '../../src/deployment/checks.js';
import type { Deployment } from '../../src/deployment/view.js';
import { ToolError } from '../../src/errors.js';
import { verifyDeployment } from '../../src/phases/verify.js';
import { Redactor } from '../../src/redact.js';
import type { Command, CommandResult } from '../../src/tools/exec.js';
import { toolsOf } from '../../src/adapters/index.js';
import { renderChecks } from '../../src/ui/checks.js';
import type { Output } from '../../src/ui/output.js';

const plain = { mode: 'plain', style: new Chalk({ level: 0 }) } as const;
const tty = { mode: 'tty', style: new Chalk({ level: 0 }) } as const;

describe('renderChecks', () => {
  const doctor: Check[] = [
    { id: 'helm', title: 'helm', status: 'pass', detail: '3.17.2', hint: 'not shown: it passed' },
    { id: 'minikube-profile', title: 'minikube profile "minikube"', status: 'warn', detail: 'stopped', hint: 'up starts it' },
    { id: 'env', title: '.env', status: 'fail', detail: '1 problem', problems: ['OPENAI_API_KEY still holds a placeholder'], warnings: ['.env is tracked by git'], hint: 'Edit the file.' },
    { id: 'app', title: 'app sources', status: 'skip', detail: 'needs valid settings' },
  ];

  it('plain: words for marks, titles aligned, problems, warnings and the hint of a failed or warning check under it', () => {
    expect(renderChecks(doctor, plain)).toBe(
      [
        'ok    helm                         3.17.2',
        'warn  minikube profile "minikube"  stopped',
        '                                   → up starts it',
        'FAIL  .env                         1 problem',
        '                                   • OPENAI_API_KEY still holds a placeholder',
        '                                   • .env is tracked by git',
        '                                   → Edit the file.',
        'skip  app sources                  needs valid settings',
      ].join('\n'),
    );
  });

  it('tty: one-character marks', () => {
    expect(renderChecks(doctor, tty).split('\n').map((l) => l.slice(0, 3))).toEqual(['✔  ', '⚠  ', '   ', '✖  ', '   ', '   ', '   ', '-  ']);
    expect(renderChecks(doctor, tty).split('\n')[0]).toBe('✔  helm                         3.17.2');
  });

  const deployment: Check[] = [
    { id: 'verify.backend.rollout', group: 'verify', title: 'backend rollout complete', status: 'fail', detail: 'cannot complete its rollout', diagnosis: ['backend-x (backend): CrashLoopBackOff\n  last log lines:\n  │ KeyError'], hint: 'Fix it.' },
    { id: 'verify.backend.health', group: 'verify', title: 'backend health endpoint', status: 'skip', detail: 'not run', hint: 'not shown: skipped' },
    { id: 'resilience.backend.replacement', group: 'resilience', title: 'backend pod replaced', status: 'pass', detail: 'ready after 6.1s' },
  ];

  it('grouped: a heading per group, each line of a diagnosis indented', () => {
    expect(renderChecks(deployment, plain, { headings: groupHeadings })).toBe(
      [
        'Deployment',
        'FAIL  backend rollout complete  cannot complete its rollout',
        '                                backend-x (backend): CrashLoopBackOff',
        '                                  last log lines:',
        '                                  │ KeyError',
        '                                → Fix it.',
        'skip  backend health endpoint   not run',
        'Resilience: backend pods deleted',
        'ok    backend pod replaced      ready after 6.1s',
      ].join('\n'),
    );
  });

  it('brief: a line per check, nothing under it; a group without a heading is headed by its name', () => {
    expect(renderChecks(deployment, plain, { brief: true })).toBe(
      ['verify', 'FAIL  backend rollout complete  cannot complete its rollout', 'skip  backend health endpoint   not run', 'resilience', 'ok    backend pod replaced      ready after 6.1s'].join('\n'),
    );
    expect(renderChecks([], plain)).toBe('');
  });
});

describe("up's verify step: runChecks with selections.up", () => {
  it('checks the rollouts, the health endpoints and the app; not the release, the pods or helm tests', () => {
    expect(checkKinds('frontend', selections.up)).toEqual(['rollout', 'health', 'ui', 'backend-url', 'auth']);
    expect(checkKinds('backend', selections.up)).toEqual(['rollout', 'health', 'api-docs', 'cors']);
    expect(checkKinds('backend', selections.verify)).toEqual(['release', 'rollout', 'pods', 'health', 'api-docs', 'cors', 'helm-test']);
    expect(checkKinds('backend', selections.rollback)).toEqual(['release', 'rollout', 'pods', 'health', 'api-docs', 'cors']);
  });

  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_, res) => res.writeHead(200).end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  /** A deployment at the test server, its app checks turned off (they would need an app), and a fake exec that logs each call. */
  function setup(fail: (command: Command) => boolean = () => false) {
    const config: Config = { ...structuredClone(defaults), checks: { ui: false, backendUrl: false, apiDocs: false, cors: false, auth: false } };
    const deployment: Deployment = {
      config,
      kubeContext: 'minikube',
      services: { frontend: { service: 'frontend', config: config.frontend, url }, backend: { service: 'backend', config: config.backend, url } },
    };
    const calls: string[] = [];
    const printed: string[] = [];
    const exec = async (command: Command): Promise<CommandResult> => {
      const named = `${command.tool} ${command.args.filter((a) => !a.startsWith('-') && !['minikube', 'todo'].includes(a)).join(' ')}`;
      calls.push(named);
      if (fail(command)) throw new ToolError('kubectl rollout status failed', named, 1, 'error: timed out waiting for the condition', false);
      return { command: named, exitCode: 0, stdout: command.args.includes('pods') ? '{"items":[]}' : '', stderr: '', durationMs: 1, dryRun: false };
    };
    const out = { ...plain, print: (text: string) => printed.push(text) } as unknown as Output;
    const ctx = { exec, tools: toolsOf(exec), out, signal: new AbortController().signal, redactor: new Redactor() } as unknown as Context;
    return { ctx, deployment, calls, printed };
  }

  it('asks the tools only `kubectl rollout status`, once per release; health is HTTP', async () => {
    const { ctx, deployment, calls, printed } = setup();
    const detail = await verifyDeployment(ctx, deployment);
    expect(calls.sort()).toEqual(['kubectl rollout status deployment/backend', 'kubectl rollout status deployment/frontend']);
    const { frontend, backend } = deployment.config;
    expect(detail).toBe(`${url}${frontend.healthPath} → 200, ${url}${backend.healthPath} → 200; app checks: 0 passed, 5 turned off`);
    expect(printed).toEqual([]);
  });

  it('stops at the first stage that fails: a rollout that did not complete reads the pods to explain it, and nothing after it runs', async () => {
    const { ctx, deployment, calls, printed } = setup((c) => c.args.includes('deployment/frontend'));
    const checks = await runChecks(ctx, deployment, { group: 'verify', ...selections.up });
    expect(checks.map((c) => [c.id, c.status])).toEqual([
      ['verify.frontend.rollout', 'fail'],
      ['verify.frontend.health', 'skip'],
      ['verify.frontend.ui', 'skip'],
      ['verify.frontend.backend-url', 'skip'],
      ['verify.frontend.auth', 'skip'],
      ['verify.backend.rollout', 'pass'],
      ['verify.backend.health', 'skip'],
      ['verify.backend.api-docs', 'skip'],
      ['verify.backend.cors', 'skip'],
    ]);
    expect(checks.find((c) => c.id === 'verify.backend.health')?.detail).toBe('not run: the frontend rollout complete check failed');
    expect(calls.filter((c) => !c.includes('rollout status'))).toEqual([expect.stringMatching(/^kubectl get pods app\.kubernetes\.io\/instance=frontend\b/)]);

    // up's own words, and the checks printed above them with the one renderer.
    await expect(verifyDeployment(ctx, deployment)).rejects.toThrow(`frontend did not become ready within 3m.`);
    expect(printed.join('\n')).toMatch(/^Deployment\nFAIL {2}frontend rollout complete +deployment\/frontend did not complete its rollout within 3m$/m);
  });
});
