import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CancelledError, OperationError } from '../../src/errors.js';
import { runPhases, type Phase } from '../../src/pipeline/runner.js';
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

const phase = (id: string, run: Phase<string[]>['run'], after?: string[]): Phase<string[]> => ({ id, title: `Phase ${id}`, run, after });

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

  it('after a failure starts nothing new, lets what runs finish, and throws the failure', async () => {
    const { out, text } = await output();
    const slowMayFinish = signal();
    const failure = new OperationError('the build broke', [], 'fix it');
    const running = runPhases(
      out,
      [
        phase('start', async () => undefined),
        phase('build', async () => {
          await Promise.resolve();
          slowMayFinish.fire();
          throw failure;
        }, ['start']),
        phase('secrets', async () => {
          // Still running when build fails: it finishes all the same.
          await slowMayFinish.promise;
          return 'written';
        }, ['start']),
        phase('deploy', async () => 'deployed', ['build', 'secrets']),
      ],
      [],
    );
    await expect(running).rejects.toBe(failure);
    expect(text()).toMatch(/✖ Phase build: the build broke/);
    expect(text()).toMatch(/✔ Phase secrets: written/);
    expect(text()).not.toContain('Phase deploy');
  });

  it('names every phase an interruption stopped and what each leaves behind', async () => {
    const { out } = await output();
    const both = signal();
    const interrupted = (id: string, leftBehind: string): Phase<string[]> => ({
      ...phase(id, async () => {
        await both.promise;
        throw new CancelledError();
      }),
      after: [],
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
    await expect(runPhases(out, [phase('a', async () => undefined, ['b']), phase('b', async () => undefined)], [])).rejects.toThrow('phase a needs b, which does not come before it');
  });
});
