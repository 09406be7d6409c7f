// Settings each valid on its own that `up` still could not use: two Services on one NodePort,
// no replica to verify, a Minikube that `minikube start` would refuse or this machine cannot hold.
import type { Config } from '../config/schema.js';
import { memoryBytes, type HostResources } from '../setup/answers.js';
import { services } from '../config/schema.js';
import type { CheckResult } from './check.js';
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
  if (cpus < minikubeMinimum.cpus) problems.push(`minikube.cpus is ${cpus}; Minikube needs at least ${minikubeMinimum.cpus}. Set minikube.cpus: ${minikubeMinimum.cpus} or more.`);
  else if (cpus > host.cpus) problems.push(`minikube.cpus is ${cpus}; this machine has ${host.cpus}. Set minikube.cpus: ${host.cpus} or less.`);
  const bytes = memoryBytes(memory);
  if (bytes !== undefined) {
    const mb = Math.floor(bytes / 1024 ** 2);
    const hostMb = Math.floor(host.memoryBytes / 1024 ** 2);
    if (mb < minikubeMinimum.memoryMb) problems.push(`minikube.memory is ${memory} (${mb} MB); Minikube needs at least ${minikubeMinimum.memoryMb} MB. Set minikube.memory: 2g or more (3g is the default).`);
    else if (mb > hostMb) problems.push(`minikube.memory is ${memory} (${mb} MB); this machine has ${hostMb} MB. Set minikube.memory to less, such as ${Math.max(2, Math.floor(hostMb / 2 / 1024))}g.`);
  }
  return problems;
}

export function checkSettings(config: Config, host: HostResources): CheckResult {
  const problems = settingsProblems(config, host);
  const base = { id: 'settings', title: 'settings', category: 'input' as const };
  if (problems.length > 0) return { ...base, status: 'fail', detail: count(problems.length), problems, hint: 'Change them in todo-deploy.yaml (or the TODO_DEPLOY_* variable or flag that set them).' };
  return { ...base, status: 'pass', detail: `NodePorts ${config.frontend.nodePort} and ${config.backend.nodePort}, replicas ${config.frontend.replicas} and ${config.backend.replicas}${config.target === 'minikube' ? `, Minikube ${config.minikube.cpus} CPUs and ${config.minikube.memory}` : ''}` };
}
