// The in-cluster PostgreSQL: when it is used, its names, the backend's DATABASE_URL to it, and
// what `verify` asks of it inside its pod (through kubectl exec: stdin, never argv).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Secrets } from '../config/env-file.js';
import type { Config } from '../config/schema.js';
import type { Context } from '../context.js';
import type { KubeScope } from '../adapters/kubectl.js';

/** The Secret holding the generated password, made once by `up` and never regenerated while the volume lives. */
export const databaseSecret = { name: 'database-credentials', key: 'password' } as const;
const databaseUser = 'todo';
const databaseName = 'todo';
const databaseContainer = 'postgres';

/** In the cluster when todo-deploy.yaml says so, or — `auto` — when .env has no DATABASE_URL. */
export function databaseInCluster(config: Config, secrets: Pick<Secrets, 'DATABASE_URL'>): boolean {
  return config.database.mode === 'in-cluster' || (config.database.mode === 'auto' && !secrets.DATABASE_URL);
}

/** The config with `auto` decided: every command after the settings are loaded sees in-cluster or external. */
export function withDatabaseMode(config: Config, secrets: Pick<Secrets, 'DATABASE_URL'>): Config {
  return { ...config, database: { ...config.database, mode: databaseInCluster(config, secrets) ? 'in-cluster' : 'external' } };
}

/** The StatefulSet's only pod, and its volume claim (the chart's `data` claim template). */
export const databasePod = (config: Config): string => `${config.database.release}-0`;
export const databaseVolume = (config: Config): string => `data-${config.database.release}-0`;

/** URL-safe (base64url), so it needs no percent-encoding in the URL; 32 characters. */
export const newDatabasePassword = (): string => randomBytes(24).toString('base64url');

/** The backend's DATABASE_URL: the Service's DNS name in the namespace. */
export function inClusterUrl(config: Config, password: string): string {
  return `postgresql://${databaseUser}:${password}@${config.database.release}.${config.namespace}.svc:5432/${databaseName}`;
}

const isReady = ['pg_isready', '-U', databaseUser, '-d', databaseName, '-h', '127.0.0.1', '-p', '5432'];
// psql over the pod's local socket (the image trusts local connections): no password anywhere.
const psql = ['psql', '-v', 'ON_ERROR_STOP=1', '-U', databaseUser, '-d', databaseName, '-tA'];

/** Inside the database pod: whether PostgreSQL accepts connections, and its own words. */
export async function acceptsConnections(ctx: Pick<Context, 'tools'>, scope: KubeScope, config: Config): Promise<{ ok: boolean; said: string }> {
  const result = await ctx.tools.kubectl.exec(scope, databasePod(config), databaseContainer, isReady);
  return { ok: result.exitCode === 0, said: (result.stdout.trim() || result.stderr.trim()).split('\n').at(-1) ?? '' };
}

/** Writes a fresh row; the token to read it back by. */
export async function writeProbeRow(ctx: Pick<Context, 'tools'>, scope: KubeScope, config: Config): Promise<{ token?: string; error?: string }> {
  const token = randomUUID();
  const sql = `CREATE TABLE IF NOT EXISTS todo_deploy_check (token text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now());\nINSERT INTO todo_deploy_check (token) VALUES ('${token}');\n`;
  const result = await ctx.tools.kubectl.exec(scope, databasePod(config), databaseContainer, psql, { input: sql, inputLabel: 'SQL: insert a check row', mutates: true });
  return result.exitCode === 0 ? { token } : { error: result.stderr.trim() || result.stdout.trim() || `psql exited ${result.exitCode}` };
}

/** Whether the row written with `token` is there. */
export async function readProbeRow(ctx: Pick<Context, 'tools'>, scope: KubeScope, config: Config, token: string): Promise<{ found: boolean; error?: string }> {
  const sql = `SELECT token FROM todo_deploy_check WHERE token = '${token}';\n`;
  const result = await ctx.tools.kubectl.exec(scope, databasePod(config), databaseContainer, psql, { input: sql, inputLabel: 'SQL: read the check row' });
  if (result.exitCode !== 0) return { found: false, error: result.stderr.trim() || `psql exited ${result.exitCode}` };
  return { found: result.stdout.split('\n').some((line) => line.trim() === token) };
}
