// `todo-deploy setup`: the guided wizard. Finds the app, asks where the database is (PostgreSQL
// in the cluster, or an external one by its URL), asks for each .env value and the cluster's resources (every answer checked by the rules `up` applies), shows a summary with
// the secrets masked, and only after confirmation writes .env (mode 600), todo-deploy.yaml
// (from the template, comments kept) and the .gitignore entry; then offers to run `up`.
// Every question has a flag, so with --yes and the flags it runs without a terminal.
import { relative } from 'node:path';
import { thisMachine } from '../checks/settings.js';
import type { Context } from '../context.js';
import { CancelledError } from '../errors.js';
import { readFlags, type SetupFlags } from '../setup/flags.js';
import { planWrites, renderSummary, type WritePlan } from '../setup/plan.js';
import { readPrevious } from '../setup/previous.js';
import { answerAll, buildQuestions, requireFlags } from '../setup/questions.js';
import { writeFiles } from '../setup/write.js';

export interface SetupOptions extends SetupFlags {
  /** false with --no-check-database. */
  checkDatabase?: boolean;
  /** true with --up, false with --no-up; otherwise a terminal user is asked. */
  up?: boolean;
}

export async function setup(ctx: Context, options: SetupOptions = {}): Promise<void> {
  const host = thisMachine();
  let plan: WritePlan;
  try {
    const previous = await readPrevious(ctx);
    // Said before anything is asked, so that a value missing from the defaults is explained.
    for (const problem of previous.refused) ctx.out.warn(`${ctx.envFile}: ${problem} Setup does not keep it.`);
    const given = await readFlags(ctx, options, host);
    const questions = await buildQuestions(ctx, previous, given, host, options.checkDatabase !== false);
    if (!ctx.interactive) requireFlags(ctx, questions);
    const answers = await answerAll(ctx, questions);
    plan = await planWrites(ctx, previous, answers);
    ctx.out.print(renderSummary(ctx, plan, questions, answers));
    for (const warning of plan.warnings) ctx.out.warn(warning);
    if (ctx.interactive && !ctx.yes) {
      const replaced = [plan.env, plan.config].filter((f) => f.exists).map((f) => relative(ctx.appDir, f.path) || f.path);
      const write = await ctx.prompts.confirm({
        message: replaced.length > 0 ? `Write these files (updating the existing ${replaced.join(' and ')})?` : 'Write these files?',
        default: true,
      });
      if (!write) throw new CancelledError('Setup cancelled: nothing was written.');
    }
  } catch (error) {
    if (error instanceof CancelledError) throw new CancelledError('Setup cancelled: nothing was written.', 'Run todo-deploy setup again when you are ready.');
    throw error;
  }

  await writeFiles(plan);
  const written = [`${plan.env.path} (mode 600)`, plan.config.path, ...(plan.gitignore.append ? [`${plan.gitignore.path} (added ${plan.gitignore.entry})`] : [])];
  ctx.out.print(`${ctx.out.style.green('✔')} Wrote ${written.join(', ')}.`);
  ctx.out.result({ files: { env: plan.env.path, config: plan.config.path, gitignore: plan.gitignore.append ? plan.gitignore.path : null } });

  let runUp = options.up;
  if (runUp === undefined && ctx.interactive && !ctx.yes) {
    try {
      runUp = await ctx.prompts.confirm({ message: 'Run todo-deploy up now?', default: true });
    } catch (error) {
      if (error instanceof CancelledError) throw new CancelledError('Interrupted; the files are written.', 'Run todo-deploy up when you are ready.');
      throw error;
    }
  }
  ctx.out.result({ up: runUp === true });
  if (!runUp) {
    ctx.out.print(`Next: ${ctx.out.style.bold('todo-deploy up')} builds, deploys and verifies the app (${ctx.out.style.bold('todo-deploy doctor')} checks everything first).`);
    return;
  }
  const { up } = await import('./up.js');
  await up(ctx);
}
