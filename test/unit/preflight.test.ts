import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkDatabase } from '../../src/checks/database.js';
import { settingsProblems } from '../../src/checks/settings.js';
import { coalesce, schemaErrors } from '../../src/checks/values.js';
import { defaults, type Config } from '../../src/config/schema.js';

const host = { cpus: 4, memoryBytes: 8 * 1024 ** 3 };
const withConfig = (change: (c: Config) => void) => {
  const config = structuredClone(defaults);
  change(config);
  return config;
};

describe('settingsProblems', () => {
  type Change = (c: Config) => void;
  const cases: Array<[string, Change, unknown[]]> = [
    ['the defaults', () => {}, []],
    ['one NodePort for both', (c) => void (c.backend.nodePort = 30000), ['frontend.nodePort and backend.nodePort are both 30000: each Service needs its own. Set one of them to another port in 30000-32767.']],
    ['no replica', (c) => void (c.frontend.replicas = 0), [expect.stringMatching(/^frontend\.replicas is 0: up would deploy no frontend pod/)]],
    ['1 CPU', (c) => void (c.minikube.cpus = 1), ['minikube.cpus is 1; Minikube needs at least 2. Set minikube.cpus: 2 or more.']],
    ['more CPUs than the machine', (c) => void (c.minikube.cpus = 6), ['minikube.cpus is 6; this machine has 4. Set minikube.cpus: 4 or less.']],
    ['1799 MB', (c) => void (c.minikube.memory = '1799'), [expect.stringMatching(/^minikube\.memory is 1799 \(1799 MB\); Minikube needs at least 1800 MB/)]],
    ['1800 MB', (c) => void (c.minikube.memory = '1800mb'), []],
    ['more memory than the machine', (c) => void (c.minikube.memory = '9g'), ['minikube.memory is 9g (9216 MB); this machine has 8192 MB. Set minikube.memory to less, such as 4g.']],
    ['a cluster target: no Minikube limits', (c) => void ((c.target = 'cluster'), (c.minikube.cpus = 1)), []],
  ];
  it.each(cases)('%s', (_, change, problems) => {
    expect(settingsProblems(withConfig(change), host)).toEqual(problems);
  });
});

describe('values against the chart schema', () => {
  const schema = JSON.parse(readFileSync(new URL('../../charts/frontend/values.schema.json', import.meta.url), 'utf8')) as object;
  it.each([
    [{ replicas: 3 }, ['replicas: unknown key (did you mean "replicaCount"?)']],
    [{ service: { nodePort: 99999 } }, ['service.nodePort: must be <= 32767']],
    [{ service: { nodePort: 'x' } }, ['service.nodePort: must be null; must be integer']],
    [{ image: { repository: 'x', pullPolicy: 'Sometimes' } }, ['image.pullPolicy: must be one of "IfNotPresent", "Never", "Always"']],
    [{ image: { repository: 'x' }, replicaCount: 2 }, []],
  ])('%j', async (values, lines) => {
    expect(await schemaErrors(schema, values)).toEqual(lines);
  });

  it('coalesces as Helm does: mappings merge, a null deletes', () => {
    expect(coalesce({ a: { b: 1, c: 2 }, d: [1] }, { a: { c: null, e: 3 }, d: [2] })).toEqual({ a: { b: 1, e: 3 }, d: [2] });
  });
});

describe('the database check: which database up deploys the backend with', () => {
  const PASSWORD = 'npg_Pr3flightS3cret';
  const NEON = `postgresql://neondb_owner:${PASSWORD}@ep-cool-rain-123456.eu-central-1.aws.neon.tech/neondb?sslmode=require`;
  const mode = (m: Config['database']['mode']) => withConfig((c) => void (c.database.mode = m));
  const inCluster = 'in the cluster: postgres:17.6-bookworm, 1Gi volume';
  const cases: Array<[string, Config, string | undefined | null, object]> = [
    ['auto without a URL', mode('auto'), undefined, { status: 'pass', detail: `${inCluster} (no DATABASE_URL in .env)` }],
    ['auto with a URL', mode('auto'), NEON, { status: 'pass', detail: 'external: ep-cool-rain-123456.eu-central-1.aws.neon.tech:5432 (DATABASE_URL)' }],
    ['auto with a URL and a port', mode('auto'), `postgresql://app:${PASSWORD}@host.minikube.internal:6543/todo`, { status: 'pass', detail: 'external: host.minikube.internal:6543 (DATABASE_URL)' }],
    ['external with a URL', mode('external'), NEON, { status: 'pass', detail: 'external: ep-cool-rain-123456.eu-central-1.aws.neon.tech:5432 (DATABASE_URL; database.mode: external)' }],
    ['in-cluster without a URL', mode('in-cluster'), undefined, { status: 'pass', detail: `${inCluster} (database.mode: in-cluster)` }],
    [
      'in-cluster with a URL, which is not used',
      mode('in-cluster'),
      NEON,
      { status: 'warn', detail: `${inCluster} (database.mode: in-cluster); the DATABASE_URL in .env is not used`, hint: 'Remove DATABASE_URL from /app/.env, or set database.mode: external in todo-deploy.yaml to use that database.' },
    ],
    ['another image and size', withConfig((c) => void ((c.database.image = 'postgres:16.10-alpine'), (c.database.storage = '5Gi'))), undefined, { status: 'pass', detail: 'in the cluster: postgres:16.10-alpine, 5Gi volume (no DATABASE_URL in .env)' }],
    ['external without a URL: the .env check fails', mode('external'), undefined, { status: 'skip', detail: 'database.mode is external: needs DATABASE_URL in .env (see above)' }],
    ['a URL up refuses: the .env check fails', mode('auto'), `mysql://root:${PASSWORD}@db/todo`, { status: 'skip', detail: 'needs a valid DATABASE_URL in .env (see above)' }],
    ['an empty DATABASE_URL=', mode('auto'), '', { status: 'skip', detail: 'needs a valid DATABASE_URL in .env (see above)' }],
    ['no readable .env', mode('auto'), null, { status: 'skip', detail: 'needs a readable .env (see above)' }],
  ];
  it.each(cases)('%s', (_, config, url, expected) => {
    const check = checkDatabase(config, '/app/.env', url);
    expect(check).toMatchObject({ id: 'database', title: 'database', category: 'input', ...expected });
    expect(check.status).not.toBe('fail');
    expect(JSON.stringify(check)).not.toContain(PASSWORD);
    expect(JSON.stringify(check)).not.toContain('neondb_owner');
  });
});
