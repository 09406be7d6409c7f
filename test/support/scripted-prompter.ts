// A Prompter that plays a script: each step names the prompt it expects (kind and message) and
// what the user types, in order. Typed answers go through the prompt's own `validate`, as they
// would in a terminal: a refused answer is recorded with the message the user would see, and
// the next answer in the step is tried. A prompt the script does not expect fails the test.
import { CancelledError } from '../../src/errors.js';
import type { Choice, InputQuestion, PasswordQuestion, Prompter } from '../../src/ui/prompts.js';

/** Typed at a prompt to press Ctrl-C there. */
export const CTRL_C = Symbol('Ctrl-C');

type Kind = 'input' | 'password' | 'confirm' | 'select';

export interface Step {
  kind: Kind;
  message: RegExp;
  /** What is typed, in order: strings for input/password ('' is a bare Enter), a value for select, a boolean for confirm. */
  type: ReadonlyArray<string | boolean | typeof CTRL_C>;
}

export interface Asked {
  kind: Kind;
  message: string;
  default?: string | boolean;
  choices?: string[];
  /** Every refusal the user saw, in order. */
  refused: string[];
  answer?: string | boolean;
  /** How the accepted answer was shown (input prompts with a display function). */
  shown?: string;
}

export class ScriptedPrompter implements Prompter {
  readonly asked: Asked[] = [];
  private readonly steps: Step[];

  constructor(steps: readonly Step[]) {
    this.steps = [...steps];
  }

  /** Steps the wizard never reached. */
  get remaining(): readonly Step[] {
    return this.steps;
  }

  input(q: InputQuestion): Promise<string> {
    return this.text('input', q, q.default, q.display);
  }

  password(q: PasswordQuestion): Promise<string> {
    return this.text('password', q);
  }

  async confirm(q: { message: string; default?: boolean }): Promise<boolean> {
    const [asked, typed] = this.next('confirm', q.message, q.default);
    for (const value of typed) {
      if (value === CTRL_C) throw new CancelledError();
      asked.answer = value;
      return value as boolean;
    }
    throw new Error(`the script ran out of answers at "${q.message}"`);
  }

  async select<T extends string>(q: { message: string; choices: ReadonlyArray<Choice<T>>; default?: T }): Promise<T> {
    const [asked, typed] = this.next('select', q.message, q.default);
    asked.choices = q.choices.map((c) => c.value);
    for (const value of typed) {
      if (value === CTRL_C) throw new CancelledError();
      if (!asked.choices.includes(value as string)) throw new Error(`"${String(value)}" is not a choice of "${q.message}" (${asked.choices.join(', ')})`);
      asked.answer = value;
      return value as T;
    }
    throw new Error(`the script ran out of answers at "${q.message}"`);
  }

  private async text(kind: 'input' | 'password', q: InputQuestion | PasswordQuestion, defaultValue?: string, display?: InputQuestion['display']): Promise<string> {
    const [asked, typed] = this.next(kind, q.message, defaultValue);
    for (const value of typed) {
      if (value === CTRL_C) throw new CancelledError();
      if (typeof value !== 'string') throw new Error(`a ${kind} prompt takes strings, got ${String(value)}`);
      // As @inquirer/input does: a bare Enter takes the default.
      const answer = value || defaultValue || '';
      const problem = await q.validate?.(answer);
      if (problem !== undefined) {
        asked.refused.push(problem);
        continue;
      }
      asked.answer = answer;
      if (display) asked.shown = display(answer, true);
      return answer;
    }
    throw new Error(`the script ran out of answers at "${q.message}" (refused: ${asked.refused.join(' | ')})`);
  }

  private next(kind: Kind, message: string, defaultValue?: string | boolean): [Asked, Step['type']] {
    const step = this.steps.shift();
    if (!step) throw new Error(`unexpected ${kind} prompt "${message}": the script has ended`);
    if (step.kind !== kind || !step.message.test(message)) {
      throw new Error(`expected a ${step.kind} prompt matching ${step.message}, got a ${kind} prompt "${message}"`);
    }
    const asked: Asked = { kind, message, default: defaultValue, refused: [] };
    this.asked.push(asked);
    return [asked, step.type];
  }
}
