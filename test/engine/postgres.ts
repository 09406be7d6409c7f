// A PostgreSQL of the test's own (Debian's postgresql package): a fresh cluster in a temp
// folder owned by the postgres user, listening on 127.0.0.1 only, on a free port, with a
// password (so DATABASE_URL carries a secret, as a real one does). Stopped by its pid.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './docker-client.js';
import { stopOnExit, stopPid } from './daemon.js';

export interface Postgres {
  url: string;
  password: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and removes its folder. */
  remove(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a))[0] : undefined;
  if (!version) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  return join(root, version, 'bin');
}

async function ids(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export interface PostgresOptions {
  /** Where the folder goes (default: the temp folder). */
  parent?: string;
  /** The address it listens on (default 127.0.0.1, on a free port; otherwise on 5432). */
  host?: string;
  /** Clients' addresses (CIDR) allowed besides the loopback's, with the password (pg_hba.conf). */
  clients?: string;
  /** Runs `bin args` as the postgres user (default: spawn with its uid and gid); e.g. inside a network namespace. */
  launch?: (bin: string, args: string[], user: { uid: number; gid: number }) => [string, string[]];
}

/** A new cluster, initialised and stopped: start() starts it. */
export async function createPostgres({ parent = tmpdir(), host = '127.0.0.1', clients, launch }: PostgresOptions = {}): Promise<Postgres> {
  const bin = binDir();
  const { uid, gid } = await ids();
  const dir = mkdtempSync(join(parent, 'tde-pg-'));
  chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  chownSync(pwfile, uid, gid);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(join(bin, 'initdb'), ['-D', data, '-U', 'todo', `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--no-sync'], { uid, gid, stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`initdb exited ${code}: ${err}`))));
  });
  rmSync(pwfile);
  if (clients) appendFileSync(join(data, 'pg_hba.conf'), `host all all ${clients} scram-sha-256\n`);
  const port = host === '127.0.0.1' ? await freePort() : 5432;
  let pid: number | undefined;
  let guard: { release(): void } | undefined;

  const pg: Postgres = {
    url: `postgresql://todo:${password}@${host}:${port}/postgres`,
    password,
    port,
    async start() {
      if (pid) return;
      const args = ['-D', data, '-h', host, '-p', String(port), '-k', dir, '-c', 'fsync=off'];
      const child = launch
        ? spawn(...launch(join(bin, 'postgres'), args, { uid, gid }), { stdio: ['ignore', 'ignore', 'ignore'], cwd: dir })
        : spawn(join(bin, 'postgres'), args, { uid, gid, stdio: ['ignore', 'ignore', 'ignore'], cwd: dir });
      pid = child.pid;
      // Fast shutdown if the test process dies first.
      if (pid) guard = stopOnExit(pid, 'SIGINT');
      const ready = join(bin, 'pg_isready');
      for (let i = 0; i < 100; i++) {
        if ((await run(ready, ['-h', host, '-p', String(port)], { allowFailure: true })).exitCode === 0) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`postgres did not accept connections on ${host}:${port}`);
    },
    async stop() {
      if (!pid) return;
      const stopping = pid;
      pid = undefined;
      guard?.release();
      // SIGINT: PostgreSQL's fast shutdown (clients disconnected, no wait for them).
      await stopPid(stopping, 10_000, 'SIGINT');
    },
    async remove() {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return pg;
}
