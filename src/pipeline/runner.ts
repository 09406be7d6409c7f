// Runs phases in order: times each, shows its progress, stops at the first failure, and
// records every phase's outcome for the summary and the --json document.
import { CancelledError, TodoDeployError } from '../errors.js';
import type { Output } from '../ui/output.js';

export interface Phase<S> {
  id: string;
  title: string;
  /** Returns a one-line detail for the summary. */
  run(state: S, progress: (text: string) => void): Promise<string | undefined>;
  /** What an interruption during this phase leaves behind, for the Ctrl-C message. */
  leftBehind?: string;
}

export type PhaseStatus = 'done' | 'failed' | 'interrupted' | 'not run';

export interface PhaseReport {
  id: string;
  title: string;
  status: PhaseStatus;
  durationMs: number;
  detail?: string;
}

export async function runPhases<S>(out: Output, phases: ReadonlyArray<Phase<S>>, state: S): Promise<PhaseReport[]> {
  const reports: PhaseReport[] = phases.map(({ id, title }) => ({ id, title, status: 'not run', durationMs: 0 }));
  out.result({ phases: reports });
  for (const [index, phase] of phases.entries()) {
    const report = reports[index]!;
    const task = out.task(phase.title);
    const started = performance.now();
    try {
      report.detail = await phase.run(state, (text) => task.update(text));
      report.status = 'done';
      task.succeed(report.detail);
    } catch (error) {
      const cancelled = error instanceof CancelledError;
      report.status = cancelled ? 'interrupted' : 'failed';
      task.fail(cancelled ? 'interrupted' : error instanceof TodoDeployError ? error.message : 'failed');
      if (cancelled) {
        throw new CancelledError(
          `Interrupted during "${phase.title}".`,
          `${phase.leftBehind ?? 'Nothing was left half-done.'} Run the same command again: it picks up where this one stopped.`,
        );
      }
      throw error;
    } finally {
      report.durationMs = Math.round(performance.now() - started);
    }
  }
  return reports;
}
