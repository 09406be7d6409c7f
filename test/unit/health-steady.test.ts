import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probe, waitHealthy } from '../../src/health.js';

const servers: Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function serve(handler: (count: number) => { status: number; body?: string }): Promise<string> {
  let count = 0;
  const server = createServer((_req, res) => {
    const { status, body = '' } = handler(++count);
    res.writeHead(status).end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/health`;
}

const fast = { firstDelayMs: 10, maxDelayMs: 40 };

describe('waitHealthy with steadyErrorMs', () => {
  it('gives up on the same error status once it has lasted that long, long before the deadline', async () => {
    const url = await serve(() => ({ status: 503, body: '{"detail":"db down"}' }));
    const result = await waitHealthy(url, { deadlineMs: 60_000, steadyErrorMs: 300, ...fast });
    expect(result).toMatchObject({ ok: false, steady: true, status: 503, error: 'HTTP 503', body: '{"detail":"db down"}' });
    expect(result.durationMs).toBeLessThan(60_000);
  });

  it('a change of status starts the count again; a 200 passes', async () => {
    const url = await serve((n) => ({ status: n < 5 ? 503 : n < 10 ? 502 : 200 }));
    expect(await waitHealthy(url, { deadlineMs: 60_000, steadyErrorMs: 10_000, ...fast })).toMatchObject({ ok: true, status: 200 });
  });

  it('a connection error is retried to the deadline', async () => {
    const url = await serve(() => ({ status: 200 }));
    servers.splice(0).forEach((s) => s.close());
    const result = await waitHealthy(url, { deadlineMs: 600, steadyErrorMs: 50, ...fast });
    expect(result.ok).toBe(false);
    expect(result.steady).toBeUndefined();
  });
});

describe('probe: the body of an error answer', () => {
  it.each([
    ['on one line', 'Traceback:\n  File "main.py"\n\tKeyError', 'Traceback: File "main.py" KeyError'],
    ['cut at 300 characters', 'x'.repeat(5000), `${'x'.repeat(300)}…`],
    ['none when empty', '', undefined],
  ])('%s', async (_, body, shown) => {
    const url = await serve(() => ({ status: 500, body }));
    expect((await probe(url, 2000)).body).toBe(shown);
  });

  it('not read for a 200', async () => {
    const url = await serve(() => ({ status: 200, body: 'fine' }));
    expect(await probe(url, 2000)).toEqual({ status: 200 });
  });
});
