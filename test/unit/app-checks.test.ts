// The app-level checks against real HTTP servers on 127.0.0.1: a Next.js-like frontend and a
// FastAPI-like backend, right by default and wrong in one way per test.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaults, type Config } from '../../src/config/schema.js';
import { chunkPaths, corsAllows, runAppChecks, unreachableReason, urlLiterals, type AppOutcome, type AppTarget } from '../../src/deployment/app-checks.js';
import { Redactor } from '../../src/redact.js';

const SECRET = 'Zq3v8RkP1mW6xT9bN4cJ7hL2sF5gD0aY';

interface Behaviour {
  /** The backend URL written into the page's chunk; `BACKEND` stands for the backend server's URL. */
  baked: string;
  page: { status: number; type: string; body?: string; redirect?: string };
  chunkStatus: number;
  chunkType: string;
  auth: { status: number; body: string };
  openapi: { status: number; body: string };
  docsStatus: number;
  /** The origins the backend's CORS allows: a list, or '*'. */
  corsOrigins: string[] | '*';
}

let behaviour: Behaviour;
const servers: Server[] = [];
let frontendUrl = '';
let backendUrl = '';

function reset(): Behaviour {
  return {
    baked: 'BACKEND',
    page: { status: 200, type: 'text/html; charset=utf-8' },
    chunkStatus: 200,
    chunkType: 'application/javascript; charset=UTF-8',
    auth: { status: 200, body: '{"ok":true}' },
    openapi: { status: 200, body: '{"openapi":"3.1.0","info":{"title":"Todo"},"paths":{"/api/health":{},"/api/tasks":{}}}' },
    docsStatus: 200,
    corsOrigins: [frontendUrl],
  };
}

function page(): string {
  // As Next.js's App Router writes it: script tags for the shared chunks, and the page's own chunk in the flight data.
  return `<!DOCTYPE html><html><head><link rel="preload" as="script" href="/_next/static/chunks/webpack-7f3a.js"/><script src="/_next/static/chunks/main-app-2c1d.js" async=""></script></head><body><main>Todo</main><script>self.__next_f.push([1,"3:I[\\"static/chunks/app/page-9b2e.js\\",\\"default\\"]"])</script></body></html>`;
}

async function frontend(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = req.url ?? '/';
  if (path === '/' && behaviour.page.redirect) return void res.writeHead(307, { location: behaviour.page.redirect }).end();
  if (path === '/' || path === behaviour.page.redirect) return void res.writeHead(behaviour.page.status, { 'content-type': behaviour.page.type }).end(behaviour.page.body ?? page());
  if (path === '/api/auth/ok') return void res.writeHead(behaviour.auth.status, { 'content-type': 'application/json' }).end(behaviour.auth.body);
  if (path.startsWith('/_next/static/chunks/')) {
    const body = path.includes('/app/page-')
      ? `"use strict";(self.webpackChunk=self.webpackChunk||[]).push([[974],{1:function(e,t,n){fetch("".concat("${behaviour.baked.replace('BACKEND', backendUrl)}","/api/tasks")).then(function(r){return r.json()});var s="http://www.w3.org/2000/svg"}}]);`
      : '(()=>{"use strict";var e={};})();';
    return void res.writeHead(behaviour.chunkStatus, { 'content-type': behaviour.chunkStatus === 200 ? behaviour.chunkType : 'text/html' }).end(behaviour.chunkStatus === 200 ? body : '<h1>404: This page could not be found.</h1>');
  }
  res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>404</h1>');
}

async function backend(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'OPTIONS') {
    // Starlette's CORSMiddleware: 200 with the origin echoed, or 400 "Disallowed CORS origin".
    const origin = req.headers.origin ?? '';
    const all = behaviour.corsOrigins === '*';
    if (!all && !behaviour.corsOrigins.includes(origin)) return void res.writeHead(400, { 'content-type': 'text/plain' }).end('Disallowed CORS origin');
    return void res.writeHead(200, { 'access-control-allow-origin': all ? '*' : origin, 'access-control-allow-methods': 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT', 'access-control-max-age': '600' }).end('OK');
  }
  if (req.url === '/openapi.json') return void res.writeHead(behaviour.openapi.status, { 'content-type': 'application/json' }).end(behaviour.openapi.body);
  if (req.url === '/docs') return void res.writeHead(behaviour.docsStatus, { 'content-type': 'text/html' }).end('<title>Todo - Swagger UI</title>');
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<string> {
  const server = createServer((req, res) => void handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  [frontendUrl, backendUrl] = await Promise.all([listen(frontend), listen(backend)]);
});
afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));
beforeEach(() => {
  behaviour = reset();
});

