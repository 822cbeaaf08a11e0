/**
 * The daemon keeps the wire contract of @briefcase/api: every route it registers has a contract with
 * response schemas, and what it actually sends validates against the schema for that route and
 * status. Fastify's serializer does not validate (it drops and coerces), so the bodies are checked
 * here with Ajv, independently of it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import {
  type Approval,
  ApprovalSnapshotEvent,
  ChannelEvent,
  findRoute,
  KEY_ALGORITHMS,
  KEY_PURPOSES,
  Receipt,
  ROUTES,
  type RouteContract,
  SHARED_SCHEMAS,
  type Static,
  type TSchema,
} from '@briefcase/api';
import type { Approval as CoreApproval, ChannelEvent as CoreChannelEvent } from '@briefcase/core';
import { KEY_ALGORITHMS as KEYS_ALGORITHMS, KEY_PURPOSES as KEYS_PURPOSES } from '@briefcase/keys';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, startTestDaemon, type TestDaemon } from './support.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const EVERYTHING = new URL(
  '../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
  import.meta.url,
).pathname;

// The same Ajv semantics the daemon validates requests with, but nothing removed or coerced.
const ajv = addFormats(new Ajv({ allErrors: true, strict: true }));
for (const schema of SHARED_SCHEMAS) ajv.addSchema(schema);
const compiled = new WeakMap<TSchema, ValidateFunction>();
const validatorOf = (schema: TSchema): ValidateFunction => {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
};

/** Every `METHOD url status` whose body was checked here. */
const exercised = new Set<string>();

/** Checks `body` against the contract of `route` for `status`, and records that it was exercised. */
function expectContract(route: RouteContract, status: number, body: unknown): void {
  const schema = route.schema.response[status];
  expect(schema, `${route.method} ${route.url} has no response schema for ${status}`).toBeDefined();
  if (schema === undefined) return;
  const validate = validatorOf(schema);
  expect(validate(body), `${route.method} ${route.url} ${status}: ${ajv.errorsText(validate.errors)}`).toBe(
    true,
  );
  exercised.add(`${route.method} ${route.url} ${status}`);
}

