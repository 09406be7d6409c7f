// Proves the deployment healthy: both rollouts complete, both health endpoints answer at the
// URLs the user will open, and the app answers as a browser would. The checks are `verify`'s
// (src/deployment/checks.ts), a selection of them; this step words their failure as `up` does.
import type { Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { appCheckKinds } from '../deployment/app-checks.js';
import { describeFailure, groupHeadings, healthHint, runChecks, selections, type DeploymentCheck } from '../deployment/checks.js';
import type { DeployedService, Deployment } from '../deployment/view.js';
import { OperationError } from '../errors.js';
import { withForwards } from '../deployment/forward.js';
import { formatDuration } from '../format.js';
import type { HealthResult } from '../health.js';
import { renderChecks } from '../ui/checks.js';
import { upStep, type UpInputs } from './results.js';

export const verifyPhase = (ctx: Context, { config }: UpInputs) =>
  upStep({
    id: 'verify',
    needs: ['cluster', 'expose', 'deploy'],
    title: 'Verify rollouts and health',
    async run({ cluster, expose }) {
      // A dry run deployed nothing: what it would verify does not exist yet, or is not what it would deploy.
      if (ctx.dryRun) return { detail: 'skipped (dry run: nothing was deployed)' };
      const view = (service: Service): DeployedService => ({ service, config: config[service], url: cluster.urls[service], ...(expose.urls[service] !== cluster.urls[service] && { publicUrl: expose.urls[service] }) });
      const deployment: Deployment = { config, kubeContext: cluster.kubeContext, services: { frontend: view('frontend'), backend: view('backend') }, ...(cluster.forwarded && { forwarded: true }) };
      return { detail: await withForwards(ctx, deployment, () => verifyDeployment(ctx, deployment)) };
    },
    detail: (result) => result.detail,
  });

/** `up`'s checks of what it deployed: "<url> → 200, <url> → 200; app checks: 5 passed", or the first failing stage as an error. */
export async function verifyDeployment(ctx: Context, deployment: Deployment): Promise<string> {
  const checks = await runChecks(ctx, deployment, { group: 'verify', ...selections.up });
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length > 0) {
    // The overview; the error that follows carries the details.
    ctx.out.print(renderChecks(checks, ctx.out, { headings: groupHeadings, brief: true }));
    throw verifyError(deployment, failed);
  }
  const health = checks.flatMap((c) => (c.health ? [c.health] : []));
  const app = checks.filter((c) => isAppCheck(c));
  const passed = app.filter((c) => c.status === 'pass').length;
  const skipped = app.length - passed;
  return `${health.map((h) => `${h.url} → ${h.status}`).join(', ')}; app checks: ${passed} passed${skipped ? `, ${skipped} turned off` : ''}`;
}

/** The failed checks (all of one stage: up's selection stops at the first) in up's own words. */
function verifyError(deployment: Deployment, failed: readonly DeploymentCheck[]): OperationError {
  const stuck = failed.filter((c) => c.kind === 'rollout');
  if (stuck.length > 0) {
    return new OperationError(
      `${stuck.map((c) => deployment.services[c.service].config.release).join(' and ')} did not become ready within ${formatDuration(deployment.config.timeouts.verify)}.`,
      stuck.flatMap((c) => c.diagnosis ?? []),
      'Fix the cause above and run `todo-deploy up` again.',
    );
  }
  const unhealthy = failed.filter((c): c is DeploymentCheck & { health: HealthResult } => c.kind === 'health' && c.health !== undefined);
  if (unhealthy.length > 0) {
    const answers = unhealthy.map((c) => c.health);
    return new OperationError(
      `Health check failed: ${answers.map((h) => `${h.url} (${describeFailure(h)})`).join('; ')}.`,
      answers.filter((h) => h.body).map((h) => `${h.url} answered: ${h.body}`),
      `The pods are running but ${answers.length > 1 ? 'the endpoints do' : 'the endpoint does'} not answer 200. ${unhealthy.map((c) => healthHint[c.service]).join(' ')}`,
    );
  }
  const many = failed.length > 1;
  return new OperationError(
    `App check${many ? 's' : ''} failed: ${failed.map((c) => `${c.title}: ${c.detail}`).join('; ')}.`,
    failed.flatMap((c) => [...(many ? [`${c.title}:`] : []), ...(c.diagnosis ?? []), ...(many && c.hint ? [`→ ${c.hint}`] : [])]),
    failed[0]!.hint,
  );
}

const isAppCheck = (check: DeploymentCheck) => (appCheckKinds[check.service] as readonly string[]).includes(check.kind);
