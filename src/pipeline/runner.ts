// Runs phases, each as soon as the phases it needs are done — so independent ones overlap —
// times each, shows its progress, and records every phase's outcome for the summary and the
// --json document. At the first failure it starts nothing more and has `stop` end the phases
// under way (as Ctrl-C would), so the failure is reported at once and nothing else changes.
import { CancelledError, TodoDeployError } from '../errors.js';
import type { Output } from '../ui/output.js';

export interface Phase<S> {
  id: string;
  title: string;
  /** The ids of the phases whose results this one needs; by default, the phase before it in the list. */
  after?: readonly string[];
  /** Returns a one-line detail for the summary. */
  run(state: S, progress: (text: string) => void): Promise<string | undefined>;
  /** What an interruption during this phase leaves behind, for the Ctrl-C message; asked when it happens, since it depends on how far the phase got. */
  leftBehind?: string | (() => string);
}

export type PhaseStatus = 'done' | 'failed' | 'interrupted' | 'not run';

export interface PhaseReport {
  id: string;
  title: string;
  status: PhaseStatus;
  durationMs: number;
  detail?: string;
}

export async function runPhases<S>(out: Output, phases: ReadonlyArray<Phase<S>>, state: S, stop: () => void = () => {}): Promise<PhaseReport[]> {
  const reports: PhaseReport[] = phases.map(({ id, title }) => ({ id, title, status: 'not run', durationMs: 0 }));
  out.result({ phases: reports });
  const failures: Array<{ phase: Phase<S>; error: unknown }> = [];

  const runOne = async (phase: Phase<S>, report: PhaseReport): Promise<boolean> => {
    // A phase whose inputs are ready after another one failed is not started.
    if (failures.length > 0) return false;
    const task = out.task(phase.title);
    const started = performance.now();
    try {
      report.detail = await phase.run(state, (text) => task.update(text));
      report.status = 'done';
      task.succeed(report.detail);
      return true;
    } catch (error) {
      const cancelled = error instanceof CancelledError;
      // Cancelled after another phase failed: stopped by this runner, not by the user.
      const stopped = cancelled && failures.length > 0 && !(failures[0]!.error instanceof CancelledError);
      report.status = cancelled ? 'interrupted' : 'failed';
      task.fail(stopped ? `stopped: "${failures[0]!.phase.title}" failed. ${leftBehindOf(phase) ?? ''}`.trim() : cancelled ? 'interrupted' : error instanceof TodoDeployError ? error.message : 'failed');
      failures.push({ phase, error });
      if (!cancelled && failures.length === 1) stop();
      return false;
    } finally {
      report.durationMs = Math.round(performance.now() - started);
    }
  };

  const needs = phases.map((phase, index) => phase.after ?? (index > 0 ? [phases[index - 1]!.id] : []));
  for (const [index, ids] of needs.entries()) {
    const bad = ids.find((id) => !phases.slice(0, index).some((p) => p.id === id));
    if (bad) throw new Error(`phase ${phases[index]!.id} needs ${bad}, which does not come before it`);
  }
  const finished = new Map<string, Promise<boolean>>();
  for (const [index, phase] of phases.entries()) {
    const inputs = needs[index]!.map((id) => finished.get(id)!);
    finished.set(phase.id, Promise.all(inputs).then((ok) => ok.every(Boolean) && runOne(phase, reports[index]!)));
  }
  await Promise.all(finished.values());

  // The first failure is what the user needs; the phases it stopped only followed from it.
  if (failures.length > 0 && !(failures[0]!.error instanceof CancelledError)) throw failures[0]!.error;
  // In the phases' order, not the order they happened to stop in.
  const interrupted = failures.filter((f) => f.error instanceof CancelledError).sort((a, b) => phases.indexOf(a.phase) - phases.indexOf(b.phase));
  if (interrupted.length > 0) {
    throw new CancelledError(
      `Interrupted during ${interrupted.map((f) => `"${f.phase.title}"`).join(' and ')}.`,
      `${[...new Set(interrupted.map((f) => leftBehindOf(f.phase) ?? 'Nothing was left half-done.'))].join(' ')} Run the same command again: it picks up where this one stopped.`,
    );
  }
  return reports;
}

function leftBehindOf(phase: Phase<unknown>): string | undefined {
  return typeof phase.leftBehind === 'function' ? phase.leftBehind() : phase.leftBehind;
}
