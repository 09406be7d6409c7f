// Resolves the configuration: flags > TODO_DEPLOY_* variables > todo-deploy.yaml > defaults.
// Every problem is collected and reported at once, each naming where it came from
// (file:line:column and key, or the variable's name).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import { ConfigError } from '../errors.js';
import { defaults, isLeaf, schema, type Config, type Leaf, type Section } from './schema.js';
import { suggest } from './suggest.js';

export type Source = 'flag' | 'env' | 'file' | 'default';

export interface LoadedConfig {
  config: Config;
  /** Where each key's value came from, by dotted path. */
  sources: Record<string, Source>;
  /** The config file read, or undefined when there was none. */
  file: string | undefined;
  warnings: string[];
}

export interface LoadOptions {
  /** Absolute path of todo-deploy.yaml. */
  file: string;
  /** The user named the file explicitly, so its absence is an error. */
  fileRequired: boolean;
  env: NodeJS.ProcessEnv;
  /** Values from command-line flags, by dotted path (e.g. `minikube.profile`). */
  flags: Record<string, string | undefined>;
}

const ENV_PREFIX = 'TODO_DEPLOY_';
// Global options read from the environment by the CLI itself, not config keys.
const optionVariables = ['APP_DIR', 'CONFIG', 'ENV_FILE'].map((name) => ENV_PREFIX + name);
// Short names matching the global flags --profile, --context and --registry.
const variableAliases: Record<string, string> = {
  [`${ENV_PREFIX}PROFILE`]: 'minikube.profile',
  [`${ENV_PREFIX}CONTEXT`]: 'cluster.context',
  [`${ENV_PREFIX}REGISTRY`]: 'cluster.registry',
};
const MAX_CONFIG_BYTES = 1024 * 1024;

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const config = structuredClone(defaults);
  const sources: Record<string, Source> = {};
  const problems: string[] = [];
  const warnings: string[] = [];
  // Where the problems are: the file, a TODO_DEPLOY_* variable, a flag. Each is named, so that a
  // bad variable is not blamed on the file.
  const blamed = new Set<string>();
  const leaves = leafPaths(schema);
  for (const path of leaves.keys()) sources[path] = 'default';

  let file: string | undefined;
  const text = await readConfigFile(options.file, options.fileRequired);
  if (text !== undefined) {
    file = options.file;
    const before = problems.length;
    const values = readYaml(text, options.file, problems);
    if (problems.length > before) blamed.add(options.file);
    for (const [path, value] of values) {
      setPath(config, path, value);
      sources[path] = 'file';
    }
  }

  const byVariable = new Map<string, string>([...leaves.keys()].map((path) => [envName(path), path]));
  for (const [alias, path] of Object.entries(variableAliases)) byVariable.set(alias, path);
  for (const [name, raw] of Object.entries(options.env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || optionVariables.includes(name)) continue;
    const path = byVariable.get(name);
    if (!path) {
      const close = suggest(name, [...byVariable.keys(), ...optionVariables]);
      warnings.push(`${name} is not a todo-deploy setting and is ignored${close ? ` (did you mean ${close}?)` : ''}.`);
      continue;
    }
    if (!applyRaw(config, sources, leaves.get(path)!, path, raw, 'env', name, problems)) blamed.add(name);
  }

  for (const [path, raw] of Object.entries(options.flags)) {
    if (raw === undefined) continue;
    const leaf = leaves.get(path);
    if (!leaf) throw new Error(`no config key ${path} for a flag`);
    const flag = `--${path.split('.').pop()}`;
    if (!applyRaw(config, sources, leaf, path, raw, 'flag', flag, problems)) blamed.add(flag);
  }

  if (problems.length > 0) throw new SettingsError(problems, [...blamed], options.file);
  return { config, sources, file, warnings };
}

