import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/redact.js';
import { colorLevel, createOutput, detectMode } from '../../src/ui/output.js';

function stream(isTTY: boolean) {
  const s = new PassThrough() as PassThrough & { isTTY: boolean; text: () => string };
  s.isTTY = isTTY;
  let buffer = '';
  s.on('data', (chunk) => (buffer += String(chunk)));
  s.text = () => buffer;
  return s;
}

describe('output mode', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  it.each([
    ['a terminal', { json: false, color: true, env: {}, stderr: tty }, 'tty'],
    ['a pipe', { json: false, color: true, env: {}, stderr: pipe }, 'plain'],
    ['CI on a terminal', { json: false, color: true, env: { CI: 'true' }, stderr: tty }, 'plain'],
    ['NO_COLOR on a terminal', { json: false, color: true, env: { NO_COLOR: '1' }, stderr: tty }, 'plain'],
    ['--no-color on a terminal', { json: false, color: false, env: {}, stderr: tty }, 'plain'],
    ['TERM=dumb', { json: false, color: true, env: { TERM: 'dumb' }, stderr: tty }, 'plain'],
    ['--json on a terminal', { json: true, color: true, env: {}, stderr: tty }, 'json'],
  ] as const)('%s → %s', (_, options, mode) => expect(detectMode(options)).toBe(mode));

  it.each([
    ['tty', {}, 1],
    ['plain', {}, 0],
    ['plain', { FORCE_COLOR: '1' }, 1],
    ['plain', { FORCE_COLOR: '3' }, 3],
    ['tty', { FORCE_COLOR: '0' }, 0],
    ['tty', { NO_COLOR: '1', FORCE_COLOR: '1' }, 0],
  ] as const)('colour in %s with %j is level %d', (mode, env, level) => expect(colorLevel(mode, { color: true, env })).toBe(level));
});

describe('createOutput', () => {
  async function make(json: boolean) {
    const stdout = stream(false);
    const stderr = stream(false);
    const redactor = new Redactor();
    redactor.add('super-secret-value');
    const out = await createOutput({ json, verbose: false, color: true, env: {}, stdout: stdout as never, stderr: stderr as never, redactor });
    return { out, stdout, stderr };
  }

  it('under --json writes exactly one document on stdout and everything human to stderr', async () => {
    const { out, stdout, stderr } = await make(true);
    out.print('a report line with super-secret-value');
    out.task('a step').succeed('done');
    out.warn('careful');
    out.result({ checks: [1, 2] });
    out.finish({ command: 'doctor', ok: true });
    expect(JSON.parse(stdout.text())).toEqual({ checks: [1, 2], command: 'doctor', ok: true });
    expect(stderr.text()).toContain('a report line with ••••••');
    expect(stderr.text()).toMatch(/✔ a step: done \(\d/);
    expect(stderr.text()).toContain('warning: careful');
    expect(stderr.text()).not.toContain('super-secret-value');
  });

  it('under --json scrubs the document value by value, so a secret that looks like JSON cannot break it', async () => {
    const stdout = stream(false);
    const redactor = new Redactor();
    // As the document's own text, this would cut a key and its quotes out of the serialised JSON.
    const secret = '"namespace": "';
    redactor.add(secret);
    redactor.add('Vq8rT2mZk4Lp');
    const out = await createOutput({ json: true, verbose: false, color: true, env: {}, stdout: stdout as never, stderr: stream(false) as never, redactor });
    out.result({ namespace: 'todo', lines: ['a Vq8rT2mZk4Lp b', 3, null] });
    out.finish({ ok: false, error: { message: `failed: ${secret}` } });
    expect(JSON.parse(stdout.text())).toEqual({ ok: false, namespace: 'todo', error: { message: 'failed: ••••••' }, lines: ['a •••••• b', 3, null] });
  });

  it('in plain mode prints the report on stdout, progress on stderr, no colour and no document', async () => {
    const { out, stdout, stderr } = await make(false);
    out.print('report');
    out.task('a step').fail('broke');
    out.finish({ command: 'doctor', ok: false });
    expect(stdout.text()).toBe('report\n');
    expect(stderr.text()).toMatch(/^… a step\n✖ a step: broke \(\d+ms\)\n$/);
    expect(stderr.text()).not.toContain('\u001b[');
  });

  it('on a terminal shows tasks under way at once, each ending on its own line above the spinner', async () => {
    const stdout = stream(true);
    // What ora needs of a terminal: cursor control, written as the escape sequences a terminal gets.
    const stderr = Object.assign(stream(true), {
      columns: 100,
      cursorTo: (x: number) => stderr.write(`\u001b[${x + 1}G`),
      moveCursor: (_dx: number, dy: number) => stderr.write(dy < 0 ? `\u001b[${-dy}A` : ''),
      clearLine: () => stderr.write('\u001b[2K'),
    });
    const redactor = new Redactor();
    redactor.add('super-secret-value');
    const out = await createOutput({ json: false, verbose: false, color: true, env: {}, stdout: stdout as never, stderr: stderr as never, redactor });
    expect(out.mode).toBe('tty');
    const secrets = out.task('Create the secrets');
    const build = out.task('Build the images');
    build.update('1 of 2 built with super-secret-value');
    secrets.succeed('wrote them');
    build.succeed('both built');
    build.succeed('twice');
    // What remains on the screen once the cursor movements are applied: only the finished lines.
    const screen = stderr.text().replace(/\u001b\[1G/g, '\r').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
    const lines = screen.split('\n').map((line) => line.split('\r').at(-1)!.trim()).filter(Boolean);
    expect(lines.filter((line) => line.startsWith('✔'))).toEqual([expect.stringMatching(/^✔ Create the secrets: wrote them \(\d+ms\)$/), expect.stringMatching(/^✔ Build the images: both built \(\d+ms\)$/)]);
    expect(stderr.text()).not.toContain('super-secret-value');
  });
});