/** Checks `value` against a schema of the contract that is no route's response (an event's data). */
function expectSchema(schema: TSchema, value: unknown, what: string): void {
  const validate = validatorOf(schema);
  expect(validate(value), `${what}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

let t: TestDaemon;

/** Sends a request to `route` (Fastify URL, `:param`s filled from `path`) and checks the answer. */
async function exchange(
  route: RouteContract,
  path: string,
  body?: unknown,
  token: string = t.admin,
): Promise<Reply> {
  const reply = await t.api(route.method, path, body, token);
  expectContract(route, reply.status, reply.status === 204 ? null : reply.json);
  return reply;
}

const contract = (method: string, url: string): RouteContract => {
  const route = findRoute(method, url);
  if (route === undefined) throw new Error(`no contract for ${method} ${url}`);
  return route;
};

/** Reads the first server-sent event of a stream at `path`, then hangs up. */
function firstEvent(path: string, token: string): Promise<{ status: number; event: string; data: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        socketPath: t.daemon.socketPath,
        path,
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          const end = text.indexOf('\n\n');
          if (end === -1) return;
          const lines = text.slice(0, end).split('\n');
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
          const data = JSON.parse(lines.find((l) => l.startsWith('data: '))?.slice(6) ?? 'null');
          res.destroy();
          resolve({ status: res.statusCode ?? 0, event, data });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  t = await startTestDaemon();
});

afterAll(async () => {
  await t.stop();
});

describe('the routes the daemon registers', () => {
  it('are exactly the routes of the contract, in its order, each with a schema for every answer', async () => {
    await t.daemon.app.ready();
    const paths = (t.daemon.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
    const registered = Object.entries(paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(registered.sort()).toEqual(ROUTES.map((route) => `${route.method} ${route.url}`).sort());
    // The document lists a path where its first route was registered: the contract's order.
    const contractPaths = [...new Set(ROUTES.map((route) => route.url.replace(/:(\w+)/g, '{$1}')))];
    expect(Object.keys(paths)).toEqual(contractPaths);
    for (const route of ROUTES) {
      expect(t.daemon.app.hasRoute({ method: route.method, url: route.url })).toBe(true);
      const name = `${route.method} ${route.url}`;
      const statuses = Object.keys(route.schema.response).map(Number);
      expect(
        statuses.some((s) => s >= 200 && s < 300),
        name,
      ).toBe(true);
      // Every authenticated route can at least refuse a missing token.
      if (route.schema.security === undefined) expect(statuses, name).toContain(401);
    }
  });

  it('use the purposes and algorithms of the key store (it keeps its own copies)', () => {
    expect([...KEY_PURPOSES]).toEqual([...KEYS_PURPOSES]);
    expect([...KEY_ALGORITHMS]).toEqual([...KEYS_ALGORITHMS]);
  });
});

describe('what the daemon sends matches the contract', () => {
  it('system, tools and approvals', async () => {
    await exchange(contract('GET', '/health'), '/health');
    await exchange(contract('GET', '/v1/status'), '/v1/status');
    await exchange(contract('GET', '/v1/status'), '/v1/status', undefined, t.agent); // 403
    await exchange(contract('GET', '/v1/status'), '/v1/status', undefined, 'wrong'); // 401
    await exchange(contract('GET', '/v1/tools'), '/v1/tools', undefined, t.agent);

    const call = contract('POST', '/v1/tools/call');
    await exchange(call, '/v1/tools/call', { tool: 'echo', args: { text: 'hi' } }, t.agent);
    await exchange(call, '/v1/tools/call', { tool: 'echo', args: { text: 'hi' }, extra: 1 }, t.agent); // 400
    await exchange(call, '/v1/tools/call', { tool: 'no_such_tool', args: {} }, t.agent); // 404
    const pending = await exchange(
      call,
      '/v1/tools/call',
      { tool: 'note_add', args: { text: 'a' } },
      t.agent,
    );
    expect(pending.status).toBe(409);
    const approvalId: string = pending.json.error.approval_id;
    const second = await exchange(call, '/v1/tools/call', { tool: 'note_add', args: { text: 'b' } }, t.agent);
    const deniedId: string = second.json.error.approval_id;

    const stream = await firstEvent('/v1/approvals/stream', t.admin);
    expect(stream).toMatchObject({ status: 200, event: 'snapshot' });
    expectSchema(ApprovalSnapshotEvent, stream.data, 'the approval stream snapshot');
    exercised.add('GET /v1/approvals/stream 200');

    await exchange(contract('GET', '/v1/approvals'), '/v1/approvals?state=all');
    await exchange(contract('GET', '/v1/approvals'), '/v1/approvals?limit=x'); // 400
    await exchange(contract('GET', '/v1/approvals/:id'), `/v1/approvals/${approvalId}`);
    await exchange(contract('GET', '/v1/approvals/:id'), '/v1/approvals/nope'); // 404
    await exchange(contract('POST', '/v1/approvals/:id/approve'), `/v1/approvals/${approvalId}/approve`, {});
    await exchange(contract('POST', '/v1/approvals/:id/approve'), `/v1/approvals/${approvalId}/approve`, {}); // 400
    await exchange(contract('POST', '/v1/approvals/:id/deny'), `/v1/approvals/${deniedId}/deny`, {
      reason: 'no',
    });
    await exchange(call, '/v1/tools/call', { tool: 'note_add', args: { text: 'a' } }, t.agent);
  });

  it('receipts, keys, budgets and policy', async () => {
    await exchange(contract('GET', '/v1/receipts'), '/v1/receipts?limit=1000');
    const verified = await exchange(contract('POST', '/v1/receipts/verify'), '/v1/receipts/verify', {});
    await exchange(contract('POST', '/v1/receipts/verify'), '/v1/receipts/verify', {
      expectedHead: verified.json.head,
    });
    await exchange(contract('GET', '/v1/receipts/head'), '/v1/receipts/head');
    const exported = await t.api('GET', '/v1/receipts/export');
    expect(exported.status).toBe(200);
    const lines = exported.text.split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expectSchema(Receipt, JSON.parse(line), 'an exported receipt');
    exercised.add('GET /v1/receipts/export 200');

    await exchange(contract('GET', '/v1/keys'), '/v1/keys');
    await exchange(contract('POST', '/v1/keys/:purpose/rotate'), '/v1/keys/receipts/rotate', {
      algorithm: 'ES256',
    });
    await exchange(contract('POST', '/v1/keys/:purpose/rotate'), '/v1/keys/nope/rotate', {}); // 400

    await exchange(contract('PUT', '/v1/budgets/:category'), '/v1/budgets/notes', { dailyCapMicroUsd: 5 });
    await exchange(contract('PUT', '/v1/budgets/:category'), '/v1/budgets/notes', { dailyCapMicroUsd: -1 }); // 400
    await exchange(contract('GET', '/v1/budgets'), '/v1/budgets');

    const policy = await exchange(contract('GET', '/v1/policy'), '/v1/policy');
    await exchange(contract('POST', '/v1/policy/validate'), '/v1/policy/validate', {
      text: policy.json.text,
    });
    await exchange(contract('POST', '/v1/policy/validate'), '/v1/policy/validate', { text: 'permit(' });
    await exchange(contract('PUT', '/v1/policy'), '/v1/policy', { text: policy.json.text });
    await exchange(contract('PUT', '/v1/policy'), '/v1/policy', { text: 'permit(' }); // 400
  });

  it('remote MCP servers, logins, the relay and the channel', async () => {
    const servers = contract('GET', '/v1/mcp/servers');
    const add = contract('POST', '/v1/mcp/servers');
    const one = contract('GET', '/v1/mcp/servers/:name');
    await exchange(add, '/v1/mcp/servers', {
      name: 'everything',
      command: [process.execPath, EVERYTHING, 'stdio'],
    });
    await exchange(add, '/v1/mcp/servers', { name: 'bad name!' }); // 400
    await exchange(servers, '/v1/mcp/servers');
    await exchange(one, '/v1/mcp/servers/everything');
    await exchange(one, '/v1/mcp/servers/missing'); // 404
    await exchange(
      contract('POST', '/v1/mcp/servers/:name/refresh'),
      '/v1/mcp/servers/everything/refresh',
      {},
    );
    await exchange(contract('POST', '/v1/mcp/servers/:name/review'), '/v1/mcp/servers/everything/review', {});
    await exchange(contract('POST', '/v1/mcp/servers/:name/logout'), '/v1/mcp/servers/everything/logout', {
      localOnly: true,
    });
    await exchange(contract('POST', '/v1/mcp/servers/:name/login'), '/v1/mcp/servers/missing/login', {}); // 404
    await exchange(contract('GET', '/v1/mcp/logins/:id'), '/v1/mcp/logins/missing'); // 404
    await exchange(contract('DELETE', '/v1/mcp/logins/:id'), '/v1/mcp/logins/missing'); // 404

    const relay = contract('POST', '/v1/mcp/relay');
    await exchange(relay, '/v1/mcp/relay', { method: 'resources/list' }, t.agent);
    await exchange(relay, '/v1/mcp/relay', { method: 'tools/list' }, t.agent); // 400
    const opened = await firstEvent('/v1/mcp/channel?capabilities=sampling', t.agent);
    expect(opened).toMatchObject({ status: 200, event: 'channel' });
    expectSchema(ChannelEvent, { ...(opened.data as object), type: opened.event }, 'the channel event');
    exercised.add('GET /v1/mcp/channel 200');
    await exchange(
      contract('POST', '/v1/mcp/channel/:channel/answers/:id'),
      '/v1/mcp/channel/gone/answers/r1',
      { result: {} },
      t.agent,
    ); // 404

    await exchange(contract('DELETE', '/v1/mcp/servers/:name'), '/v1/mcp/servers/everything');
    await exchange(contract('DELETE', '/v1/mcp/servers/:name'), '/v1/mcp/servers/everything'); // 404
  });

  it('every route was exercised with a success answer, but those that need a peer this test does not run', () => {
    // Logins need an OAuth authorization server, answers a remote server asking the agent something;
    // their success answers are covered end to end by the mcp-auth-state and gateway relay tests.
    const needsPeer = new Set([
      'POST /v1/mcp/servers/:name/login',
      'GET /v1/mcp/logins/:id',
      'DELETE /v1/mcp/logins/:id',
      'POST /v1/mcp/channel/:channel/answers/:id',
    ]);
    const missing = ROUTES.filter((route) => !needsPeer.has(`${route.method} ${route.url}`))
      .filter((route) => ![...exercised].some((seen) => seen.startsWith(`${route.method} ${route.url} 2`)))
      .map((route) => `${route.method} ${route.url}`);
    expect(missing).toEqual([]);
  });
});

describe('the client compiles against the contract', () => {
  it('without casting an answer into shape', () => {
    const srcDir = new URL('../../../packages/client/src/', import.meta.url);
    const files = readdirSync(srcDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      expect(readFileSync(new URL(file, srcDir), 'utf8'), file).not.toMatch(/as unknown as/);
    }
  });

  it('and what the daemon builds fits the contract (checked by tsc)', () => {
    // Compile-time: the daemon's own types must be assignable to the contract's.
    const fits = <Contract>(value: Contract) => value;
    const approval: CoreApproval = {
      id: 'a',
      tool: 't',
      argsHash: 'h',
      summary: 's',
      costMicroUsd: 0,
      reasons: [],
      state: 'pending',
      createdAt: '2025-01-01T00:00:00Z',
      expiresAt: '2025-01-01T00:00:00Z',
      decidedAt: null,
      decidedBy: null,
      denyReason: null,
    };
    const event: CoreChannelEvent = { type: 'end', ref: 'r' };
    expect(fits<Static<typeof Approval>>(approval)).toBe(approval);
    expect(fits<Static<typeof ChannelEvent>>(event)).toBe(event);
  });
});
