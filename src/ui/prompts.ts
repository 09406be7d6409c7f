// The prompt port. Commands ask questions through this interface; the implementation below
// uses @inquirer/prompts, imported on the first question so that --help and every run that
// never asks anything stay fast. Tests drive the wizard with a scripted Prompter instead.
import { CancelledError } from '../errors.js';

/** A problem to show under the answer (the answer is refused), or undefined to accept it. */
export type Validate = (value: string) => string | undefined | Promise<string | undefined>;

export interface InputQuestion {
  message: string;
  /** Shown, and taken when the answer is empty. Never a secret. */
  default?: string;
  validate?: Validate;
  /** How the typed value is shown (while typing and once answered), e.g. with a password masked. */
  display?: (value: string, final: boolean) => string;
}

export interface PasswordQuestion {
  message: string;
  validate?: Validate;
}

export interface Choice<T extends string> {
  value: T;
  name: string;
  description?: string;
}

export interface Prompter {
  input(question: InputQuestion): Promise<string>;
  /** Every typed character is shown as `*`. */
  password(question: PasswordQuestion): Promise<string>;
  confirm(question: { message: string; default?: boolean }): Promise<boolean>;
  select<T extends string>(question: { message: string; choices: ReadonlyArray<Choice<T>>; default?: T }): Promise<T>;
}

export interface PromptStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  signal?: AbortSignal;
}

export function createInquirerPrompter(streams: PromptStreams): Prompter {
  const context = { input: streams.input, output: streams.output, signal: streams.signal, clearPromptOnDone: false };
  const ask = async <T>(question: (prompts: typeof import('@inquirer/prompts')) => Promise<T>): Promise<T> => {
    if (streams.signal?.aborted) throw new CancelledError();
    const prompts = await import('@inquirer/prompts');
    try {
      return await question(prompts);
    } catch (error) {
      // Ctrl-C in a prompt (the terminal is in raw mode, so no SIGINT reaches the process)
      // ends in ExitPromptError; an aborted signal in AbortPromptError. Both mean "stop".
      if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) throw new CancelledError();
      throw error;
    }
  };
  const validator = (validate: Validate | undefined) =>
    validate && (async (value: string) => (await validate(value)) ?? true);

  return {
    input: (q) =>
      ask((p) =>
        p.input(
          {
            message: q.message,
            default: q.default,
            validate: validator(q.validate),
            transformer: q.display && ((value, { isFinal }) => q.display!(value, isFinal)),
          },
          context,
        ),
      ),
    password: (q) => ask((p) => p.password({ message: q.message, mask: '*', validate: validator(q.validate) }, context)),
    confirm: (q) => ask((p) => p.confirm({ message: q.message, default: q.default }, context)),
    select: (q) => ask((p) => p.select({ message: q.message, choices: q.choices.map((c) => ({ ...c })), default: q.default }, context)),
  };
}
