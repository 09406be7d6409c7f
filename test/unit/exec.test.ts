import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CancelledError, PrereqError, ToolError } from '../../src/errors.js';
import { Redactor } from '../../src/redact.js';
import { createExec, formatCommand, type ExecEvent } from '../../src/tools/exec.js';
import { tempDir } from '../support/temp.js';

const node = process.execPath;
const script = (code: string) => ['-e', code];

function setup(opts: { dryRun?: boolean; signal?: AbortSignal; graceMs?: number } = {}) {
  const redactor = new Redactor();
  const events: ExecEvent[] = [];
  const exec = createExec({ redactor, onEvent: (e) => events.push(e), ...opts });
  return { redactor, events, exec };
}

/** Child code that writes <dir>/ready: the test waits on it, not on a guessed start-up time. */
const readyFile = (dir: string) => `require('fs').writeFileSync(${JSON.stringify(join(dir, 'ready'))}, '');`;

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('exec seam', () => {
  it('passes stdin to the child and returns its output and exit code', async () => {
    const { exec } = setup();
    const result = await exec({
      tool: node,
      args: script('process.stdin.pipe(process.stdout)'),
      input: 'hello from stdin',
    });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'hello from stdin', dryRun: false });
  });

  it('adds and removes environment variables for one call only', async () => {
    const { exec } = setup();
    process.env.TODO_DEPLOY_TEST_REMOVE_ME = 'present';
    try {
      const result = await exec({
        tool: node,
        args: script('console.log(JSON.stringify([process.env.DOCKER_HOST, process.env.TODO_DEPLOY_TEST_REMOVE_ME ?? null]))'),
        env: { DOCKER_HOST: 'tcp://192.168.49.2:2376', TODO_DEPLOY_TEST_REMOVE_ME: undefined },
      });
      expect(JSON.parse(result.stdout)).toEqual(['tcp://192.168.49.2:2376', null]);
      expect(process.env.DOCKER_HOST).toBeUndefined();
      expect(process.env.TODO_DEPLOY_TEST_REMOVE_ME).toBe('present');
    } finally {
      delete process.env.TODO_DEPLOY_TEST_REMOVE_ME;
    }
  });

  it('throws a ToolError with the command, exit code and the tail of stderr', async () => {
    const { exec } = setup();
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join('\\n');
    const error = await caught(exec({ tool: node, args: script(`console.error("${lines}"); process.exit(3)`) }));
    expect(error).toBeInstanceOf(ToolError);
    const toolError = error as ToolError;
    expect(toolError.exitCode).toBe(3);
    expect(toolError.message).toContain('exit code 3');
    expect(toolError.command).toContain(node);
    expect(toolError.stderrTail.split('\n')).toHaveLength(20);
    expect(toolError.stderrTail).toMatch(/line 50$/);
    expect(toolError.stderrTail).not.toContain('line 30\n');
  });

  it('returns a failed result instead of throwing when failure is an answer', async () => {
    const { exec } = setup();
    const result = await exec({ tool: node, args: script('process.exit(85)'), allowFailure: true });
    expect(result.exitCode).toBe(85);
  });

  it('stops a child that runs past its timeout', async () => {
    const { exec } = setup();
    const error = await caught(exec({ tool: node, args: script('setTimeout(() => {}, 60000)'), timeoutMs: 300 }));
    expect(error).toBeInstanceOf(ToolError);
    expect((error as ToolError).timedOut).toBe(true);
    expect((error as ToolError).message).toMatch(/did not finish within 300ms/);
  });

  it('on abort sends SIGINT first, so the child can clean up', async () => {
    const dir = tempDir('exec-abort-');
    const marker = join(dir, 'cleaned-up');
    const controller = new AbortController();
    const { exec } = setup({ signal: controller.signal });
    const running = exec({
      tool: node,
      args: script(
        `process.on('SIGINT', () => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); process.exit(130); });` +
          `${readyFile(dir)} setTimeout(() => {}, 60000);`,
      ),
    });
    // Aborted once the child listens for SIGINT, however long a loaded machine takes to start it.
    await vi.waitFor(() => expect(existsSync(join(dir, 'ready'))).toBe(true), { timeout: 60_000, interval: 20 });
    controller.abort();
    expect(await caught(running)).toBeInstanceOf(CancelledError);
    expect(existsSync(marker)).toBe(true);
  });

  it('on abort kills a child that ignores SIGINT once the grace period is over', async () => {
    const dir = tempDir('exec-abort-');
    const controller = new AbortController();
    const { exec } = setup({ signal: controller.signal, graceMs: 200 });
    const running = exec({ tool: node, args: script(`process.on('SIGINT', () => {}); ${readyFile(dir)} setTimeout(() => {}, 60000);`) });
    await vi.waitFor(() => expect(existsSync(join(dir, 'ready'))).toBe(true), { timeout: 60_000, interval: 20 });
    controller.abort();
    expect(await caught(running)).toBeInstanceOf(CancelledError);
  });

  it('runs nothing once aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { exec, events } = setup({ signal: controller.signal });
    expect(await caught(exec({ tool: node, args: ['-e', ''] }))).toBeInstanceOf(CancelledError);
    expect(events).toEqual([]);
  });

  it('turns a tool missing from PATH into a prerequisite error with an install hint', async () => {
    const { exec } = setup();
    const error = await caught(exec({ tool: 'helm', args: ['version'], env: { PATH: tempDir('empty-path-') } }));
    expect(error).toBeInstanceOf(PrereqError);
    expect((error as PrereqError).message).toBe('helm was not found on PATH.');
    expect((error as PrereqError).hint).toContain('https://helm.sh/docs/intro/install/');
  });

  it('scrubs registered secrets from the command, the error and the events', async () => {
    const { exec, redactor, events } = setup();
    const secret = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
    redactor.add(secret);
    const error = await caught(
      exec({
        tool: node,
        args: script(`console.error('bad key: ' + process.argv[1] + ' b64 ' + Buffer.from(process.argv[1]).toString('base64')); process.exit(1)`).concat(secret),
      }),
    );
    const text = JSON.stringify({ error, message: (error as Error).message, events });
    expect(text).not.toContain(secret);
    expect(text).not.toContain(Buffer.from(secret).toString('base64'));
    expect((error as ToolError).stderrTail).toBe('bad key: •••••• b64 ••••••');
  });

  it('hands stdout line by line, redacted, as the child writes it, and keeps none of it', async () => {
    const { exec, redactor } = setup();
    redactor.add('hunter2-secret');
    const lines: string[] = [];
    const result = await exec({
      tool: node,
      args: script(`process.stdout.write('one\\r\\ntwo hunter2-secret\\nthr'); setTimeout(() => process.stdout.write('ee'), 50)`),
      onStdoutLine: (line) => lines.push(line),
    });
    expect(lines).toEqual(['one', 'two ••••••', 'three']);
    expect(result.stdout).toBe('');
  });

  it('sets no time limit with timeoutMs 0 (a stream the user follows)', async () => {
    const { exec } = setup();
    expect((await exec({ tool: node, args: script('setTimeout(() => console.log("late"), 300)'), timeoutMs: 0 })).stdout).toBe('late');
  });

  it('under dry-run prints a mutating command instead of running it, and still runs read-only ones', async () => {
    const dir = tempDir('exec-dry-');
    const marker = join(dir, 'mutated');
    const { exec, events } = setup({ dryRun: true });
    const mutation = await exec({
      tool: node,
      args: script(`require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`),
      mutates: true,
      inputLabel: 'Secret manifest (redacted)',
    });
    expect(mutation.dryRun).toBe(true);
    expect(existsSync(marker)).toBe(false);
    expect(events[0]).toMatchObject({ kind: 'dry-run', inputLabel: 'Secret manifest (redacted)' });

    const read = await exec({ tool: node, args: script('console.log("read")') });
    expect(read.stdout).toBe('read');
    expect(events[1]).toMatchObject({ kind: 'ran', exitCode: 0 });
  });
});

describe('formatCommand', () => {
  it.each([
    [['version', '--short'], 'helm version --short'],
    [['version', '--template', '{{.Version}}'], "helm version --template '{{.Version}}'"],
    [['upgrade', 'x', '--set', "a=it's"], "helm upgrade x --set 'a=it'\\''s'"],
    [['status', ''], "helm status ''"],
  ])('renders %j copy-pasteably', (args, expected) => {
    expect(formatCommand('helm', args)).toBe(expected);
  });
});
