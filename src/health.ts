// Health endpoints, checked over plain HTTP at the URLs the user will open.
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
    if (done || Date.now() - started + delay >= deadlineMs) {
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
export async function probe(url: string, timeoutMs: number, signal?: AbortSignal): Promise<Pick<HealthResult, 'status' | 'error'>> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, redirect: 'manual' });
    await response.body?.cancel();
    return response.ok ? { status: response.status } : { status: response.status, error: `HTTP ${response.status}` };
  } catch (error) {
    if (signal?.aborted) throw new CancelledError(`Interrupted while checking ${url}`);
    if (timeout.aborted) return { error: `no answer within ${timeoutMs}ms` };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { error: cause?.code ?? cause?.message ?? String(error) };
  }
}
