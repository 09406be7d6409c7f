// Entry point of every simulated executable. A shim in the sim's bin/ folder calls
// main(tool, simDir); the tool module declares its commands, and this file does the rest:
// command lookup, flag parsing, latency, the call log, and loud failures for anything unexpected.
import { performance } from 'node:perf_hooks';
import { ArgError, findCommand, parseArgs, withoutCommand } from './args.mjs';
import { appendCall, readState, updateState } from './state.mjs';

const EXIT_UNEXPECTED = 97;
const EXIT_UNSAFE = 98;
const EXIT_INTERNAL = 96;

const LOGGED_ENV = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'MINIKUBE_ACTIVE_DOCKERD', 'DOCKER_BUILDKIT', 'KUBECONFIG'];

/** Ends the call with an exit code; stderr text is written first. */
class Exit extends Error {
  constructor(code, stderr = '') {
    super(`exit ${code}`);
    this.code = code;
    this.stderr = stderr;
  }
}

class Unexpected extends Error {}
class Unsafe extends Error {}

const now = () => performance.timeOrigin + performance.now();

function shellQuote(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

function sleep(ms) {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** The keys a call answers to, longest first: "kubectl rollout status", "kubectl rollout", "kubectl". */
function keysFor(tool, command) {
  const words = command.split(' ').filter(Boolean);
  return words.map((_, i) => [tool, ...words.slice(0, words.length - i)].join(' ')).concat(tool);
}

/** The latency for a call: the longest "tool command words" key that is set, then tool, then default. */
function latencyFor(faults, tool, command) {
  const table = faults?.latency ?? {};
  const key = keysFor(tool, command).find((k) => typeof table[k] === 'number');
  return key ? table[key] : (table.default ?? 0);
}

const HOLD_POLL_MS = 20;

/**
 * Waits while the test holds this call (a key of faults.hold matches it), listed in state.held
 * meanwhile, so a test can wait for "both builds are running" instead of guessing a latency.
 */
async function waitWhileHeld(call) {
  const keys = keysFor(call.tool, call.command);
  const heldKey = (state) => keys.find((k) => state.faults?.hold?.includes(k));
  if (!heldKey(call.state())) return;
  const key = call.update((s) => {
    const k = heldKey(s);
    if (k) (s.held ??= []).push({ pid: process.pid, key: k, tool: call.tool, command: call.command, argv: call.argv });
    return k;
  });
  if (!key) return;
  call.unhold = () => {
    call.unhold = () => {};
    call.update((s) => {
      s.held = (s.held ?? []).filter((h) => h.pid !== process.pid);
    });
  };
  while (heldKey(call.state()) === key) await sleep(HOLD_POLL_MS);
  call.unhold();
}

export class Call {
  constructor(tool, argv, dir) {
    this.tool = tool;
    this.argv = argv;
    this.dir = dir;
    this.env = process.env;
    this.cwd = process.cwd();
    this.command = '';
    this.stdin = '';
    this.stdout = '';
    this.stderr = '';
    this.mutating = false;
    this.changed = false;
    this.delay = () => Promise.resolve();
    this.unhold = () => {};
  }

  out(text) {
    this.stdout += text;
    process.stdout.write(text);
  }

  err(text) {
    this.stderr += text;
    process.stderr.write(text);
  }

  fail(code, stderr = '') {
    throw new Exit(code, stderr);
  }

  unexpected(why = '') {
    throw new Unexpected(why);
  }

  unsafe(why) {
    throw new Unsafe(why);
  }

  state() {
    return readState(this.dir);
  }

  /** Mutates the state under the lock; fn's return value is returned. */
  update(fn) {
    return updateState(this.dir, fn);
  }

  /**
   * The injected fault faults[kind] applying to this call: a single fault object, or the first
   * of a list that `matches`. A fault with `times` heals after that many uses.
   */
  takeFault(kind, matches = () => true) {
    return this.update((s) => {
      const entry = s.faults?.[kind];
      const list = Array.isArray(entry) ? entry : entry ? [entry] : [];
      const fault = list.find(matches);
      if (!fault || typeof fault.times !== 'number') return fault;
      fault.times -= 1;
      if (fault.times <= 0) {
        if (Array.isArray(entry)) entry.splice(entry.indexOf(fault), 1);
        else delete s.faults[kind];
      }
      return fault;
    });
  }

  async readStdin() {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    this.stdin = Buffer.concat(chunks).toString('utf8');
    return this.stdin;
  }
}

/**
 * A tool module exports:
 *   globals: flag spec accepted by every command
 *   commands: { 'path words': { flags, run(call, args, state), mutating?: boolean | (args) => boolean,
 *               manualLatency?: true (run() calls `await call.delay()` itself, at the point where a
 *               real tool would spend its time, so an interrupted call leaves what the real one would;
 *               a held call waits there too) } }
 *   prepare?(call, args, state, spec): tool-wide checks before latency (e.g. kubectl's --context rule)
 * The command '' (no words) is the tool called with flags only, e.g. `docker --version`.
 */
export async function main(tool, dir) {
  const argv = process.argv.slice(2);
  const call = new Call(tool, argv, dir);
  const marks = {};
  let finished = false;
  const finish = (exitCode) => {
    if (finished) return;
    finished = true;
    // A held call that is interrupted is no longer held.
    call.unhold();
    const env = {};
    for (const key of LOGGED_ENV) if (process.env[key] !== undefined) env[key] = process.env[key];
    appendCall(dir, {
      tool,
      argv,
      stdin: call.stdin,
      env,
      envKeys: Object.keys(process.env).sort(),
      cwd: call.cwd,
      start: performance.timeOrigin,
      end: now(),
      pid: process.pid,
      command: call.command,
      exitCode,
      mutating: call.mutating,
      changed: call.changed,
      stdout: call.stdout,
      stderr: call.stderr,
      ...marks,
    });
    process.exitCode = exitCode;
  };
  // Interrupted calls (Ctrl-C, a timeout's kill) are logged too, with the shell's exit code.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    process.on(signal, () => {
      finish(code);
      process.exit(code);
    });
  }
  let exitCode = 0;
  try {
    const mod = await import(`./${tool}.mjs`);
    const command = findCommand(argv, mod.globals, Object.keys(mod.commands));
    call.command = command;
    const spec = mod.commands[command];
    if (!spec) call.unexpected('unknown command');
    let args;
    try {
      args = parseArgs(withoutCommand(argv, command), { ...mod.globals, ...spec.flags }, spec.optionalDefaults);
    } catch (error) {
      if (error instanceof ArgError) call.unexpected(error.message);
      throw error;
    }
    const state = call.state();
    call.mutating = typeof spec.mutating === 'function' ? Boolean(spec.mutating(args, state)) : Boolean(spec.mutating);
    if (mod.prepare) mod.prepare(call, args, state, spec);
    const latency = latencyFor(state.faults, tool, command);
    call.delay = async () => {
      await waitWhileHeld(call);
      await sleep(latency);
    };
    if (!spec.manualLatency) await call.delay();
    const code = await spec.run(call, args, state);
    exitCode = typeof code === 'number' ? code : 0;
  } catch (error) {
    if (error instanceof Exit) {
      if (error.stderr) call.err(error.stderr.endsWith('\n') ? error.stderr : `${error.stderr}\n`);
      exitCode = error.code;
    } else if (error instanceof Unexpected) {
      call.err(`todo-deploy simulator: unexpected call: ${tool} ${argv.map(shellQuote).join(' ')}${error.message ? ` (${error.message})` : ''}\n`);
      exitCode = EXIT_UNEXPECTED;
      marks.unexpected = true;
    } else if (error instanceof Unsafe) {
      call.err(`todo-deploy simulator: unsafe call: ${tool} ${argv.map(shellQuote).join(' ')}: ${error.message}\n`);
      exitCode = EXIT_UNSAFE;
      marks.safety = true;
    } else {
      call.err(`todo-deploy simulator: internal error in ${tool}: ${error?.stack ?? error}\n`);
      exitCode = EXIT_INTERNAL;
      marks.internalError = true;
    }
  }
  finish(exitCode);
}
