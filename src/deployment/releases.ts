// What Helm has of our releases, for the named services (a deployment's config and kube-context are enough).
import type { Config, Service } from '../config/schema.js';
import type { Context } from '../context.js';
import type { ReleaseStatus } from '../tools/helm.js';

export function releasesOf(ctx: Pick<Context, 'tools'>, target: { config: Config; kubeContext: string }, selected: readonly Service[]): Promise<Map<string, ReleaseStatus>> {
  return ctx.tools.helm.releases({ namespace: target.config.namespace, kubeContext: target.kubeContext }, selected.map((s) => target.config[s].release));
}
