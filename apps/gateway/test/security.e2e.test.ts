/**
 * What stands in front of the MCP transport: bearer token, Host and Origin checks, body cap,
 * session rules (ids, DELETE, cap, idle expiry). Raw HTTP, since a well-behaved client never sends
 * most of these requests.
 */
import { request } from 'node:http';
import { type HttpGateway, startHttpGateway } from '@briefcase/gateway';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, startTestDaemon, type TestDaemon } from './support.js';

const TOKEN = 'security-test-token-0123456789abcdef';
let bc: TestDaemon;
let gateway: HttpGateway;
const extra: HttpGateway[] = [];

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface RawOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Resolve once headers arrive (for SSE streams that stay open); the body is then empty. */
  headersOnly?: boolean;
}

function raw(url: string, options: RawOptions = {}): Promise<Reply & { destroy(): void }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: options.path ?? target.pathname,
        method: options.method ?? 'POST',
        headers: options.headers ?? {},
        agent: false,
      },
      (res) => {
        const done = (body: string) =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, destroy: () => res.destroy() });
        if (options.headersOnly) {
          done('');
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const mcpHeaders = (extraHeaders: Record<string, string> = {}) => ({
  authorization: `Bearer ${TOKEN}`,
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
  ...extraHeaders,
});

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
});
const PING = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' });

/** Opens a session by hand; returns its id. */
async function initialize(url: string): Promise<string> {
  const reply = await raw(url, { headers: mcpHeaders(), body: INITIALIZE });
  expect(reply.status).toBe(200);
  const id = reply.headers['mcp-session-id'];
  expect(typeof id).toBe('string');
  return id as string;
}

const ping = (url: string, sessionId: string) =>
  raw(url, { headers: mcpHeaders({ 'mcp-session-id': sessionId }), body: PING });

beforeAll(async () => {
  bc = await startTestDaemon();
  gateway = await startHttpGateway({
    client: bc.agent,
    version: 'test',
    token: TOKEN,
    allowedOrigins: ['https://inspector.example'],
    log: () => {},
  });
});

afterEach(async () => {
  for (const g of extra.splice(0)) await g.close();
});

afterAll(async () => {
  await gateway.close();
  await bc.stop();
});

describe('bearer token', () => {
  it.each<[string, () => Record<string, string>]>([
    ['no Authorization header', () => ({})],
    ['a wrong token', () => ({ authorization: 'Bearer not-the-token-at-all-0123456789' })],
    ['the token with a suffix', () => ({ authorization: `Bearer ${TOKEN}x` })],
    ['another scheme', () => ({ authorization: `Basic ${TOKEN}` })],
    ['the daemon agent token', () => ({ authorization: `Bearer ${bc.agentToken}` })],
  ])('refuses %s with 401 and WWW-Authenticate: Bearer', async (_label, auth) => {
    const reply = await raw(gateway.url, {
      headers: {
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        ...auth(),
      },
      body: INITIALIZE,
    });
    expect(reply.status).toBe(401);
    expect(String(reply.headers['www-authenticate'])).toMatch(/^Bearer\b/);
    expect(reply.headers['mcp-session-id']).toBeUndefined();
  });

  it('requires the token on every method and path, and accepts the scheme in any case', async () => {
    for (const method of ['GET', 'DELETE', 'PUT']) {
      expect((await raw(gateway.url, { method })).status).toBe(401);
    }
    expect((await raw(gateway.url, { method: 'GET', path: '/elsewhere' })).status).toBe(401);
    const reply = await raw(gateway.url, {
      headers: mcpHeaders({ authorization: `bearer ${TOKEN}` }),
      body: INITIALIZE,
    });
    expect(reply.status).toBe(200);
  });
});

