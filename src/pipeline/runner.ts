// Runs a graph of steps, each as soon as the results it needs are there — so independent ones
// overlap — and hands each step the results it declared, typed: no step writes into another's.
// A step with a title is a phase: timed, shown with its progress, reported in the summary and
// the --json document. A step without one is a read started ahead of the phase that needs it:
// silent, and its failure is that phase's failure. At the first failure the runner starts
// nothing more and has `stop` end the steps under way (as Ctrl-C would), so the failure is
// reported at once and nothing else changes.
import { CancelledError, TodoDeployError } from '../errors.js';
import type { Output } from '../ui/output.js';

/** Results of type R[N] for each needed id N, and promises of R[A] for each awaited id A. */
export type Inputs<R, N extends keyof R, A extends keyof R> = { [P in N]: R[P] } & { [P in A]: Promise<R[P]> };

export interface Step<R, K extends keyof R = keyof R, N extends keyof R = keyof R, A extends keyof R = keyof R> {
  id: K;
  /** Shown and reported: a phase. Without one, a read that runs silently. */
  title?: string;
  /** The steps whose results this one needs before it starts; by default, the step before it in the list. */
  needs?: readonly N[];
  /** Steps whose results this one takes as promises: it starts (and shows its progress) before they are answered. */
  awaits?: readonly A[];
  run(inputs: Inputs<R, N, A>, progress: (text: string) => void): Promise<R[K]>;
  /** A one-line detail of the result, for the summary. */
  detail?(result: R[K]): string | undefined;
  /** What an interruption during this phase leaves behind, for the Ctrl-C message; asked when it happens, since it depends on how far the phase got. */
  leftBehind?: string | (() => string);
}

/** A step of the graph R, its input ids inferred from `needs` and `awaits`. */
export const stepOf =
  <R>() =>
  <K extends keyof R, N extends keyof R = never, A extends keyof R = never>(step: Step<R, K, N, A>): Step<R, K, N, A> =>
    step;

export type PhaseStatus = 'done' | 'failed' | 'interrupted' | 'not run';

export interface PhaseReport {
  id: string;
  title: string;
  status: PhaseStatus;
  durationMs: number;
  detail?: string;
}

/** A step that did not run because a step it needs failed or was stopped. */
class NotRun extends CancelledError {}

export async function runSteps<R>(out: Output, steps: ReadonlyArray<Step<R>>, stop: () => void = () => {}): Promise<{ reports: PhaseReport[]; results: Partial<R> }> {
  const phases = steps.filter((s) => s.title !== undefined);
  const reports = new Map(phases.map((s): [Step<R>, PhaseReport] => [s, { id: String(s.id), title: s.title!, status: 'not run', durationMs: 0 }]));
  out.result({ phases: [...reports.values()] });
  const failures: Array<{ step: Step<R>; error: unknown }> = [];
  const results: Partial<R> = {};

  const fail = (step: Step<R>, report: PhaseReport, task: ReturnType<Output['task']>, error: unknown) => {
    const cancelled = error instanceof CancelledError;
    // Cancelled after another phase failed, or failed with that phase's error (a read both
    // needed): stopped by this runner, not by the user.
    const first = failures[0];
    const stopped = first !== undefined && !(first.error instanceof CancelledError) && (cancelled || first.error === error);
    report.status = cancelled || stopped ? 'interrupted' : 'failed';
    task.fail(stopped ? `stopped: "${first.step.title}" failed. ${leftBehindOf(step) ?? ''}`.trim() : cancelled ? 'interrupted' : error instanceof TodoDeployError ? error.message : 'failed');
    if (!stopped) failures.push({ step, error });
    if (!cancelled && !stopped && failures.length === 1) stop();
  };

  const runOne = async (step: Step<R>, inputs: Record<PropertyKey, unknown>, inputError: unknown): Promise<R[keyof R]> => {
    // A step whose inputs are ready after a phase failed is not started.
    if (failures.length > 0) throw new NotRun();
    const report = reports.get(step);
    if (!report) {
      // A read whose own read failed: its consumers report that failure.
      if (inputError) throw inputError;
      return step.run(inputs as never, () => {});
    }
    const task = out.task(step.title!);
    const started = performance.now();
    try {
      // A read this phase needed failed: its failure is this phase's.
      if (inputError) throw inputError;
      const result = await step.run(inputs as never, (text) => task.update(text));
      report.detail = step.detail?.(result);
      report.status = 'done';
      task.succeed(report.detail);
      return result;
    } catch (error) {
      fail(step, report, task, error);
      throw error;
    } finally {
      report.durationMs = Math.round(performance.now() - started);
    }
  };

  const settled = new Map<keyof R, Promise<R[keyof R]>>();
  for (const [index, step] of steps.entries()) {
    const needs = step.needs ?? (index > 0 ? [steps[index - 1]!.id] : []);
    const earlier = steps.slice(0, index);
    const bad = [...needs, ...(step.awaits ?? [])].find((id) => !earlier.some((s) => s.id === id));
    if (bad !== undefined) throw new Error(`step ${String(step.id)} needs ${String(bad)}, which does not come before it`);

    const promise = Promise.allSettled(needs.map((id) => settled.get(id)!)).then((outcomes) => {
      const inputs: Record<PropertyKey, unknown> = {};
      let inputError: unknown;
      for (const [i, outcome] of outcomes.entries()) {
        const need = steps.find((s) => s.id === needs[i])!;
        if (outcome.status === 'fulfilled') inputs[need.id] = outcome.value;
        // A phase that failed was reported: what needs it does not run. A read that failed — or
        // was interrupted by the user — is reported by what needs it.
        else if (need.title !== undefined || outcome.reason instanceof NotRun) throw new NotRun();
        else inputError ??= outcome.reason;
      }
      for (const id of step.awaits ?? []) inputs[id] = settled.get(id)!;
      return runOne(step, inputs, inputError);
    });
    // Nobody may be left to hear a read's failure (the phase that needs it never ran).
    promise.then((result) => void (results[step.id] = result), () => {});
    settled.set(step.id, promise);
  }
  await Promise.allSettled(settled.values());

  // The first failure is what the user needs; the phases it stopped only followed from it.
  if (failures.length > 0 && !(failures[0]!.error instanceof CancelledError)) throw failures[0]!.error;
  // In the phases' order, not the order they happened to stop in.
  const interrupted = failures.filter((f) => f.error instanceof CancelledError).sort((a, b) => steps.indexOf(a.step) - steps.indexOf(b.step));
  if (interrupted.length > 0) {
    throw new CancelledError(
      `Interrupted during ${interrupted.map((f) => `"${f.step.title}"`).join(' and ')}.`,
      `${[...new Set(interrupted.map((f) => leftBehindOf(f.step) ?? 'Nothing was left half-done.'))].join(' ')} Run the same command again: it picks up where this one stopped.`,
    );
  }
  return { reports: [...reports.values()], results };
}

function leftBehindOf<R>(step: Step<R>): string | undefined {
  return typeof step.leftBehind === 'function' ? step.leftBehind() : step.leftBehind;
}
