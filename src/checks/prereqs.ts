// The read-only prerequisite checks shared by `doctor` and `up`: tools present and recent
// enough, the Docker daemon reachable, the cluster's state. They run concurrently.
import { toolsOf } from '../adapters/index.js';
import type { Config } from '../config/schema.js';
import { PrereqError, ToolError } from '../errors.js';
import { BUILDX_CLIENT_MAJOR, buildxVersionArgs, dockerVersionArgs, parseBuildxVersion, parseDockerVersion } from '../tools/docker.js';
import type { Exec } from '../tools/exec.js';
import { helmVersionArgs, parseHelmVersion } from '../tools/helm.js';
import { installHints } from '../tools/install-hints.js';
import { getContextsArgs, kubectlVersionArgs, parseContexts, parseKubectlVersion } from '../tools/kubectl.js';
import { minikubeStatusArgs, minikubeVersionArgs, parseMinikubeStatus, parseMinikubeVersion, type MinikubeStatus } from '../tools/minikube.js';
import { atLeast, parseVersion, type Version } from '../tools/version.js';
import type { PreflightCheck } from './check.js';

export const minimumVersions = { docker: '20.10.0', minikube: '1.32.0', helm: '3.12.0', kubectl: '1.28.0' } as const;
type Tool = keyof typeof minimumVersions;

const PROBE_TIMEOUT_MS = 20_000;

export async function checkPrereqs(exec: Exec, config: Config): Promise<PreflightCheck[]> {
  return (await readPrereqs(exec, config)).checks;
}

export interface Prereqs {
  checks: PreflightCheck[];
  /** The Minikube profile's state, when it could be read: `up` goes on from it instead of asking again. */
  cluster?: MinikubeStatus;
}

export async function readPrereqs(exec: Exec, config: Config): Promise<Prereqs> {
  const minikube = config.target === 'minikube';
  const [docker, cluster, ...rest] = await Promise.all([
    checkDocker(exec),
    minikube ? checkMinikube(exec, config.minikube.profile) : { checks: [], status: undefined },
    checkTool(exec, 'helm', helmVersionArgs, parseHelmVersion, (v) => (v.major > 4 ? `Helm ${v.major} is untested; Helm 3.12+ and 4.x are supported.` : undefined)),
    checkTool(exec, 'kubectl', kubectlVersionArgs, parseKubectlVersion),
    minikube ? [] : checkContext(exec, config.cluster.context),
  ]);
  return { checks: [...docker, ...cluster.checks, ...rest.flat()], cluster: cluster.status };
}

async function checkDocker(exec: Exec): Promise<PreflightCheck[]> {
  const daemon = { id: 'docker-daemon', title: 'docker daemon', category: 'prereq' as const };
  const probe = await run(exec, 'docker', dockerVersionArgs);
  if ('missing' in probe) return [probe.missing, { ...daemon, status: 'skip', detail: 'needs docker' }];
  const { client, server } = parseDockerVersion(probe.stdout);
  const clientCheck = versionResult('docker', client, probe, dockerVersionArgs);
  if (server) return [clientCheck, { ...daemon, status: 'pass', detail: `reachable, Docker Engine ${server.text}` }];
  const reason = probe.stderr.split('\n').find((line) => line.trim()) ?? 'no answer';
  return [
    clientCheck,
    { ...daemon, status: 'fail', detail: `not reachable: ${reason}`, hint: 'Start Docker Desktop (or `sudo systemctl start docker` on Linux) and try again.' },
  ];
}

/**
 * Whether the docker client can build the shipped Dockerfiles (RUN --mount needs BuildKit): a
 * 23+ client needs the buildx plugin, else it falls back to the legacy builder; a 20.10 one
 * uses its own BuildKit, with the DOCKER_BUILDKIT=1 todo-deploy sets. `docker` is the docker
 * check (its version). A doctor check: `up` shows docker's own words when a build cannot start.
 */
export async function checkDockerBuilder(exec: Exec, docker: PreflightCheck | undefined): Promise<PreflightCheck> {
  const base = { id: 'docker-buildkit', title: 'docker BuildKit', category: 'prereq' as const };
  const client = docker?.status === 'pass' ? parseVersion(docker.version) : undefined;
  if (!client) return { ...base, status: 'skip', detail: 'needs docker' };
  if (client.major < BUILDX_CLIENT_MAJOR) return { ...base, status: 'pass', detail: `built in (docker ${client.text}, with DOCKER_BUILDKIT=1, which todo-deploy sets)` };
  const probe = await run(exec, 'docker', buildxVersionArgs);
  if ('missing' in probe) return { ...base, status: 'skip', detail: 'needs docker' };
  const buildx = parseBuildxVersion(probe.stdout);
  if (buildx) return { ...base, status: 'pass', detail: `buildx ${buildx.text}` };
  return {
    ...base,
    status: 'fail',
    detail: `docker ${client.text} has no buildx plugin, so it cannot build the Dockerfiles (RUN --mount needs BuildKit)`,
    hint: "Install the buildx plugin: Docker Desktop has it; on Linux, docker-buildx-plugin from Docker's repository (Debian 13 packages it as docker-buildx). `docker buildx version` then answers.",
  };
}

