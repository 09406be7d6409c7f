import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CancelledError, OperationError } from '../../src/errors.js';
import { runSteps, type Step } from '../../src/pipeline/runner.js';
import { Redactor } from '../../src/redact.js';
import { createOutput } from '../../src/ui/output.js';

async function output() {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (chunk) => (text += String(chunk)));
  const out = await createOutput({ json: false, verbose: false, color: false, env: {}, stdout: new PassThrough() as never, stderr: stderr as never, redactor: new Redactor() });
  return { out, text: () => text };
}

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

type Results = Record<string, string | undefined>;
type Phase = Step<Results>;

/** The phases of these tests log to one list, the state the old runner passed around. */
let log: string[] = [];
const phase = (id: string, run: (log: string[]) => Promise<string | undefined>, after?: string[]): Phase => ({ id, title: `Phase ${id}`, run: () => run(log), needs: after, detail: (result) => result });
/** runSteps over phases that log to `order`. */
const runPhases = async (out: Parameters<typeof runSteps>[0], phases: Phase[], order: string[], stop?: () => void) => {
  log = order;
  return (await runSteps(out, phases, stop)).reports;
};

describe('runPhases', () => {
  it('runs a phase as soon as the phases it needs are done, so independent ones overlap', async () => {
    const { out } = await output();
    const bStarted = signal();
    const cStarted = signal();
    const order: string[] = [];
    const reports = await runPhases(
      out,
      [
        phase('a', async (log) => void log.push('a')),
        // Each of b and c finishes only once the other has started: run one after the other, they would never finish.
        phase('b', async (log) => {
          bStarted.fire();
          await cStarted.promise;
          log.push('b');
          return 'b done';
        }, ['a']),
        phase('c', async (log) => {
          cStarted.fire();
          await bStarted.promise;
          log.push('c');
          return 'c done';
        }, ['a']),
        phase('d', async (log) => void log.push('d'), ['b', 'c']),
      ],
      order,
    );
    expect(order[0]).toBe('a');
    expect(order.at(-1)).toBe('d');
    expect(reports.map((r) => [r.id, r.status, r.detail])).toEqual([
      ['a', 'done', undefined],
      ['b', 'done', 'b done'],
      ['c', 'done', 'c done'],
      ['d', 'done', undefined],
    ]);
  });

  it('without `after`, runs each phase after the one before it', async () => {
    const { out } = await output();
    const order: string[] = [];
    const step = (id: string) =>
      phase(id, async (log) => {
        await Promise.resolve();
        log.push(id);
        return undefined;
      });
    await runPhases(out, ['a', 'b', 'c'].map(step), order);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('at a failure starts nothing new, stops what runs, and throws the failure, not the stop', async () => {
    const { out, text } = await output();
    const stopper = new AbortController();
    const failure = new OperationError('the build broke', [], 'fix it');
    const running = runPhases(
      out,
      [
        phase('start', async () => undefined),
        phase('build', async () => {
          await Promise.resolve();
          throw failure;
        }, ['start']),
        {
          ...phase('secrets', async () => {
            // Under way when build fails: it waits for what only the stop ends, as a child process would.
            await new Promise((_, reject) => stopper.signal.addEventListener('abort', () => reject(new CancelledError())));
            return 'written';
          }, ['start']),
          leftBehind: 'A Secret may be half-written.',
        },
        phase('deploy', async () => 'deployed', ['build', 'secrets']),
      ],
      [],
      () => stopper.abort(),
    );
    await expect(running).rejects.toBe(failure);
    expect(stopper.signal.aborted).toBe(true);
    expect(text()).toMatch(/✖ Phase build: the build broke/);
    expect(text()).toMatch(/✖ Phase secrets: stopped: "Phase build" failed\. A Secret may be half-written\./);
    expect(text()).not.toContain('Phase deploy');
  });

  it('stops nothing when the phases are interrupted: Ctrl-C already stops everything', async () => {
    const { out } = await output();
    let stops = 0;
    const running = runPhases(out, [phase('x', async () => Promise.reject(new CancelledError()))], [], () => stops++);
    await expect(running).rejects.toBeInstanceOf(CancelledError);
    expect(stops).toBe(0);
  });

  it('names every phase an interruption stopped and what each leaves behind', async () => {
    const { out } = await output();
    const both = signal();
    const interrupted = (id: string, leftBehind: string): Phase => ({
      ...phase(id, async () => {
        await both.promise;
        throw new CancelledError();
      }),
      needs: [],
      leftBehind,
    });
    const running = runPhases(out, [interrupted('x', 'X may be half-done.'), interrupted('y', 'Y may be half-done.')], []);
    both.fire();
    const error = await running.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).message).toBe('Interrupted during "Phase x" and "Phase y".');
    expect((error as CancelledError).hint).toBe('X may be half-done. Y may be half-done. Run the same command again: it picks up where this one stopped.');
  });

  it('refuses a phase that needs one that does not come before it', async () => {
    const { out } = await output();
    await expect(runPhases(out, [phase('a', async () => undefined, ['b']), phase('b', async () => undefined)], [])).rejects.toThrow('step a needs b, which does not come before it');
  });

  it('hands each step the results it needs, and a step that awaits one starts before it is answered', async () => {
    const { out, text } = await output();
    const read = signal();
    const seen: unknown[] = [];
    type R = { a: number; slow: string; b: string };
    const steps: Array<Step<R>> = [
      { id: 'a', title: 'Phase a', needs: [], run: async () => 1 },
      { id: 'slow', needs: ['a'], run: async () => (await read.promise, 'answered') },
      {
        id: 'b',
        title: 'Phase b',
        needs: ['a'],
        awaits: ['slow'],
        run: async (inputs: { a: number; slow: Promise<string> }) => {
          // Started (its spinner shown) while the read it awaits is not answered yet.
          seen.push(inputs.a, text().includes('Phase b'));
          read.fire();
          return `${inputs.a} ${await inputs.slow}`;
        },
      } as Step<R>,
    ];
    const { reports, results } = await runSteps(out, steps);
    expect(seen).toEqual([1, true]);
    expect(results).toEqual({ a: 1, slow: 'answered', b: '1 answered' });
    // A step without a title is a read: not a phase of the report.
    expect(reports.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it("reports a read's failure as the failure of the phase that needs it, and runs nothing after it", async () => {
    const { out, text } = await output();
    const failure = new OperationError('docker-env printed no DOCKER_HOST.', [], 'restart the profile');
    let ran = false;
    type R = { read: string; use: string; after: string };
    const steps: Array<Step<R>> = [
      { id: 'read', needs: [], run: async () => Promise.reject(failure) },
      { id: 'use', title: 'Point builds', needs: ['read'], run: async () => 'never' },
      { id: 'after', title: 'Build', needs: ['use'], run: async () => ((ran = true), 'built') },
    ];
    await expect(runSteps(out, steps)).rejects.toBe(failure);
    expect(text()).toMatch(/✖ Point builds: docker-env printed no DOCKER_HOST\./);
    expect(ran).toBe(false);
    expect(text()).not.toContain('Build');
  });

  it('a read interrupted by the user interrupts the phase that needs it: never a run that resolves without its results', async () => {
    const { out, text } = await output();
    type R = { read: string; use: string };
    const steps: Array<Step<R>> = [
      { id: 'read', needs: [], run: async () => Promise.reject(new CancelledError()) },
      { id: 'use', title: 'Build', needs: ['read'], leftBehind: 'Nothing was built.', run: async () => 'built' },
    ];
    const error = await runSteps(out, steps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).message).toBe('Interrupted during "Build".');
    expect(text()).toMatch(/✖ Build: interrupted/);
  });
});
