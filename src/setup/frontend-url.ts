// The URL setup offers as BETTER_AUTH_URL: where the frontend will be opened, by the same
// access rule as `up` and `verify` (src/deployment/urls.ts).
import type { Config } from '../config/schema.js';
import type { Context } from '../context.js';
import { accessHost, urlsAt } from '../deployment/urls.js';
import { PrereqError, ToolError } from '../errors.js';
import { minikubeIpArgs } from '../tools/minikube.js';

export async function frontendUrl(ctx: Pick<Context, 'exec'>, config: Config): Promise<string> {
  // The profile may not exist yet: a container driver will publish the NodePorts on localhost.
  // Without a known node IP (no minikube, no cluster yet) localhost is the best guess.
  const host = accessHost(config, {}) ?? accessHost(config, { ip: await nodeIp(ctx, config.minikube.profile) }) ?? 'localhost';
  return urlsAt(host, config).frontend;
}

/** The node's IP from `minikube ip`, or undefined when there is no minikube, no cluster yet, or no IP in its answer. */
export async function nodeIp(ctx: Pick<Context, 'exec'>, profile: string): Promise<string | undefined> {
  try {
    const result = await ctx.exec({ tool: 'minikube', args: minikubeIpArgs(profile), allowFailure: true, timeoutMs: 10_000 });
    const ip = result.stdout.trim();
    if (result.exitCode === 0 && /^[\d.]+$|^[\da-f:]+$/i.test(ip)) return ip;
  } catch (error) {
    if (!(error instanceof PrereqError || error instanceof ToolError)) throw error;
  }
  return undefined;
}
