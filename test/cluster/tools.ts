// Real helm and kubectl against the tier's control plane, each with its own temp HOME, and the
// recordings of what they print under test/contract/recorded/cluster.
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolsOf } from '../../src/adapters/index.js';
import type { Context } from '../../src/context.js';
import { Redactor } from '../../src/redact.js';
import { createExec } from '../../src/tools/exec.js';
import { contractDir, helmVersions, repoRoot, type Recording, type Run } from '../contract/helm.js';
import { kubectlVersions } from '../contract/kubectl.js';
import { realToolPath, type RealTool } from '../support/real-tools.js';

export const recordedDir = join(contractDir, 'recorded', 'cluster');
const toolVersions: Record<RealTool, string> = { helm3: helmVersions[3], helm4: helmVersions[4], ...kubectlVersions };

export interface Tools {
  run(tool: RealTool, argv: string[], input?: string): Promise<Run>;
  /** The same, with the child at hand (to interrupt it as Ctrl-C would). */
  start(tool: RealTool, argv: string[], input?: string): { child: ChildProcess; done: Promise<Run> };
  /** What the product's read functions need of a Context: its exec, running these binaries as `helm` and `kubectl`. */
  ctx: Context;
  cleanup(): void;
}

/**
 * `helm` is the given major, `kubectl` is 1.34; HOME and Helm's dirs are a temp dir of their own,
 * inside the control plane's, so that stopping it (even on SIGINT) removes them too.
 */
export function tools(kubeconfig: string, clusterDir: string, helm: 'helm3' | 'helm4'): Tools {
  const home = mkdtempSync(join(clusterDir, 'tools-'));
  const bin = join(home, 'bin');
  mkdirSync(bin);
  symlinkSync(realToolPath(helm), join(bin, 'helm'));
  symlinkSync(realToolPath('kubectl134'), join(bin, 'kubectl'));
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: home,
    KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  const exec = createExec({ redactor: new Redactor(), baseEnv: env, defaultTimeoutMs: 60_000 });
  const start = (tool: RealTool, argv: string[], input?: string) => {
    let child!: ChildProcess;
    const done = new Promise<Run>((resolve, reject) => {
      child = execFile(realToolPath(tool), argv, { env, timeout: 120_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number' && !error.signal) reject(error);
        else resolve({ exitCode: typeof error?.code === 'number' ? error.code : error?.signal ? -1 : 0, stdout, stderr });
      });
      child.stdin?.end(input ?? '');
    });
    return { child, done };
  };
  return {
    run: (tool, argv, input) => start(tool, argv, input).done,
    start,
    ctx: { exec, tools: toolsOf(exec) } as unknown as Context,
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

// What differs between two runs against two fresh control planes: identities, times, versions
// of objects, allocated addresses, generated names, the API server's port.
const volatileKeys = new Set(['uid', 'resourceVersion', 'creationTimestamp', 'lastTransitionTime', 'lastUpdateTime', 'lastProbeTime', 'time', 'first_deployed', 'last_deployed', 'deleted', 'clusterIP', 'clusterIPs']);

function normalizeJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeJson);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      // Keys too: managedFields name owners by uid (`k:{"uid":…}`).
      Object.entries(value).map(([k, v]) => [normalizeText(k), volatileKeys.has(k) && v !== '' && v !== null ? (Array.isArray(v) ? v.map(() => `<${k}>`) : `<${k}>`) : normalizeJson(v)]),
    );
  }
  return typeof value === 'string' ? normalizeText(value) : value;
}

export function normalizeText(text: string): string {
  return text
    .replaceAll(repoRoot.replace(/\/$/, ''), '<repo>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, '<time>')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} \w+/g, '<time>')
    // A pod's own suffix, in the API server's name alphabet (its ReplicaSet's hash is the template's, and stays).
    .replace(/(-[bcdfghjklmnpqrstvwxz2456789]{8,10})-[bcdfghjklmnpqrstvwxz2456789]{5}\b/g, '$1-<pod>')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uid>');
}

/** stdout as JSON when it is JSON (normalized, re-printed with 4 spaces as kubectl and helm do), as text otherwise. */
export function normalizeOutput(text: string): string {
  if (/^\s*[[{]/.test(text)) {
    try {
      return `${JSON.stringify(normalizeJson(JSON.parse(text)), null, 4)}\n`;
    } catch {
      // Not JSON after all: as text.
    }
  }
  return normalizeText(text);
}

/**
 * A real call and its recording, to be compared (after normalization: the same exit code,
 * stdout and stderr as when it was recorded). TODO_DEPLOY_RECORD=1 writes the recording first.
 */
export function recordingOf(name: string, tool: RealTool, how: string, argv: string[], run: Run, input?: string): { recorded: Recording; live: Recording } {
  const live: Recording = {
    tool: tool.replace(/\d+$/, ''),
    version: toolVersions[tool],
    how,
    argv: argv.map(normalizeText),
    ...(input !== undefined && { input: normalizeText(input) }),
    exitCode: run.exitCode,
    stdout: normalizeOutput(run.stdout),
    stderr: normalizeText(run.stderr),
  };
  const path = join(recordedDir, `${name}.json`);
  if (process.env.TODO_DEPLOY_RECORD === '1') {
    mkdirSync(recordedDir, { recursive: true });
    writeFileSync(path, `${JSON.stringify(live, null, 2)}\n`);
  }
  if (!existsSync(path)) throw new Error(`${path} is not recorded yet: TODO_DEPLOY_RECORD=1 npm run test:cluster`);
  return { recorded: JSON.parse(readFileSync(path, 'utf8')) as Recording, live };
}
