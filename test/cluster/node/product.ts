// The product as a user runs it against the tier's real node: the built CLI, with a PATH of
// the real helm (3 or 4), the real kubectl 1.34, Debian's docker client (the tier's daemon, for
// `docker version`) and the minikube stand-in (../minikube.mjs). Every call is logged by a
// one-line shim before the real binary runs (argv only: it never holds a secret, asserted).
// For the cluster target (`target: 'cluster'`): no minikube stand-in — a `minikube` that only
// logs the call and fails (the cluster target makes none) — and `docker build` run with
// `--network host` added after `build` (the tier's daemon has no bridge; the logged argv is the
// product's own), since the product builds with "the user's own daemon", which is the tier's.
import type { ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeIp } from '../namespaces.js';
import { repoRoot } from '../../contract/helm.js';
import { realToolPath } from '../../support/real-tools.js';
import { runCli, type CliResult } from '../../sim/run-cli.js';
import type { Sim } from '../../sim/harness.js';
import { dockerBin } from '../images.mjs';

export interface Call {
  tool: string;
  argv: string[];
}

export interface Product {
  dir: string;
  appDir: string;
  env: Record<string, string>;
  run(args: string[], options?: { timeoutMs?: number; env?: Record<string, string>; onSpawn?: (child: ChildProcess) => void }): Promise<CliResult & { calls: Call[] }>;
  calls(): Call[];
  write(path: string, content: string): void;
  cleanup(): void;
}

// The words (of argv, flags left out) that make a call change a cluster, an image or a profile;
// any other call only reads. A flag's value is never one of these words in the product's calls.
const mutatingWords: Record<string, string[]> = {
  helm: ['upgrade', 'install', 'rollback', 'uninstall', 'delete', 'test'],
  kubectl: ['apply', 'create', 'delete', 'patch', 'replace', 'scale', 'label', 'annotate', 'restart'],
  minikube: ['start', 'stop', 'delete', 'build', 'load'],
  docker: ['build', 'tag', 'rmi', 'push', 'load'],
};
export const isMutating = (c: Call) => c.argv.some((word) => !word.startsWith('-') && (mutatingWords[c.tool] ?? []).includes(word));

export interface AppOptions {
  helm: 'helm3' | 'helm4';
  namespace: string;
  nodePorts: { frontend: number; backend: number };
  kubeconfig: string;
  dockerHost: string;
  containerd: string;
  /** The backend's external database; none: `up` deploys PostgreSQL in the cluster (database.mode auto). */
  databaseUrl?: string;
  extraYaml?: string;
  /** minikube (default): the minikube stand-in; cluster: none (a minikube call fails, logged), builds on the tier's daemon directly. */
  target?: 'minikube' | 'cluster';
}

export const appSecrets = {
  BETTER_AUTH_SECRET: 'Nd4q8RkP1mW6xT9bN4cJ7hL2sF5gD0aYv',
  OPENAI_API_KEY: 'sk-proj-Cl7Wm2Zr9Lx4Tn8Vb3Kc6Yd1Fs5Gp0Aq',
};

export function createProduct(o: AppOptions): Product {
  const dir = mkdtempSync(join('/tmp', 'todo-node-app-'));
  const bin = join(dir, 'bin');
  const appDir = join(dir, 'app');
  const log = join(dir, 'calls.log');
  mkdirSync(bin);
  writeFileSync(log, '');
  const cluster = o.target === 'cluster';
  const shim = (tool: string, real: string, before = '') => {
    // One line per call: the tool and its argv, tab-separated (no argv of the product holds a tab or newline).
    writeFileSync(join(bin, tool), `#!/bin/sh\n{ printf '%s' ${tool}; for a in "$@"; do printf '\\t%s' "$a"; done; printf '\\n'; } >> ${log}\n${before}exec ${real} "$@"\n`);
    chmodSync(join(bin, tool), 0o755);
  };
  shim('helm', realToolPath(o.helm));
  shim('kubectl', realToolPath('kubectl134'));
  // The cluster target builds with the user's daemon (the tier's): only --network host added to a build.
  shim('docker', dockerBin, cluster ? `if [ "$1" = build ]; then shift; exec ${dockerBin} build --network host "$@"; fi\n` : '');
  if (cluster) shim('minikube', 'false', "echo 'node tier: the cluster target must make no minikube call' >&2\n");
  else shim('minikube', `${process.execPath} ${join(repoRoot, 'test', 'cluster', 'minikube.mjs')}`);
  const state = join(dir, 'minikube.json');
  writeFileSync(state, JSON.stringify({ profile: 'minikube', status: 'Running', ip: nodeIp, dockerHost: o.dockerHost, containerd: o.containerd, kubernetesVersion: 'v1.34.4' }));

  for (const service of ['frontend', 'backend']) cpSync(join(repoRoot, 'test', 'fixtures', 'todo-app', service), join(appDir, service), { recursive: true });
  const write = (path: string, content: string) => {
    mkdirSync(join(appDir, path, '..'), { recursive: true });
    writeFileSync(join(appDir, path), content);
  };
  write('.env', `${o.databaseUrl ? `DATABASE_URL=${o.databaseUrl}\n` : ''}BETTER_AUTH_SECRET=${appSecrets.BETTER_AUTH_SECRET}\nBETTER_AUTH_URL=http://${cluster ? 'localhost' : nodeIp}:${o.nodePorts.frontend}\nOPENAI_API_KEY=${appSecrets.OPENAI_API_KEY}\n`);
  chmodSync(join(appDir, '.env'), 0o600);
  write(
    'todo-deploy.yaml',
    [
      `namespace: ${o.namespace}`,
      'minikube:',
      '  containerRuntime: containerd',
      'timeouts:',
      '  deploy: 4m',
      '  verify: 2m',
      'frontend:',
      `  nodePort: ${o.nodePorts.frontend}`,
      'backend:',
      `  nodePort: ${o.nodePorts.backend}`,
      // The example app has no Better Auth (test/fixtures/todo-app/README.md): its check does not apply.
      'checks:',
      '  auth: false',
      o.extraYaml ?? '',
    ].join('\n'),
  );

  const env: Record<string, string> = {
    PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: join(dir, 'home'),
    KUBECONFIG: o.kubeconfig,
    TODO_NODE_STATE: state,
    // For `docker version`: the tier's daemon (the minikube stand-in builds there too).
    DOCKER_HOST: o.dockerHost,
    CI: 'true',
    NO_COLOR: '1',
  };
  mkdirSync(env.HOME!);
  const calls = (): Call[] =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [tool, ...argv] = line.split('\t');
        return { tool: tool!, argv };
      });
  return {
    dir,
    appDir,
    env,
    calls,
    write,
    async run(args, options = {}) {
      const mark = calls().length;
      const r = await runCli(args, { sim: { env } as unknown as Sim, cwd: appDir, env: options.env, timeoutMs: options.timeoutMs ?? 10 * 60_000, onSpawn: options.onSpawn });
      return { ...r, calls: calls().slice(mark) };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
