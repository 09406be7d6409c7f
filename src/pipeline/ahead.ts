/**
 * Work started ahead of the phase that needs it, so that it overlaps whatever runs before. If
 * that phase never runs (an earlier one failed), a failure of the work is nobody's to report:
 * it must not surface as an unhandled rejection. The phase that awaits it gets it as usual.
 */
export function ahead<T>(work: Promise<T>): Promise<T> {
  work.catch(() => {});
  return work;
}