function target(config: Partial<Config> = {}): AppTarget {
  const redactor = new Redactor();
  redactor.add(SECRET);
  return { config: { ...structuredClone(defaults), ...config }, frontendUrl, backendUrl, scrub: (text) => redactor.scrub(text), requestTimeoutMs: 5000 };
}

async function check(service: 'frontend' | 'backend', config?: Partial<Config>): Promise<Record<string, AppOutcome>> {
  return Object.fromEntries(await runAppChecks(target(config), service));
}

describe('the app-level checks on a right app', () => {
  it('pass, each saying what it saw', async () => {
    const [front, back] = await Promise.all([check('frontend'), check('backend')]);
    expect(front.ui).toMatchObject({ status: 'passed', detail: `${frontendUrl}/ → HTML; 3 of 3 JavaScript chunks load` });
    expect(front['backend-url']).toMatchObject({ status: 'passed', detail: `the UI calls ${backendUrl} (in /_next/static/chunks/app/page-9b2e.js), the backend as the browser reaches it` });
    expect(front.auth).toMatchObject({ status: 'passed', detail: `${frontendUrl}/api/auth/ok → HTTP 200, {"ok":true}` });
    expect(back['api-docs']).toMatchObject({ status: 'passed', detail: `${backendUrl}/openapi.json → OpenAPI 3.1.0, 2 paths; ${backendUrl}/docs → HTTP 200` });
    expect(back.cors).toMatchObject({ status: 'passed', detail: `OPTIONS ${backendUrl}/api/health: ${frontendUrl} allowed, a foreign origin refused` });
  });

  it('follow the UI root redirecting to its sign-in page, on the same origin', async () => {
    behaviour.page.redirect = '/sign-in';
    expect((await check('frontend')).ui).toMatchObject({ status: 'passed', detail: `${frontendUrl}/sign-in → HTML (after a redirect to /sign-in); 3 of 3 JavaScript chunks load` });
  });

  it('find the URL set in frontend.backendUrl, when it is one the browser reaches', async () => {
    behaviour.baked = 'https://api.todo.example.com';
    const result = await check('frontend', { frontend: { ...defaults.frontend, backendUrl: 'https://api.todo.example.com' } });
    expect(result['backend-url']).toMatchObject({ status: 'passed', detail: expect.stringContaining('the UI calls https://api.todo.example.com') });
  });
});

