import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { probe, waitHealthy } from '../../src/health.js';

const servers: Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function serve(handler: (count: number) => { status: number; delayMs?: number }): Promise<string> {
  let count = 0;
  const server = createServer((_req, res) => {
    const { status, delayMs = 0 } = handler(++count);
    setTimeout(() => res.writeHead(status).end('{}'), delayMs);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/health`;
}

const fast = { firstDelayMs: 10, maxDelayMs: 40 };

describe('waitHealthy', () => {
  it('passes on the first 200', async () => {
    const url = await serve(() => ({ status: 200 }));
    expect(await waitHealthy(url, { deadlineMs: 2000, ...fast })).toMatchObject({ ok: true, attempts: 1, status: 200 });
  });

  it('retries a flapping endpoint until it answers 200', async () => {
    const url = await serve((n) => ({ status: n < 4 ? 503 : 200 }));
    expect(await waitHealthy(url, { deadlineMs: 5000, ...fast })).toMatchObject({ ok: true, attempts: 4 });
  });

  it('fails at the deadline with the last status', async () => {
    const url = await serve(() => ({ status: 500 }));
    const result = await waitHealthy(url, { deadlineMs: 300, ...fast });
    expect(result).toMatchObject({ ok: false, status: 500, error: 'HTTP 500' });
    expect(result.attempts).toBeGreaterThan(1);
  });

  it('gives up on a slow endpoint with a timeout error', async () => {
    const url = await serve(() => ({ status: 200, delayMs: 2000 }));
    const result = await waitHealthy(url, { deadlineMs: 300, requestTimeoutMs: 100, ...fast });
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^no answer within \d+ms$/) });
  });

  it('names a refused connection', async () => {
    const url = await serve(() => ({ status: 200 }));
    servers.splice(0).forEach((s) => s.close());
    await new Promise((r) => setTimeout(r, 50));
    expect(await waitHealthy(url, { deadlineMs: 200, ...fast })).toMatchObject({ ok: false, error: 'ECONNREFUSED' });
  });

  it('answers with the status alone: a body that never ends keeps no socket open', async () => {
    let closed!: Promise<void>;
    const server = createServer((req, res) => {
      closed = new Promise((resolve) => req.socket.on('close', () => resolve()));
      res.writeHead(200);
      res.write('{"status": "ok"');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    expect(await probe(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/health`, 1000)).toEqual({ status: 200 });
    await closed;
  });

  it('names a URL it cannot request instead of throwing', async () => {
    expect(await probe('https://127.0.0.1:1/api/health', 1000)).toMatchObject({ error: expect.stringContaining('https:') });
    expect(await probe('not a url', 1000)).toMatchObject({ error: expect.stringMatching(/Invalid URL/) });
  });

  it('stops when aborted', async () => {
    const url = await serve(() => ({ status: 503 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(waitHealthy(url, { deadlineMs: 10_000, signal: controller.signal, ...fast })).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('an error answer body', () => {
  it('is scrubbed before it is cut: a secret across the cut leaves none of its characters', async () => {
    const secret = 'Zq7LEAKYvalue9x';
    const server = createServer((_req, res) => res.writeHead(503).end(`${'a'.repeat(292)} ${secret} more text after it`));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/health`;
    const scrub = (text: string) => text.replaceAll(secret, '••••••');
    const answer = await probe(url, 2000, undefined, scrub);
    expect(answer.body).toContain('••••••');
    expect(answer.body).not.toMatch(/Zq7|LEAKY/);
    // Cut first, the secret's first characters would have been left in clear.
    expect(`${'a'.repeat(292)} ${secret}`.slice(0, 300)).toContain('Zq7');
  });
});
