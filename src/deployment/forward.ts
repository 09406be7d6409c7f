// The cluster target's URLs are localhost ports served by `kubectl port-forward` (one per
// Service, on 127.0.0.1 only): started for the checks of `up`, `verify` and `rollback`, and kept
// by `todo-deploy open`. A forward whose pod went away (replaced, restarted) is started again.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { services, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { CancelledError, OperationError } from '../errors.js';
import { processAlive } from './lock.js';
import { scopeOf, type Deployment } from './view.js';

/** How long a forward that ended waits before it starts again (it ends when its pod goes away), doubled while it keeps failing. */
const RECONNECT_MS = 500;
const RECONNECT_MAX_MS = 10_000;
/** kubectl waits up to a minute for a pod to run (--pod-running-timeout): a forward that does not listen by then will not. */
const LISTEN_DEADLINE_MS = 90_000;

export interface Forward {
  /** Settled once kubectl listens (`Forwarding from …`), or failed to. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** What a `todo-deploy open` serves on a local port, written while it runs (`<stateDir>/forwards/<port>.json`). */
interface Served {
  pid: number;
  kubeContext: string;
  namespace: string;
  release: string;
}

const servedFile = (stateDir: string, port: number) => join(stateDir, 'forwards', `${port}.json`);

/** Says, while `todo-deploy open` runs, which app its ports serve; returns the function that unsays it. */
export async function markServed(stateDir: string, deployment: Deployment): Promise<() => Promise<void>> {
  await mkdir(join(stateDir, 'forwards'), { recursive: true });
  const ports = services.map((s) => deployment.services[s].config.nodePort);
  await Promise.all(
    services.map(async (s) => {
      const { nodePort, release } = deployment.services[s].config;
      // A port another live `open` serves (this one goes through it) stays that one's to say.
      if (await servedBy(stateDir, nodePort)) return;
      const served: Served = { pid: process.pid, kubeContext: deployment.kubeContext, namespace: deployment.config.namespace, release };
      await writeFile(servedFile(stateDir, nodePort), JSON.stringify(served));
    }),
  );
  // Only what this process wrote: a second `open` of the same app goes through the first's ports and must not unsay them.
  return async () => void (await Promise.all(ports.map(async (port) => ((await servedBy(stateDir, port))?.pid === process.pid ? rm(servedFile(stateDir, port), { force: true }) : undefined))));
}

/** The live `todo-deploy open` serving a port, if one says it does. */
export async function servedBy(stateDir: string, port: number): Promise<Served | undefined> {
  const served = await readFile(servedFile(stateDir, port), 'utf8').then((text) => JSON.parse(text) as Served, () => undefined);
  return served && processAlive(served.pid) ? served : undefined;
}


/**
 * Forwards localhost:<nodePort> to a service's Service while it runs. A port taken by a
 * `todo-deploy open` of the same app (another terminal) is used as it is; taken by anything
 * else, the service cannot be checked there, and that is the error.
 */
export function forwardService(ctx: Pick<Context, 'tools' | 'out' | 'stateDir'>, deployment: Deployment, service: Service, onNote: (text: string) => void = () => {}): Forward {
  const { config } = deployment.services[service];
  const stopper = new AbortController();
  let listening = false;
  let settle!: { resolve: () => void; reject: (error: Error) => void };
  const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  // Handled by whoever awaits it; a failure after stop() is nobody's.
  ready.catch(() => {});
  // Until it listens, one deadline of its own: an API server that does not answer would otherwise hold kubectl forever.
  const deadline = setTimeout(() => {
    if (listening) return;
    settle.reject(new OperationError(`kubectl port-forward to service ${config.release} did not listen on localhost:${config.nodePort} within ${LISTEN_DEADLINE_MS / 1000}s.`, [], 'Check that the cluster answers (`todo-deploy status`) and that the release has a running pod.'));
    stopper.abort();
  }, LISTEN_DEADLINE_MS);
  let failing = 0;
  let said = '';
  const loop = (async () => {
    while (!stopper.signal.aborted) {
      let listened = false;
      const result = await ctx.tools.kubectl.portForward(scopeOf(deployment), config.release, config.nodePort, config.port, stopper.signal, (line) => {
        if (!line.startsWith('Forwarding from')) return;
        listened = true;
        if (listening) return;
        listening = true;
        clearTimeout(deadline);
        settle.resolve();
      });
      if (stopper.signal.aborted) return;
      const reason = result.stderr.split('\n').findLast((line) => line.trim())?.trim() ?? `exit code ${result.exitCode}`;
      if (!listening) {
        if (/address already in use|unable to listen/i.test(reason)) {
          const served = await servedBy(ctx.stateDir, config.nodePort);
          if (served?.kubeContext === deployment.kubeContext && served.namespace === deployment.config.namespace && served.release === config.release) {
            onNote(`localhost:${config.nodePort} is served by the \`todo-deploy open\` running as pid ${served.pid}: the ${service} is checked through it`);
            return settle.resolve();
          }
          const by = served ? `a \`todo-deploy open\` of another app (pid ${served.pid}: kube-context "${served.kubeContext}", namespace ${served.namespace})` : 'another program';
          return settle.reject(
            new OperationError(
              `The ${service} cannot be checked: localhost:${config.nodePort}, where it is forwarded, is in use by ${by}.`,
              [`command: ${result.command}`, `│ ${reason}`],
              `Stop that program, or give this app another local port: ${service}.nodePort in todo-deploy.yaml (its URL, the frontend's baked backend URL and BETTER_AUTH_URL follow it).`,
            ),
          );
        }
        return settle.reject(
          new OperationError(`The ${service} cannot be reached: kubectl port-forward to service ${config.release} failed: ${reason}`, [`command: ${result.command}`], `Check that the release ${config.release} is deployed in namespace ${deployment.config.namespace} (todo-deploy status).`),
        );
      }
      // Said once per cause, however often it recurs (a release torn down while `open` runs fails every time).
      failing = listened ? 0 : failing + 1;
      if (reason !== said || listened) onNote(`the port-forward to ${config.release} ended (${reason}); reconnecting`);
      said = reason;
      await delay(Math.min(RECONNECT_MS * 2 ** failing, RECONNECT_MAX_MS), undefined, { signal: stopper.signal }).catch(() => {});
    }
  })()
    .finally(() => clearTimeout(deadline))
    .catch((error: unknown) => {
    // Ended before it listened (Ctrl-C while kubectl starts): whoever awaits `ready` is told.
    settle.reject(error as Error);
    // Ctrl-C ends the forwards with the rest of the run: that is how `open` ends, not a failure of theirs.
    if (!(error instanceof CancelledError)) throw error;
  });
  // Awaited by stop(); until then a failure must not be an unhandled rejection.
  loop.catch(() => {});
  return {
    ready,
    async stop() {
      stopper.abort();
      await loop;
    },
  };
}

/** Runs `fn` with the deployment's URLs served: at once on Minikube, through port-forwards on the cluster target. */
export async function withForwards<T>(ctx: Pick<Context, 'tools' | 'out' | 'stateDir'>, deployment: Deployment, fn: () => Promise<T>): Promise<T> {
  if (!deployment.forwarded) return fn();
  const forwards = services.map((s) => forwardService(ctx, deployment, s, (text) => ctx.out.info(text)));
  try {
    await Promise.all(forwards.map((f) => f.ready));
    return await fn();
  } finally {
    await Promise.all(forwards.map((f) => f.stop()));
  }
}
