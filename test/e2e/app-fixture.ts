// A Todo Chatbot checkout for end-to-end tests: frontend/ and backend/ sources, a valid .env
// (mode 0600) and a todo-deploy.yaml whose NodePorts are answered by real HTTP servers on
// 127.0.0.1 (the simulated Minikube publishes them on localhost). The servers answer as the
// app does: health endpoints, the UI's page and chunks (with the backend URL the simulated
// build baked in), Better Auth, the API docs and CORS.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { processAlive } from '../../src/deployment/lock.js';
import { backendDatabaseOf, type Sim } from '../sim/harness.js';

export const secrets = {
  BETTER_AUTH_SECRET: 'Zq3v8RkP1mW6xT9bN4cJ7hL2sF5gD0aY',
  DATABASE_URL: 'postgresql://neondb_owner:npg_Vx9Pq2LmZt7K@ep-rain-42.eu-central-1.aws.neon.tech/neondb?sslmode=require',
  OPENAI_API_KEY: 'sk-proj-Hq7Wm2Zr9Lx4Tn8Vb3Kc6Yd1Fs5Gp0Aj',
  BETTER_AUTH_URL: 'http://localhost:30000',
};
/** Every string that must never be printed or passed in argv. */
export const secretValues = [...Object.values(secrets).filter((v) => !v.startsWith('http://')), 'npg_Vx9Pq2LmZt7K'];

export interface App {
  dir: string;
  ports: { frontend: number; backend: number };
  /** The sim whose last frontend build's NEXT_PUBLIC_BACKEND_URL the UI's chunk serves. */
  bakedFrom(sim: Sim): void;
  /** Sets the HTTP status a health endpoint answers, or a function asked on each request; and the body, when given. */
  setHealth(service: 'frontend' | 'backend', status: number | (() => number), body?: string): void;
  write(path: string, content: string): void;
  close(): Promise<void>;
}

export async function createApp(sim: Sim, yaml = ''): Promise<App> {
  const dir = join(sim.dir, 'app');
  const health: Record<'frontend' | 'backend', number | (() => number)> = { frontend: 200, backend: 200 };
  const bodies = { frontend: '{"status":"ok"}', backend: '{"status":"ok"}' };
  const servers: Server[] = [];
  const ports = { frontend: 0, backend: 0 };
  let built = sim;
  const routes = { frontend: (req: IncomingMessage, res: ServerResponse) => frontendRoutes(req, res, bakedBackendUrl(built) ?? `http://localhost:${ports.backend}`), backend: (req: IncomingMessage, res: ServerResponse) => backendRoutes(req, res, `http://localhost:${ports.frontend}`) };
  for (const service of ['frontend', 'backend'] as const) {
    const { server, port } = await listenInNodePortRange((req, res) => {
      const status = health[service];
      if (req.url === '/api/health' && req.method === 'GET') {
        const code = typeof status === 'function' ? status() : status;
        // A backend whose DATABASE_URL names the in-cluster database answers as the app does while no database pod is ready.
        if (service === 'backend' && code === 200 && databaseDown(built, ports.backend)) return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unhealthy","database":"unreachable"}');
        return void res.writeHead(code, { 'content-type': 'application/json' }).end(bodies[service]);
      }
      if (!routes[service](req, res)) res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
    });
    servers.push(server);
    ports[service] = port;
  }
  const write = writerIn(dir);
  write('frontend/package.json', '{"name":"frontend","dependencies":{"next":"15.0.0"}}\n');
  // The lockfiles the shipped Dockerfiles install from (the preflight asks for them).
  write('frontend/pnpm-lock.yaml', "lockfileVersion: '9.0'\n");
  write('frontend/app/page.tsx', 'export default function Page() { return null }\n');
  write('backend/pyproject.toml', '[project]\nname = "backend"\n');
  write('backend/uv.lock', 'version = 1\n');
  write('backend/main.py', 'from fastapi import FastAPI\napp = FastAPI()\n');
  write('.env', Object.entries(secrets).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  chmodSync(join(dir, '.env'), 0o600);
  write(
    'todo-deploy.yaml',
    `timeouts:\n  verify: 5s\nfrontend:\n  nodePort: ${ports.frontend}\nbackend:\n  nodePort: ${ports.backend}\n${yaml}`,
  );
  return {
    dir,
    ports,
    bakedFrom: (next) => {
      built = next;
    },
    setHealth: (service, status, body) => {
      health[service] = status;
      if (body !== undefined) bodies[service] = body;
    },
    write,
    close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))).then(() => undefined),
  };
}

/** The sim's world says the backend's in-cluster database is down (false when the sim is gone or the database is external). */
function databaseDown(sim: Sim, nodePort: number): boolean {
  try {
    return backendDatabaseOf(sim, nodePort) === 'unreachable';
  } catch {
    return false;
  }
}

function writerIn(dir: string): App['write'] {
  return (path, content) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };
}

