// `verify --report FILE`: the checks as a JSON document or as JUnit XML (by the file's
// extension), one test case per check, so a CI system shows each one. Both are scrubbed of
// secrets before they are written: a diagnosis may quote an app's log lines.
import { rename, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Service } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { Redactor } from '../redact.js';
import type { CheckKind, DeploymentCheck } from './checks.js';

export type ReportFormat = 'json' | 'junit';

/** The format a report file's extension asks for; anything else is a usage error, found before any work. */
export function reportFormat(file: string): ReportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.xml') return 'junit';
  throw new UsageError(`--report ${file}: the file name must end in .json (a JSON report) or .xml (JUnit XML).`, 'For example: --report verify.xml');
}

/** The JSON report, as documented in the README. */
export interface VerifyReport {
  tool: 'todo-deploy';
  version: string;
  command: 'verify';
  ok: boolean;
  startedAt: string;
  durationMs: number;
  target: { profile: string; kubeContext: string; namespace: string };
  urls: Record<string, string>;
  summary: { tests: number; passed: number; failed: number; skipped: number };
  checks: ReportCheck[];
  resilience?: ResilienceResult;
}

/** A check as the report and `verify --json` show it (README): the status in the past tense, the title as its name. */
export interface ReportCheck {
  id: string;
  group: string;
  service: Service;
  kind: CheckKind;
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  detail: string;
  durationMs: number;
  diagnosis?: string[];
  hint?: string;
}

const pastTense = { pass: 'passed', fail: 'failed', skip: 'skipped' } as const;

export function reportCheck(check: DeploymentCheck): ReportCheck {
  const { id, group, service, kind, title, status, detail, durationMs, diagnosis, hint } = check;
  return { id, group, service, kind, name: title, status: pastTense[status], detail, durationMs, ...(diagnosis && { diagnosis }), ...(hint !== undefined && { hint }) };
}

export interface ResilienceResult {
  service: 'backend';
  deleted: string[];
  replacements: string[];
  /** From the deletion until every replacement was ready; undefined when they never were. */
  replacementReadyMs?: number;
  /** How long the health endpoint did not answer 200, from the first failed probe to the next good one. */
  unavailableMs: number;
  probes: number;
  failedProbes: number;
  /** With the database in the cluster: its pod deleted too, and a row written before read after. */
  database?: { deleted: string; replacementReadyMs?: number; dataSurvived: boolean };
}

export function summarize(checks: readonly DeploymentCheck[]): VerifyReport['summary'] {
  const count = (status: DeploymentCheck['status']) => checks.filter((c) => c.status === status).length;
  return { tests: checks.length, passed: count('pass'), failed: count('fail'), skipped: count('skip') };
}

export async function writeReport(file: string, report: VerifyReport, redactor: Redactor): Promise<void> {
  // Scrubbed value by value before serialising, so the JSON or XML around them stays intact.
  const scrubbed = redactor.scrubValues(report);
  const text = reportFormat(file) === 'json' ? `${JSON.stringify(scrubbed, null, 2)}\n` : junit(scrubbed);
  // Written whole or not at all: a CI step never reads half a report.
  const partial = `${file}.partial`;
  await writeFile(partial, text);
  await rename(partial, file);
}

/** JUnit XML as Jenkins, GitLab and GitHub's test reporters read it: a suite per group, a case per check. */
export function junit(report: VerifyReport): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const groups = [...new Set(report.checks.map((c) => c.group))];
  const suites = groups.map((group) => {
    const checks = report.checks.filter((c) => c.group === group);
    const count = (status: ReportCheck['status']) => checks.filter((c) => c.status === status).length;
    const cases = checks.map((c) => {
      const open = `    <testcase classname="todo-deploy.${attr(c.group)}.${attr(c.service)}" name="${attr(c.name)}" time="${seconds(c.durationMs)}"`;
      if (c.status === 'passed') return `${open}>\n      <system-out>${text(c.detail)}</system-out>\n    </testcase>`;
      if (c.status === 'skipped') return `${open}>\n      <skipped message="${attr(c.detail)}"/>\n    </testcase>`;
      const body = [c.detail, ...(c.diagnosis ?? []), ...(c.hint ? [`hint: ${c.hint}`] : [])].join('\n');
      return `${open}>\n      <failure message="${attr(c.detail)}" type="${attr(c.kind)}">${text(body)}</failure>\n    </testcase>`;
    });
    const time = seconds(checks.reduce((n, c) => n + c.durationMs, 0));
    return [
      `  <testsuite name="${attr(group)}" tests="${checks.length}" failures="${count('failed')}" errors="0" skipped="${count('skipped')}" time="${time}" timestamp="${attr(report.startedAt)}">`,
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  const s = report.summary;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="todo-deploy verify" tests="${s.tests}" failures="${s.failed}" errors="0" skipped="${s.skipped}" time="${seconds(report.durationMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

// XML 1.0 allows no control characters but tab, newline and carriage return; a log line may
// carry colour escapes.
// eslint-disable-next-line no-control-regex
const invalidXml = /\u001b\[[0-9;]*[A-Za-z]|[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

function text(value: string): string {
  return value.replace(invalidXml, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}
