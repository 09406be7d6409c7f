// Creates or updates the two Secrets from .env — piped as a manifest to
// `kubectl apply --server-side -f -`, so no value is ever in argv — and only when their
// content differs from what the cluster holds. Also makes sure the namespace exists.
import { createHash } from 'node:crypto';
import { services, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import type { Phase } from '../pipeline/runner.js';
import { applyArgs, getObjectsArgs, kubectlArgs, parseObjects } from '../tools/kubectl.js';
import { changeText, secretKeysOf, secretNames, type ChangeVerb, type UpState } from './state.js';

const labels = { 'app.kubernetes.io/managed-by': 'todo-deploy', 'app.kubernetes.io/part-of': 'todo-chatbot' };

/** Secret data (base64 values, by key) for one service. */
export function secretData(state: Pick<UpState, 'secrets'>, service: Service): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [envKey, key] of Object.entries(secretKeysOf[service])) {
    data[key] = Buffer.from(state.secrets[envKey as keyof typeof state.secrets], 'utf8').toString('base64');
  }
  return data;
}

/** A digest of the content, fed to the chart's pod-template annotation so a change rolls only these pods. */
export function secretChecksum(data: Record<string, string>): string {
  const canonical = JSON.stringify(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(canonical).digest('hex');
}

export function secretsPhase(ctx: Context): Phase<UpState> {
  let writing = false;
  return {
    id: 'secrets',
    // Only the running cluster: so the Secrets are written while the images build.
    after: ['cluster'],
    title: 'Create the secrets',
    leftBehind: () => (writing ? 'A Secret may be half-written; the next run writes it again.' : 'No Secret was written.'),
    async run(state) {
      const { namespace } = state.config;
      const data = Object.fromEntries(services.map((s) => [s, secretData(state, s)])) as Record<Service, Record<string, string>>;
      for (const service of services) state.services[service].secretChecksum = secretChecksum(data[service]);

      // Under --dry-run, with the cluster not started, there is nothing to compare against.
      const current: CurrentSecrets = state.reads ? await state.reads.secrets : { namespace: false, data: {} };
      const namespaceExists = current.namespace;
      const stale = services.filter((s) => !sameData(current.data[s], data[s]));

      const items: object[] = [];
      if (!namespaceExists) items.push(namespaceManifest(namespace));
      for (const service of stale) {
        items.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretNames[service], namespace, labels }, type: 'Opaque', data: data[service] });
      }
      if (items.length === 0) return `${services.map((s) => secretNames[s]).join(', ')} unchanged`;

      writing = !ctx.dryRun;
      await ctx.exec({
        tool: 'kubectl',
        args: kubectlArgs(state.kubeContext, undefined, ...applyArgs),
        input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
        inputLabel: `${items.length} manifest(s): ${[!namespaceExists && `Namespace/${namespace}`, ...stale.map((s) => `Secret/${secretNames[s]}`)].filter(Boolean).join(', ')} (values redacted)`,
        mutates: true,
        timeoutMs: 30_000,
      });
      writing = false;
      const said = (verb: ChangeVerb, what: string) => changeText(ctx.dryRun, verb, what);
      if (!namespaceExists) state.changes.push(said('create', `namespace ${namespace}`));
      for (const service of stale) state.changes.push(said('write', secretNames[service]));
      const detail = stale.length ? said('write', stale.map((s) => secretNames[s]).join(', ')) : said('create', `namespace ${namespace}`);
      return ctx.dryRun ? `would ${detail}` : detail;
    },
  };
}

// The charts meet the restricted Pod Security Standard, so the namespace enforces it.
function namespaceManifest(name: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: { ...labels, 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' },
    },
  };
}

/** The namespace and both Secrets as the cluster holds them. */
export interface CurrentSecrets {
  namespace: boolean;
  data: Partial<Record<Service, Record<string, string>>>;
}

/** The namespace and both Secrets, in one read. */
export async function readSecrets(ctx: Context, kubeContext: string, namespace: string): Promise<CurrentSecrets> {
  const objects = [`namespace/${namespace}`, ...services.map((s) => `secret/${secretNames[s]}`)];
  const result = await ctx.exec({ tool: 'kubectl', args: kubectlArgs(kubeContext, namespace, ...getObjectsArgs(objects)), timeoutMs: 15_000 });
  const found = parseObjects(result.stdout);
  const secret = (service: Service) => found.find((o) => o.kind === 'Secret' && o.metadata.name === secretNames[service]);
  return {
    namespace: found.some((o) => o.kind === 'Namespace'),
    data: Object.fromEntries(services.filter(secret).map((s) => [s, secret(s)!.data ?? {}])),
  };
}

function sameData(current: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  return current !== undefined && Object.keys(current).length === Object.keys(wanted).length && Object.entries(wanted).every(([k, v]) => current[k] === v);
}
