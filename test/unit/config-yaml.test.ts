// todo-deploy.yaml read as YAML users write it: aliases, merge keys, big numbers, duplicate keys.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../support/temp.js';

async function load(text: string) {
  const file = join(tempDir('config-'), 'todo-deploy.yaml');
  writeFileSync(file, text);
  try {
    return { config: (await loadConfig({ file, fileRequired: true, env: {}, flags: {} })).config, problems: [] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { config: undefined, problems: error.problems.map((p) => p.replace(`${file}:`, '')) };
  }
}

describe('todo-deploy.yaml as YAML', () => {
  it('an alias to a mapping is that mapping', async () => {
    const { config, problems } = await load('frontend: &svc\n  replicas: 3\n  healthPath: /healthz\nbackend: *svc\n');
    expect(problems).toEqual([]);
    expect(config!.backend).toMatchObject({ replicas: 3, healthPath: '/healthz', port: 8000 });
  });

  it('an alias to a scalar is that scalar', async () => {
    const { config } = await load('frontend:\n  healthPath: &health /healthz\nbackend:\n  healthPath: *health\n');
    expect(config!.backend.healthPath).toBe('/healthz');
  });

  it('merge keys: one or a list, the mapping\'s own keys win wherever they stand', async () => {
    const { config, problems } = await load(
      'frontend: &base\n  replicas: 3\n  healthPath: /healthz\nbackend:\n  replicas: 1\n  <<: *base\n' + 'minikube:\n  <<: [{cpus: 4}, {memory: 6g}]\n  cpus: 3\n',
    );
    expect(problems).toEqual([]);
    expect(config!.backend).toMatchObject({ replicas: 1, healthPath: '/healthz' });
    expect(config!.minikube).toMatchObject({ cpus: 3, memory: '6g' });
  });

  it('a merged key that is wrong is reported', async () => {
    expect((await load('frontend:\n  <<: {replicsa: 2}\n')).problems).toEqual(['2:8: frontend.replicsa: unknown key (did you mean "replicas"?)']);
  });

  it('a huge integer is shown as written', async () => {
    expect((await load('minikube:\n  cpus: 99999999999999999999\n')).problems).toEqual(['2:9: minikube.cpus: expected an integer from 1 to 256, got number 99999999999999999999']);
  });

  it('a duplicate key is reported at its own line, naming the first', async () => {
    expect((await load('namespace: todo\nminikube:\n  cpus: 2\n  memory: 3g\n  cpus: 3\n')).problems).toEqual(['5:3: minikube.cpus: duplicate key (first set at line 3)']);
  });
});
