// "Does the database answer?" as a TCP connect with a short deadline: enough to catch a typo
// in the host or port, or a database that is not running, without a PostgreSQL client.
import { connect } from 'node:net';
import { parseDatabaseUrl } from '../config/database-url.js';
import { CancelledError } from '../errors.js';

export interface DatabaseAddress {
  host: string;
  port: number;
  /** Why this host was probed instead of the URL's (host.minikube.internal). */
  note?: string;
}

const POSTGRES_PORT = 5432;

/** Where to knock; undefined for a URL without a host. */
export function databaseAddress(databaseUrl: string): DatabaseAddress | undefined {
  const { url } = parseDatabaseUrl(databaseUrl);
  if (!url) return undefined;
  const host = url.host.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ?? POSTGRES_PORT;
  // That name resolves inside Minikube only, to this machine: probe this machine.
  if (host === 'host.minikube.internal') return { host: '127.0.0.1', port, note: 'host.minikube.internal is this machine as the cluster sees it' };
  return { host, port };
}

export type ProbeResult = { ok: true } | { ok: false; reason: string };

export function probeTcp(address: DatabaseAddress, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port });
    const finish = (result: ProbeResult | Error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onAbort = () => finish(new CancelledError());
    const timer = setTimeout(() => finish({ ok: false, reason: `no answer within ${options.timeoutMs / 1000}s` }), options.timeoutMs);
    if (options.signal?.aborted) return finish(new CancelledError());
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ ok: true }));
    socket.once('error', (error: NodeJS.ErrnoException) => finish({ ok: false, reason: describeSocketError(error) }));
  });
}

function describeSocketError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused: nothing listens on that port';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the host is unreachable';
    default:
      return error.code ?? error.message;
  }
}
