import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, envName } from '../../src/config/load.js';
import { defaults, parseDuration } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../support/temp.js';

function configFile(text: string | Buffer): string {
  const file = join(tempDir('config-'), 'todo-deploy.yaml');
  writeFileSync(file, text);
  return file;
}

async function load(text: string | Buffer | undefined, env: NodeJS.ProcessEnv = {}, flags: Record<string, string | undefined> = {}) {
  const file = text === undefined ? join(tmpdir(), 'no-such-dir-todo-deploy', 'todo-deploy.yaml') : configFile(text);
  return loadConfig({ file, fileRequired: false, env, flags });
}

async function problemsOf(text: string | Buffer, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await load(text, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('todo-deploy.yaml', () => {
  it('gives the spec defaults when there is no file', async () => {
    const loaded = await load(undefined);
    expect(loaded.config).toEqual(defaults);
    expect(loaded.file).toBeUndefined();
    expect(loaded.config.frontend).toMatchObject({ replicas: 2, port: 3000, nodePort: 30000 });
    expect(loaded.config.backend).toMatchObject({ replicas: 1, port: 8000, nodePort: 30001 });
    expect(loaded.config.minikube).toMatchObject({ profile: 'minikube', cpus: 2, memory: '3g', containerRuntime: 'docker' });
  });

  it('reads values over the defaults and records their source', async () => {
    const loaded = await load('namespace: demo\nminikube:\n  cpus: 4\ntimeouts:\n  deploy: 1m30s\nbackend:\n  replicas: 1\n');
    expect(loaded.config.namespace).toBe('demo');
    expect(loaded.config.minikube.cpus).toBe(4);
    expect(loaded.config.minikube.memory).toBe('3g');
    expect(loaded.config.timeouts.deploy).toBe(90_000);
    expect(loaded.sources).toMatchObject({ namespace: 'file', 'minikube.cpus': 'file', 'minikube.memory': 'default' });
  });

  it.each([
    ['an empty file', ''],
    ['only comments', '# nothing here\n'],
    ['sections with every key commented out', 'cluster:\n  # context: x\nfrontend:\n'],
  ])('accepts %s', async (_, text) => {
    expect((await load(text)).config).toEqual(defaults);
  });

  it.each([
    ['an unknown key, with a suggestion', 'fronted:\n  replicas: 3\n', 'todo-deploy.yaml:1:1: fronted: unknown key (did you mean "frontend"?)'],
    ['a nested unknown key', 'frontend:\n  replicsa: 3\n', 'todo-deploy.yaml:2:3: frontend.replicsa: unknown key (did you mean "replicas"?)'],
    ['an unknown key with nothing close', 'colour: blue\n', 'todo-deploy.yaml:1:1: colour: unknown key'],
    ['a string for a number', 'minikube:\n  cpus: two\n', 'todo-deploy.yaml:2:9: minikube.cpus: expected an integer from 1 to 256, got "two"'],
    ['a quoted number', 'minikube:\n  cpus: "2"\n', 'minikube.cpus: expected an integer from 1 to 256, got "2"'],
    ['a fraction', 'frontend:\n  replicas: 1.5\n', 'frontend.replicas: expected an integer from 0 to 20, got number 1.5'],
    ['a NodePort out of range', 'backend:\n  nodePort: 8080\n', 'backend.nodePort: expected an integer from 30000 to 32767, got number 8080'],
    ['a bad enum', 'minikube:\n  containerRuntime: podman\n', 'minikube.containerRuntime: expected one of docker, containerd, cri-o, got "podman"'],
    ['a bad duration', 'timeouts:\n  deploy: 5 minutes\n', 'timeouts.deploy: expected a duration such as 90s, 5m or 1m30s, got "5 minutes"'],
    ['an upper-case namespace', 'namespace: Todo\n', 'namespace: expected a lowercase DNS label'],
    ['an image with a tag', 'frontend:\n  image: todo-frontend:latest\n', 'frontend.image: expected an image name without a tag'],
    ['a list for a section', 'minikube:\n  - cpus\n', 'todo-deploy.yaml:2:3: minikube must be a mapping of keys to values'],
    ['a mapping for a leaf', 'namespace:\n  name: x\n', 'namespace: expected a lowercase DNS label (a-z, 0-9, \'-\'; at most 63 characters), got a mapping'],
    ['a top-level list', '- a\n- b\n', 'the file must be a mapping of keys to values'],
    ['a duplicate key', 'namespace: a\nnamespace: b\n', 'todo-deploy.yaml:2:1: namespace: duplicate key (first set at line 1)'],
    ['broken YAML', 'frontend:\n  replicas: [1, 2\n', 'invalid YAML'],
  ])('rejects %s, naming file, line and key', async (_, text, expected) => {
    const problems = await problemsOf(text);
    expect(problems.join('\n')).toContain(expected);
  });

  it('reports every problem at once', async () => {
    const problems = await problemsOf('namespace: Bad_Name\nminikube:\n  cpus: 0\n  memroy: 4g\nfrontend:\n  port: 99999\n');
    expect(problems).toHaveLength(4);
    expect(problems.map((p) => p.replace(/^.*todo-deploy\.yaml:(\d+):\d+: /, '$1 '))).toEqual([
      expect.stringMatching(/^1 namespace:/),
      expect.stringMatching(/^3 minikube\.cpus:/),
      expect.stringMatching(/^4 minikube\.memroy: unknown key \(did you mean "memory"\?\)/),
      expect.stringMatching(/^6 frontend\.port:/),
    ]);
  });

  it.each([
    ['binary garbage', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0xff]), /is not a text file/],
    ['a huge file', 'a: 1\n'.repeat(300_000), /bytes; a todo-deploy.yaml is a few dozen lines/],
  ])('refuses %s with a clear error', async (_, content, message) => {
    await expect(load(content)).rejects.toThrow(message);
  });

  it('accepts CRLF line endings, a BOM and unicode comments', async () => {
    const loaded = await load('\uFEFF# Konfiguration für todo-deploy — ✓\r\nnamespace: demo\r\nminikube:\r\n  cpus: 3\r\n');
    expect(loaded.config.namespace).toBe('demo');
    expect(loaded.config.minikube.cpus).toBe(3);
  });

  it('fails when a named --config file does not exist', async () => {
    await expect(loadConfig({ file: '/nonexistent/todo-deploy.yaml', fileRequired: true, env: {}, flags: {} })).rejects.toThrow(
      '/nonexistent/todo-deploy.yaml does not exist.',
    );
  });
});

