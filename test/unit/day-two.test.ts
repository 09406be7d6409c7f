import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { pickTarget } from '../../src/commands/rollback.js';
import { newCheck } from '../../src/deployment/checks.js';
import { junit, reportCheck, reportFormat, summarize, writeReport, type VerifyReport } from '../../src/deployment/report.js';
import { parseHelmHistory, parseHelmTestSuites, type HistoryEntry } from '../../src/tools/helm.js';
import { isLogDuration, parseDeployment, parseNames, parsePods } from '../../src/tools/kubectl.js';
import { tempDir } from '../support/temp.js';

describe('helm output parsers', () => {
  it('reads `helm history -o json` oldest first, Helm 4 fields ignored', () => {
    const out = JSON.stringify([
      { revision: 2, updated: '2026-11-24T10:05:00Z', status: 'deployed', chart: 'backend-0.1.0', app_version: '1.0.0', description: 'Upgrade complete', rollback_revision: 0 },
      { revision: 1, updated: '2026-11-24T10:00:00Z', status: 'superseded', chart: 'backend-0.1.0', app_version: '1.0.0', description: 'Install complete' },
    ]);
    expect(parseHelmHistory(out).map((e) => [e.revision, e.status])).toEqual([[1, 'superseded'], [2, 'deployed']]);
    expect(parseHelmHistory('null')).toEqual([]);
  });

  it('reads the test suites and their phases from `helm test` output', () => {
    const two =
      'NAME: frontend\nREVISION: 1\nTEST SUITE:     frontend-test\nLast Started:   Mon Nov 24 10:00:00 2026\nLast Completed: Mon Nov 24 10:00:03 2026\nPhase:          Succeeded\n' +
      'TEST SUITE:     frontend-test-2\nLast Started:   Mon Nov 24 10:00:03 2026\nLast Completed: Mon Nov 24 10:00:05 2026\nPhase:          Failed\nNOTES:\nOpen http://localhost:30000\n';
    expect(parseHelmTestSuites(two)).toEqual([{ name: 'frontend-test', phase: 'Succeeded' }, { name: 'frontend-test-2', phase: 'Failed' }]);
    expect(parseHelmTestSuites('NAME: frontend\nTEST SUITE: None\n')).toEqual([]);
  });
});

describe('kubectl output parsers', () => {
  it('reads a Deployment, defaulting what the API server leaves out', () => {
    const d = parseDeployment(JSON.stringify({ metadata: { name: 'backend' }, spec: { template: { spec: { containers: [{ image: 'todo-backend:abc' }] } } }, status: {} }));
    expect(d).toEqual({ name: 'backend', desired: 1, ready: 0, updated: 0 });
    expect(parseDeployment('')).toBeUndefined();
  });

  it('reads names from -o name, and marks a pod being deleted as terminating', () => {
    expect(parseNames('secret/frontend-secrets\nsecret/backend-secrets\n')).toEqual(['frontend-secrets', 'backend-secrets']);
    const pods = parsePods(JSON.stringify({ items: [{ metadata: { name: 'a', deletionTimestamp: '2026-11-24T10:00:00Z' }, status: { phase: 'Running' } }, { metadata: { name: 'b' } }] }));
    expect(pods.map((p) => [p.name, p.terminating ?? false])).toEqual([['a', true], ['b', false]]);
  });

  it.each([
    ['10m', true],
    ['1h30m', true],
    ['45s', true],
    ['1.5h', true],
    ['0s', false],
    ['10', false],
    ['yesterday', false],
    ['-5m', false],
  ])('--since %s is a duration kubectl accepts: %s', (value, ok) => expect(isLogDuration(value)).toBe(ok));
});

describe('rollback target', () => {
  const entry = (revision: number, status: string): HistoryEntry => ({ revision, status, chart: 'backend-0.1.0', appVersion: '1', updated: '2026-11-24T10:00:00Z', description: '' });

  it('goes back to the newest earlier revision that was deployed, skipping failed ones', () => {
    const history = [entry(1, 'superseded'), entry(2, 'superseded'), entry(3, 'failed'), entry(4, 'deployed')];
    expect(pickTarget('backend', history, undefined)).toEqual({ release: 'backend', from: 4, target: 2 });
  });

  it('after an upgrade that failed without a rollback, goes back to the revision still marked deployed', () => {
    expect(pickTarget('backend', [entry(1, 'deployed'), entry(2, 'failed')], undefined).target).toBe(1);
  });

  it('skips the revision the current one already rolled back to', () => {
    const history = [entry(1, 'superseded'), entry(2, 'superseded'), entry(3, 'failed'), { ...entry(4, 'deployed'), description: 'Rollback to 2' }];
    expect(pickTarget('backend', history, undefined).target).toBe(1);
  });

  it('takes --to N when the history has it, and refuses the current or a missing revision with the list', () => {
    const history = [entry(1, 'superseded'), entry(2, 'deployed')];
    expect(pickTarget('backend', history, 1).target).toBe(1);
    expect(() => pickTarget('backend', history, 2)).toThrow('backend is already at revision 2.');
    expect(() => pickTarget('backend', history, 9)).toThrow('backend has no revision 9.');
    expect(() => pickTarget('backend', [entry(1, 'deployed')], undefined)).toThrow('backend has only revision 1: there is no earlier one to go back to.');
  });
});

