// The in-cluster database's rules that need no cluster: where the database is, the password and
// the URL the backend gets, what .env must hold in each mode, and the volume trap's diagnosis.
import { describe, expect, it } from 'vitest';
import { checkEnvText } from '../../src/config/env-file.js';
import { defaults, type Config } from '../../src/config/schema.js';
import { parseDatabaseUrl } from '../../src/config/database-url.js';
import { databaseInCluster, inClusterUrl, newDatabasePassword, withDatabaseMode } from '../../src/deployment/database.js';
import { volumeNotWritable } from '../../src/deployment/pods.js';
import { Redactor } from '../../src/redact.js';

const withMode = (mode: Config['database']['mode']): Config => ({ ...defaults, database: { ...defaults.database, mode } });
const url = 'postgresql://app:Xk9vQ2mT7pLw4RzN@db.example.com:5432/todo';
const env = (databaseUrl?: string) =>
  [
    'BETTER_AUTH_SECRET=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5',
    'OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123',
    'BETTER_AUTH_URL=http://localhost:30000',
    ...(databaseUrl ? [`DATABASE_URL=${databaseUrl}`] : []),
  ].join('\n');

describe('where the database is', () => {
  it.each([
    ['auto', undefined, true],
    ['auto', url, false],
    ['in-cluster', url, true],
    ['in-cluster', undefined, true],
    ['external', url, false],
  ] as const)('database.mode %s with DATABASE_URL %s: in the cluster is %s', (mode, databaseUrl, inCluster) => {
    expect(databaseInCluster(withMode(mode), { DATABASE_URL: databaseUrl })).toBe(inCluster);
    expect(withDatabaseMode(withMode(mode), { DATABASE_URL: databaseUrl }).database.mode).toBe(inCluster ? 'in-cluster' : 'external');
  });
});

describe('.env in each database mode', () => {
  it('auto: no DATABASE_URL is fine (the database runs in the cluster)', () => {
    const check = checkEnvText(env(), '.env', new Redactor(), 'auto');
    expect(check.problems).toEqual([]);
    expect(check.secrets?.DATABASE_URL).toBeUndefined();
  });

  it('auto: an empty DATABASE_URL (a blank template line, an unset CI secret) is none', () => {
    const check = checkEnvText(`${env()}\nDATABASE_URL=''`, '.env', new Redactor(), 'auto');
    expect(check.problems).toEqual([]);
    expect(check.secrets?.DATABASE_URL).toBeUndefined();
    expect(checkEnvText(`${env()}\nDATABASE_URL=`, '.env', new Redactor(), 'external').problems).toEqual([expect.stringContaining('DATABASE_URL is empty')]);
  });

  it('external: DATABASE_URL is required', () => {
    const check = checkEnvText(env(), '.env', new Redactor(), 'external');
    expect(check.problems).toEqual([expect.stringMatching(/^\.env: DATABASE_URL is missing; set it to your PostgreSQL URL/)]);
  });

  it('in-cluster: a DATABASE_URL is not used, said so, and still masked', () => {
    const redactor = new Redactor();
    const check = checkEnvText(env(url), '.env', redactor, 'in-cluster');
    expect(check.problems).toEqual([]);
    expect(check.secrets?.DATABASE_URL).toBeUndefined();
    expect(check.warnings).toContainEqual(expect.stringContaining('DATABASE_URL is not used: database.mode is in-cluster'));
    expect(redactor.scrub(`connecting to ${url}`)).not.toContain('Xk9vQ2mT7pLw4RzN');
  });
});

describe('the in-cluster password and URL', () => {
  it('is 32 URL-safe characters, different every time', () => {
    const passwords = new Set(Array.from({ length: 20 }, newDatabasePassword));
    expect(passwords.size).toBe(20);
    for (const p of passwords) expect(p).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it("gives the backend a URL to the Service in the namespace, which todo-deploy's own rules accept", () => {
    const password = newDatabasePassword();
    const config = { ...withMode('in-cluster'), namespace: 'shop' };
    const built = inClusterUrl(config, password);
    expect(built).toBe(`postgresql://todo:${password}@database.shop.svc:5432/todo`);
    const { url: parsed, problem } = parseDatabaseUrl(built);
    expect(problem).toBeUndefined();
    expect(parsed?.password).toBe(password);
  });
});

describe("a volume the postgres user cannot write", () => {
  it.each([
    "mkdir: cannot create directory '/var/lib/postgresql/data/pgdata': Permission denied",
    'initdb: error: could not change permissions of directory "/var/lib/postgresql/data/pgdata": Operation not permitted',
    'initdb: error: could not create directory "/var/lib/postgresql/data/pgdata": Permission denied',
  ])('is named from the server\'s own words, with the fix: %s', (line) => {
    const hint = volumeNotWritable(`The files belonging to this database system will be owned by user "postgres".\n${line}\n`, 'database-0', 'todo');
    expect(hint).toContain('not writable by the postgres user (uid 999)');
    expect(hint).toContain('minikube ssh -- sudo chown -R 999:999 /tmp/hostpath-provisioner/todo/data-database-0');
  });

  it('is not claimed for other failures', () => {
    expect(volumeNotWritable('FATAL:  password authentication failed for user "todo"\n', 'database-0', 'todo')).toBeUndefined();
    expect(volumeNotWritable("Error: Permission denied reading /app/config.json\n", 'backend-1', 'todo')).toBeUndefined();
  });
});
