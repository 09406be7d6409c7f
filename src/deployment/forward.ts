// The cluster target's URLs are localhost ports served by `kubectl port-forward` (one per
// Service, on 127.0.0.1 only): started for the checks of `up`, `verify` and `rollback`, and kept
// by `todo-deploy open`. A forward whose pod went away (replaced, restarted) is started again.
import { setTimeout as delay } from 'node:timers/promises';
import { services, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { CancelledError, OperationError } from '../errors.js';
import { scopeOf, type Deployment } from './view.js';

/** How long a forward that ended waits before it starts again (it ends when its pod goes away). */
const RECONNECT_MS = 500;

export interface Forward {
  /** Settled once kubectl listens (`Forwarding from …`), or failed to. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Forwards localhost:<nodePort> to a service's Service while it runs. A port taken already is
 * taken as served (a `todo-deploy open` in another terminal): the checks go through it.
 */
export function forwardService(ctx: Pick<Context, 'tools' | 'out'>, deployment: Deployment, service: Service, onNote: (text: string) => void = () => {}): Forward {
  const { config } = deployment.services[service];
  const stopper = new AbortController();
  let listening = false;
  let settle!: { resolve: () => void; reject: (error: Error) => void };
  const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  // Handled by whoever awaits it; a failure after stop() is nobody's.
  ready.catch(() => {});
  const loop = (async () => {
    while (!stopper.signal.aborted) {
      const result = await ctx.tools.kubectl.portForward(scopeOf(deployment), config.release, config.nodePort, config.port, stopper.signal, (line) => {
        if (!listening && line.startsWith('Forwarding from')) {
          listening = true;
          settle.resolve();
        }
      });
      if (stopper.signal.aborted) return;
      const reason = result.stderr.split('\n').findLast((line) => line.trim())?.trim() ?? `exit code ${result.exitCode}`;
      if (!listening) {
        if (/address already in use|unable to listen/i.test(reason)) {
          onNote(`localhost:${config.nodePort} is in use already (a \`todo-deploy open\`?): ${service} is checked through it`);
          return settle.resolve();
        }
        return settle.reject(
          new OperationError(`The ${service} cannot be reached: kubectl port-forward to service ${config.release} failed: ${reason}`, [`command: ${result.command}`], `Check that the release ${config.release} is deployed in namespace ${deployment.config.namespace} (todo-deploy status).`),
        );
      }
      onNote(`the port-forward to ${config.release} ended (${reason}); reconnecting`);
      await delay(RECONNECT_MS, undefined, { signal: stopper.signal }).catch(() => {});
    }
  })().catch((error: unknown) => {
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
export async function withForwards<T>(ctx: Pick<Context, 'tools' | 'out'>, deployment: Deployment, fn: () => Promise<T>): Promise<T> {
  if (!deployment.forwarded) return fn();
  const forwards = services.map((s) => forwardService(ctx, deployment, s, (text) => ctx.out.info(text)));
  try {
    await Promise.all(forwards.map((f) => f.ready));
    return await fn();
  } finally {
    await Promise.all(forwards.map((f) => f.stop()));
  }
}