describe('verify reports', () => {
  it('picks the format by extension and refuses any other', () => {
    expect(reportFormat('out/verify.JSON')).toBe('json');
    expect(reportFormat('junit.xml')).toBe('junit');
    expect(() => reportFormat('verify.txt')).toThrow('must end in .json (a JSON report) or .xml (JUnit XML)');
  });

  it('writes well-formed JUnit XML even when a diagnosis holds markup, quotes and terminal colours', () => {
    const failed = Object.assign(newCheck('verify', 'backend', 'pods'), {
      status: 'fail' as const,
      detail: 'pod "backend-x" <not ready>',
      diagnosis: ['│ \u001b[31mERROR\u001b[0m a < b && c > d', '│ bell \u0007 here'],
      hint: 'check & fix',
      durationMs: 1234,
    });
    const skipped = Object.assign(newCheck('verify', 'backend', 'health'), { status: 'skip' as const, detail: 'the release is not installed' });
    const passed = Object.assign(newCheck('verify', 'frontend', 'health'), { status: 'pass' as const, detail: 'HTTP 200' });
    const checks = [failed, skipped, passed];
    const report: VerifyReport = { tool: 'todo-deploy', version: '0.1.0', command: 'verify', ok: false, startedAt: '2026-11-24T10:00:00.000Z', durationMs: 2000, target: { profile: 'minikube', kubeContext: 'minikube', namespace: 'todo' }, urls: {}, summary: summarize(checks), checks: checks.map(reportCheck) };
    const xml = junit(report);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as { testsuites: { testsuite: { failures: string; skipped: string; testcase: Array<Record<string, unknown> & { failure?: Record<string, string> }> } } };
    const suite = doc.testsuites.testsuite;
    expect([suite.failures, suite.skipped]).toEqual(['1', '1']);
    expect(suite.testcase[0]).toMatchObject({ name: 'backend pods ready, no restarts climbing', time: '1.234' });
    expect(suite.testcase[0]!.failure!.message).toBe('pod "backend-x" <not ready>');
    expect(suite.testcase[0]!.failure!['#text']).toContain('│ ERROR a < b && c > d');
    expect(suite.testcase[0]!.failure!['#text']).toContain('hint: check & fix');
    expect(suite.testcase[1]).toHaveProperty('skipped');
  });
});

describe('the redactor and serialised output', () => {
  it('scrubs a secret from a JSON document and a JUnit report even when serialising escaped it', async () => {
    const { Redactor } = await import('../../src/redact.js');
    const redactor = new Redactor();
    const secret = 'p&ss<w>rd"with\\quote';
    redactor.add(secret);
    const check = Object.assign(newCheck('verify', 'backend', 'pods'), { status: 'fail' as const, detail: `log: ${secret}`, diagnosis: [`│ ${secret}`] });
    const report: VerifyReport = { tool: 'todo-deploy', version: '0', command: 'verify', ok: false, startedAt: '', durationMs: 0, target: { profile: 'm', kubeContext: 'm', namespace: 't' }, urls: {}, summary: summarize([check]), checks: [reportCheck(check)] };
    for (const text of [junit(report), JSON.stringify(report)]) {
      const scrubbed = redactor.scrub(text);
      expect(scrubbed).toContain('••••••');
      for (const part of ['p&ss', 'p&amp;ss', 'rd\\"with', 'rd&quot;with']) expect(scrubbed).not.toContain(part);
    }
  });

  it('writes a report whose JSON and XML stay intact whatever the secret looks like: values are scrubbed before serialising', async () => {
    const { Redactor } = await import('../../src/redact.js');
    const redactor = new Redactor();
    // Each would cut through the serialised text of one format.
    for (const secret of ['"namespace": "', '<testcase classname="']) redactor.add(secret);
    const check = Object.assign(newCheck('verify', 'backend', 'pods'), { status: 'fail' as const, detail: 'log: "namespace": "x"', diagnosis: ['│ <testcase classname="y'] });
    const report: VerifyReport = { tool: 'todo-deploy', version: '0', command: 'verify', ok: false, startedAt: '', durationMs: 0, target: { profile: 'm', kubeContext: 'm', namespace: 'todo' }, urls: {}, summary: summarize([check]), checks: [reportCheck(check)] };
    const dir = tempDir('report-');
    await writeReport(join(dir, 'r.json'), report, redactor);
    await writeReport(join(dir, 'r.xml'), report, redactor);
    const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as VerifyReport;
    expect(json.target.namespace).toBe('todo');
    expect(json.checks[0]!.detail).toBe('log: ••••••x"');
    const xml = readFileSync(join(dir, 'r.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('│ ••••••y');
  });
});
