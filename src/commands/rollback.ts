// `todo-deploy rollback [frontend|backend]`: back to the last revision that was deployed
// successfully before the current one (or `--to N`, checked against the history), then the
// same checks as `verify` on what was rolled back.
import type { Config, Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { groupHeadings, runChecks, selections } from '../deployment/checks.js';
import { checkTarget } from '../deployment/access.js';
import { withForwards } from '../deployment/forward.js';
import { connect, loadSettings, selectServices } from '../deployment/connect.js';
import { withDeployLock } from '../deployment/lock.js';
import { OperationError, UsageError } from '../errors.js';
import { reportCheck } from '../deployment/report.js';
import { releaseRef, type Deployment } from '../deployment/view.js';
import type { HistoryEntry } from '../tools/helm.js';
import { renderChecks } from '../ui/checks.js';

export interface RollbackOptions {
  to?: string;
  /** false with --no-wait-for-lock. */
  waitForLock?: boolean;
}

export async function rollback(ctx: Context, service: string | undefined, options: RollbackOptions): Promise<void> {
  const selected = selectServices(service);
  const to = options.to === undefined ? undefined : Number(options.to);
  if (to !== undefined && !(Number.isInteger(to) && to > 0)) throw new UsageError(`--to ${options.to}: expected a revision number (1, 2, …).`, '`todo-deploy status` shows the current revision.');
  if (to !== undefined && selected.length > 1) {
    throw new UsageError('--to needs a service: the two releases have revisions of their own.', `For example: todo-deploy rollback backend --to ${to}`);
  }
  const config = await loadSettings(ctx);
  checkTarget(config, ctx.dryRun ? undefined : { yes: ctx.yes });
  await withDeployLock(ctx, config, { command: 'rollback', wait: options.waitForLock ?? true }, () => rollBack(ctx, config, selected, to, service === undefined));
}

async function rollBack(ctx: Context, config: Config, selected: Service[], to: number | undefined, anyService: boolean): Promise<void> {
  const deployment = await connect(ctx, config);
  type Target = { service: Service; release: string; from: number; target: number } | { service: Service; skipped: UsageError | NotInstalled };
  const targets = await Promise.all(
    selected.map(async (s): Promise<Target> => {
      try {
        return { service: s, ...pickTarget(deployment.config[s].release, await history(ctx, deployment, s), to) };
      } catch (error) {
        // Without a service named, one that cannot go back does not hold back the other.
        if (anyService && (error instanceof UsageError || error instanceof NotInstalled)) return { service: s, skipped: error };
        throw error;
      }
    }),
  );
  const plans = targets.flatMap((t) => ('skipped' in t ? [] : [t]));
  const skipped = targets.flatMap((t) => ('skipped' in t ? [t.skipped] : []));
  if (plans.length === 0) {
    throw new UsageError(`Nothing to roll back: ${skipped.map((e) => e.message).join(' ')}`, [...new Set(skipped.map((e) => e.hint).filter(Boolean))].join(' '));
  }
  for (const error of skipped) ctx.out.warn(`Not rolled back: ${error.message} ${error.hint ?? ''}`.trim());

  const timeoutMs = deployment.config.timeouts.deploy;
  const task = ctx.out.task(`Rolling back ${plans.map((p) => `${p.release} ${p.from} → ${p.target}`).join(', ')}`);
  await Promise.all(
    plans.map((p) =>
      ctx.tools.helm.rollback({ ...releaseRef(deployment, p.service), revision: p.target, timeoutMs }, timeoutMs + 30_000).catch((error: unknown) => {
        task.fail(`${p.release} could not be rolled back`);
        throw error;
      }),
    ),
  );
  task.succeed(ctx.dryRun ? '(dry run)' : 'done');
  ctx.out.result({ rollbacks: plans.map(({ service: s, release, from, target }) => ({ service: s, release, from, to: target })), dryRun: ctx.dryRun });
  if (ctx.dryRun) {
    ctx.out.print('Dry run: nothing was changed.');
    return;
  }

  const check = ctx.out.task('Verifying');
  const checks = await withForwards(ctx, deployment, () => runChecks(ctx, deployment, { group: 'verify', ...selections.rollback, services: plans.map((p) => p.service), onProgress: (text) => check.update(text) }));
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length > 0) check.fail(`${failed.length} of ${checks.length} checks failed`);
  else check.succeed(`${checks.length} checks passed`);
  ctx.out.print(renderChecks(checks, ctx.out, { headings: groupHeadings }));
  ctx.out.result({ checks: checks.map(reportCheck) });
  if (failed.length > 0) {
    throw new OperationError(
      `Rolled back, but the rolled-back revision is not healthy: ${failed.map((c) => c.title).join(', ')}.`,
      [],
      failed.find((c) => c.hint)?.hint ?? 'The checks above say what failed; `todo-deploy up` deploys the current source again.',
    );
  }
  ctx.out.print(`\nRolled back ${plans.map((p) => `${p.release} to revision ${p.target}`).join(' and ')}. The next \`todo-deploy up\` deploys your current source again.`);
}

/** A release that is not there: without a service named, the other one is still rolled back. Any other failure (the cluster not answering) stops the command. */
class NotInstalled extends OperationError {}

async function history(ctx: Context, deployment: Deployment, service: Service): Promise<HistoryEntry[]> {
  const ref = releaseRef(deployment, service);
  const entries = await ctx.tools.helm.history(ref);
  if (entries) return entries;
  throw new NotInstalled(`${service} is not installed (no release ${ref.release} in namespace ${ref.namespace}), so there is nothing to roll back.`, [], 'Run `todo-deploy up` to deploy it.');
}

/**
 * The revision to go back to: --to N when the history has it and it is not the current one;
 * otherwise the newest earlier revision that was once running (deployed or superseded, never a
 * failed one) and is not what the current revision already rolled back to.
 */
export function pickTarget(release: string, entries: readonly HistoryEntry[], to: number | undefined): { release: string; from: number; target: number } {
  const current = entries.at(-1);
  if (!current) throw new OperationError(`${release} has no revisions to roll back to.`, [], 'Run `todo-deploy up` to deploy it.');
  const listing = entries.map((e) => `${e.revision} (${e.status}, ${e.updated.slice(0, 19).replace('T', ' ')}${e.description ? `: ${e.description}` : ''})`);
  if (to !== undefined) {
    if (to === current.revision) throw new UsageError(`${release} is already at revision ${to}.`, `Its revisions: ${listing.join('; ')}.`);
    if (!entries.some((e) => e.revision === to)) {
      throw new UsageError(`${release} has no revision ${to}.`, `Its revisions (Helm keeps the last 10): ${listing.join('; ')}.`);
    }
    return { release, from: current.revision, target: to };
  }
  const same = /^Rollback to (\d+)$/.exec(current.description)?.[1];
  const previous = entries.filter((e) => e.revision < current.revision && ['deployed', 'superseded'].includes(e.status) && String(e.revision) !== same).at(-1);
  if (!previous && entries.length === 1) {
    throw new UsageError(`${release} has only revision ${current.revision}: there is no earlier one to go back to.`, 'After a `todo-deploy up` that changes it, this rolls that change back.');
  }
  if (!previous) {
    throw new UsageError(
      `${release} has no earlier revision that was deployed successfully.`,
      `Its revisions: ${listing.join('; ')}. With the service named, --to N goes to one of them anyway.`,
    );
  }
  return { release, from: current.revision, target: previous.revision };
}