describe('precedence: flags > TODO_DEPLOY_* > file > defaults', () => {
  const file = 'namespace: from-file\nminikube:\n  profile: file-profile\n  cpus: 3\n';

  it('lets the environment override the file, and flags override both', async () => {
    const loaded = await load(file, { TODO_DEPLOY_NAMESPACE: 'from-env', TODO_DEPLOY_MINIKUBE_CPUS: '6', TODO_DEPLOY_PROFILE: 'env-profile' }, { namespace: 'from-flag' });
    expect(loaded.config.namespace).toBe('from-flag');
    expect(loaded.config.minikube.cpus).toBe(6);
    expect(loaded.config.minikube.profile).toBe('env-profile');
    expect(loaded.sources).toMatchObject({ namespace: 'flag', 'minikube.cpus': 'env', 'minikube.profile': 'env' });
  });

  it('names the variable when its value is wrong', async () => {
    const problems = await problemsOf('', { TODO_DEPLOY_FRONTEND_NODE_PORT: 'http' });
    expect(problems).toEqual(['TODO_DEPLOY_FRONTEND_NODE_PORT: expected an integer from 30000 to 32767, got "http"']);
  });

  it('turns an app-level check off from the file or a variable (true or false), and names a value that is neither', async () => {
    const loaded = await load('checks:\n  auth: false\n', { TODO_DEPLOY_CHECKS_API_DOCS: 'False', TODO_DEPLOY_CHECKS_CORS: 'true' });
    expect(loaded.config.checks).toEqual({ ui: true, backendUrl: true, apiDocs: false, cors: true, auth: false });
    expect(loaded.sources).toMatchObject({ 'checks.auth': 'file', 'checks.apiDocs': 'env', 'checks.ui': 'default' });
    expect(await problemsOf('checks:\n  auth: no-thanks\n', { TODO_DEPLOY_CHECKS_UI: 'off' })).toEqual([
      expect.stringMatching(/todo-deploy\.yaml:2:9: checks\.auth: expected true or false, got "no-thanks"$/),
      'TODO_DEPLOY_CHECKS_UI: expected true or false, got "off"',
    ]);
  });

  it('warns about a variable that is no setting, with a suggestion', async () => {
    const loaded = await load('', { TODO_DEPLOY_NAMESPCE: 'x', TODO_DEPLOY_APP_DIR: '/app', OTHER: 'y' });
    expect(loaded.warnings).toEqual(['TODO_DEPLOY_NAMESPCE is not a todo-deploy setting and is ignored (did you mean TODO_DEPLOY_NAMESPACE?).']);
  });

  it('names the flag when a flag value is wrong', async () => {
    await expect(load('', {}, { namespace: 'UPPER' })).rejects.toMatchObject({ problems: [expect.stringMatching(/^--namespace: expected a lowercase DNS label/)] });
  });
});

describe('envName and parseDuration', () => {
  it.each([
    ['namespace', 'TODO_DEPLOY_NAMESPACE'],
    ['frontend.nodePort', 'TODO_DEPLOY_FRONTEND_NODE_PORT'],
    ['minikube.kubernetesVersion', 'TODO_DEPLOY_MINIKUBE_KUBERNETES_VERSION'],
  ])('%s → %s', (path, name) => expect(envName(path)).toBe(name));

  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['0s', undefined],
    ['5', undefined],
    ['5m 30s', undefined],
    ['-5m', undefined],
  ])('%s → %s', (text, ms) => expect(parseDuration(text)).toBe(ms));
});
