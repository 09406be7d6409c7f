// Creates or updates the app's two Secrets from .env (with the in-cluster database, its
// password Secret, made once, and the backend's DATABASE_URL to it) — piped as a manifest to
// `kubectl apply --server-side -f -`, so no value is ever in argv — and only when their
// content differs from what the cluster holds. Also makes sure the namespace exists.
import { createHash } from 'node:crypto';
import { registerSecret, type SecretKey } from '../config/env-file.js';
import { services, type Config, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { databaseSecret, databaseVolume, inClusterUrl, newDatabasePassword } from '../deployment/database.js';
import { OperationError } from '../errors.js';
import { secretKeysOf, secretNames } from '../deployment/secret-keys.js';
import { pullSecretName, readPullCredentials } from '../deployment/registry-credentials.js';
import { managedLabels, namespaceManifest } from '../deployment/namespace.js';
import { changeText, clusterRead, upStep, type ChangeVerb, type CurrentSecrets, type UpInputs } from './results.js';

/** Every value the app's Secrets hold: .env's, with the DATABASE_URL of the database in use. */
export type AppSecrets = Record<SecretKey, string>;

/** Secret data (base64 values, by key) for one service. */
export function secretData(secrets: AppSecrets, service: Service): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [envKey, key] of Object.entries(secretKeysOf[service])) {
    data[key] = Buffer.from(secrets[envKey as SecretKey], 'utf8').toString('base64');
  }
  return data;
}

/** A digest of the content, fed to the chart's pod-template annotation so a change rolls only these pods. */
export function secretChecksum(data: Record<string, string>): string {
  const canonical = JSON.stringify(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(canonical).digest('hex');
}

/** The namespace and both Secrets (and the database's), in one read. */
export const currentSecretsRead = (ctx: Context, { config, database }: UpInputs) =>
  clusterRead('currentSecrets', { namespace: false, data: {} }, (kubeContext) => readSecrets(ctx, kubeContext, config, database));

export function secretsPhase(ctx: Context, { config, secrets, database }: UpInputs) {
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
      const current = await currentSecrets;
      const password = database ? databasePassword(config, current) : undefined;
      const app: AppSecrets = { ...secrets, DATABASE_URL: password ? inClusterUrl(config, password.value) : secrets.DATABASE_URL! };
      if (password) registerSecret(ctx.redactor, 'DATABASE_URL', app.DATABASE_URL);
      const data = Object.fromEntries(services.map((s) => [s, secretData(app, s)])) as Record<Service, Record<string, string>>;
      const checksums = Object.fromEntries(services.map((s) => [s, secretChecksum(data[s])])) as Record<Service, string>;
      const namespaceExists = current.namespace;
      const stale = services.filter((s) => !sameData(current.data[s], data[s]));
      const secret = (name: string, secretData: Record<string, string>, type = 'Opaque') => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, labels: managedLabels }, type, data: secretData });
      // The cluster target's image pull Secret, from the Docker config file the user named.
      const pullName = pullSecretName(config);
      const pull = pullName ? { '.dockerconfigjson': Buffer.from(await readPullCredentials(ctx.appDir, config, ctx.redactor)).toString('base64') } : undefined;
      const pullStale = pull !== undefined && !sameData(current.pull, pull);

      const items: object[] = [];
      if (!namespaceExists) items.push(namespaceManifest(namespace));
      // Made once: the image sets the password at its first start only, so a new one would lock the app out.
      if (password?.created) items.push(secret(databaseSecret.name, { [databaseSecret.key]: Buffer.from(password.value).toString('base64') }));
      for (const service of stale) items.push(secret(secretNames[service], data[service]));
      if (pullStale) items.push(secret(pullName!, pull, 'kubernetes.io/dockerconfigjson'));
      const written = [...(password?.created ? [databaseSecret.name] : []), ...stale.map((s) => secretNames[s]), ...(pullStale ? [pullName!] : [])];
      if (items.length === 0) return { checksums, changes: [], detail: `${[...(database ? [databaseSecret.name] : []), ...services.map((s) => secretNames[s]), ...(pullName ? [pullName] : [])].join(', ')} unchanged` };

      writing = !ctx.dryRun;
      const label = `${items.length} manifest(s): ${[!namespaceExists && `Namespace/${namespace}`, ...written.map((name) => `Secret/${name}`)].filter(Boolean).join(', ')} (values redacted)`;
      await ctx.tools.kubectl.apply({ kubeContext: cluster.kubeContext }, { apiVersion: 'v1', kind: 'List', items }, label);
      writing = false;
      const said = (verb: ChangeVerb, what: string) => changeText(ctx.dryRun, verb, what);
      const changes = [...(namespaceExists ? [] : [said('create', `namespace ${namespace}`)]), ...written.map((name) => said('write', name))];
      const detail = written.length ? said('write', written.join(', ')) : said('create', `namespace ${namespace}`);
      return { checksums, changes, detail: ctx.dryRun ? `would ${detail}` : detail };
    },
    detail: (result) => result.detail,
  });
}

/**
 * The in-cluster database's password: the one its Secret holds, or a new one when there is
 * neither Secret nor volume. A volume without the Secret was initialised with a password no one
 * has any more: a new one would not open it.
 */
function databasePassword(config: Config, current: CurrentSecrets): { value: string; created: boolean } {
  const { password, volume } = current.database ?? { volume: false };
  if (password) return { value: password, created: false };
  if (volume) {
    throw new OperationError(
      `The database's volume ${databaseVolume(config)} exists, but the Secret ${databaseSecret.name} that held its password is gone, so the database cannot be opened.`,
      [],
      `Recreate the Secret with the old password (kubectl create secret generic ${databaseSecret.name} -n ${config.namespace} --from-file=${databaseSecret.key}=FILE), or start the database afresh, losing its data: todo-deploy teardown --purge-data, then todo-deploy up.`,
    );
  }
  return { value: newDatabasePassword(), created: true };
}

/** The namespace and both Secrets — with the database in the cluster, its Secret and volume too — in one read. */
export async function readSecrets(ctx: Pick<Context, 'tools'>, kubeContext: string, config: Config, database: boolean): Promise<CurrentSecrets> {
  const { namespace } = config;
  const pullName = pullSecretName(config);
  const objects = [
    `namespace/${namespace}`,
    ...services.map((s) => `secret/${secretNames[s]}`),
    ...(database ? [`secret/${databaseSecret.name}`, `persistentvolumeclaim/${databaseVolume(config)}`] : []),
    ...(pullName ? [`secret/${pullName}`] : []),
  ];
  const found = await ctx.tools.kubectl.getObjects({ kubeContext, namespace }, objects);
  const secretNamed = (name: string) => found.find((o) => o.kind === 'Secret' && o.metadata.name === name);
  const secret = (service: Service) => secretNamed(secretNames[service]);
  const stored = secretNamed(databaseSecret.name)?.data?.[databaseSecret.key];
  return {
    namespace: found.some((o) => o.kind === 'Namespace'),
    data: Object.fromEntries(services.filter(secret).map((s) => [s, secret(s)!.data ?? {}])),
    ...(pullName && secretNamed(pullName) && { pull: secretNamed(pullName)!.data ?? {} }),
    ...(database && {
      database: { ...(stored && { password: Buffer.from(stored, 'base64').toString('utf8') }), volume: found.some((o) => o.kind === 'PersistentVolumeClaim') },
    }),
  };
}

function sameData(current: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  return current !== undefined && Object.keys(current).length === Object.keys(wanted).length && Object.entries(wanted).every(([k, v]) => current[k] === v);
}