/**
 * The app in a sim started from a snapshot of `app`'s sim: its files are there already, and its
 * NodePorts, written in the snapshot's cluster, are still answered by `app`'s servers.
 */
export function appIn(sim: Sim, app: App): App {
  const dir = join(sim.dir, 'app');
  app.bakedFrom(sim);
  return { ...app, dir, write: writerIn(dir) };
}

/**
 * The NEXT_PUBLIC_BACKEND_URL of the sim's last frontend build, from its call log: what `next
 * build` would have inlined. The log, not the image store, so that a build the engine tier's
 * real docker ran counts too.
 */
function bakedBackendUrl(sim: Sim): string | undefined {
  let calls: ReturnType<Sim['calls']>;
  try {
    calls = sim.calls();
  } catch {
    // The sim is gone (a snapshot's first sim): its build is the default one.
    return undefined;
  }
  for (const call of calls.toReversed()) {
    for (const arg of call.argv) {
      const baked = /NEXT_PUBLIC_BACKEND_URL=(.*)$/.exec(arg)?.[1];
      if (baked !== undefined) return baked;
    }
  }
  return undefined;
}

/** The Next.js app's page (its chunks named as the App Router names them), its chunks, and Better Auth. */
function frontendRoutes(req: IncomingMessage, res: ServerResponse, backendUrl: string): boolean {
  const js = { 'content-type': 'application/javascript; charset=UTF-8' };
  if (req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
      '<!DOCTYPE html><html><head><script src="/_next/static/chunks/main-app-2c1d.js" async=""></script></head><body><main>Todo Chatbot</main>' +
        '<script>self.__next_f.push([1,"3:I[\\"static/chunks/app/page-9b2e.js\\",\\"default\\"]"])</script></body></html>',
    );
  } else if (req.url === '/_next/static/chunks/main-app-2c1d.js') res.writeHead(200, js).end('(()=>{"use strict";})();');
  else if (req.url === '/_next/static/chunks/app/page-9b2e.js') res.writeHead(200, js).end(`fetch("".concat(${JSON.stringify(backendUrl)},"/api/tasks"));`);
  else if (req.url === '/api/auth/ok') res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  else return false;
  return true;
}

/** FastAPI's docs, and its CORSMiddleware allowing the UI's origin only. */
function backendRoutes(req: IncomingMessage, res: ServerResponse, uiOrigin: string): boolean {
  if (req.method === 'OPTIONS') {
    if (req.headers.origin !== uiOrigin) res.writeHead(400, { 'content-type': 'text/plain' }).end('Disallowed CORS origin');
    else res.writeHead(200, { 'access-control-allow-origin': uiOrigin, 'access-control-allow-methods': 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT' }).end('OK');
  } else if (req.url === '/openapi.json') res.writeHead(200, { 'content-type': 'application/json' }).end('{"openapi":"3.1.0","info":{"title":"Todo Chatbot API"},"paths":{"/api/health":{}}}');
  else if (req.url === '/docs') res.writeHead(200, { 'content-type': 'text/html' }).end('<title>Todo Chatbot API - Swagger UI</title>');
  else return false;
  return true;
}

/** The upper part of the NodePort range, left to the cluster target's port-forwards (freeForwardPort). */
export const FORWARD_PORTS = { from: 31500, to: 32767 };

/**
 * Ports handed out by freeForwardPort, one file each (`<port>`, holding the pid): test files run
 * in parallel workers, and two of them must never pick the same port between choosing it and
 * their port-forward taking it. Removed when the test file is done; a dead pid's is stale.
 */
const RESERVED = join(tmpdir(), 'todo-deploy-forward-ports');
const reserved: string[] = [];
if (process.env.VITEST) afterAll(() => void reserved.splice(0).forEach((file) => rmSync(file, { force: true })));

function reserve(port: number): boolean {
  mkdirSync(RESERVED, { recursive: true });
  const file = join(RESERVED, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      reserved.push(file);
      return true;
    } catch {
      // Empty: another worker is writing its pid this moment.
      const pid = Number(readFileSync(file, 'utf8'));
      if (!pid || processAlive(pid)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}


/** A port of FORWARD_PORTS free now and reserved for this test file, for a port-forward a test's `up` or `open` starts later. */
export async function freeForwardPort(taken: number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FORWARD_PORTS.from + Math.floor(Math.random() * (FORWARD_PORTS.to - FORWARD_PORTS.from + 1));
    if (taken.includes(port) || !reserve(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${FORWARD_PORTS.from}-${FORWARD_PORTS.to}`);
}

/**
 * A free port in Kubernetes' NodePort range, listening on 127.0.0.1: in its lower part, since
 * the cluster target's tests leave the upper part (FORWARD_PORTS) to the port-forwards they
 * start later, which a server of another test file taking the port meanwhile would refuse.
 */
async function listenInNodePortRange(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 30000 + Math.floor(Math.random() * (FORWARD_PORTS.from - 30000));
    const server = createServer(handler);
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) return { server, port };
  }
  throw new Error('no free port in 30000-32767');
}
