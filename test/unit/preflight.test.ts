import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
