// Creates or updates the two Secrets from .env — piped as a manifest to
// `kubectl apply --server-side -f -`, so no value is ever in argv — and only when their
// content differs from what the cluster holds. Also makes sure the namespace exists.
import { createHash } from 'node:crypto';
import type { Secrets } from '../config/env-file.js';
import { services, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { secretKeysOf, secretNames } from '../deployment/secret-keys.js';
import { changeText, upStep, type ChangeVerb, type CurrentSecrets, type UpInputs } from './results.js';

const labels = { 'app.kubernetes.io/managed-by': 'todo-deploy', 'app.kubernetes.io/part-of': 'todo-chatbot' };

/** Secret data (base64 values, by key) for one service. */
export function secretData(secrets: Secrets, service: Service): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [envKey, key] of Object.entries(secretKeysOf[service])) {
    data[key] = Buffer.from(secrets[envKey as keyof Secrets], 'utf8').toString('base64');
  }
  return data;
}

/** A digest of the content, fed to the chart's pod-template annotation so a change rolls only these pods. */
export function secretChecksum(data: Record<string, string>): string {
  const canonical = JSON.stringify(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(canonical).digest('hex');
}

/** The namespace and both Secrets, in one read — after the images are looked up, which the builds wait for. */
export const currentSecretsRead = (ctx: Context, { config }: UpInputs) =>
  upStep({
    id: 'currentSecrets',
    needs: ['cluster'],
    awaits: ['images'],
    async run({ cluster, images }) {
      await images.catch(() => {});
      // Under --dry-run, with the cluster not started, there is nothing to compare against.
      if (!cluster.live) return { namespace: false, data: {} };
      return readSecrets(ctx, cluster.kubeContext, config.namespace);
    },
  });

export function secretsPhase(ctx: Context, { config, secrets }: UpInputs) {
  let writing = false;
  return upStep({
    id: 'secrets',
    // Only the running cluster: so the Secrets are written while the images build.
    needs: ['cluster'],
    awaits: ['currentSecrets'],
    title: 'Create the secrets',
    leftBehind: () => (writing ? 'A Secret may be half-written; the next run writes it again.' : 'No Secret was written.'),
    async run({ cluster, currentSecrets }) {
      const { namespace } = config;
      const data = Object.fromEntries(services.map((s) => [s, secretData(secrets, s)])) as Record<Service, Record<string, string>>;
      const checksums = Object.fromEntries(services.map((s) => [s, secretChecksum(data[s])])) as Record<Service, string>;
      const current = await currentSecrets;
      const namespaceExists = current.namespace;
      const stale = services.filter((s) => !sameData(current.data[s], data[s]));

      const items: object[] = [];
      if (!namespaceExists) items.push(namespaceManifest(namespace));
      for (const service of stale) {
        items.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretNames[service], namespace, labels }, type: 'Opaque', data: data[service] });
      }
      if (items.length === 0) return { checksums, changes: [], detail: `${services.map((s) => secretNames[s]).join(', ')} unchanged` };

      writing = !ctx.dryRun;
      const label = `${items.length} manifest(s): ${[!namespaceExists && `Namespace/${namespace}`, ...stale.map((s) => `Secret/${secretNames[s]}`)].filter(Boolean).join(', ')} (values redacted)`;
      await ctx.tools.kubectl.apply({ kubeContext: cluster.kubeContext }, { apiVersion: 'v1', kind: 'List', items }, label);
      writing = false;
      const said = (verb: ChangeVerb, what: string) => changeText(ctx.dryRun, verb, what);
      const changes = [...(namespaceExists ? [] : [said('create', `namespace ${namespace}`)]), ...stale.map((s) => said('write', secretNames[s]))];
      const detail = stale.length ? said('write', stale.map((s) => secretNames[s]).join(', ')) : said('create', `namespace ${namespace}`);
      return { checksums, changes, detail: ctx.dryRun ? `would ${detail}` : detail };
    },
    detail: (result) => result.detail,
  });
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

/** The namespace and both Secrets, in one read. */
export async function readSecrets(ctx: Pick<Context, 'tools'>, kubeContext: string, namespace: string): Promise<CurrentSecrets> {
  const objects = [`namespace/${namespace}`, ...services.map((s) => `secret/${secretNames[s]}`)];
  const found = await ctx.tools.kubectl.getObjects({ kubeContext, namespace }, objects);
  const secret = (service: Service) => found.find((o) => o.kind === 'Secret' && o.metadata.name === secretNames[service]);
  return {
    namespace: found.some((o) => o.kind === 'Namespace'),
    data: Object.fromEntries(services.filter(secret).map((s) => [s, secret(s)!.data ?? {}])),
  };
}

function sameData(current: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  return current !== undefined && Object.keys(current).length === Object.keys(wanted).length && Object.entries(wanted).every(([k, v]) => current[k] === v);
}
