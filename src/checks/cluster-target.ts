// The cluster target's read-only checks: the pull secret's file (an input, checked before `up`
// changes anything) and — `doctor` only, since it asks the cluster — where the images would go.
import type { Config } from '../config/schema.js';
import type { Context } from '../context.js';
import { protectedBy } from '../deployment/access.js';
import { readPullCredentials } from '../deployment/registry-credentials.js';
import { resolvePlacement } from '../deployment/registry.js';
import { PrereqError, TodoDeployError } from '../errors.js';
import type { Redactor } from '../redact.js';
import type { PreflightCheck } from './check.js';

/** cluster.pullSecret: a Docker config file with a registry login; none when it is not set. */
export async function checkPullSecret(appDir: string, config: Config, redactor: Redactor): Promise<PreflightCheck[]> {
  if (config.target !== 'cluster' || !config.cluster.pullSecret) return [];
  const base = { id: 'pull-secret', title: 'image pull secret', category: 'input' as const };
  try {
    const hosts = Object.keys((JSON.parse(await readPullCredentials(appDir, config, redactor)) as { auths: object }).auths);
    return [{ ...base, status: 'pass', detail: `logins for ${hosts.join(', ')} from ${config.cluster.pullSecret}` }];
  } catch (error) {
    if (!(error instanceof TodoDeployError)) throw error;
    return [{ ...base, status: 'fail', detail: error.message, ...(error.hint && { hint: error.hint }) }];
  }
}

/** Where `up` would push and for which platform, read from the cluster as `up` reads it; a protected context is named. */
export async function checkRegistry(ctx: Pick<Context, 'tools'>, config: Config): Promise<PreflightCheck[]> {
  const base = { id: 'images', title: 'where images go', category: 'prereq' as const };
  const pattern = protectedBy(config.cluster.context, config.cluster.protectedContexts);
  const protection: PreflightCheck[] = pattern
    ? [{ id: 'protected-context', title: 'protected context', category: 'input', status: 'warn', detail: `"${config.cluster.context}" is protected (${pattern})`, hint: 'up, rollback and teardown change it only with --yes.' }]
    : [];
  try {
    const placement = await resolvePlacement(ctx, config, config.cluster.context);
    return [{ ...base, status: 'pass', detail: `built for ${placement.platform}, ${placement.source}` }, ...protection];
  } catch (error) {
    if (!(error instanceof TodoDeployError)) throw error;
    return [{ ...base, category: error instanceof PrereqError ? 'prereq' : 'input', status: 'fail', detail: error.message, ...(error.hint && { hint: error.hint }) }, ...protection];
  }
}
