// Settings each valid on its own that `up` still could not use: two Services on one NodePort,
// no replica to verify, a Minikube that `minikube start` would refuse or this machine cannot hold.
import { cpus, totalmem } from 'node:os';
import type { Config } from '../config/schema.js';
import { services } from '../config/schema.js';
import type { PreflightCheck } from './check.js';
import { count } from './app.js';

// What `minikube start` accepts at the least (its RSRC_INSUFFICIENT_CORES and
// RSRC_INSUFFICIENT_REQ_MEMORY refusals).
export const minikubeMinimum = { cpus: 2, memoryMb: 1800 };

export function settingsProblems(config: Config, host: HostResources): string[] {
  const problems: string[] = [];
  if (config.frontend.nodePort === config.backend.nodePort) {
    problems.push(`frontend.nodePort and backend.nodePort are both ${config.frontend.nodePort}: each Service needs its own. Set one of them to another port in 30000-32767.`);
  }
  for (const service of services) {
    // Refused rather than deployed: with no pod there is nothing to verify, and `up` would report a running app.
    if (config[service].replicas === 0) problems.push(`${service}.replicas is 0: up would deploy no ${service} pod to serve or verify. Use 1 or more; to stop the app, run \`todo-deploy teardown\`.`);
  }
  if (config.target !== 'minikube') return problems;
  const { cpus, memory } = config.minikube;
  return [...problems, ...[minikubeCpusProblem(cpus, host), minikubeMemoryProblem(memory, host)].filter((p): p is string => p !== undefined)];
}

export interface HostResources {
  cpus: number;
  memoryBytes: number;
}

export function thisMachine(): HostResources {
  return { cpus: cpus().length, memoryBytes: totalmem() };
}

/** Why `minikube start` would refuse this many CPUs on this machine, or undefined. Setup asks by the same rule. */
export function minikubeCpusProblem(cpus: number, host: HostResources): string | undefined {
  if (cpus < minikubeMinimum.cpus) return `minikube.cpus is ${cpus}; Minikube needs at least ${minikubeMinimum.cpus}. Set minikube.cpus: ${minikubeMinimum.cpus} or more.`;
  if (cpus > host.cpus) return `minikube.cpus is ${cpus}; this machine has ${host.cpus}. Set minikube.cpus: ${host.cpus} or less.`;
  return undefined;
}

/** The same for memory; a size that is no size is the schema's to refuse. */
export function minikubeMemoryProblem(memory: string, host: HostResources): string | undefined {
  const bytes = memoryBytes(memory);
  if (bytes === undefined) return undefined;
  const mb = Math.floor(bytes / 1024 ** 2);
  const hostMb = Math.floor(host.memoryBytes / 1024 ** 2);
  if (mb < minikubeMinimum.memoryMb) return `minikube.memory is ${memory} (${mb} MB); Minikube needs at least ${minikubeMinimum.memoryMb} MB. Set minikube.memory: 2g or more (3g is the default).`;
  if (mb > hostMb) return `minikube.memory is ${memory} (${mb} MB); this machine has ${hostMb} MB. Set minikube.memory to less, such as ${Math.max(2, Math.floor(hostMb / 2 / 1024))}g.`;
  return undefined;
}

const memoryUnits: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Minikube's --memory in bytes: `3g`, `3072mb`, `3072` (a bare number is megabytes, as minikube reads it). */
export function memoryBytes(value: string): number | undefined {
  const match = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'm').toLowerCase()[0]!;
  return Number(match[1]) * memoryUnits[unit]!;
}

export function checkSettings(config: Config, host: HostResources): PreflightCheck {
  const problems = settingsProblems(config, host);
  const base = { id: 'settings', title: 'settings', category: 'input' as const };
  if (problems.length > 0) return { ...base, status: 'fail', detail: count(problems.length), problems, hint: 'Change them in todo-deploy.yaml (or the TODO_DEPLOY_* variable or flag that set them).' };
  return { ...base, status: 'pass', detail: `NodePorts ${config.frontend.nodePort} and ${config.backend.nodePort}, replicas ${config.frontend.replicas} and ${config.backend.replicas}${config.target === 'minikube' ? `, Minikube ${config.minikube.cpus} CPUs and ${config.minikube.memory}` : ''}` };
}