async function checkMinikube(exec: Exec, profile: string): Promise<{ checks: PreflightCheck[]; status?: MinikubeStatus }> {
  const cluster = { id: 'minikube-profile', title: `minikube profile "${profile}"`, category: 'prereq' as const };
  const [version, status] = await Promise.all([
    checkTool(exec, 'minikube', minikubeVersionArgs, parseMinikubeVersion),
    run(exec, 'minikube', minikubeStatusArgs(profile)),
  ]);
  if ('missing' in status) return { checks: [...version, { ...cluster, status: 'skip', detail: 'needs minikube' }] };
  const parsed = parseMinikubeStatus(status.stdout, status.exitCode);
  const states: Record<typeof parsed.state, Pick<PreflightCheck, 'status' | 'detail'>> = {
    running: { status: 'pass', detail: 'running' },
    stopped: { status: 'warn', detail: 'stopped; `todo-deploy up` will start it' },
    absent: { status: 'warn', detail: 'does not exist yet; `todo-deploy up` will create it' },
    degraded: { status: 'warn', detail: `host ${parsed.host}, apiserver ${parsed.apiServer}, kubelet ${parsed.kubelet}; \`todo-deploy up\` will restart it` },
  };
  return { checks: [...version, { ...cluster, ...states[parsed.state] }], status: parsed };
}

async function checkContext(exec: Exec, context: string): Promise<PreflightCheck[]> {
  const base = { id: 'kube-context', title: 'kube-context', category: 'prereq' as const };
  if (!context) {
    return [{ ...base, status: 'fail', detail: 'target is "cluster" but no context is set', hint: 'Pass --context NAME or set cluster.context in todo-deploy.yaml.' }];
  }
  const probe = await run(exec, 'kubectl', getContextsArgs);
  if ('missing' in probe) return [{ ...base, status: 'skip', detail: 'needs kubectl' }];
  const contexts = parseContexts(probe.stdout);
  return contexts.includes(context)
    ? [{ ...base, status: 'pass', detail: `"${context}" found in your kubeconfig` }]
    : [{ ...base, status: 'fail', detail: `"${context}" is not in your kubeconfig`, hint: `Known contexts: ${contexts.join(', ') || 'none'}.` }];
}

async function checkTool(exec: Exec, tool: Tool, args: string[], parse: (stdout: string) => Version | undefined, note?: (v: Version) => string | undefined): Promise<PreflightCheck[]> {
  const probe = await run(exec, tool, args);
  if ('missing' in probe) return [probe.missing];
  const version = parse(probe.stdout);
  const result = versionResult(tool, version, probe, args);
  const extra = result.status === 'pass' && version ? note?.(version) : undefined;
  return [extra ? { ...result, status: 'warn', hint: extra } : result];
}

function versionResult(tool: Tool, version: Version | undefined, probe: { stderr: string; exitCode: number }, args: readonly string[]): PreflightCheck {
  const base = { id: tool, title: tool, category: 'prereq' as const };
  const minimum = minimumVersions[tool];
  if (!version) {
    // It is installed (it ran): "install it" would send the user the wrong way.
    const command = `${tool} ${args.join(' ')}`;
    const reason = probe.stderr.split('\n').find((line) => line.trim());
    return {
      ...base,
      status: 'fail',
      detail: `installed, but \`${command}\` ${probe.exitCode !== 0 ? `failed (exit code ${probe.exitCode})` : 'printed no version'}${reason ? `: ${reason.trim()}` : ''}`,
      hint: `Run \`${command}\` in a terminal and fix what it reports (a config file it cannot read, a binary built for another machine); reinstall only if that fails: ${installHints[tool]}`,
    };
  }
  if (!atLeast(version, minimum)) {
    return { ...base, status: 'fail', detail: `${version.text} is too old; ${minimum} or newer is needed`, hint: installHints[tool] };
  }
  return { ...base, status: 'pass', detail: version.text, version: version.text };
}

type Probe = { stdout: string; stderr: string; exitCode: number } | { missing: PreflightCheck };

/** Runs a read-only probe; a missing tool becomes a failed check instead of an exception. */
async function run(exec: Exec, tool: Tool, args: string[]): Promise<Probe> {
  try {
    return await toolsOf(exec)[tool].probe(args, PROBE_TIMEOUT_MS);
  } catch (error) {
    if (error instanceof PrereqError) {
      return { missing: { id: tool, title: tool, category: 'prereq', status: 'fail', detail: 'not found on PATH', hint: error.hint } };
    }
    if (error instanceof ToolError && error.timedOut) {
      return { missing: { id: tool, title: tool, category: 'prereq', status: 'fail', detail: `did not answer within ${PROBE_TIMEOUT_MS / 1000}s`, hint: `Check that \`${tool} ${args.join(' ')}\` works in your terminal.` } };
    }
    throw error;
  }
}
