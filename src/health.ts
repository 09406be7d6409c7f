// Health endpoints, checked over plain HTTP at the URLs the user will open.
import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError } from './errors.js';

export interface HealthResult {
  url: string;
  ok: boolean;
  attempts: number;
  /** HTTP status of the last answer, if there was one. */
  status?: number;
  /** Why the last attempt failed. */
  error?: string;
  durationMs: number;
}

export interface HealthOptions {
  deadlineMs: number;
  signal?: AbortSignal;
  /** Each request's own limit. */
  requestTimeoutMs?: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

const MIN_ATTEMPT_MS = 100;

/** Polls until the URL answers 2xx, backing off between attempts, until the deadline. */
export async function waitHealthy(url: string, options: HealthOptions): Promise<HealthResult> {
  const { deadlineMs, signal, requestTimeoutMs = 5000, firstDelayMs = 250, maxDelayMs = 2000 } = options;
  const started = Date.now();
  let delay = firstDelayMs;
  let attempts = 0;
  let last: Pick<HealthResult, 'status' | 'error'> = {};
  for (;;) {
    attempts++;
    const remaining = deadlineMs - (Date.now() - started);
    last = await probe(url, Math.max(1, Math.min(requestTimeoutMs, remaining)), signal);
    const done = last.status !== undefined && last.status >= 200 && last.status < 300;
    // No attempt with too little time left to be answered: its "no answer" would hide the last real one.
    if (done || Date.now() - started + delay + MIN_ATTEMPT_MS >= deadlineMs) {
      return { url, ok: done, attempts, ...last, durationMs: Date.now() - started };
    }
    try {
      await sleep(delay, undefined, { signal });
    } catch {
      throw new CancelledError(`Interrupted while waiting for ${url}`);
    }
    delay = Math.min(delay * 2, maxDelayMs);
  }
}

/** One request: the HTTP status, or why there was none. */
export function probe(url: string, timeoutMs: number, signal?: AbortSignal): Promise<Pick<HealthResult, 'status' | 'error'>> {
  // node:http rather than fetch: fetch loads its whole HTTP client on first use, which a run
  // that makes two requests pays for at its very end.
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError(`Interrupted while checking ${url}`));
    let timedOut = false;
    // agent: false — no pooled keep-alive connection; redirects are not followed (an answer, not health).
    let request: ReturnType<typeof get>;
    try {
      request = get(url, { agent: false, signal }, onResponse);
    } catch (error) {
      // A URL node:http cannot request (https:, or not a URL at all) is an answer too.
      return resolve({ error: (error as Error).message });
    }
    function onResponse(response: import('node:http').IncomingMessage) {
      clearTimeout(timer);
      // The status is the answer: the body is not waited for, nor its socket kept open.
      response.destroy();
      const status = response.statusCode ?? 0;
      resolve(status >= 200 && status < 300 ? { status } : { status, error: `HTTP ${status}` });
    }
    const timer = setTimeout(() => {
      timedOut = true;
      request.destroy();
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (signal?.aborted) reject(new CancelledError(`Interrupted while checking ${url}`));
      else if (timedOut) resolve({ error: `no answer within ${timeoutMs}ms` });
      else resolve({ error: error.code ?? error.message });
    });
  });
}
