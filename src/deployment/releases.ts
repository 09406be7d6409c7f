// What Helm has of our releases. `helm status` gives a release's state and the values it was
// given but no chart (helm strips it before printing); `helm list` gives the chart of all of
// them in one call. Both are asked at once.
import type { Config, Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { ToolError } from '../errors.js';
import { helmListArgs, helmStatusArgs, isReleaseNotFound, parseHelmList, parseHelmStatus, type ReleaseRef, type ReleaseState, type ReleaseStatus } from '../tools/helm.js';

export type ReleaseScope = Omit<ReleaseRef, 'release'>;

/** Each named release that exists, by name: absent from the map when Helm has none. */
export async function readReleases(ctx: Context, scope: ReleaseScope, names: readonly string[]): Promise<Map<string, ReleaseStatus>> {
  const [listed, states] = await Promise.all([
    ctx.exec({ tool: 'helm', args: helmListArgs(scope, names), timeoutMs: 30_000 }).then((r) => parseHelmList(r.stdout)),
    Promise.all(names.map((release) => releaseState(ctx, { ...scope, release }))),
  ]);
  const releases = new Map<string, ReleaseStatus>();
  names.forEach((name, i) => {
    const state = states[i];
    if (state) releases.set(name, { ...state, chart: listed.find((r) => r.name === name)?.chart ?? '' });
  });
  return releases;
}

async function releaseState(ctx: Context, ref: ReleaseRef): Promise<ReleaseState | undefined> {
  const result = await ctx.exec({ tool: 'helm', args: helmStatusArgs(ref), allowFailure: true, timeoutMs: 30_000 });
  if (result.exitCode === 0) return parseHelmStatus(result.stdout);
  if (isReleaseNotFound(result.stderr)) return undefined;
  throw new ToolError(`helm could not read the status of ${ref.release}.`, result.command, result.exitCode, result.stderr.split('\n').slice(-20).join('\n'), false);
}

/** The releases of the named services (a deployment's config and kube-context are enough). */
export function releasesOf(ctx: Context, target: { config: Config; kubeContext: string }, selected: readonly Service[]): Promise<Map<string, ReleaseStatus>> {
  return readReleases(ctx, { namespace: target.config.namespace, kubeContext: target.kubeContext }, selected.map((s) => target.config[s].release));
}
