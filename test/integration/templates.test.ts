// The file templates `todo-deploy setup` and users start from: they must say every option
// and every secret, at the defaults the tool really uses, and match what the charts read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/helm.js';

const template = (name: string): string => readFileSync(join(repoRoot, 'templates', name), 'utf8');

// The todo-deploy.yaml schema of issue #3, at its defaults.
const configDefaults = {
  namespace: 'todo',
  target: 'minikube',
  minikube: { profile: 'minikube', cpus: 2, memory: '3g', driver: 'docker', kubernetesVersion: 'stable', containerRuntime: 'docker' },
  cluster: { context: '', registry: '', platform: '', protectedContexts: [], pullSecret: '', expose: 'auto', host: '' },
  timeouts: { start: '10m', build: '15m', deploy: '5m', verify: '3m', lock: '10m', expose: '2m' },
  frontend: {
    sourceDir: './frontend',
    dockerfile: '',
    image: 'todo-frontend',
    release: 'frontend',
    replicas: 2,
    port: 3000,
    nodePort: 30000,
    healthPath: '/api/health',
    backendUrl: '',
    valuesFile: '',
  },
  backend: {
    sourceDir: './backend',
    dockerfile: '',
    image: 'todo-backend',
    release: 'backend',
    replicas: 1,
    port: 8000,
    nodePort: 30001,
    healthPath: '/api/health',
    valuesFile: '',
  },
  checks: { ui: true, backendUrl: true, apiDocs: true, cors: true, auth: true },
};

const secretKeys = ['BETTER_AUTH_SECRET', 'DATABASE_URL', 'OPENAI_API_KEY', 'BETTER_AUTH_URL'];

describe('templates/todo-deploy.yaml', () => {
  const text = template('todo-deploy.yaml');

  it('holds every option at its default, and nothing else', () => {
    expect(parseYaml(text)).toEqual(configDefaults);
  });

  it('shows the database section commented out, at its defaults, each key explained', async () => {
    const { defaults } = await import('../../src/config/schema.js');
    const section = text.slice(text.indexOf('# database:'));
    const uncommented = section.replace(/^# ?/gm, '').replace(/^ *#.*\n/gm, '');
    expect(parseYaml(uncommented)).toEqual({ database: defaults.database });
    for (const line of section.split('\n').filter((l) => /^#\s+[a-z]+:\s*\S/.test(l) && !l.startsWith('# database:'))) expect(line, line).toMatch(/\s#\s\S/);
  });

  it('comments every option', () => {
    const leaves = text.split('\n').filter((l) => /^\s*[A-Za-z]+:\s*[^\s#]/.test(l));
    const leafCount = (o: object): number =>
      Object.values(o).reduce<number>((n, v) => n + (typeof v === 'object' && !Array.isArray(v) ? leafCount(v) : 1), 0);
    expect(leaves.length).toBe(leafCount(configDefaults));
    for (const line of leaves) expect(line, line).toMatch(/\s#\s\S/);
  });

  it('agrees with the charts on ports, NodePorts, replicas and health paths', () => {
    for (const service of ['frontend', 'backend'] as const) {
      const values = parseYaml(readFileSync(join(repoRoot, 'charts', service, 'values.yaml'), 'utf8'));
      const config = configDefaults[service];
      expect(values.replicaCount).toBe(config.replicas);
      expect(values.service.port).toBe(config.port);
      expect(values.containerPort).toBe(config.port);
      expect(values.service.nodePort).toBe(config.nodePort);
      expect(values.healthPath).toBe(config.healthPath);
      expect(values.image.repository).toBe(config.image);
    }
  });
});

describe('templates/env.example', () => {
  const text = template('env.example');

  it('lists every required secret, each empty so that an unfilled copy fails validation, and DATABASE_URL commented out', () => {
    // DATABASE_URL is optional: without it todo-deploy runs PostgreSQL in the cluster.
    expect(parseDotenv(text)).toEqual(Object.fromEntries(secretKeys.filter((k) => k !== 'DATABASE_URL').map((k) => [k, ''])));
    expect(text).toMatch(/^# DATABASE_URL=$/m);
    expect(text).toMatch(/without DATABASE_URL .*todo-deploy\n# runs PostgreSQL in the cluster/);
  });

  it('explains each key right above it: what it is and where to get it', () => {
    const lines = text.split('\n');
    for (const key of secretKeys) {
      const at = lines.findIndex((l) => l.startsWith(`${key}=`) || l === `# ${key}=`);
      expect(at, key).toBeGreaterThan(0);
      const comment: string[] = [];
      for (let i = at - 1; i >= 0 && lines[i]!.startsWith('#'); i--) comment.unshift(lines[i]!);
      expect(comment.length, key).toBeGreaterThanOrEqual(2);
    }
    expect(text).toMatch(/openssl rand/);
    expect(text).toMatch(/platform\.openai\.com\/api-keys/);
    expect(text).toMatch(/Neon/);
  });

  it('holds exactly the secrets the charts read', () => {
    const read = new Set<string>();
    for (const service of ['frontend', 'backend']) {
      const values = parseYaml(readFileSync(join(repoRoot, 'charts', service, 'values.yaml'), 'utf8'));
      for (const name of Object.keys(values.secretEnv)) read.add(name);
    }
    expect([...read].sort()).toEqual([...secretKeys].sort());
  });
});
