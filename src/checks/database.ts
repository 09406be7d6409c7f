// Which database the backend gets, said one way by doctor's preflight (and `up`'s), and by
// setup's summary: PostgreSQL in the cluster (image, volume) or an external one (host and
// port only: a DATABASE_URL's credentials are never shown).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseDatabaseUrl } from '../config/database-url.js';
import { readEnvText } from '../config/env-file.js';
import type { Config } from '../config/schema.js';
import type { PreflightCheck } from './check.js';

/** "in the cluster: postgres:17.6-bookworm, 1Gi volume" */
export function inClusterDatabase(config: Config): string {
  return `in the cluster: ${config.database.image}, ${config.database.storage} volume`;
}

/** "ep-…neon.tech:5432" (libpq's default port when the URL names none), or undefined for a URL `up` refuses to read. */
export function databaseHost(url: string): string | undefined {
  const { url: parsed } = parseDatabaseUrl(url);
  return parsed && `${parsed.host}:${parsed.port ?? 5432}`;
}

/**
 * The env file's DATABASE_URL as written (not checked: the .env check does that), undefined
 * without one, null when the file cannot be read. Read on its own because the .env check keeps
 * no value of a file with problems, nor one that `database.mode: in-cluster` leaves unused.
 */
export async function readDatabaseUrl(file: string): Promise<string | undefined | null> {
  try {
    return readEnvText(await readFile(file, 'utf8'), file).values.DATABASE_URL;
  } catch {
    return null;
  }
}

/**
 * Which database `up` deploys the backend with: the rule of `database.mode` (auto: in the
 * cluster exactly when .env has no DATABASE_URL). Never a failure: a DATABASE_URL `up` refuses
 * is the .env check's problem, and this check is then skipped.
 */
export function checkDatabase(config: Config, envFile: string, url: string | undefined | null): PreflightCheck {
  const base = { id: 'database', title: 'database', category: 'input' as const };
  const { mode } = config.database;
  const envName = basename(envFile);
  if (url === null) return { ...base, status: 'skip', detail: `needs a readable ${envName} (see above)` };
  if (url !== undefined && mode !== 'in-cluster') {
    const host = databaseHost(url);
    if (!host) return { ...base, status: 'skip', detail: `needs a valid DATABASE_URL in ${envName} (see above)` };
    return { ...base, status: 'pass', detail: `external: ${host} (DATABASE_URL${mode === 'external' ? '; database.mode: external' : ''})` };
  }
  if (mode === 'external') return { ...base, status: 'skip', detail: `database.mode is external: needs DATABASE_URL in ${envName} (see above)` };
  if (url === undefined) return { ...base, status: 'pass', detail: `${inClusterDatabase(config)} (${mode === 'auto' ? `no DATABASE_URL in ${envName}` : 'database.mode: in-cluster'})` };
  return {
    ...base,
    status: 'warn',
    detail: `${inClusterDatabase(config)} (database.mode: in-cluster); the DATABASE_URL in ${envName} is not used`,
    hint: `Remove DATABASE_URL from ${envFile}, or set database.mode: external in todo-deploy.yaml to use that database.`,
  };
}
