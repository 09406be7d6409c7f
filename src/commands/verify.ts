// `todo-deploy verify`: proves the running deployment healthy, check by check; `--resilience`
// deletes the backend's pods and measures the outage; `--report` writes the checks for CI.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { packageVersion } from '../assets.js';
import type { Context } from '../context.js';
import { services } from '../config/schema.js';
import { checkKinds, newCheck, runChecks, type VerifyCheck } from '../deployment/checks.js';
import { connect, loadSettings, type Deployment } from '../deployment/connect.js';
import { resilienceTest } from '../deployment/resilience.js';
import { reportFormat, summarize, writeReport, type ResilienceResult, type VerifyReport } from '../deployment/report.js';
import { OperationError, TodoDeployError, UsageError } from '../errors.js';
import { formatDuration } from '../format.js';
import type { Output } from '../ui/output.js';

export interface VerifyOptions {
  resilience?: boolean;
  report?: string;
}

export async function verify(ctx: Context, options: VerifyOptions): Promise<void> {
  const startedAt = new Date();
  const started = performance.now();
  if (options.report) checkReportFile(options.report);
  const config = await loadSettings(ctx);
  let deployment: Deployment;
  try {
    deployment = await connect(ctx, config);
  } catch (error) {
    // A CI job that asked for a report still gets one to show: every check failed, and why.
    if (options.report && error instanceof TodoDeployError) {
      const checks: VerifyCheck[] = services.flatMap((s) =>
        checkKinds(s, { helmTests: true, appChecks: true }).map((kind) => ({ ...newCheck('verify', s, kind), status: 'failed' as const, detail: `not checked: ${error.message}`, ...(error.hint && { hint: error.hint }) })),
      );
      if (options.resilience) checks.push(...notRunResilience('not run: the deployment could not be reached'));
      const report = reportOf({ startedAt, started, target: { profile: config.minikube.profile, kubeContext: '', namespace: config.namespace }, urls: {}, checks });
      // The reason the deployment could not be reached stays the error, even if the report cannot be written.
      await writeReport(options.report, report, ctx.redactor).then(
        () => ctx.out.info(`Report written to ${options.report}`),
        (writeError: unknown) => ctx.out.warn(`The report could not be written to ${options.report}: ${(writeError as Error).message}`),
      );
    }
    throw error;
  }

  const task = ctx.out.task('Verifying the deployment');
  const checks = await runChecks(ctx, deployment, { group: 'verify', helmTests: true, appChecks: true, onProgress: (text) => task.update(text) });
  let resilience: ResilienceResult | undefined;
  if (options.resilience) {
    if (checks.some((c) => c.status === 'failed')) {
      checks.push(...notRunResilience('not run: the deployment is not healthy'));
    } else {
      task.update('resilience: deleting the backend pods, waiting for their replacement');
      const test = await resilienceTest(ctx, deployment);
      resilience = test.result;
      checks.push(...test.checks);
      if (test.checks.every((c) => c.status !== 'failed')) {
        checks.push(...(await runChecks(ctx, deployment, { group: 'after-resilience', helmTests: false, appChecks: false, onProgress: (text) => task.update(`again: ${text}`) })));
      }
    }
  }
  const summary = summarize(checks);
  const failed = checks.filter((c) => c.status === 'failed');
  if (failed.length > 0) task.fail(`${failed.length} of ${summary.tests} checks failed`);
  else task.succeed(`${summary.passed} checks passed${summary.skipped ? `, ${summary.skipped} skipped` : ''}`);

  ctx.out.print(renderChecks(checks, ctx.out));
  if (resilience?.replacementReadyMs !== undefined) {
    ctx.out.print(`\nResilience: the backend was unavailable for ${formatDuration(resilience.unavailableMs)} while ${resilience.deleted.join(', ')} was replaced.`);
  }
  const report = reportOf({
    startedAt,
    started,
    target: { profile: config.minikube.profile, kubeContext: deployment.kubeContext, namespace: config.namespace },
    urls: { frontend: deployment.services.frontend.url, backend: deployment.services.backend.url },
    checks,
    resilience,
  });
  if (options.report) {
    await writeReport(options.report, report, ctx.redactor);
    ctx.out.info(`Report written to ${options.report}`);
  }
  ctx.out.result({ summary, checks, urls: report.urls, ...(resilience && { resilience }), ...(options.report && { report: options.report }) });
  if (failed.length > 0) {
    throw new OperationError(
      `Verification failed: ${failed.map((c) => c.name).join(', ')}.`,
      [],
      failed.find((c) => c.hint)?.hint ?? 'The checks above say what failed; `todo-deploy status` shows the pods.',
    );
  }
}

/** The resilience test's checks, recorded as skipped so a CI report shows it was asked for and why it did not run. */
function notRunResilience(detail: string): VerifyCheck[] {
  return (['replacement', 'availability'] as const).map((kind) => ({ ...newCheck('resilience', 'backend', kind), detail }));
}

function reportOf(run: Pick<VerifyReport, 'target' | 'urls' | 'checks' | 'resilience'> & { startedAt: Date; started: number }): VerifyReport {
  const summary = summarize(run.checks);
  return {
    tool: 'todo-deploy',
    version: packageVersion(),
    command: 'verify',
    ok: summary.failed === 0,
    startedAt: run.startedAt.toISOString(),
    durationMs: Math.round(performance.now() - run.started),
    target: run.target,
    urls: run.urls,
    summary,
    checks: run.checks,
    ...(run.resilience && { resilience: run.resilience }),
  };
}

/** Before any work: a report needs a known format and a folder to go in. */
function checkReportFile(file: string): void {
  reportFormat(file);
  const dir = dirname(resolve(file));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--report ${file}: the folder ${dir} does not exist.`, `Create it first (mkdir -p ${dir}), or write the report elsewhere.`);
}

const marks: Record<VerifyCheck['status'], [tty: string, plain: string]> = { passed: ['✔', 'ok'], failed: ['✖', 'FAIL'], skipped: ['-', 'skip'] };

/** One line per check, grouped as run, with each failure's diagnosis and hint under it. */
export function renderChecks(checks: readonly VerifyCheck[], out: Pick<Output, 'mode' | 'style'>): string {
  const { style } = out;
  const paint = { passed: style.green, failed: style.red, skipped: style.dim };
  const width = Math.max(...checks.map((c) => c.name.length));
  const markWidth = out.mode === 'tty' ? 1 : 4;
  const indent = ' '.repeat(markWidth + width + 4);
  const lines: string[] = [];
  let group = '';
  for (const check of checks) {
    if (check.group !== group) {
      group = check.group;
      lines.push(style.bold(headings[group] ?? group));
    }
    const mark = marks[check.status][out.mode === 'tty' ? 0 : 1].padEnd(markWidth);
    lines.push(`${paint[check.status](mark)}  ${check.name.padEnd(width)}  ${check.detail}`);
    for (const line of check.diagnosis ?? []) lines.push(line.split('\n').map((l) => `${indent}${l}`).join('\n'));
    if (check.hint && check.status === 'failed') lines.push(`${indent}${style.dim('→')} ${check.hint}`);
  }
  return lines.join('\n');
}

const headings: Record<string, string> = { verify: 'Deployment', resilience: 'Resilience: backend pods deleted', 'after-resilience': 'After the replacement' };
