// Each service's valuesFile, checked as Helm would check it, before anything runs: it exists,
// parses as a YAML mapping, and the values Helm would end up with — the chart's defaults, the
// values todo-deploy passes, then the file, coalesced as Helm does — pass the chart's
// values.schema.json. Without this a typo only showed as a failed `helm upgrade`, after the
// cluster had started and the images had been built.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorObject } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { assetPath } from '../assets.js';
import { services, type Config, type Service } from '../config/schema.js';
import { suggest } from '../config/suggest.js';
import { chartValues } from '../deployment/chart-values.js';
import { secretNames } from '../deployment/secret-keys.js';
import type { PreflightCheck } from './check.js';
import { count, servicePaths } from './app.js';

export async function checkValues(appDir: string, config: Config): Promise<PreflightCheck> {
  const base = { id: 'values', title: 'Helm values files', category: 'input' as const };
  const given = services.filter((s) => config[s].valuesFile);
  if (given.length === 0) return { ...base, status: 'pass', detail: "none set; the charts' defaults" };
  const problems = (await Promise.all(given.map((s) => valuesProblems(config, s, servicePaths(appDir, config, s).valuesFile)))).flat();
  if (problems.length > 0) {
    return { ...base, status: 'fail', detail: count(problems.length), problems, hint: "Each key and type is in the chart's values.yaml and values.schema.json (charts/ in todo-deploy's package)." };
  }
  return { ...base, status: 'pass', detail: given.map((s) => `${s}: ${config[s].valuesFile}`).join(', ') };
}

async function valuesProblems(config: Config, service: Service, file: string): Promise<string[]> {
  const where = `${service}.valuesFile ${file}`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return [`${service}.valuesFile: ${file} ${code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code})`}`];
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return doc.errors.map((e) => {
      const { line, col } = e.linePos?.[0] ?? { line: 1, col: 1 };
      return `${where}:${line}:${col}: invalid YAML: ${e.message.split('\n')[0]}`;
    });
  }
  const user = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (user !== null && user !== undefined && !isObject(user)) return [`${where}: must be a mapping of keys to values`];
  const userValues = (user ?? {}) as Record<string, unknown>;

  const chart = assetPath.chart(service);
  const [defaults, schema] = await Promise.all([
    readFile(join(chart, 'values.yaml'), 'utf8').then((t) => parseDocument(t).toJS() as Record<string, unknown>),
    readFile(join(chart, 'values.schema.json'), 'utf8').then((t) => JSON.parse(t) as object),
  ]);
  const merged = coalesce(coalesce(defaults, ourValues(config, service)), userValues);
  const problems = (await schemaErrors(schema, merged)).map((p) => `${where}: ${p}`);
  if (userValues.replicaCount === 0) problems.push(`${where}: replicaCount is 0: up would deploy no ${service} pod to serve or verify. Use 1 or more; to stop the app, run \`todo-deploy teardown\`.`);
  return problems;
}

/** The values `up` passes the chart, with what is only known later (the image tag, the Secret's digest) stood in for. */
function ourValues(config: Config, service: Service): Record<string, unknown> {
  const backendUrl = config.frontend.backendUrl || `http://localhost:${config.backend.nodePort}`;
  return chartValues({
    service,
    config: config[service],
    image: { repository: config[service].image, tag: 'preflight', buildArgs: service === 'frontend' ? { NEXT_PUBLIC_BACKEND_URL: backendUrl } : {} },
    secretName: secretNames[service],
    secretChecksum: '',
  });
}

/** Helm's coalescing: mappings merge, anything else is replaced, and a null deletes the key. */
export function coalesce(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    if (value === null) delete out[key];
    else out[key] = isObject(prev) && isObject(value) ? coalesce(prev, value) : value;
  }
  return out;
}

/** One line per key that fails the schema, in the chart's own terms. */
export async function schemaErrors(schema: object, values: unknown): Promise<string[]> {
  // Loaded only when a values file is set: nothing else needs a JSON-schema validator.
  const { Ajv } = await import('ajv');
  const validate = new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);
  if (validate(values)) return [];
  const byPath = new Map<string, ErrorObject[]>();
  for (const error of validate.errors ?? []) {
    const path = error.instancePath.slice(1).split('/').join('.');
    byPath.set(path, [...(byPath.get(path) ?? []), error]);
  }
  const lines: string[] = [];
  for (const [path, errors] of byPath) {
    for (const error of errors.filter((e) => e.keyword === 'additionalProperties')) {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const close = suggest(key, known);
      lines.push(`${path ? `${path}.` : ''}${key}: unknown key${close ? ` (did you mean "${close}"?)` : ''}`);
    }
    // A oneOf's own error only repeats its branches'; a type error beside a range error is the branch not taken.
    const rest = errors.filter((e) => !['additionalProperties', 'oneOf', 'anyOf'].includes(e.keyword));
    const shown = rest.some((e) => e.keyword !== 'type') ? rest.filter((e) => e.keyword !== 'type') : rest;
    if (shown.length > 0) lines.push(`${path || 'the values'}: ${[...new Set(shown.map(describeError))].join('; ')}`);
  }
  return lines;
}

function describeError(error: ErrorObject): string {
  if (error.keyword === 'enum') return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return error.message ?? error.keyword;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
