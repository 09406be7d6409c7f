// `todo-deploy verify`: proves the running deployment healthy, check by check; `--resilience`
// deletes the backend's pods and measures the outage (and, with the database in the cluster,
// deletes its pod and proves its data survived); `--report` writes the checks for CI.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { packageVersion } from '../assets.js';
import type { Context } from '../context.js';
import { services } from '../config/schema.js';
import { checkKinds, groupHeadings, newCheck, runChecks, selections, type DeploymentCheck } from '../deployment/checks.js';
import { checkTarget } from '../deployment/access.js';
import { connect, loadSettings } from '../deployment/connect.js';
import { withForwards } from '../deployment/forward.js';
import { databaseResilience, resilienceTest } from '../deployment/resilience.js';
import { reportCheck, reportFormat, summarize, writeReport, type ResilienceResult, type VerifyReport } from '../deployment/report.js';
import { openedUrl, type Deployment } from '../deployment/view.js';
import { OperationError, TodoDeployError, UsageError } from '../errors.js';
import { formatDuration } from '../format.js';
import { renderChecks } from '../ui/checks.js';

export interface VerifyOptions {
  resilience?: boolean;
  report?: string;
}

export async function verify(ctx: Context, options: VerifyOptions): Promise<void> {
  const startedAt = new Date();
  const started = performance.now();
  if (options.report) checkReportFile(options.report);
  const config = await loadSettings(ctx);
  // --resilience deletes pods: on a protected context, only with --yes.
  if (options.resilience) checkTarget(config, { yes: ctx.yes });
  let deployment: Deployment;
  try {
    deployment = await connect(ctx, config);
  } catch (error) {
    // A CI job that asked for a report still gets one to show: every check failed, and why.
    if (options.report && error instanceof TodoDeployError) {
      const checks: DeploymentCheck[] = services.flatMap((s) =>
        checkKinds(s, selections.verify, config.database.mode === 'in-cluster').map((kind) => ({ ...newCheck('verify', s, kind), status: 'fail' as const, detail: `not checked: ${error.message}`, ...(error.hint && { hint: error.hint }) })),
      );
      if (options.resilience) checks.push(...notRunResilience('not run: the deployment could not be reached', config.database.mode === 'in-cluster'));
      const report = reportOf({ startedAt, started, target: { profile: config.minikube.profile, kubeContext: '', namespace: config.namespace }, urls: {}, checks });
      // The reason the deployment could not be reached stays the error, even if the report cannot be written.
      await writeReport(options.report, report, ctx.redactor).then(
        () => ctx.out.info(`Report written to ${options.report}`),
        (writeError: unknown) => ctx.out.warn(`The report could not be written to ${options.report}: ${(writeError as Error).message}`),
      );
    }
    throw error;
  }

  const inCluster = config.database.mode === 'in-cluster';
  const task = ctx.out.task('Verifying the deployment');
  // On the cluster target the URLs are served by port-forwards while the checks run.
  const { checks, resilience } = await withForwards(ctx, deployment, async () => {
  const checks = await runChecks(ctx, deployment, { group: 'verify', ...selections.verify, onProgress: (text) => task.update(text) });
  let resilience: ResilienceResult | undefined;
  if (options.resilience) {
    if (checks.some((c) => c.status === 'fail')) {
      checks.push(...notRunResilience('not run: the deployment is not healthy', inCluster));
    } else {
      task.update('resilience: deleting the backend pods, waiting for their replacement');
      const test = await resilienceTest(ctx, deployment);
      resilience = test.result;
      checks.push(...test.checks);
      if (inCluster && test.checks.every((c) => c.status !== 'fail')) {
        task.update('resilience: deleting the database pod, waiting for its replacement');
        const database = await databaseResilience(ctx, deployment);
        resilience.database = database.result;
        test.checks.push(...database.checks);
        checks.push(...database.checks);
      } else if (inCluster) {
        checks.push(...notRunResilience('not run: the backend did not come back', true).filter((c) => c.kind !== 'replacement' && c.kind !== 'availability'));
      }
      if (test.checks.every((c) => c.status !== 'fail')) {
        checks.push(...(await runChecks(ctx, deployment, { group: 'after-resilience', ...selections.afterResilience, onProgress: (text) => task.update(`again: ${text}`) })));
      }
    }
  }
  return { checks, resilience };
  });
  const summary = summarize(checks);
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length > 0) task.fail(`${failed.length} of ${summary.tests} checks failed`);
  else task.succeed(`${summary.passed} checks passed${summary.skipped ? `, ${summary.skipped} skipped` : ''}`);

  ctx.out.print(renderChecks(checks, ctx.out, { headings: groupHeadings }));
  if (resilience?.replacementReadyMs !== undefined) {
    ctx.out.print(`\nResilience: the backend was unavailable for ${formatDuration(resilience.unavailableMs)} while ${resilience.deleted.join(', ')} was replaced.`);
  }
  if (resilience?.database?.dataSurvived) {
    ctx.out.print(`The database's pod ${resilience.database.deleted} was replaced in ${formatDuration(resilience.database.replacementReadyMs!)}, its data intact.`);
  }
  const report = reportOf({
    startedAt,
    started,
    target: { profile: config.minikube.profile, kubeContext: deployment.kubeContext, namespace: config.namespace },
    urls: { frontend: openedUrl(deployment.services.frontend), backend: openedUrl(deployment.services.backend) },
    checks,
    resilience,
  });
  if (options.report) {
    await writeReport(options.report, report, ctx.redactor);
    ctx.out.info(`Report written to ${options.report}`);
  }
  ctx.out.result({ summary, checks: report.checks, urls: report.urls, ...(resilience && { resilience }), ...(options.report && { report: options.report }) });
  if (failed.length > 0) {
    throw new OperationError(
      `Verification failed: ${failed.map((c) => c.title).join(', ')}.`,
      [],
      failed.find((c) => c.hint)?.hint ?? 'The checks above say what failed; `todo-deploy status` shows the pods.',
    );
  }
}

/** The resilience test's checks, recorded as skipped so a CI report shows it was asked for and why it did not run. */
function notRunResilience(detail: string, inCluster: boolean): DeploymentCheck[] {
  const kinds = ['replacement', 'availability', ...(inCluster ? (['database-replacement', 'data-survived'] as const) : [])] as const;
  return kinds.map((kind) => ({ ...newCheck('resilience', 'backend', kind), detail }));
}

function reportOf(run: Pick<VerifyReport, 'target' | 'urls' | 'resilience'> & { checks: readonly DeploymentCheck[]; startedAt: Date; started: number }): VerifyReport {
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
    checks: run.checks.map(reportCheck),
    ...(run.resilience && { resilience: run.resilience }),
  };
}

/** Before any work: a report needs a known format and a folder to go in. */
function checkReportFile(file: string): void {
  reportFormat(file);
  const dir = dirname(resolve(file));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--report ${file}: the folder ${dir} does not exist.`, `Create it first (mkdir -p ${dir}), or write the report elsewhere.`);
}
