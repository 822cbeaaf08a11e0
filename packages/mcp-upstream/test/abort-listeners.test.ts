import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGuardedFetch } from '../src/http-fetch.js';

// The SDK's HTTP transports hand one connection-wide AbortSignal to every fetch, and Node's fetch
// (undici) keeps a listener on it per request until garbage collection. Over a long-lived session
// that grows without bound; the guarded fetch must leave nothing behind on the shared signal.
let url: URL;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('leaves no abort listener on the shared signal after many requests with real fetch', async () => {
  const guarded = createGuardedFetch({ allow: () => true, maxBytes: 1024, onFatal: () => {} });
  const shared = new AbortController();
  for (let i = 0; i < 300; i++) {
    const response = await guarded(url, { method: 'POST', body: '{}', signal: shared.signal });
    expect(await response.json()).toEqual({ ok: true });
  }
  expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);

  // The bridge still works: aborting the shared signal aborts a request in flight.
  const slow = createServer(() => {});
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  const pending = guarded(new URL(`http://127.0.0.1:${(slow.address() as AddressInfo).port}/`), {
    signal: shared.signal,
  });
  shared.abort(new Error('session closed'));
  await expect(pending).rejects.toThrow();
  slow.closeAllConnections();
  slow.close();
});
