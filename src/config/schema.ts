// The one schema of todo-deploy.yaml: every key, its type and its default (SPEC.md's app table).
// The same leaves validate values from the file and from TODO_DEPLOY_* variables.

export type Service = 'frontend' | 'backend';
export const services: readonly Service[] = ['frontend', 'backend'];

export interface ServiceConfig {
  sourceDir: string;
  /** Empty: the Dockerfile shipped with todo-deploy. */
  dockerfile: string;
  image: string;
  release: string;
  replicas: number;
  port: number;
  nodePort: number;
  healthPath: string;
  valuesFile: string;
}

export interface Config {
  namespace: string;
  target: 'minikube' | 'cluster';
  minikube: {
    profile: string;
    cpus: number;
    memory: string;
    driver: string;
    kubernetesVersion: string;
    containerRuntime: 'docker' | 'containerd' | 'cri-o';
  };
  /** The cluster target: an existing kube-context, images pushed to a registry (src/deployment/target.ts). */
  cluster: ClusterConfig;
  /** A CA bundle (PEM) the image builds trust, for a TLS-intercepting proxy; empty: none. */
  build: { caBundle: string };
  /** Milliseconds (written as durations such as `90s`, `5m` in the file). */
  timeouts: { start: number; build: number; deploy: number; verify: number; lock: number; expose: number };
  frontend: ServiceConfig & { backendUrl: string };
  backend: ServiceConfig;
  /** The app-level checks of `verify` (and `up`), each turned off when it does not apply to the app. */
  checks: AppChecksConfig;
  database: DatabaseConfig;
}

export interface ClusterConfig {
  /** Required for the cluster target: never the kubeconfig's current context. */
  context: string;
  /** Where images are pushed, e.g. ghcr.io/acme/todo; empty: the cluster's advertised local registry. */
  registry: string;
  /** os/arch the images are built for; empty: the nodes'. */
  platform: string;
  /** Context names (`*` matches any characters) that todo-deploy changes only with --yes. */
  protectedContexts: string[];
  /** A Docker config JSON (such as ~/.docker/config.json) the image pull Secret is made from; empty: none. */
  pullSecret: string;
  /**
   * How the user's machine reaches the app: an Ingress on `host` (auto picks it when the cluster
   * has an IngressClass and a host is set), LoadBalancer Services (only when asked: each is a
   * cloud load balancer), or — auto's fallback — kubectl port-forward on localhost.
   */
  expose: 'auto' | 'ingress' | 'loadbalancer' | 'port-forward';
  /** The Ingress's host name (DNS pointing at the ingress controller), e.g. todo.example.com. */
  host: string;
}

/**
 * Where the backend's PostgreSQL is: `external` at .env's DATABASE_URL (required), `in-cluster`
 * deployed by todo-deploy (a DATABASE_URL in .env is then not used), or — `auto` — in the
 * cluster exactly when .env has no DATABASE_URL.
 */
export interface DatabaseConfig {
  mode: 'auto' | 'in-cluster' | 'external';
  release: string;
  /** The official image, pinned: a major version's data layout is not the next one's. */
  image: string;
  /** The volume's size, a Kubernetes quantity. */
  storage: string;
}

export interface AppChecksConfig {
  /** The UI's page answers with HTML, and its /_next/static chunks load as JavaScript. */
  ui: boolean;
  /** The backend URL baked into the UI's bundle is one the browser can reach. */
  backendUrl: boolean;
  /** FastAPI's /openapi.json and /docs. */
  apiDocs: boolean;
  /** A CORS preflight from the UI's origin is allowed, one from a foreign origin is not. */
  cors: boolean;
  /** Better Auth answers at /api/auth/ok. */
  auth: boolean;
}

