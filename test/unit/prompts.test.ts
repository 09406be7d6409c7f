// The prompt port's @inquirer/prompts implementation, driven key by key with @inquirer/testing:
// refusals appear under the answer, secrets never reach the terminal, Ctrl-C is a CancelledError.
import { render } from '@inquirer/testing';
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { maskDatabaseUrl } from '../../src/config/database-url.js';
import { envAnswerProblem } from '../../src/setup/answers.js';
import { createInquirerPrompter, type Prompter } from '../../src/ui/prompts.js';

type Rendered = Awaited<ReturnType<typeof render>>;

/** Renders one question of the port; the context (streams, signal) comes from @inquirer/testing. */
function ask<P, V>(question: (prompter: Prompter, props: P) => Promise<V>, props: P, signal?: AbortSignal) {
  return render(
    ((p: P, context: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; signal?: AbortSignal }) =>
      question(createInquirerPrompter({ input: context.input, output: context.output, signal: context.signal }), p)) as never,
    props as never,
    signal ? { signal } : undefined,
  ) as unknown as Promise<Omit<Rendered, 'answer'> & { answer: Promise<V> }>;
}

/** The port imports inquirer on the first question: wait until the prompt is on screen. */
async function untilScreen(r: { getScreen: () => string }, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const screen = r.getScreen();
    if (pattern.test(screen)) return screen;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`never showed ${pattern}; the screen:\n${r.getScreen()}`);
}

const oneLine = (screen: string) => screen.replace(/\s*\n\s*/g, ' ');

const KEY = 'sk-proj-Zx9Qw8Er7Ty6Ui5Op4';
const PASSWORD = 'S3cr3t-Pa55';

describe('prompt port (@inquirer/prompts)', () => {
  it('refuses an answer with the rule\'s own message, keeps it for editing, and takes the corrected one', async () => {
    const r = await ask((p, q) => p.input(q), { message: 'BETTER_AUTH_URL', default: 'http://localhost:30000', validate: (v: string) => envAnswerProblem('BETTER_AUTH_URL', v.trim()) });
    expect(await untilScreen(r, /BETTER_AUTH_URL/)).toContain('(http://localhost:30000)');
    r.events.type('ftp://host');
    r.events.keypress('enter');
    // The test terminal is 80 columns wide: compare with the line wrapping undone.
    expect(oneLine(await untilScreen(r, />/))).toContain('> BETTER_AUTH_URL must be an http:// or https:// URL, e.g. http://localhost:30000.');
    expect(r.getScreen()).toContain('ftp://host');
    for (let i = 0; i < 'ftp://host'.length; i++) r.events.keypress('backspace');
    r.events.type('https://todo.example.com');
    r.events.keypress('enter');
    await expect(r.answer).resolves.toBe('https://todo.example.com');
  });

  it('takes the default on a bare Enter', async () => {
    const r = await ask((p, q) => p.input(q), { message: 'Kubernetes namespace', default: 'todo' });
    await untilScreen(r, /namespace/);
    r.events.keypress('enter');
    await expect(r.answer).resolves.toBe('todo');
  });

  it('masks a password: one * per character, and the key never reaches the terminal', async () => {
    const r = await ask((p, q) => p.password(q), { message: 'OPENAI_API_KEY', validate: (v: string) => envAnswerProblem('OPENAI_API_KEY', v) });
    await untilScreen(r, /OPENAI_API_KEY/);
    r.events.type('pk-wrong');
    r.events.keypress('enter');
    expect(oneLine(await untilScreen(r, /> /))).toContain('OPENAI_API_KEY does not look like an OpenAI API key (they start with sk-).');
    for (let i = 0; i < 'pk-wrong'.length; i++) r.events.keypress('backspace');
    r.events.type(KEY);
    expect(await untilScreen(r, /\*{5}/)).toContain(`OPENAI_API_KEY ${'*'.repeat(KEY.length)}`);
    r.events.keypress('enter');
    await expect(r.answer).resolves.toBe(KEY);
    expect(r.getFullOutput()).not.toContain(KEY);
    expect(r.getFullOutput()).not.toContain('pk-wrong');
  });

  it('shows a database URL with its password masked, while typing and once answered', async () => {
    const url = `postgresql://app:${PASSWORD}@db.example.com:5432/todo`;
    const r = await ask((p, q) => p.input(q), {
      message: 'DATABASE_URL',
      validate: (v: string) => envAnswerProblem('DATABASE_URL', v.trim()),
      display: (v: string, final: boolean) => maskDatabaseUrl(v, !final),
    });
    await untilScreen(r, /DATABASE_URL/);
    r.events.type(url.slice(0, 24));
    expect(await untilScreen(r, /app:\*/)).toContain('postgresql://app:*******');
    r.events.type(url.slice(24));
    r.events.keypress('enter');
    await expect(r.answer).resolves.toBe(url);
    expect(r.getScreen()).toContain('DATABASE_URL postgresql://app:****@db.example.com:5432/todo');
    expect(r.getFullOutput()).not.toContain(PASSWORD);
    expect(r.getFullOutput()).not.toContain(PASSWORD.slice(0, 4));
  });

  it('selects with the arrow keys', async () => {
    const r = await ask((p, q) => p.select(q), {
      message: 'BETTER_AUTH_SECRET',
      choices: [
        { value: 'generate', name: 'Generate a new random secret' },
        { value: 'enter', name: 'Enter my own' },
      ],
    });
    expect(await untilScreen(r, /Generate/)).toMatch(/❯ Generate a new random secret/);
    r.events.keypress('down');
    r.events.keypress('enter');
    await expect(r.answer).resolves.toBe('enter');
  });

  it('confirms', async () => {
    const r = await ask((p, q) => p.confirm(q), { message: 'Write these files?', default: true });
    expect(await untilScreen(r, /Write/)).toContain('(Y/n)');
    r.events.type('n');
    r.events.keypress('enter');
    await expect(r.answer).resolves.toBe(false);
  });

  it('turns Ctrl-C into a CancelledError (exit 130)', async () => {
    const r = await ask((p, q) => p.password(q), { message: 'OPENAI_API_KEY' });
    await untilScreen(r, /OPENAI_API_KEY/);
    r.events.type('sk-half');
    r.events.keypress({ name: 'c', ctrl: true });
    await expect(r.answer).rejects.toBeInstanceOf(CancelledError);
  });

  it('turns an aborted run (SIGINT outside raw mode) into a CancelledError', async () => {
    const controller = new AbortController();
    const r = await ask((p, q) => p.input(q), { message: 'Kubernetes namespace' }, controller.signal);
    await untilScreen(r, /namespace/);
    controller.abort();
    await expect(r.answer).rejects.toBeInstanceOf(CancelledError);
  });
});
