// What every day-two command starts from: the settings, and the running deployment they
// describe — the kube-context and the URLs, resolved read-only. A day-two command never starts
// a cluster: a stopped or missing profile is a prerequisite error.
import { checkConfig } from '../checks/inputs.js';
import { readFile } from 'node:fs/promises';
import { checkEnvFile, readEnvText, registerSecret } from '../config/env-file.js';
import type { KubeScope } from '../adapters/kubectl.js';
import { databaseSecret, inClusterUrl, withDatabaseMode } from './database.js';
import { services, type Config, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { ConfigError, PrereqError } from '../errors.js';
import { checkTarget, resolveAccess } from './access.js';
import type { MinikubeStatus } from '../tools/minikube.js';
import type { DeployedService, Deployment } from './view.js';

/** todo-deploy.yaml (and TODO_DEPLOY_*, flags); .env is read only so its values are redacted from whatever a day-two command prints. */
export async function loadSettings(ctx: Context): Promise<Config> {
  const [{ result, loaded }, env, values] = await Promise.all([
    checkConfig(ctx.configOptions),
    // Best effort: the app's logs or a tool's error may echo a secret; a missing .env is no error here.
    checkEnvFile(ctx.envFile, ctx.redactor).catch(() => undefined),
    // Whether it has a DATABASE_URL decides where the database is, under database.mode auto.
    // Unreadable, it cannot say: no in-cluster database is assumed (its checks would only fail).
    readFile(ctx.envFile, 'utf8').then((text) => readEnvText(text, ctx.envFile).values, () => ({ DATABASE_URL: 'unknown' }) as Record<string, string>),
  ]);
  if (!loaded) throw new ConfigError(`${result.title} must be fixed first:`, result.problems ?? [], result.hint);
  // A value too weak to mask (short, a common word) is left out of the redactor: say so, since
  // an app deployed before `up` refused such values may print it.
  const problems = env?.problems.length ?? 0;
  if (problems > 0) ctx.out.warn(`${ctx.envFile} has ${problems} problem${problems === 1 ? '' : 's'} that \`todo-deploy up\` refuses (\`todo-deploy doctor\` lists them); a weak secret among them is not masked in this output.`);
  for (const warning of result.warnings ?? []) ctx.out.warn(warning);
  checkTarget(loaded.config);
  return withDatabaseMode(loaded.config, values);
}

/**
 * The running deployment a day-two command acts on: its context and URLs; on Minikube, a
 * profile that does not run is a prerequisite error (exit 3).
 */
export async function connect(ctx: Context, config: Config, status?: MinikubeStatus): Promise<Deployment> {
  if (config.target === 'minikube') await checkProfileRuns(ctx, config, status);
  const { kubeContext, urls, forwarded, publicUrls } = await resolveAccess(ctx, config);
  // The in-cluster database's password is in no .env: it is read here, so that a log line or a
  // diagnosis that echoes the backend's DATABASE_URL is masked like any other secret.
  if (config.database.mode === 'in-cluster') await registerDatabasePassword(ctx, { kubeContext, namespace: config.namespace }, config);
  const view = (service: Service): DeployedService => ({ service, config: config[service], url: urls[service], ...(publicUrls && { publicUrl: publicUrls[service] }) });
  return { config, kubeContext, services: { frontend: view('frontend'), backend: view('backend') }, ...(forwarded && { forwarded }) };
}

async function checkProfileRuns(ctx: Context, config: Config, status?: MinikubeStatus): Promise<void> {
  const { profile } = config.minikube;
  const { state, host, apiServer, kubelet } = status ?? (await ctx.tools.minikube.status(profile));
  if (state === 'absent') {
    throw new PrereqError(`The Minikube profile "${profile}" does not exist, so nothing is deployed.`, 'Run `todo-deploy up` to create it and deploy the app.');
  }
  if (state === 'stopped') {
    throw new PrereqError(`The Minikube profile "${profile}" is stopped.`, 'Run `todo-deploy up` (it starts the profile and checks the deployment), or `minikube start -p ' + profile + '`.');
  }
  if (state === 'degraded') {
    throw new PrereqError(
      `The Minikube profile "${profile}" is not healthy: host ${host}, apiserver ${apiServer}, kubelet ${kubelet}.`,
      `Run \`todo-deploy up\` (it restarts the profile), or \`minikube start -p ${profile}\`.`,
    );
  }
}

async function registerDatabasePassword(ctx: Context, scope: KubeScope, config: Config): Promise<void> {
  const [secret] = await ctx.tools.kubectl.getObjects(scope, [`secret/${databaseSecret.name}`]);
  const stored = secret?.data?.[databaseSecret.key];
  if (stored) registerSecret(ctx.redactor, 'DATABASE_URL', inClusterUrl(config, Buffer.from(stored, 'base64').toString('utf8')));
}

/** The services a command acts on: the one named (the CLI checks the name), or both. */
export const selectServices = (name: string | undefined): Service[] => (name ? [name as Service] : [...services]);
