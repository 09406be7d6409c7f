// The URL setup offers as BETTER_AUTH_URL: where the frontend will be opened, by the same
// access rule as `up` and `verify` (src/deployment/urls.ts).
import type { Config } from '../config/schema.js';
import type { Context } from '../context.js';
import { accessHost, urlsAt } from '../deployment/urls.js';
import { PrereqError, ToolError } from '../errors.js';

export async function frontendUrl(ctx: Pick<Context, 'tools'>, config: Config): Promise<string> {
  // The profile may not exist yet: a container driver will publish the NodePorts on localhost.
  // Without a known node IP (no minikube, no cluster yet) localhost is the best guess.
  const host = accessHost(config, {}) ?? accessHost(config, { ip: await nodeIp(ctx, config.minikube.profile) }) ?? 'localhost';
  return urlsAt(host, config).frontend;
}

/** The node's IP from `minikube ip`, or undefined when there is no minikube, no cluster yet, or no IP in its answer. */
export async function nodeIp(ctx: Pick<Context, 'tools'>, profile: string): Promise<string | undefined> {
  try {
    return await ctx.tools.minikube.ipIfKnown(profile);
  } catch (error) {
    if (!(error instanceof PrereqError || error instanceof ToolError)) throw error;
  }
  return undefined;
}