export const defaults: Config = {
  namespace: 'todo',
  target: 'minikube',
  minikube: {
    profile: 'minikube',
    cpus: 2,
    memory: '3g',
    driver: 'docker',
    kubernetesVersion: 'stable',
    containerRuntime: 'docker',
  },
  cluster: { context: '', registry: '', platform: '', protectedContexts: [], pullSecret: '', expose: 'auto', host: '' },
  build: { caBundle: '' },
  timeouts: { start: 600_000, build: 900_000, deploy: 300_000, verify: 180_000, lock: 600_000, expose: 120_000 },
  frontend: {
    sourceDir: './frontend',
    dockerfile: '',
    image: 'todo-frontend',
    release: 'frontend',
    replicas: 2,
    port: 3000,
    nodePort: 30000,
    healthPath: '/api/health',
    valuesFile: '',
    backendUrl: '',
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
  database: { mode: 'auto', release: 'database', image: 'postgres:17.6-bookworm', storage: '1Gi' },
};

/** A leaf parses one raw value (from YAML, or a string from the environment) or says what it expected. */
export interface Leaf {
  expected: string;
  parse(raw: unknown, fromEnv: boolean): { ok: true; value: unknown } | { ok: false };
}
export interface Section {
  [key: string]: Leaf | Section;
}

export function isLeaf(node: Leaf | Section): node is Leaf {
  return typeof (node as Leaf).parse === 'function';
}

const ok = (value: unknown) => ({ ok: true as const, value });
const bad = { ok: false as const };

function text(expected: string, test: (value: string) => boolean = () => true): Leaf {
  return { expected, parse: (raw) => (typeof raw === 'string' && test(raw) ? ok(raw) : bad) };
}

function integer(min: number, max: number): Leaf {
  return {
    expected: `an integer from ${min} to ${max}`,
    parse(raw, fromEnv) {
      const value = fromEnv && typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
      return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? ok(value) : bad;
    },
  };
}

function oneOf(...values: string[]): Leaf {
  return text(`one of ${values.join(', ')}`, (v) => values.includes(v));
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `5m`, `1m30s`, `1h` → milliseconds. */
export function parseDuration(value: string): number | undefined {
  const parts = [...value.matchAll(/(\d+)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) return undefined;
  const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * durationUnits[unit!]!, 0);
  return ms > 0 ? ms : undefined;
}

const boolean: Leaf = {
  expected: 'true or false',
  parse(raw, fromEnv) {
    const value = fromEnv && typeof raw === 'string' ? { true: true, false: false }[raw.trim().toLowerCase()] : raw;
    return typeof value === 'boolean' ? ok(value) : bad;
  },
};

const duration: Leaf = {
  expected: 'a duration such as 90s, 5m or 1m30s',
  parse(raw) {
    const ms = typeof raw === 'string' ? parseDuration(raw.trim()) : undefined;
    return ms === undefined ? bad : ok(ms);
  },
};

// RFC 1123 label: what Kubernetes accepts for namespaces and what Helm accepts for release names.
const dnsLabel = (max: number) =>
  text(`a lowercase DNS label (a-z, 0-9, '-'; at most ${max} characters)`, (v) => v.length <= max && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v));
const anyText = text('a string');
const path = text('a path', (v) => !v.includes('\0'));
const urlPath = text('a URL path starting with /', (v) => /^\/\S*$/.test(v));
// Repository only: the tag is derived from the build's content.
const image = text('an image name without a tag, such as todo-frontend or registry:5000/team/todo-frontend', (v) =>
  /^([a-z0-9.-]+(:\d+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(v),
);
// A registry host (with a port, or a dot, or localhost) and a path, without a tag: ghcr.io/acme/todo, localhost:5000.
const registry = text('a registry and path without a tag, such as ghcr.io/acme/todo or localhost:5000, or empty', (v) =>
  v === '' || /^(localhost|[a-z0-9-]+(\.[a-z0-9-]+)+|[a-z0-9.-]+:\d+)(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(v),
);
const platform = text('an os/arch such as linux/amd64 or linux/arm64, or empty', (v) => v === '' || /^[a-z0-9]+\/[a-z0-9]+(\/v\d+)?$/.test(v));
/** A list of names: a YAML sequence, or (from a variable) names separated by commas. */
const names: Leaf = {
  expected: 'a list of names',
  parse(raw, fromEnv) {
    const value = fromEnv && typeof raw === 'string' ? raw.split(',').map((n) => n.trim()).filter(Boolean) : raw;
    return Array.isArray(value) && value.every((n) => typeof n === 'string' && n.trim() !== '') ? ok(value) : bad;
  },
};
const httpUrlOrEmpty = text('an http(s) URL, or empty', (v) => v === '' || /^https?:\/\/[^\s/]+/.test(v));
const port = integer(1, 65535);
// The default Kubernetes NodePort range.
const nodePort = integer(30000, 32767);

function service(extra: Section = {}): Section {
  return {
    sourceDir: path,
    dockerfile: path,
    image,
    release: dnsLabel(53),
    replicas: integer(0, 20),
    port,
    nodePort,
    healthPath: urlPath,
    valuesFile: path,
    ...extra,
  };
}

export const schema: Section = {
  namespace: dnsLabel(63),
  target: oneOf('minikube', 'cluster'),
  minikube: {
    profile: text('a profile name (letters, digits, - and _)', (v) => /^[A-Za-z0-9][\w-]*$/.test(v)),
    cpus: integer(1, 256),
    memory: text('a size such as 3g, 3072mb or 4096', (v) => /^\d+(b|k|kb|m|mb|g|gb)?$/i.test(v)),
    driver: text('a minikube driver name', (v) => /^[a-z0-9-]+$/.test(v)),
    kubernetesVersion: text('stable, latest or vX.Y.Z', (v) => /^(stable|latest|v\d+\.\d+\.\d+)$/.test(v)),
    containerRuntime: oneOf('docker', 'containerd', 'cri-o'),
  },
  cluster: {
    context: anyText,
    registry,
    platform,
    protectedContexts: names,
    pullSecret: path,
    expose: oneOf('auto', 'ingress', 'loadbalancer', 'port-forward'),
    host: text('a DNS host name such as todo.example.com, or empty', (v) => v === '' || /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v)),
  },
  build: { caBundle: path },
  timeouts: { start: duration, build: duration, deploy: duration, verify: duration, lock: duration, expose: duration },
  frontend: service({ backendUrl: httpUrlOrEmpty }),
  backend: service(),
  checks: { ui: boolean, backendUrl: boolean, apiDocs: boolean, cors: boolean, auth: boolean },
  database: {
    mode: oneOf('auto', 'in-cluster', 'external'),
    release: dnsLabel(53),
    image: text('an image with its tag, such as postgres:17.6-bookworm', (v) => /^([a-z0-9.-]+(:\d+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*:[\w][\w.-]{0,127}$/.test(v)),
    storage: text('a size such as 1Gi or 512Mi', (v) => /^[1-9]\d*(Mi|Gi|Ti)$/.test(v)),
  },
};
