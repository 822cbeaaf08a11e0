import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from './support.js';

const EVERYTHING = fileURLToPath(
  new URL('../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url),
);
const openapi = JSON.parse(
  readFileSync(new URL('../../../openapi/briefcased.json', import.meta.url), 'utf8'),
) as { paths: Record<string, Record<string, unknown>> };
const SECRET_ENV = 'env-value-that-must-not-be-hashed-or-shown-1234';

let t: TestDaemon;
const servers: Server[] = [];

/** A loopback HTTP server answering every request with `respond`. */
async function httpPeer(respond: (body: string) => { type: string; body: string }): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const answer = respond(body);
      res.writeHead(200, { 'content-type': answer.type }).end(answer.body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

/** A port nothing listens on: bound, then closed. */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/mcp`;
}

/** The receipts written since `seq`, oldest first. */
async function receiptsSince(seq: number) {
  const all = (await t.api('GET', '/v1/receipts?limit=500')).json.receipts as Array<Record<string, unknown>>;
  return all.filter((r) => (r.seq as number) > seq).reverse();
}
const headSeq = async () => ((await t.api('GET', '/v1/status')).json.receipts.headSeq as number | null) ?? 0;

beforeAll(async () => {
  t = await startTestDaemon();
});
afterAll(async () => {
  await t.stop();
  for (const s of servers) s.close();
});

describe('a failed `mcp add` leaves a receipt', () => {
  const cases: Array<[string, () => Promise<Record<string, unknown>>]> = [
    ['a command that exits at once', async () => ({ command: [process.execPath, '-e', 'process.exit(3)'] })],
    ['a URL that refuses connections', async () => ({ url: await refusedUrl() })],
    [
      'an HTML page',
      async () => ({
        url: await httpPeer(() => ({ type: 'text/html', body: '<!doctype html><title>Login</title>' })),
      }),
    ],
    [
      'a server speaking an incompatible protocol version',
      async () => ({
        url: await httpPeer((body) => {
          const id = (JSON.parse(body || '{}') as { id?: unknown }).id ?? 0;
          const result = {
            protocolVersion: '1999-01-01',
            capabilities: {},
            serverInfo: { name: 'old', version: '0' },
          };
          return { type: 'application/json', body: JSON.stringify({ jsonrpc: '2.0', id, result }) };
        }),
      }),
    ],
  ];
  for (const [what, input] of cases) {
    it(what, async () => {
      const before = await headSeq();
      const body = { name: 'broken', env: { TOKEN: SECRET_ENV }, ...(await input()) };
      if ('url' in body) delete (body as { env?: unknown }).env; // env is for commands only
      const reply = await t.api('POST', '/v1/mcp/servers', body);
      expect(reply.status).toBeGreaterThanOrEqual(400);
      const added = await receiptsSince(before);
      expect(added).toHaveLength(1);
      expect(added[0]).toMatchObject({
        kind: 'admin_change',
        action: 'mcp.add',
        by: 'local-admin',
        outcome: 'failed',
        errorCode: reply.json.error.code,
      });
      expect(added[0]?.inputHash).toMatch(/^[0-9a-f]{64}$/);
      expect(reply.json.error.details.receiptSeq).toBe(added[0]?.seq);
      expect(JSON.stringify(added)).not.toContain(SECRET_ENV);
      expect((await t.api('GET', '/v1/mcp/servers/broken')).status).toBe(404);
    });
  }

  it('an invalid request (bad name) is receipted as invalid', async () => {
    const before = await headSeq();
    const reply = await t.api('POST', '/v1/mcp/servers', { name: 'bad name', url: 'http://127.0.0.1:1/mcp' });
    expect(reply.json.error.code).toBe('invalid_args');
    const added = await receiptsSince(before);
    expect(added).toMatchObject([{ kind: 'admin_change', action: 'mcp.add', outcome: 'invalid' }]);
  });
});

describe('every admin route leaves a receipt when refused', () => {
  const routes = Object.entries(openapi.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
  );
  // The routes the agent token may use (listing and calling tools, the relay and its channel).
  const agentRoutes = new Set([
    'GET /v1/tools',
    'POST /v1/tools/call',
    'GET /v1/mcp/channel',
    'POST /v1/mcp/channel/{channel}/answers/{id}',
    'POST /v1/mcp/relay',
  ]);
  const adminRoutes = routes.filter(
    (r) => r.path !== '/health' && r.path !== '/v1/status' && !agentRoutes.has(`${r.method} ${r.path}`),
  );

  it('covers every route of the API document', () => {
    expect(adminRoutes.length).toBeGreaterThan(20);
  });

  for (const token of ['agent', 'none'] as const) {
    it(`with ${token === 'agent' ? 'the agent token' : 'no token'}`, async () => {
      for (const { method, path } of adminRoutes) {
        const url = path.replace(/\{[^}]+\}/g, 'x');
        const before = await headSeq();
        const reply = await t.api(
          method,
          url,
          method === 'GET' || method === 'DELETE' ? undefined : {},
          token === 'agent' ? t.agent : '',
        );
        expect(reply.status, `${method} ${path}`).toBe(token === 'agent' ? 403 : 401);
        const added = await receiptsSince(before);
        expect(added, `${method} ${path}`).toHaveLength(1);
        expect(added[0]).toMatchObject({
          kind: 'admin_change',
          by: token === 'agent' ? 'agent' : 'unknown',
          outcome: 'denied',
          errorCode: 'unauthorized',
        });
        expect(reply.json.error.details.receiptSeq).toBe(added[0]?.seq);
      }
    });
  }

  it('the agent routes with no token are refused without filling the log', async () => {
    const before = await headSeq();
    expect((await t.api('GET', '/v1/tools', undefined, '')).status).toBe(401);
    expect(await receiptsSince(before)).toHaveLength(0);
  });
});

describe('admin changes that succeed leave their receipt', () => {
  it('add, refresh, review and remove a server; set a budget; every action named in the catalog', async () => {
    const before = await headSeq();
    const add = await t.api('POST', '/v1/mcp/servers', {
      name: 'everything',
      command: [process.execPath, EVERYTHING, 'stdio'],
    });
    expect(add.status, add.text).toBe(201);
    expect((await t.api('POST', '/v1/mcp/servers/everything/refresh', {})).status).toBe(200);
    expect((await t.api('POST', '/v1/mcp/servers/everything/review', {})).status).toBe(200);
    expect((await t.api('DELETE', '/v1/mcp/servers/everything')).status).toBe(204);
    expect((await t.api('PUT', '/v1/budgets/test', { dailyCapMicroUsd: 5 })).status).toBe(200);
    // server-everything asks its client for roots as it starts: that relay is receipted too.
    const kinds = (await receiptsSince(before))
      .filter((r) => r.kind !== 'mcp_relay')
      .map((r) => (r.kind === 'admin_change' ? r.action : r.kind));
    expect(kinds).toEqual([
      'mcp_server_added',
      'mcp.refresh',
      'mcp_review_accepted',
      'mcp_server_removed',
      'budget_update',
    ]);
  });
});