describe('Host and Origin', () => {
  it('refuses a foreign Host (DNS rebinding) and a Host with another port', async () => {
    const port = new URL(gateway.url).port;
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      '127.0.0.1:1',
      `localhost.evil.example:${port}`,
    ]) {
      const reply = await raw(gateway.url, { headers: mcpHeaders({ host }), body: INITIALIZE });
      expect(reply.status, host).toBe(403);
    }
    const ok = await raw(gateway.url, {
      headers: mcpHeaders({ host: `localhost:${port}` }),
      body: INITIALIZE,
    });
    expect(ok.status).toBe(200);
  });

  it('refuses a foreign Origin even with the right token', async () => {
    for (const origin of ['http://evil.example', 'null', 'https://inspector.example.evil.example']) {
      const reply = await raw(gateway.url, { headers: mcpHeaders({ origin }), body: INITIALIZE });
      expect(reply.status, origin).toBe(403);
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('accepts loopback origins and allowedOrigins, with CORS headers for them', async () => {
    for (const origin of ['http://localhost:6274', 'http://127.0.0.1:5173', 'https://inspector.example']) {
      const reply = await raw(gateway.url, { headers: mcpHeaders({ origin }), body: INITIALIZE });
      expect(reply.status, origin).toBe(200);
      expect(reply.headers['access-control-allow-origin']).toBe(origin);
      expect(String(reply.headers['access-control-expose-headers'])).toContain('Mcp-Session-Id');
    }
    const preflight = await raw(gateway.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://inspector.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('Authorization');
    const foreign = await raw(gateway.url, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
  });

  it('refuses to bind a non-loopback interface unless allowRemote is set', async () => {
    await expect(
      startHttpGateway({ client: bc.agent, version: 'test', token: TOKEN, host: '0.0.0.0' }),
    ).rejects.toThrow(/allowRemote/);
  });
});

describe('requests and sessions', () => {
  it('answers a non-initialize POST without a session id with 400, an unknown session with 404', async () => {
    const noSession = await raw(gateway.url, { headers: mcpHeaders(), body: PING });
    expect(noSession.status).toBe(400);
    expect(JSON.parse(noSession.body)).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
    const getNoSession = await raw(gateway.url, { method: 'GET', headers: mcpHeaders() });
    expect(getNoSession.status).toBe(400);
    const unknown = await ping(gateway.url, '00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
  });

  it('leaves MCP-Protocol-Version to the SDK: an unsupported version is a 400', async () => {
    const id = await initialize(gateway.url);
    const reply = await raw(gateway.url, {
      headers: mcpHeaders({ 'mcp-session-id': id, 'mcp-protocol-version': '1999-01-01' }),
      body: PING,
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatch(/Unsupported protocol version/);
    expect((await ping(gateway.url, id)).status).toBe(200);
  });

  it('rejects malformed JSON, wrong paths and methods', async () => {
    expect((await raw(gateway.url, { headers: mcpHeaders(), body: '{"jsonrpc":' })).status).toBe(400);
    expect((await raw(gateway.url, { path: '/other', headers: mcpHeaders(), body: INITIALIZE })).status).toBe(
      404,
    );
    expect((await raw(gateway.url, { method: 'PUT', headers: mcpHeaders(), body: INITIALIZE })).status).toBe(
      405,
    );
  });

  it('refuses a body over the cap with 413', async () => {
    const small = await startHttpGateway({
      client: bc.agent,
      version: 'test',
      token: TOKEN,
      maxBodyBytes: 1024,
      log: () => {},
    });
    extra.push(small);
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(2000) } });
    expect((await raw(small.url, { headers: mcpHeaders(), body: big })).status).toBe(413);
    expect((await raw(small.url, { headers: mcpHeaders(), body: INITIALIZE })).status).toBe(200);
  });

  it('ends a session on DELETE', async () => {
    const agent = await connectHttp(gateway.url, TOKEN);
    const id = agent.transport.sessionId as string;
    const before = gateway.sessionCount;
    expect((await ping(gateway.url, id)).status).toBe(200);
    await agent.transport.terminateSession();
    expect(gateway.sessionCount).toBe(before - 1);
    expect((await ping(gateway.url, id)).status).toBe(404);
    await agent.close();
  });

  it('caps sessions: evicts the least recently used idle one, refuses when all are busy', async () => {
    const capped = await startHttpGateway({
      client: bc.agent,
      version: 'test',
      token: TOKEN,
      maxSessions: 2,
      log: () => {},
    });
    extra.push(capped);
    const a = await initialize(capped.url);
    const b = await initialize(capped.url);
    expect((await ping(capped.url, b)).status).toBe(200); // b is now more recent than a
    const c = await initialize(capped.url);
    expect(capped.sessionCount).toBe(2);
    expect((await ping(capped.url, a)).status).toBe(404);
    // Open standalone SSE streams keep both remaining sessions busy: no room, 503.
    const streams = await Promise.all(
      [b, c].map((id) =>
        raw(capped.url, {
          method: 'GET',
          headers: mcpHeaders({ 'mcp-session-id': id, accept: 'text/event-stream' }),
          headersOnly: true,
        }),
      ),
    );
    expect(streams.map((s) => s.status)).toEqual([200, 200]);
    const refused = await raw(capped.url, { headers: mcpHeaders(), body: INITIALIZE });
    expect(refused.status).toBe(503);
    for (const s of streams) s.destroy();
  });

  it('expires idle sessions', async () => {
    const shortLived = await startHttpGateway({
      client: bc.agent,
      version: 'test',
      token: TOKEN,
      sessionIdleMs: 100,
      log: () => {},
    });
    extra.push(shortLived);
    const id = await initialize(shortLived.url);
    expect(shortLived.sessionCount).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(shortLived.sessionCount).toBe(0);
    expect((await ping(shortLived.url, id)).status).toBe(404);
  });
});
