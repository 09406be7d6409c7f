// One HTTP request with its answer read whole (up to a limit), for the app-level checks of
// `verify`: the UI's page and chunks, the API's docs, a CORS preflight. node:http(s) rather
// than fetch, as in health.ts: fetch loads its whole client on first use.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError } from './errors.js';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body was longer than `maxBytes`, and was cut there. */
  truncated: boolean;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxBytes?: number;
  signal?: AbortSignal;
  /** How long a connection refused, reset or left without an answer is tried again (default 15 s; 0: never). */
  retryForMs?: number;
}

/**
 * Errors of the connection, not of the app. On a real node, right after a rollout, kube-proxy
 * still sends some connections to the replaced pod for a few seconds: refused while it shuts
 * down, unanswered once its address is gone (both seen on the cluster tier's node, under load,
 * after health had passed). A new connection then reaches a live pod.
 */
const transient = (error: string) => ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH'].includes(error) || error.startsWith('no answer within');

/** The answer, or why there was none (`ECONNREFUSED`, `no answer within 5000ms`, an invalid URL); a connection refused, reset or unanswered is tried again for `retryForMs`. */
export async function httpGet(url: string, options: HttpOptions = {}): Promise<HttpAnswer | { error: string }> {
  const { retryForMs = 15_000, signal } = options;
  const started = Date.now();
  for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
    const answer = await httpOnce(url, options);
    if (!('error' in answer) || !transient(answer.error) || Date.now() - started + delay > retryForMs) return answer;
    try {
      await sleep(delay, undefined, { signal });
    } catch {
      throw new CancelledError(`Interrupted while requesting ${url}`);
    }
  }
}

function httpOnce(url: string, options: HttpOptions): Promise<HttpAnswer | { error: string }> {
  const { method = 'GET', headers = {}, timeoutMs = 5_000, maxBytes = 5 * 1024 * 1024, signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError(`Interrupted while requesting ${url}`));
    let timedOut = false;
    let req: ReturnType<typeof httpRequest>;
    try {
      const send = new URL(url).protocol === 'https:' ? httpsRequest : httpRequest;
      // agent: false — no pooled keep-alive connection; redirects are the caller's to follow.
      req = send(url, { method, headers, agent: false, signal }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let done = false;
        const finish = (truncated: boolean) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          response.destroy();
          if (timedOut) return resolve({ error: `no complete answer within ${timeoutMs}ms` });
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8'), truncated });
        };
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size > maxBytes) finish(true);
        });
        response.on('end', () => finish(false));
        response.on('error', () => finish(false));
        response.on('close', () => finish(false));
      });
    } catch (error) {
      return resolve({ error: (error as Error).message });
    }
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy();
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (signal?.aborted) reject(new CancelledError(`Interrupted while requesting ${url}`));
      else if (timedOut) resolve({ error: `no answer within ${timeoutMs}ms` });
      else resolve({ error: error.code ?? error.message });
    });
    req.end();
  });
}
