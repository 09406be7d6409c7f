// What `setup` asks for, and the rules each answer must pass. The rules are not new: .env
// values go through the same check as `up`'s .env validation, todo-deploy.yaml values through
// the schema's own leaves, so the wizard accepts exactly what the rest of the tool accepts.
import { randomBytes } from 'node:crypto';
import { checkEnvValue, type SecretKey } from '../config/env-file.js';
import { minikubeCpusProblem, minikubeMemoryProblem, type HostResources } from '../checks/settings.js';
import { isLeaf, schema, type Leaf, type Section } from '../config/schema.js';
import { quoteEnvValue, unquotableProblem } from './env-text.js';

/** The todo-deploy.yaml keys the wizard sets. */
export const configAnswerPaths = ['frontend.sourceDir', 'backend.sourceDir', 'namespace', 'minikube.cpus', 'minikube.memory', 'minikube.profile', 'database.mode'] as const;
export type ConfigAnswerPath = (typeof configAnswerPaths)[number];

/** "DATABASE_URL must be a postgres:// …", or undefined when `up` would accept the value. */
export function envAnswerProblem(key: SecretKey, value: string): string | undefined {
  const problem = checkEnvValue(key, value) ?? (quoteEnvValue(value) === undefined ? unquotableProblem : undefined);
  return problem && `${key} ${problem}`;
}

/** "minikube.cpus: expected an integer from 1 to 256, got "0"", or undefined when valid. */
export function configAnswerProblem(path: ConfigAnswerPath, raw: string): string | undefined {
  const leaf = configLeaf(path);
  return leaf.parse(raw, true).ok ? undefined : `expected ${leaf.expected}, got ${raw === '' ? 'nothing' : JSON.stringify(raw)}`;
}

/**
 * What `up`'s preflight would refuse of a valid cpus or memory answer on this machine (the
 * preflight's own rule), or undefined.
 */
export function minikubeAnswerProblem(path: ConfigAnswerPath, raw: string, host: HostResources): string | undefined {
  if (path === 'minikube.cpus') return minikubeCpusProblem(Number(raw), host);
  if (path === 'minikube.memory') return minikubeMemoryProblem(raw, host);
  return undefined;
}

/** The value as todo-deploy.yaml holds it (a number for cpus, a string otherwise). */
export function configAnswerValue(path: ConfigAnswerPath, raw: string): string | number {
  const parsed = configLeaf(path).parse(raw, true);
  if (!parsed.ok) throw new Error(`invalid ${path}: check it with configAnswerProblem first`);
  return parsed.value as string | number;
}

function configLeaf(path: string): Leaf {
  let node: Leaf | Section = schema;
  for (const key of path.split('.')) {
    if (isLeaf(node) || !node[key]) throw new Error(`no config key ${path}`);
    node = node[key];
  }
  if (!isLeaf(node)) throw new Error(`${path} is a section`);
  return node;
}

/** A fresh BETTER_AUTH_SECRET: 32 random bytes, base64url (43 characters, nothing to quote). */
export function generateAuthSecret(): string {
  return randomBytes(32).toString('base64url');
}
