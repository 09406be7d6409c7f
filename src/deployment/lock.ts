// One run at a time per deployment target (Minikube profile + namespace). Two `up` runs — two
// terminals, a CI job and a person, two checkouts of the app — would both build, write the
// Secrets and upgrade the same releases, and the second would take the first's release, pending
// while Helm waits, for one left behind by an interrupted run. So the mutating commands hold a
// lock file in the user's state folder, named after the target (not the app folder): a second
// run waits for it (bounded by timeouts.lock) or, with --no-wait-for-lock, refuses, and either
// way names the run that holds it. A lock whose process is gone is taken over with a warning.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/schema.js';
import type { Context } from '../context.js';
import { CancelledError, OperationError, PrereqError } from '../errors.js';
import { formatDuration } from '../format.js';
import type { Task } from '../ui/output.js';

export interface LockTarget {
  profile: string;
  namespace: string;
  /** The cluster target's kube-context: the lock is the context's, not the profile's. */
  context?: string;
}

/** What a config deploys to: a Minikube profile, or the cluster target's context, and a namespace. */
export const lockTargetOf = (config: Config): LockTarget => ({
  profile: config.minikube.profile,
  namespace: config.namespace,
  ...(config.target === 'cluster' && { context: config.cluster.context }),
});

/** Who holds (or held) a target's lock. */
export interface RunRecord {
  pid: number;
  host: string;
  /** The command's name (`up`), never its arguments: a flag may hold a secret. */
  command: string;
  appDir: string;
  /** ISO 8601. */
  startedAt: string;
}

/** How the run before this one ended; `died` when its process was gone while it held the lock. */
export interface EndedRun extends RunRecord {
  endedAt: string;
  outcome: 'ok' | 'failed' | 'interrupted' | 'died';
}

export interface DeployLock {
  /** The run that held the target's lock last, as it ended. */
  previous?: EndedRun;
  release(outcome: EndedRun['outcome']): Promise<void>;
}

const POLL_MS = 250;

export function lockFiles(stateDir: string, target: LockTarget): { lock: string; last: string } {
  // encodeURIComponent escapes '@' and '/', so no two targets share a name.
  // Keyed by kube-context (a Minikube profile's is its name): the Minikube target and the cluster
  // target on the same cluster and namespace share one lock.
  const base = join(stateDir, 'locks', `${encodeURIComponent(target.context ?? target.profile)}@${encodeURIComponent(target.namespace)}`);
  return { lock: `${base}.lock`, last: `${base}.last.json` };
}

export const describeTarget = (t: LockTarget) => `${t.context === undefined ? `Minikube profile "${t.profile}"` : `kube-context "${t.context}"`}, namespace ${t.namespace}`;

/** `pid 4242 on host (todo-deploy up in /home/me/todo), since 2026-12-01 10:02:03 (1m12s ago)` */
export function describeRun(run: RunRecord, now = Date.now()): string {
  const started = Date.parse(run.startedAt);
  return `pid ${run.pid} on ${run.host} (todo-deploy ${run.command} in ${run.appDir}), since ${localTime(started)} (${formatDuration(Math.max(0, now - started))} ago)`;
}

/** Local time, `2026-12-01 10:02:03`: what the user's clock shows. */
export function localTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export function parseRunRecord(text: string): RunRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<RunRecord>;
    if (typeof r.pid === 'number' && typeof r.host === 'string' && typeof r.command === 'string' && typeof r.startedAt === 'string') {
      return { pid: r.pid, host: r.host, command: r.command, appDir: typeof r.appDir === 'string' ? r.appDir : '?', startedAt: r.startedAt };
    }
  } catch {
    // Not a lock this tool wrote: treated as one whose holder is gone.
  }
  return undefined;
}

/**
 * A lock is stale when its holder ran on this machine and its process is gone — or started
 * before the machine last booted, whatever process has its pid now. Another machine's process
 * cannot be checked.
 */