describe('the backend URL baked into the bundle', () => {
  it.each([
    ['a Service DNS name', 'http://backend.todo.svc.cluster.local:8000', /a Kubernetes Service name, which resolves only inside the cluster, not in the browser/],
    ["the backend's Service name", 'http://backend:8000', /the backend's Service name, which resolves only inside the cluster/],
    ["the container's port on localhost", 'http://localhost:8000', /in the browser localhost:8000 is the user's own machine, and 8000 is the backend container's port/],
  ])('fails on %s, naming the baked URL, why it cannot work and the setting that fixes it', async (_, baked, why) => {
    behaviour.baked = baked;
    const result = (await check('frontend', { frontend: { ...defaults.frontend, backendUrl: baked } }))['backend-url']!;
    expect(result.status).toBe('failed');
    expect(result.detail).toContain(`the UI's JavaScript calls ${baked}: `);
    expect(result.detail).toMatch(why);
    expect(result.diagnosis).toEqual([`baked into /_next/static/chunks/app/page-9b2e.js at build time (NEXT_PUBLIC_BACKEND_URL)`, `the backend as the browser reaches it: ${backendUrl}`]);
    expect(result.hint).toContain(`frontend.backendUrl is ${baked} in todo-deploy.yaml.`);
    expect(result.hint).toContain(`Set frontend.backendUrl in todo-deploy.yaml (TODO_DEPLOY_FRONTEND_BACKEND_URL) to a URL the browser reaches, or leave it empty for ${backendUrl}, then run \`todo-deploy up\` to rebuild the frontend.`);
  });

  it('says the app overrides the build argument when it bakes another URL than the one todo-deploy passed', async () => {
    behaviour.baked = 'http://localhost:8000';
    const result = (await check('frontend'))['backend-url']!;
    expect(result).toMatchObject({ status: 'failed', detail: expect.stringContaining("the UI's JavaScript calls http://localhost:8000") });
    expect(result.hint).toContain(`frontend.backendUrl is empty, so todo-deploy built the frontend with ${backendUrl}.`);
    expect(result.hint).toContain('NEXT_PUBLIC_BACKEND_URL');
    expect(result.hint).toContain('.env.production');
  });

  it('fails when the backend URL is in no chunk, listing the URLs with a port that are', async () => {
    behaviour.baked = 'http://192.168.49.2:30001';
    const result = (await check('frontend'))['backend-url']!;
    expect(result).toMatchObject({ status: 'failed', detail: `${backendUrl} is in none of the 3 JavaScript chunks the UI loads`, diagnosis: ['URLs with a port in them: http://192.168.49.2:30001'] });
    expect(result.hint).toContain('checks.backendUrl: false');
  });

  it('is not checked when the page cannot be read', async () => {
    behaviour.page.status = 500;
    expect((await check('frontend'))['backend-url']).toMatchObject({ status: 'skipped', detail: 'not checked: the UI page could not be read' });
  });
});

describe('the UI page and its chunks', () => {
  it('fails when the chunks are missing (404), with the standalone output as the likely cause', async () => {
    behaviour.chunkStatus = 404;
    const result = (await check('frontend')).ui!;
    expect(result).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^3 of 3 JavaScript chunks the page loads are missing: \/_next\/static\/chunks\/\S+\.js: HTTP 404$/) });
    expect(result.hint).toContain('.next/static');
  });

  it('fails when a chunk answers 200 as HTML, not JavaScript', async () => {
    behaviour.chunkType = 'text/html; charset=utf-8';
    expect((await check('frontend')).ui).toMatchObject({ status: 'failed', detail: expect.stringMatching(/do not load: \S+: text\/html; charset=utf-8, not JavaScript$/) });
  });

  it('fails on an error page, showing its start with the secrets masked', async () => {
    behaviour.page = { status: 500, type: 'text/html', body: `Internal Server Error: BETTER_AUTH_SECRET=${SECRET} is wrong` };
    const result = (await check('frontend')).ui!;
    expect(result).toMatchObject({ status: 'failed', detail: `${frontendUrl}/ answered HTTP 500`, diagnosis: ['it answered: Internal Server Error: BETTER_AUTH_SECRET=•••••• is wrong'] });
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it('fails on a page that is not HTML, and on one without Next.js chunks', async () => {
    behaviour.page = { status: 200, type: 'application/json', body: '{"status":"ok"}' };
    expect((await check('frontend')).ui).toMatchObject({ status: 'failed', detail: `${frontendUrl}/ answered application/json, not an HTML page` });
    behaviour.page = { status: 200, type: 'text/html', body: '<html><script src="/static/js/main.js"></script></html>' };
    expect((await check('frontend')).ui).toMatchObject({ status: 'failed', detail: `${frontendUrl}/ references no /_next/static/ JavaScript chunk`, hint: expect.stringContaining('checks.ui: false') });
  });
});

describe('the API docs', () => {
  it('fail when /docs is missing', async () => {
    behaviour.docsStatus = 404;
    expect((await check('backend'))['api-docs']).toMatchObject({ status: 'failed', detail: `${backendUrl}/docs answered HTTP 404`, hint: expect.stringContaining('checks.apiDocs: false') });
  });

  it('fail when /openapi.json is not valid JSON, saying why', async () => {
    behaviour.openapi = { status: 200, body: '{"openapi":"3.1.0","paths":{' };
    const result = (await check('backend'))['api-docs']!;
    expect(result).toMatchObject({ status: 'failed', detail: expect.stringMatching(new RegExp(`^${backendUrl}/openapi.json answered 200 but not valid JSON: .+`)), diagnosis: ['it answered: {"openapi":"3.1.0","paths":{'] });
  });

  it('fail when /openapi.json is JSON but no OpenAPI document, and when it is missing', async () => {
    behaviour.openapi = { status: 200, body: '{"status":"ok"}' };
    expect((await check('backend'))['api-docs']).toMatchObject({ status: 'failed', detail: expect.stringContaining('is not an OpenAPI document') });
    behaviour.openapi = { status: 404, body: '{"detail":"Not Found"}' };
    expect((await check('backend'))['api-docs']).toMatchObject({ status: 'failed', detail: `${backendUrl}/openapi.json answered HTTP 404` });
  });
});