async function readConfigFile(file: string, required: boolean): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code})`;
    throw new ConfigError(`${file} ${reason}.`, [], 'Pass --config with the path of your todo-deploy.yaml, or run `todo-deploy setup` to write one.');
  }
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw new ConfigError(`${file} is ${bytes.length} bytes; a todo-deploy.yaml is a few dozen lines.`, [], 'Check that --config points at the right file.');
  }
  if (bytes.includes(0)) {
    throw new ConfigError(`${file} is not a text file.`, [], 'Check that --config points at your todo-deploy.yaml.');
  }
  return bytes.toString('utf8');
}

/** Parses the YAML and validates it against the schema; problems are appended, valid values returned. */
function readYaml(text: string, file: string, problems: string[]): Array<[string, unknown]> {
  const lineCounter = new LineCounter();
  // Duplicate keys are found by the walk below, which reports each at its own line (the parser
  // reports them at the start of the file).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const at = (node: Node | null | undefined) => {
    const { line, col } = lineCounter.linePos(node?.range?.[0] ?? 0);
    return `${file}:${line}:${col}`;
  };
  for (const error of doc.errors) {
    const { line, col } = error.linePos?.[0] ?? { line: 1, col: 1 };
    problems.push(`${file}:${line}:${col}: invalid YAML: ${error.message.split('\n')[0]}`);
  }
  if (doc.errors.length > 0) return [];

  const values: Array<[string, unknown]> = [];
  // An alias stands for the node it names, wherever it is used.
  const resolve = (node: Node | null): Node | null => (isAlias(node) ? ((node.resolve(doc) as Node | undefined) ?? null) : node);
  const walk = (given: Node | null, section: Section, prefix: string) => {
    const node = resolve(given);
    // A section whose keys are all commented out (`cluster:` alone) is empty, not wrong.
    if (node === null || (isScalar(node) && node.value === null)) return;
    if (!isMap(node)) {
      problems.push(`${at(given)}: ${prefix || 'the file'} must be a mapping of keys to values`);
      return;
    }
    const pairs = node.items as Array<Pair<Node, Node | null>>;
    const keyOf = (pair: Pair<Node, Node | null>) => (isScalar(pair.key) ? String(pair.key.value) : String(pair.key));
    // Merge keys (`<<: *defaults`, or a list of them) first: the mapping's own keys win over them, wherever they stand.
    for (const pair of pairs.filter((p) => keyOf(p) === '<<')) {
      const merged = resolve(pair.value);
      for (const source of isSeq(merged) ? (merged.items as Node[]) : [pair.value]) walk(source, section, prefix);
    }
    const seen = new Map<string, Node>();
    for (const pair of pairs) {
      const key = keyOf(pair);
      if (key === '<<') continue;
      const path = prefix ? `${prefix}.${key}` : key;
      const first = seen.get(key);
      if (first) {
        problems.push(`${at(pair.key)}: ${path}: duplicate key (first set at line ${lineCounter.linePos(first.range?.[0] ?? 0).line})`);
        continue;
      }
      seen.set(key, pair.key);
      const expected = section[key];
      if (!expected) {
        const close = suggest(key, Object.keys(section));
        problems.push(`${at(pair.key)}: ${path}: unknown key${close ? ` (did you mean "${close}"?)` : ''}`);
        continue;
      }
      if (!isLeaf(expected)) {
        walk(pair.value, expected, path);
        continue;
      }
      const value = resolve(pair.value);
      const raw = isScalar(value) ? value.value : value?.toJSON();
      const parsed = expected.parse(raw ?? '', false);
      if (parsed.ok) values.push([path, parsed.value]);
      else problems.push(`${at(pair.value ?? pair.key)}: ${path}: expected ${expected.expected}, got ${describe(raw, writtenAs(text, value))}`);
    }
  };
  walk(doc.contents, schema, '');
  return values;
}

/** Applies a variable's or flag's value; false (with the problem recorded) when it is invalid. */
function applyRaw(config: Config, sources: Record<string, Source>, leaf: Leaf, path: string, raw: string, source: Source, origin: string, problems: string[]): boolean {
  const parsed = leaf.parse(raw, true);
  if (!parsed.ok) {
    problems.push(`${origin}: expected ${leaf.expected}, got ${describe(raw)}`);
    return false;
  }
  setPath(config, path, parsed.value);
  sources[path] = source;
  return true;
}

/** Invalid settings, naming where each one was set: the file, a TODO_DEPLOY_* variable, a flag. */
export class SettingsError extends ConfigError {
  /** What holds the mistakes: the file's name, the variables', the flags'. */
  readonly names: readonly string[];

  constructor(problems: string[], blamed: readonly string[], file: string) {
    const names = blamed.map((b) => (b === file ? basename(file) : b));
    const variables = blamed.filter((b) => b.startsWith(ENV_PREFIX));
    const flags = blamed.filter((b) => b.startsWith('--'));
    const hints = [
      blamed.includes(file) && `Fix ${file} (every key is documented in the README and in templates/todo-deploy.yaml).`,
      variables.length > 0 && `Fix or unset the variable${variables.length > 1 ? 's' : ''} ${variables.join(', ')} (\`unset ${variables[0]}\`).`,
      flags.length > 0 && `Fix ${flags.join(', ')} on the command line.`,
    ];
    super(`${names.join(' and ')} ${problems.length === 1 ? 'has a problem' : `${names.length > 1 ? 'have' : 'has'} ${problems.length} problems`}:`, problems, hints.filter(Boolean).join(' '));
    this.names = names;
  }
}

/** `written`: the number as the file has it, since 99999999999999999999 would read back as 100000000000000000000. */
function describe(raw: unknown, written?: string): string {
  if (raw === null || raw === undefined || raw === '') return 'nothing';
  if (typeof raw === 'string') return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw);
  if (typeof raw === 'object') return Array.isArray(raw) ? 'a list' : 'a mapping';
  const shown = typeof raw === 'number' && written ? written : String(raw);
  return `${typeof raw} ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}`;
}

function writtenAs(text: string, node: Node | null): string | undefined {
  return node?.range ? text.slice(node.range[0], node.range[1]).trim() : undefined;
}

function leafPaths(section: Section, prefix = '', out = new Map<string, Leaf>()): Map<string, Leaf> {
  for (const [key, node] of Object.entries(section)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isLeaf(node)) out.set(path, node);
    else leafPaths(node, path, out);
  }
  return out;
}

/** `frontend.nodePort` → `TODO_DEPLOY_FRONTEND_NODE_PORT`. */
export function envName(path: string): string {
  return ENV_PREFIX + path.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replaceAll('.', '_').toUpperCase();
}

function setPath(target: object, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}