export function isStale(holder: RunRecord, host: string, alive: (pid: number) => boolean, bootedAt = Date.now() - uptime() * 1000): boolean {
  // A minute's slack: the wall clock may have been set since boot, and uptime never is.
  return holder.host === host && (!alive(holder.pid) || Date.parse(holder.startedAt) < bootedAt - 60_000);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LockOptions {
  command: string;
  /** false: refuse at once when another run holds the lock. */
  wait: boolean;
  timeoutMs: number;
}

export async function takeLock(ctx: Context, target: LockTarget, options: LockOptions): Promise<DeployLock> {
  const files = lockFiles(ctx.stateDir, target);
  const host = hostname();
  const deadline = Date.now() + options.timeoutMs;
  // Its start is when it takes the lock, not when it began to wait: the next run's recovery
  // counts on what happened to the releases from then on being this run's doing.
  const recordNow = (): RunRecord => ({ pid: process.pid, host, command: options.command, appDir: ctx.appDir, startedAt: new Date().toISOString() });
  let me = recordNow();
  let previous: EndedRun | undefined;
  let waiting: { task: Task; holder: string } | undefined;

  while (!(await createExclusive(files.lock, JSON.stringify(me)).catch((error: unknown) => lockError(files.lock, error)))) {
    const text = await readFile(files.lock, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : lockError(files.lock, error)));
    me = recordNow();
    if (text === undefined) continue; // released between the two calls
    const holder = parseRunRecord(text);
    if (!holder || isStale(holder, host, processAlive)) {
      if (await removeIfUnchanged(files.lock, text).catch((error: unknown) => lockError(files.lock, error))) {
        ctx.out.warn(
          holder
            ? `Took over the lock of ${describeTarget(target)} from a run that is gone: ${describeRun(holder)}. A release it left pending is recovered by \`todo-deploy up\`.`
            : `Took over the lock of ${describeTarget(target)}: ${files.lock} was not a lock todo-deploy wrote.`,
        );
        if (holder) previous = { ...holder, endedAt: new Date().toISOString(), outcome: 'died' };
      }
      continue;
    }
    const who = describeRun(holder);
    const busy = `Another todo-deploy run is deploying to ${describeTarget(target)}: ${who}.`;
    const ifGone = `If that run is gone (its machine restarted), delete ${files.lock}.`;
    if (!options.wait) throw new OperationError(busy, [], `Wait for it to finish and run this again, or run without --no-wait-for-lock to wait for it. ${ifGone}`);
    if (Date.now() >= deadline) {
      waiting?.task.fail('gave up');
      throw new OperationError(`${busy} Gave up waiting after ${formatDuration(options.timeoutMs)} (timeouts.lock).`, [], `Run this again once it has finished. ${ifGone}`);
    }
    const key = `${holder.host}/${holder.pid}/${holder.startedAt}`;
    if (waiting?.holder !== key) {
      waiting?.task.succeed('that run ended; another one holds the lock now');
      waiting = { task: ctx.out.task(`Waiting for another todo-deploy run on ${describeTarget(target)} to finish: ${who}; up to ${formatDuration(options.timeoutMs)} (timeouts.lock)`), holder: key };
    }
    try {
      await sleep(POLL_MS, undefined, { signal: ctx.signal });
    } catch {
      waiting.task.fail('interrupted');
      throw new CancelledError('Interrupted while waiting for another run to finish.', 'Nothing was changed.');
    }
  }
  waiting?.task.succeed('that run has finished');
  previous ??= await readEndedRun(files.last);
  const mine = JSON.stringify(me);

  // A second Ctrl-C ends the process at once (process.exit), past every finally: the lock goes then too.
  const releaseNow = (outcome: EndedRun['outcome']) => {
    try {
      if (readFileSync(files.lock, 'utf8') !== mine) return;
      writeFileSync(files.last, JSON.stringify({ ...me, endedAt: new Date().toISOString(), outcome } satisfies EndedRun), { mode: 0o600 });
      unlinkSync(files.lock);
    } catch {
      // Gone already: nothing of ours is left to remove.
    }
  };
  const onExit = () => releaseNow('interrupted');
  process.once('exit', onExit);
  return {
    previous,
    async release(outcome) {
      process.off('exit', onExit);
      // Taken over meanwhile (its holder was thought gone): the lock and the record are another run's now.
      if ((await readFile(files.lock, 'utf8').catch(() => undefined)) !== mine) return;
      // How it ended is written before the lock goes: the next run reads it once it holds the lock.
      const ended: EndedRun = { ...me, endedAt: new Date().toISOString(), outcome };
      const tmp = `${files.last}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(ended), { mode: 0o600 })
        .then(() => rename(tmp, files.last))
        .catch(() => {}); // Without it the next run only recovers what has been pending for long.
      await unlink(files.lock).catch(() => {});
    },
  };
}

/**
 * What a dry run needs without taking the lock: the run deploying right now (if any) and how the
 * last one ended.
 */
export async function peekLock(ctx: Context, target: LockTarget): Promise<{ holder?: RunRecord; previous?: EndedRun }> {
  const files = lockFiles(ctx.stateDir, target);
  const text = await readFile(files.lock, 'utf8').catch(() => undefined);
  const holder = text === undefined ? undefined : parseRunRecord(text);
  if (holder && isStale(holder, hostname(), processAlive)) return { previous: { ...holder, endedAt: new Date().toISOString(), outcome: 'died' } };
  return { ...(holder && { holder }), previous: await readEndedRun(files.last) };
}

/**
 * Creates the lock with its content in one step: the content goes to a file of this process's
 * own, which is then linked to the lock's name — link(2) fails if the name exists, like
 * O_EXCL, and a reader never sees a lock half-written (open with `wx`, then write, would).
 */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const tmp = `${file}.${process.pid}.tmp`;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(tmp, content, { mode: 0o600 });
  try {
    await link(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

function lockError(file: string, error: unknown): never {
  throw new PrereqError(
    `Cannot create the deployment lock ${file}: ${(error as Error).message}.`,
    'todo-deploy keeps its locks in $XDG_STATE_HOME/todo-deploy (else ~/.local/state/todo-deploy): make that folder writable, or point XDG_STATE_HOME at one that is.',
  );
}

/** Removes a stale lock only if it still holds what was read, so a lock another run has just taken stays. */
async function removeIfUnchanged(file: string, content: string): Promise<boolean> {
  const now = await readFile(file, 'utf8').catch(() => undefined);
  if (now !== content) return false;
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  return true;
}

async function readEndedRun(file: string): Promise<EndedRun | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const run = text === undefined ? undefined : parseRunRecord(text);
  if (!run || !text) return undefined;
  const { endedAt, outcome } = JSON.parse(text) as Partial<EndedRun>;
  return typeof endedAt === 'string' && outcome ? { ...run, endedAt, outcome } : undefined;
}

/**
 * Who left a release pending-*, as far as can be told, for `up`'s recovery: the run before this
 * one on this machine (it held the lock when Helm marked the release, and did not end well: it
 * was interrupted, or died), nobody any more (pending for longer than any run keeps a release
 * pending), or a run still deploying (another machine, a CI job, a helm command) — never recovered.
 */
export function pendingOrigin(lastDeployed: string | undefined, previous: EndedRun | undefined, now: number, abandonedAfterMs: number): 'previous-run' | 'abandoned' | 'live' {
  const since = lastDeployed ? Date.parse(lastDeployed) : Number.NaN;
  if (Number.isNaN(since)) return 'abandoned';
  if (previous && previous.outcome !== 'ok' && since >= Date.parse(previous.startedAt) && since <= Date.parse(previous.endedAt)) return 'previous-run';
  return now - since > abandonedAfterMs ? 'abandoned' : 'live';
}

/**
 * Runs a mutating command's work holding its target's lock, released on every way out (with
 * how the run ended, for the next run's recovery). A dry run changes nothing, so it neither
 * waits nor blocks anyone; it only says when another run is deploying meanwhile.
 */
export async function withDeployLock<T>(ctx: Context, config: Config, options: { command: string; wait: boolean }, work: (previous?: EndedRun) => Promise<T>): Promise<T> {
  const target = lockTargetOf(config);
  if (ctx.dryRun) {
    const { holder, previous } = await peekLock(ctx, target);
    if (holder) ctx.out.warn(`Another todo-deploy run is deploying to ${describeTarget(target)} right now: ${describeRun(holder)}. This dry run shows what would change at this moment.`);
    return work(previous);
  }
  const lock = await takeLock(ctx, target, { ...options, timeoutMs: config.timeouts.lock });
  let outcome: EndedRun['outcome'] = 'failed';
  try {
    const result = await work(lock.previous);
    outcome = 'ok';
    return result;
  } catch (error) {
    if (error instanceof CancelledError) outcome = 'interrupted';
    throw error;
  } finally {
    await lock.release(outcome);
  }
}
