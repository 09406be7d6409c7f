// `todo-deploy logs [frontend|backend|database]`: recent lines from every pod of the service
// (every service when none is named, the in-cluster database included), each line prefixed
// with its pod; --follow streams them until Ctrl-C. Secret values are scrubbed from every line,
// as from all other output.
import type { Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { connect, loadSettings, selectServices } from '../deployment/connect.js';
import { OperationError, UsageError } from '../errors.js';
import { readPods } from '../deployment/pods.js';
import { isLogDuration, type PodInfo } from '../tools/kubectl.js';

export interface LogsOptions {
  follow?: boolean;
  since?: string;
  previous?: boolean;
  /** Lines per container (the CLI's default is 100). */
  tail: string;
}

/** A service of the app, or the in-cluster PostgreSQL. */
type Source = Service | 'database';

interface Target {
  service: Source;
  pod: PodInfo;
  container: string;
}

export async function logs(ctx: Context, service: string | undefined, options: LogsOptions): Promise<void> {
  const tail = Number(options.tail);
  if (!/^\d+$/.test(options.tail)) throw new UsageError(`--tail ${options.tail}: expected a whole number of lines (0 or more).`, 'For example: --tail 200');
  if (options.since !== undefined && !isLogDuration(options.since)) {
    throw new UsageError(`--since ${options.since}: expected a duration such as 30s, 10m or 1h30m.`, 'For example: --since 15m');
  }
  if (options.follow && options.previous) throw new UsageError('--follow and --previous cannot be combined: a previous container has stopped and writes no more lines.', 'Drop one of them.');
  if (options.follow && ctx.out.mode === 'json') throw new UsageError('--json prints one document at the end, so it cannot be combined with --follow.', 'Drop --json to stream, or --follow to get the lines as JSON.');

  const deployment = await connect(ctx, await loadSettings(ctx));
  const inCluster = deployment.config.database.mode === 'in-cluster';
  if (service === 'database' && !inCluster) {
    throw new UsageError('The database is external (DATABASE_URL in .env): todo-deploy runs no database pod to read logs from.', "Its provider's console has its logs (Neon: Monitoring).");
  }
  const selected: Source[] = service === 'database' ? ['database'] : [...selectServices(service), ...(service === undefined && inCluster ? (['database'] as const) : [])];
  const workload = (s: Source) => (s === 'database' ? { config: { release: deployment.config.database.release, healthPath: '' } } : deployment.services[s]);
  const found = await Promise.all(selected.map(async (s) => (await readPods(ctx, deployment, workload(s))).map((pod) => ({ service: s, pod }))));
  const targets: Target[] = found.flat().flatMap(({ service: s, pod }) => pod.containers.map((c) => ({ service: s, pod, container: c.name })));
  if (targets.length === 0) {
    throw new OperationError(`No pods for ${selected.join(' or ')} in namespace ${deployment.config.namespace}.`, [], 'Run `todo-deploy status` to see what is deployed, or `todo-deploy up` to deploy it.');
  }

  const width = Math.max(...targets.map((t) => label(t).length));
  const collected: Array<{ service: Source; pod: string; container: string; line: string }> = [];
  const notes: string[] = [];
  const emit = (t: Target, line: string) => {
    if (ctx.out.mode === 'json') collected.push({ service: t.service, pod: t.pod.name, container: t.container, line });
    else ctx.out.print(`${ctx.out.style.dim(`${label(t).padEnd(width)} │`)} ${line}`);
  };
  const scope = { kubeContext: deployment.kubeContext, namespace: deployment.config.namespace };
  const logsOf = (t: Target) => ({ pod: t.pod.name, container: t.container, tail, since: options.since, previous: options.previous, follow: options.follow });
  const readable = targets.filter((t) => {
    const why = unreadable(t.pod, t.container, options.previous ?? false);
    if (why) notes.push(`${label(t)}: ${why}`);
    return !why;
  });

  if (options.follow) {
    // Streams the user ends with Ctrl-C: no timeout; lines are printed as they come.
    await Promise.all(
      readable.map(async (t) => {
        const result = await ctx.tools.kubectl.logs(scope, logsOf(t), (line) => emit(t, line));
        if (result.exitCode !== 0 && !ctx.signal.aborted) notes.push(`${label(t)}: ${lastLine(result.stderr)}`);
      }),
    );
  } else {
    // Read at once, printed pod by pod so each pod's lines stay together.
    const results = await Promise.all(readable.map((t) => ctx.tools.kubectl.logs(scope, logsOf(t))));
    readable.forEach((t, i) => {
      const { exitCode, stdout, stderr } = results[i]!;
      if (exitCode !== 0) notes.push(`${label(t)}: ${lastLine(stderr)}`);
      else for (const line of stdout.split('\n').slice(0, stdout.endsWith('\n') ? -1 : undefined)) emit(t, line);
    });
  }
  for (const note of notes) ctx.out.warn(note);
  ctx.out.result({ lines: collected, notes });
}

const label = (t: Target) => (t.pod.containers.length > 1 ? `${t.pod.name}/${t.container}` : t.pod.name);

/** Why kubectl would have no lines to give, said without asking it. */
function unreadable(pod: PodInfo, container: string, previous: boolean): string | undefined {
  const c = pod.containers.find((x) => x.name === container);
  if (!c) return undefined;
  if (previous && c.restartCount === 0 && !c.lastTerminated) return 'no previous container: it has not restarted';
  if (!previous && c.waiting && !c.lastTerminated && c.restartCount === 0) return `not started yet (${c.waiting.reason})`;
  return undefined;
}

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? 'kubectl logs failed';
