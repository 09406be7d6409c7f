// The app-level checks: a deployment can pass its health endpoints and still be broken for the
// user — the bundle baked with a backend URL the browser cannot reach, static assets that 404,
// CORS refusing the UI, the API docs gone. Each check asks what a browser (or a user) would,
// at the URLs the user opens; each can be turned off in todo-deploy.yaml (`checks:`) for an
// app it does not fit. Whatever the app answered is scrubbed of secrets before it is kept.
import type { AppChecksConfig, Config, Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { openedUrl, type Deployment } from './view.js';
import { oneLine } from '../health.js';
import { httpGet, type HttpAnswer } from '../http.js';

export type AppCheckKind = 'ui' | 'backend-url' | 'auth' | 'api-docs' | 'cors';

/** The app-level checks of each service, in the order they are shown. */
export const appCheckKinds: Record<Service, AppCheckKind[]> = { frontend: ['ui', 'backend-url', 'auth'], backend: ['api-docs', 'cors'] };

/** The todo-deploy.yaml key (under `checks:`) that turns each check off. */
export const appCheckSetting: Record<AppCheckKind, keyof AppChecksConfig> = { ui: 'ui', 'backend-url': 'backendUrl', auth: 'auth', 'api-docs': 'apiDocs', cors: 'cors' };

export const appCheckTitles: Record<AppCheckKind, string> = {
  ui: 'UI page and static assets',
  'backend-url': 'backend URL in the UI bundle',
  auth: 'Better Auth endpoint',
  'api-docs': 'API docs',
  cors: 'CORS for the UI',
};

export interface AppOutcome {
  status: 'passed' | 'failed' | 'skipped';
  detail: string;
  diagnosis?: string[];
  hint?: string;
  durationMs?: number;
}

/** What a check turned off in todo-deploy.yaml says, or undefined when it is on. */
export function turnedOff(config: Pick<Config, 'checks'>, kind: AppCheckKind): string | undefined {
  const setting = appCheckSetting[kind];
  return config.checks[setting] ? undefined : `skipped: turned off (checks.${setting}: false in todo-deploy.yaml)`;
}

export interface AppTarget {
  config: Pick<Config, 'frontend' | 'backend' | 'checks'>;
  /** The URLs the user opens. */
  frontendUrl: string;
  backendUrl: string;
  signal?: AbortSignal;
  /** Masks secrets in what the app answered, before any of it is kept or cut. */
  scrub(text: string): string;
  requestTimeoutMs?: number;
}

/** What the checks need of a run: the deployment's settings and URLs, its abort signal, its redactor. */
export function appTargetOf(ctx: Pick<Context, 'signal' | 'redactor'>, state: Pick<Deployment, 'config' | 'services'>): AppTarget {
  return { config: state.config, frontendUrl: openedUrl(state.services.frontend), backendUrl: openedUrl(state.services.backend), signal: ctx.signal, scrub: (text) => ctx.redactor.scrub(text) };
}

/** The backend URL the frontend was built with (its NEXT_PUBLIC_BACKEND_URL build argument, as `up` passes it). */
export function bakedBackendUrl(target: Pick<AppTarget, 'config' | 'backendUrl'>): string {
  return target.config.frontend.backendUrl || target.backendUrl;
}

/** Runs a service's app-level checks (those turned off say so); the frontend's share one read of the page and its chunks. */
export async function runAppChecks(target: AppTarget, service: Service): Promise<Map<AppCheckKind, AppOutcome>> {
  const kinds = appCheckKinds[service];
  const results = new Map<AppCheckKind, AppOutcome>();
  let bundle: Promise<Bundle> | undefined;
  const readBundle = () => (bundle ??= loadBundle(target));
  const run: Record<AppCheckKind, () => Promise<AppOutcome>> = {
    ui: async () => uiOutcome(await readBundle()),
    'backend-url': async () => {
      const read = await readBundle();
      if (read.problem && read.chunks.length === 0) return { status: 'skipped', detail: 'not checked: the UI page could not be read' };
      return backendUrlOutcome(target, read);
    },
    auth: () => authOutcome(target),
    'api-docs': () => apiDocsOutcome(target),
    cors: () => corsOutcome(target),
  };
  await Promise.all(
    kinds.map(async (kind) => {
      const off = turnedOff(target.config, kind);
      const started = performance.now();
      const outcome: AppOutcome = off ? { status: 'skipped', detail: off } : await run[kind]();
      results.set(kind, { ...outcome, durationMs: Math.round(performance.now() - started) });
    }),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------
// The UI page and its chunks

interface Chunk {
  path: string;
  body: string;
}

interface Bundle {
  /** The page's URL after redirects. */
  pageUrl: string;
  redirects: string[];
  /** The JavaScript chunks the page references that were read (200, JavaScript). */
  chunks: Chunk[];
  referenced: number;
  /** What is wrong with the page or a chunk, if anything. */
  problem?: { detail: string; diagnosis?: string[]; hint: string };
}

const MAX_REDIRECTS = 5;
const MAX_CHUNKS = 40;
/** Per chunk: a URL is a literal near where it is used, and a page's chunks are rarely over 1 MB. */
const CHUNK_BYTES = 2 * 1024 * 1024;

async function loadBundle(target: AppTarget): Promise<Bundle> {
  const get = (url: string, headers?: Record<string, string>) => httpGet(url, { headers, signal: target.signal, timeoutMs: target.requestTimeoutMs });
  const redirects: string[] = [];
  let pageUrl = new URL('/', target.frontendUrl).href;
  let page: HttpAnswer | { error: string };
  for (;;) {
    page = await get(pageUrl, { accept: 'text/html' });
    const location = 'status' in page && page.status >= 300 && page.status < 400 ? page.headers.location : undefined;
    if (!location || redirects.length >= MAX_REDIRECTS) break;
    const next = new URL(location, pageUrl);
    // The browser would follow it elsewhere too, but what is served there is not this deployment.
    if (next.origin !== new URL(pageUrl).origin) break;
    redirects.push(next.pathname);
    pageUrl = next.href;
  }
  const empty = { pageUrl, redirects, chunks: [], referenced: 0 };
  const logs = 'Its logs say more: `todo-deploy logs frontend`.';
  if ('error' in page) return { ...empty, problem: { detail: `${pageUrl}: ${page.error}`, hint: `The UI's page does not answer. ${logs}` } };
  if (page.status !== 200) {
    return { ...empty, problem: { detail: `${pageUrl} answered HTTP ${page.status}`, diagnosis: said(target, page), hint: `The page a user opens first must answer 200. ${logs}` } };
  }
  const type = String(page.headers['content-type'] ?? '');
  if (!type.includes('text/html')) {
    return { ...empty, problem: { detail: `${pageUrl} answered ${type || 'no content type'}, not an HTML page`, diagnosis: said(target, page), hint: 'Check that frontend.nodePort leads to the Next.js app.' } };
  }
  const paths = chunkPaths(page.body, pageUrl);
  if (paths.length === 0) {
    return {
      ...empty,
      problem: {
        detail: `${pageUrl} references no /_next/static/ JavaScript chunk`,
        diagnosis: said(target, page),
        hint: 'The page is not the Next.js app\'s, or its build emitted no client JavaScript. If your frontend is not Next.js, turn this check off: checks.ui: false in todo-deploy.yaml.',
      },
    };
  }
  const chunks: Chunk[] = [];
  const failures: string[] = [];
  await eachLimited(paths.slice(0, MAX_CHUNKS), 6, async (path) => {
    const answer = await httpGet(new URL(path, pageUrl).href, { signal: target.signal, timeoutMs: target.requestTimeoutMs, maxBytes: CHUNK_BYTES });
    const kind = 'status' in answer ? String(answer.headers['content-type'] ?? '') : '';
    if ('error' in answer) failures.push(`${path}: ${answer.error}`);
    else if (answer.status !== 200) failures.push(`${path}: HTTP ${answer.status}`);
    else if (!/javascript|ecmascript/.test(kind)) failures.push(`${path}: ${kind || 'no content type'}, not JavaScript`);
    else chunks.push({ path, body: target.scrub(answer.body) });
  });
  const bundle = { pageUrl, redirects, chunks, referenced: paths.length };
  if (failures.length === 0) return bundle;
  const missing = failures.some((f) => / HTTP 404$/.test(f));
  return {
    ...bundle,
    problem: {
      detail: `${failures.length} of ${Math.min(paths.length, MAX_CHUNKS)} JavaScript chunks the page loads ${missing ? 'are missing' : 'do not load'}: ${failures[0]}`,
      diagnosis: failures.slice(1, 5),
      hint: missing
        ? "Next.js's standalone output leaves .next/static out: the image must copy it next to server.js (the shipped Dockerfile does; a Dockerfile of your own needs `COPY --from=build /app/.next/static ./.next/static`). Then run `todo-deploy up`."
        : `The browser cannot load the UI's JavaScript, so the page does nothing. ${logs}`,
    },
  };
}

function uiOutcome(bundle: Bundle): AppOutcome {
  if (bundle.problem) return { status: 'failed', ...bundle.problem };
  const via = bundle.redirects.length ? ` (after a redirect to ${bundle.redirects.at(-1)})` : '';
  return { status: 'passed', detail: `${bundle.pageUrl} → HTML${via}; ${bundle.chunks.length} of ${bundle.referenced} JavaScript chunks load` };
}

/** The JavaScript chunks a Next.js page references, in order, as paths (or URLs) relative to the page. */
export function chunkPaths(html: string, pageUrl: string): string[] {
  const found = new Set<string>();
  // <script src="/_next/static/chunks/…js">, <link rel="preload" href="…">, with a basePath or an assetPrefix.
  for (const match of html.matchAll(/(?:https?:\/\/[^\s"'\\<>]+)?\/[^\s"'\\<>]*?_next\/static\/[^\s"'\\<>?#]+\.js/g)) found.add(match[0]);
  // The App Router's flight data names the page's own chunks as "static/chunks/…js", escaped inside a script.
  const prefix = [...found][0]?.replace(/_next\/static\/.*$/, '_next/') ?? '/_next/';
  for (const match of html.matchAll(/(?<![\w/])static\/chunks\/[^\s"'\\<>?#]+\.js/g)) found.add(prefix + match[0]);
  return [...found].filter((path) => URL.canParse(path, pageUrl));
}

// ---------------------------------------------------------------------------------------------
// The backend URL baked into the bundle

export interface UnreachableUrl {
  url: string;
  why: string;
}

const loopback = new Set(['localhost', '127.0.0.1', '[::1]', '0.0.0.0']);

/**
 * Why the browser cannot use this URL to reach the backend, or undefined when nothing says it
 * cannot. `reachable`: the backend's URL as the user's browser reaches it (its NodePort).
 */
export function unreachableReason(url: URL, backend: { release: string; port: number }, reachable: URL): string | undefined {
  const host = url.hostname.toLowerCase();
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (/\.svc(\.cluster\.local)?$|\.cluster\.local$/.test(host)) return 'a Kubernetes Service name, which resolves only inside the cluster, not in the browser';
  if (host === backend.release || (!host.includes('.') && !host.includes(':') && !loopback.has(host) && port === backend.port)) {
    return `the backend's Service name, which resolves only inside the cluster, not in the browser`;
  }
  const reachablePort = Number(reachable.port || (reachable.protocol === 'https:' ? 443 : 80));
  if (loopback.has(host) && port === backend.port && !(loopback.has(reachable.hostname) && reachablePort === port)) {
    return `in the browser ${url.host} is the user's own machine, and ${port} is the backend container's port, which only its pod listens on`;
  }
  return undefined;
}

/** Every http(s) URL written as a literal in a chunk, trailing punctuation left off. */
export function urlLiterals(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s"'`\\<>(){}]+/g)].map((m) => m[0].replace(/[.,;:!?]+$/, ''));
}

function backendUrlOutcome(target: AppTarget, bundle: Bundle): AppOutcome {
  const baked = bakedBackendUrl(target);
  const expected = new URL(baked);
  const backend = { release: target.config.backend.release, port: target.config.backend.port };
  const reachable = new URL(target.backendUrl);
  const seen = new Map<string, { url: URL; chunk: string }>();
  for (const chunk of bundle.chunks) {
    for (const literal of urlLiterals(chunk.body)) {
      if (URL.canParse(literal) && !seen.has(literal)) seen.set(literal, { url: new URL(literal), chunk: chunk.path });
    }
  }
  const matches = (url: URL) => url.origin === expected.origin && url.pathname.startsWith(expected.pathname.replace(/\/$/, ''));
  const found = [...seen.values()].find((s) => matches(s.url));
  const wrong = [...seen.entries()].map(([literal, s]) => ({ literal, ...s, why: unreachableReason(s.url, backend, reachable) })).find((s) => s.why);
  const searched = `${bundle.chunks.length} JavaScript chunk${bundle.chunks.length === 1 ? '' : 's'}`;
  const setting = target.config.frontend.backendUrl
    ? `frontend.backendUrl is ${target.config.frontend.backendUrl} in todo-deploy.yaml`
    : `frontend.backendUrl is empty, so todo-deploy built the frontend with ${baked}`;
  if (found && !unreachableReason(found.url, backend, reachable)) {
    return { status: 'passed', detail: `the UI calls ${baked} (in ${found.chunk}), the backend as the browser reaches it` };
  }
  if (wrong) {
    const overridden = wrong.literal !== baked && !target.config.frontend.backendUrl;
    return {
      status: 'failed',
      detail: `the UI's JavaScript calls ${wrong.literal}: ${wrong.why}`,
      diagnosis: [`baked into ${wrong.chunk} at build time (NEXT_PUBLIC_BACKEND_URL)`, `the backend as the browser reaches it: ${target.backendUrl}`],
      hint: [
        `Every API call of the UI will fail. ${setting}.`,
        overridden
          ? `Something in the app sets NEXT_PUBLIC_BACKEND_URL=${wrong.literal} itself and wins over that build argument (a .env.production file, next.config's env, or an ENV in a Dockerfile of your own): remove it there,`
          : `Set frontend.backendUrl in todo-deploy.yaml (TODO_DEPLOY_FRONTEND_BACKEND_URL) to a URL the browser reaches, or leave it empty for ${target.backendUrl},`,
        'then run `todo-deploy up` to rebuild the frontend.',
      ].join(' '),
    };
  }
  const withPorts = [...seen.keys()].filter((literal) => /^https?:\/\/[^/]+:\d+/.test(literal)).slice(0, 5);
  return {
    status: 'failed',
    detail: `${baked} is in none of the ${searched} the UI loads`,
    ...(withPorts.length > 0 && { diagnosis: [`URLs with a port in them: ${withPorts.join(', ')}`] }),
    hint:
      `The frontend gets the backend URL from NEXT_PUBLIC_BACKEND_URL at build time (${setting}): check that the app reads process.env.NEXT_PUBLIC_BACKEND_URL, and that a Dockerfile of your own declares ARG NEXT_PUBLIC_BACKEND_URL before \`next build\`; then run \`todo-deploy up\`. ` +
      'If the browser never calls the backend directly (the app proxies it), turn this check off: checks.backendUrl: false in todo-deploy.yaml.',
  };
}

// ---------------------------------------------------------------------------------------------
// Better Auth, the API docs, CORS

async function authOutcome(target: AppTarget): Promise<AppOutcome> {
  const url = new URL('/api/auth/ok', target.frontendUrl).href;
  const answer = await httpGet(url, { signal: target.signal, timeoutMs: target.requestTimeoutMs });
  const turnOff = "If the app does not use Better Auth, or mounts it elsewhere, turn this check off: checks.auth: false in todo-deploy.yaml.";
  if ('error' in answer) return { status: 'failed', detail: `${url}: ${answer.error}`, hint: `Better Auth's handler does not answer. ${turnOff}` };
  if (answer.status === 200 && parseJson(answer.body)?.ok === true) return { status: 'passed', detail: `${url} → HTTP 200, {"ok":true}` };
  return {
    status: 'failed',
    detail: answer.status === 200 ? `${url} answered 200 but not Better Auth's {"ok":true}` : `${url} answered HTTP ${answer.status}`,
    diagnosis: said(target, answer),
    hint:
      answer.status === 404
        ? `Better Auth is mounted by a catch-all route (app/api/auth/[...all]/route.ts with toNextJsHandler(auth)); without it no one can sign in. ${turnOff}`
        : `Sign-in goes through this handler: \`todo-deploy logs frontend\` says why it fails (BETTER_AUTH_SECRET, BETTER_AUTH_URL and the database are the usual causes). ${turnOff}`,
  };
}

async function apiDocsOutcome(target: AppTarget): Promise<AppOutcome> {
  const get = (path: string) => httpGet(new URL(path, target.backendUrl).href, { signal: target.signal, timeoutMs: target.requestTimeoutMs });
  const [spec, docs] = await Promise.all([get('/openapi.json'), get('/docs')]);
  const turnOff = 'FastAPI serves both unless the app turns them off (FastAPI(docs_url=None, openapi_url=None)); if your API has no docs, turn this check off: checks.apiDocs: false in todo-deploy.yaml.';
  const specUrl = new URL('/openapi.json', target.backendUrl).href;
  const docsUrl = new URL('/docs', target.backendUrl).href;
  if ('error' in spec) return { status: 'failed', detail: `${specUrl}: ${spec.error}`, hint: turnOff };
  if (spec.status !== 200) return { status: 'failed', detail: `${specUrl} answered HTTP ${spec.status}`, diagnosis: said(target, spec), hint: turnOff };
  let document: unknown;
  try {
    document = JSON.parse(spec.body);
  } catch (error) {
    return {
      status: 'failed',
      detail: `${specUrl} answered 200 but not valid JSON: ${(error as Error).message}${spec.truncated ? ' (the answer was cut at 5 MB)' : ''}`,
      diagnosis: said(target, spec),
      hint: 'The API docs page and API clients read this document: `todo-deploy logs backend` may say why it is broken.',
    };
  }
  const openapi = (document as { openapi?: unknown } | null)?.openapi;
  if (typeof openapi !== 'string' || typeof (document as { paths?: unknown }).paths !== 'object') {
    return { status: 'failed', detail: `${specUrl} answered JSON that is not an OpenAPI document (no "openapi" version and "paths")`, diagnosis: said(target, spec), hint: turnOff };
  }
  if ('error' in docs) return { status: 'failed', detail: `${docsUrl}: ${docs.error}`, hint: turnOff };
  if (docs.status !== 200) return { status: 'failed', detail: `${docsUrl} answered HTTP ${docs.status}`, diagnosis: said(target, docs), hint: turnOff };
  const paths = Object.keys((document as { paths: object }).paths).length;
  return { status: 'passed', detail: `${specUrl} → OpenAPI ${openapi}, ${paths} path${paths === 1 ? '' : 's'}; ${docsUrl} → HTTP 200` };
}

/** An origin no deployment of this app serves (.invalid is reserved): a browser on any other site. */
export const FOREIGN_ORIGIN = 'https://foreign-site.invalid';

async function corsOutcome(target: AppTarget): Promise<AppOutcome> {
  const ui = new URL(target.frontendUrl).origin;
  const url = new URL(target.config.backend.healthPath, target.backendUrl).href;
  // What the browser sends before the UI's JSON POST to the API.
  const preflight = (origin: string) =>
    httpGet(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }, signal: target.signal, timeoutMs: target.requestTimeoutMs });
  const [own, foreign] = await Promise.all([preflight(ui), preflight(FOREIGN_ORIGIN)]);
  if ('error' in own) return { status: 'failed', detail: `OPTIONS ${url}: ${own.error}`, hint: 'The backend does not answer a CORS preflight: `todo-deploy logs backend` says more.' };
  const allowed = corsAllows(own, ui);
  if (!allowed.ok) {
    return {
      status: 'failed',
      detail: `a preflight from the UI's origin ${ui} is refused: ${target.scrub(allowed.why)}`,
      diagnosis: said(target, own),
      hint: `The browser will block every API call the UI makes. Allow ${ui} in the backend's CORS settings (FastAPI: CORSMiddleware with allow_origins including ${ui}, allow_methods including POST), then run \`todo-deploy up\`.`,
    };
  }
  if (!('error' in foreign) && corsAllows(foreign, FOREIGN_ORIGIN).ok) {
    const header = target.scrub(String(foreign.headers['access-control-allow-origin']));
    return {
      status: 'failed',
      detail: `a preflight from a foreign origin (${FOREIGN_ORIGIN}) is allowed too (Access-Control-Allow-Origin: ${header})`,
      hint: `Any web site the user visits could call the API from their browser. Allow only the UI's origin ${ui} (allow_origins=["${ui}"], not "*" nor a pattern that matches everything), then run \`todo-deploy up\`.`,
    };
  }
  return { status: 'passed', detail: `OPTIONS ${url}: ${ui} allowed, a foreign origin refused` };
}

/** Whether a preflight's answer lets `origin` send a POST with a JSON body, as the browser decides. */
export function corsAllows(answer: Pick<HttpAnswer, 'status' | 'headers'>, origin: string): { ok: true } | { ok: false; why: string } {
  if (answer.status < 200 || answer.status >= 300) return { ok: false, why: `HTTP ${answer.status}` };
  const allowOrigin = String(answer.headers['access-control-allow-origin'] ?? '');
  if (allowOrigin !== '*' && allowOrigin !== origin) return { ok: false, why: allowOrigin ? `Access-Control-Allow-Origin is ${allowOrigin}` : 'no Access-Control-Allow-Origin header' };
  const methods = String(answer.headers['access-control-allow-methods'] ?? '').split(',').map((m) => m.trim().toUpperCase());
  if (!methods.includes('POST') && !methods.includes('*')) return { ok: false, why: `POST is not among the allowed methods (${methods.filter(Boolean).join(', ') || 'none'})` };
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------

/** The start of what the app answered, on one line, secrets masked first (a cut secret would no longer be found). */
function said(target: AppTarget, answer: HttpAnswer): string[] | undefined {
  const text = oneLine(target.scrub(answer.body));
  return text ? [`it answered: ${text}`] : undefined;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}
