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
  /** The start of the last error answer's body, on one line (printed output is redacted as a whole). */
  body?: string;
  /** It gave up before the deadline: the same HTTP error for `steadyErrorMs`. */
  steady?: boolean;
  durationMs: number;
}

export interface HealthOptions {
  deadlineMs: number;
  signal?: AbortSignal;
  /** Masks the secrets in an answer's body, before it is cut (a cut secret would no longer be found). */
  scrub?: (text: string) => string;
  /** Each request's own limit. */
  requestTimeoutMs?: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Give up once every answer for this long was the same HTTP error status. For endpoints whose
   * pods are Ready: no rollout or pod start can change the answer any more, so waiting out the
   * deadline would only delay the failure. Connection errors are still retried to the deadline.
   */
  steadyErrorMs?: number;
}

const MIN_ATTEMPT_MS = 100;

/** Polls until the URL answers 2xx, backing off between attempts, until the deadline. */
export async function waitHealthy(url: string, options: HealthOptions): Promise<HealthResult> {
  const { deadlineMs, signal, requestTimeoutMs = 5000, firstDelayMs = 250, maxDelayMs = 2000, steadyErrorMs, scrub } = options;
  const started = Date.now();
  let delay = firstDelayMs;
  let attempts = 0;
  let last: Answer = {};
  // Since when every answer has been this same HTTP error status.
  let steadySince: { status: number; at: number } | undefined;
  for (;;) {
    attempts++;
    const remaining = deadlineMs - (Date.now() - started);
    const attemptStarted = Date.now();
    last = await probe(url, Math.max(1, Math.min(requestTimeoutMs, remaining)), signal, scrub);
    const done = last.status !== undefined && last.status >= 200 && last.status < 300;
    if (done || last.status === undefined) steadySince = undefined;
    else if (steadySince?.status !== last.status) steadySince = { status: last.status, at: attemptStarted };
    const steady = steadyErrorMs !== undefined && steadySince !== undefined && Date.now() - steadySince.at >= steadyErrorMs;
    // No attempt with too little time left to be answered: its "no answer" would hide the last real one.
    if (done || steady || Date.now() - started + delay + MIN_ATTEMPT_MS >= deadlineMs) {
      return { url, ok: done, attempts, ...last, ...(steady && { steady }), durationMs: Date.now() - started };
    }
    try {
      await sleep(delay, undefined, { signal });
    } catch {
      throw new CancelledError(`Interrupted while waiting for ${url}`);
    }
    delay = Math.min(delay * 2, maxDelayMs);
  }
}

type Answer = Pick<HealthResult, 'status' | 'error' | 'body'>;

const BODY_BYTES = 2048;
const BODY_CHARS = 300;

/** One request: the HTTP status (with the start of the body of an error answer), or why there was none. */
export function probe(url: string, timeoutMs: number, signal?: AbortSignal, scrub: (text: string) => string = (text) => text): Promise<Answer> {
  // node:http rather than fetch: fetch loads its whole HTTP client on first use, which a run
  // that makes two requests pays for at its very end.
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError(`Interrupted while checking ${url}`));
    let timedOut = false;
    // Set while an error answer's body is read: the timeout then ends the read, not the answer.
    let finishBody: (() => void) | undefined;
    // agent: false — no pooled keep-alive connection; redirects are not followed (an answer, not health).
    let request: ReturnType<typeof get>;
    try {
      request = get(url, { agent: false, signal }, onResponse);
    } catch (error) {
      // A URL node:http cannot request (https:, or not a URL at all) is an answer too.
      return resolve({ error: (error as Error).message });
    }
    function onResponse(response: import('node:http').IncomingMessage) {
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        clearTimeout(timer);
        // The status is the answer: the body is not waited for, nor its socket kept open.
        response.destroy();
        return resolve({ status });
      }
      // An error answer's body usually says why (a database error, a stack trace): keep its start.
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (finishBody = () => {
        clearTimeout(timer);
        response.destroy();
        const body = oneLine(scrub(Buffer.concat(chunks).subarray(0, BODY_BYTES).toString('utf8')));
        resolve({ status, error: `HTTP ${status}`, ...(body && { body }) });
      });
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= BODY_BYTES) finish();
      });
      response.on('end', finish);
      response.on('error', finish);
      response.on('close', finish);
    }
    const timer = setTimeout(() => {
      if (finishBody) return finishBody();
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

/** Control characters and runs of whitespace become one space; long bodies are cut. */
export function oneLine(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  return flat.length > BODY_CHARS ? `${flat.slice(0, BODY_CHARS)}…` : flat;
}
