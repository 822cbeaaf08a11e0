import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamErrorReason } from '../src/errors.js';
import { createGuardedFetch, ResponseTooLargeError } from '../src/http-fetch.js';

// The byte cap as the SDK sees it: through the guarded fetch, against a real HTTP server.
let base: string;
const routes: Record<string, (res: ServerResponse) => void> = {
  '/json': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(`"${'x'.repeat(200)}"`),
  '/events': (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // 20 events of ~60 bytes each: far more than the cap in total, each one under it.
    for (let i = 0; i < 20; i++) res.write(`event: message\ndata: {"n":${i},"pad":"${'y'.repeat(20)}"}\n\n`);
    res.end();
  },
  '/big-event': (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`data: ${'z'.repeat(500)}\n\n`);
  },
  '/slow': (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: first\n\n'); // then nothing: the stream stays open
  },
};
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  req.resume();
  req.on('end', () => routes[req.url ?? '']?.(res));
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

function guarded(maxBytes: number) {
  const fatal: Array<[UpstreamErrorReason, string]> = [];
  const fetchFn = createGuardedFetch({
    allow: () => true,
    maxBytes,
    onFatal: (reason, message) => fatal.push([reason, message]),
  });
  return { fetchFn, fatal };
}

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('the guarded fetch', () => {
  it('fails a JSON body over the cap, reports too_large once, and unhooks the shared signal', async () => {
    const { fetchFn, fatal } = guarded(100);
    const shared = new AbortController();
    const response = await fetchFn(new URL(`${base}/json`), { method: 'POST', signal: shared.signal });
    await expect(response.text()).rejects.toBeInstanceOf(ResponseTooLargeError);
    expect(fatal).toEqual([['too_large', 'sent a message larger than the 100-byte limit']]);
    expect(listeners(shared.signal)).toBe(0);
  });

  it('passes a JSON body within the cap unchanged', async () => {
    const { fetchFn, fatal } = guarded(1000);
    const shared = new AbortController();
    const response = await fetchFn(new URL(`${base}/json`), { method: 'POST', signal: shared.signal });
    expect(await response.json()).toBe('x'.repeat(200));
    expect(fatal).toEqual([]);
    expect(listeners(shared.signal)).toBe(0);
  });

  it('caps each server-sent event, not the whole stream', async () => {
    const { fetchFn, fatal } = guarded(100);
    const text = await (await fetchFn(new URL(`${base}/events`), { method: 'POST' })).text();
    expect(text.match(/^event: message$/gm)).toHaveLength(20);
    expect(fatal).toEqual([]);
    const big = await fetchFn(new URL(`${base}/big-event`), { method: 'POST' });
    await expect(big.text()).rejects.toBeInstanceOf(ResponseTooLargeError);
    expect(fatal.map(([reason]) => reason)).toEqual(['too_large']);
  });

  it('keeps the shared signal bridged while a stream is open, and unhooks it when the reader cancels', async () => {
    const { fetchFn } = guarded(1000);
    const shared = new AbortController();
    const response = await fetchFn(new URL(`${base}/slow`), { method: 'POST', signal: shared.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
    expect(listeners(shared.signal)).toBe(1);
    await reader.cancel();
    expect(listeners(shared.signal)).toBe(0);
  });

  it('aborts an open stream when the shared signal fires', async () => {
    const { fetchFn } = guarded(1000);
    const shared = new AbortController();
    const response = await fetchFn(new URL(`${base}/slow`), { method: 'POST', signal: shared.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const next = reader.read();
    shared.abort(new Error('session closed'));
    await expect(next).rejects.toThrow();
    expect(listeners(shared.signal)).toBe(0);
  });
});