describe('CORS', () => {
  it("fails when the backend refuses the UI's origin", async () => {
    behaviour.corsOrigins = ['http://localhost:3000'];
    const result = (await check('backend')).cors!;
    expect(result).toMatchObject({ status: 'failed', detail: `a preflight from the UI's origin ${frontendUrl} is refused: HTTP 400`, diagnosis: ['it answered: Disallowed CORS origin'] });
    expect(result.hint).toContain(`allow_origins including ${frontendUrl}`);
  });

  it('fails when a foreign origin is allowed too', async () => {
    behaviour.corsOrigins = '*';
    const result = (await check('backend')).cors!;
    expect(result).toMatchObject({ status: 'failed', detail: 'a preflight from a foreign origin (https://foreign-site.invalid) is allowed too (Access-Control-Allow-Origin: *)' });
    expect(result.hint).toContain(`allow_origins=["${frontendUrl}"]`);
  });

  it.each([
    [{ status: 200, headers: { 'access-control-allow-origin': 'http://ui', 'access-control-allow-methods': 'GET, POST' } }, { ok: true }],
    [{ status: 200, headers: { 'access-control-allow-origin': '*', 'access-control-allow-methods': '*' } }, { ok: true }],
    [{ status: 200, headers: { 'access-control-allow-origin': 'http://ui', 'access-control-allow-methods': 'GET' } }, { ok: false, why: 'POST is not among the allowed methods (GET)' }],
    [{ status: 200, headers: {} }, { ok: false, why: 'no Access-Control-Allow-Origin header' }],
    [{ status: 200, headers: { 'access-control-allow-origin': 'http://other' } }, { ok: false, why: 'Access-Control-Allow-Origin is http://other' }],
    [{ status: 400, headers: {} }, { ok: false, why: 'HTTP 400' }],
  ])('corsAllows(%j) for http://ui is %j', (answer, expected) => {
    expect(corsAllows(answer, 'http://ui')).toEqual(expected);
  });
});

describe('Better Auth', () => {
  it('fails when the app does not mount it, saying how to turn the check off', async () => {
    behaviour.auth = { status: 404, body: '<h1>404</h1>' };
    const result = (await check('frontend')).auth!;
    expect(result).toMatchObject({ status: 'failed', detail: `${frontendUrl}/api/auth/ok answered HTTP 404` });
    expect(result.hint).toContain('checks.auth: false in todo-deploy.yaml');
  });

  it('fails on a 200 that is not its {"ok":true}', async () => {
    behaviour.auth = { status: 200, body: '<html>sign in</html>' };
    expect((await check('frontend')).auth).toMatchObject({ status: 'failed', detail: `${frontendUrl}/api/auth/ok answered 200 but not Better Auth's {"ok":true}` });
  });
});

describe('checks turned off in todo-deploy.yaml', () => {
  it('say "skipped: turned off" and make no request', async () => {
    behaviour.docsStatus = 404;
    behaviour.auth = { status: 404, body: '' };
    const checks = { ui: true, backendUrl: true, apiDocs: false, cors: true, auth: false };
    const [front, back] = await Promise.all([check('frontend', { checks }), check('backend', { checks })]);
    expect(front.auth).toMatchObject({ status: 'skipped', detail: 'skipped: turned off (checks.auth: false in todo-deploy.yaml)' });
    expect(back['api-docs']).toMatchObject({ status: 'skipped', detail: 'skipped: turned off (checks.apiDocs: false in todo-deploy.yaml)' });
    expect(front.ui!.status).toBe('passed');
  });
});

describe('the pure parts', () => {
  it('chunkPaths finds script tags, preloads and the flight data, with a basePath', () => {
    expect(chunkPaths(page(), 'http://x/')).toEqual(['/_next/static/chunks/webpack-7f3a.js', '/_next/static/chunks/main-app-2c1d.js', '/_next/static/chunks/app/page-9b2e.js']);
    expect(chunkPaths('<script src="/todo/_next/static/chunks/a.js?dpl=1"></script> "static/chunks/b.js"', 'http://x/todo')).toEqual(['/todo/_next/static/chunks/a.js', '/todo/_next/static/chunks/b.js']);
    expect(chunkPaths('<script src="https://cdn.example.com/_next/static/chunks/a.js"></script>', 'http://x/')).toEqual(['https://cdn.example.com/_next/static/chunks/a.js']);
  });

  it('urlLiterals reads URLs out of minified code', () => {
    expect(urlLiterals('fetch("".concat("http://localhost:30001","/api")),`${"https://a.b/c"}/d`,x="http://w3.org/x".')).toEqual(['http://localhost:30001', 'https://a.b/c', 'http://w3.org/x']);
  });

  it.each([
    ['http://backend.todo.svc:8000', true],
    ['http://backend.todo.svc.cluster.local', true],
    ['http://backend:8000', true],
    ['http://backend', true],
    ['http://todo-api:8000', true],
    ['http://localhost:8000', true],
    ['http://127.0.0.1:8000', true],
    ['http://localhost:30001', false],
    ['http://192.168.49.2:30001', false],
    ['https://api.example.com', false],
    ['http://www.w3.org/2000/svg', false],
  ])('unreachableReason(%s) says it is unreachable: %s', (url, unreachable) => {
    const reason = unreachableReason(new URL(url), { release: 'backend', port: 8000 }, new URL('http://localhost:30001'));
    expect(reason !== undefined).toBe(unreachable);
  });

  it('a backend the browser reaches on localhost at its container port (a port-forward) is reachable there', () => {
    expect(unreachableReason(new URL('http://localhost:8000'), { release: 'backend', port: 8000 }, new URL('http://localhost:8000'))).toBeUndefined();
  });
});

describe('httpGet', () => {
  it('names a refused connection, a silent server and a URL it cannot request, and cuts a long answer', async () => {
    const { httpGet } = await import('../../src/http.js');
    const silent = createServer(() => {});
    const long = createServer((_req, res) => res.writeHead(200).end('x'.repeat(5000)));
    const urls = await Promise.all(
      [silent, long].map(async (server) => {
        servers.push(server);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      }),
    );
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const refused = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise((resolve) => closed.close(resolve));
    expect(await httpGet(refused, { retryForMs: 0 })).toEqual({ error: 'ECONNREFUSED' });
    expect(await httpGet(urls[0]!, { timeoutMs: 100, retryForMs: 0 })).toEqual({ error: 'no answer within 100ms' });
    expect(await httpGet('not a url')).toMatchObject({ error: expect.stringContaining('Invalid URL') });
    expect(await httpGet(urls[1]!, { maxBytes: 1000 })).toMatchObject({ status: 200, body: 'x'.repeat(1000), truncated: true });
    expect(await httpGet(urls[1]!)).toMatchObject({ status: 200, body: 'x'.repeat(5000), truncated: false });
  });

  it('tries a reset connection again, as a Service whose endpoints are changing resets it, and gets the answer', async () => {
    const { httpGet } = await import('../../src/http.js');
    let connections = 0;
    const server = createServer((_req, res) => res.writeHead(200).end('ok'));
    // The first connection is reset before any answer; the next is served.
    server.on('connection', (socket) => {
      if (++connections === 1) socket.destroy();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    expect(await httpGet(url)).toMatchObject({ status: 200, body: 'ok' });
    expect(connections).toBe(2);
    connections = 0;
    expect(await httpGet(url, { retryForMs: 0 })).toEqual({ error: 'ECONNRESET' });
  });

  it("asks again when a request gets no answer, as one sent to a replaced pod's address gets none, and takes the next answer", async () => {
    const { httpGet } = await import('../../src/http.js');
    let requests = 0;
    // The first request is never answered; the next is.
    const server = createServer((_req, res) => {
      if (++requests > 1) res.writeHead(200).end('ok');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    expect(await httpGet(url, { timeoutMs: 200 })).toMatchObject({ status: 200, body: 'ok' });
    expect(requests).toBe(2);
  });
});
