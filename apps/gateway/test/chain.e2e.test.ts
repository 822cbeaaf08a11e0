import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningDaemon, startDaemon } from '@briefcase/briefcased';
import { createClient } from '@briefcase/client';
import { startHttpGateway } from '@briefcase/gateway';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The whole path the product is judged on, with real peers only:
// SDK client → gateway (HTTP and stdio) → briefcased → the official example server and misbehaving ones.
const root = new URL('../../../', import.meta.url).pathname;
const EVERYTHING = join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const FIXTURES = join(root, 'packages/mcp-upstream/test/fixtures');
const GATEWAY_MAIN = join(root, 'apps/gateway/dist/main.js');

let dataDir: string;
let daemon: RunningDaemon;
let admin: string;
let upstream: ChildProcess;
let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
let client: Client;
const gatewayToken = randomUUID();

// biome-ignore lint/suspicious/noExplicitAny: assertions read parsed JSON of any shape
type Json = any;

function adminApi(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: daemon.socketPath,
        path,
        method,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function addServer(body: Record<string, unknown>) {
  const reply = await adminApi('POST', '/v1/mcp/servers', body);
  expect(reply.status, JSON.stringify(reply.json)).toBe(201);
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'briefcase-chain-'));
  daemon = await startDaemon({
    dataDir,
    secretBackend: 'memory',
    env: {},
    logLevel: 'silent',
    settings: { toolTimeoutMs: 2000 },
  });
  admin = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();

  const port = await freePort();
  upstream = spawn(
    process.execPath,
    ['--import', join(FIXTURES, 'loopback-only.mjs'), EVERYTHING, 'streamableHttp'],
    {
      env: { PATH: process.env.PATH, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  await new Promise<void>((resolve) => {
    upstream.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
  });

  const node = process.execPath;
  await addServer({ name: 'ev', command: [node, EVERYTHING, 'stdio'], trustAnnotations: true });
  await addServer({ name: 'evhttp', url: `http://127.0.0.1:${port}/mcp`, trustAnnotations: true });
  await addServer({ name: 'careful', command: [node, EVERYTHING, 'stdio'] });
  await addServer({
    name: 'paid',
    command: [node, EVERYTHING, 'stdio'],
    trustAnnotations: true,
    costMicroUsd: 2000,
  });
  await adminApi('PUT', '/v1/budgets/mcp', { dailyCapMicroUsd: 2000 });
  await addServer({
    name: 'hang',
    command: [node, join(FIXTURES, 'hanging-server.mjs')],
    trustAnnotations: true,
  });
  await addServer({
    name: 'crash',
    command: [node, join(FIXTURES, 'crashing-server.mjs')],
    trustAnnotations: true,
  });
  await addServer({
    name: 'huge',
    command: [node, join(FIXTURES, 'huge-result-server.mjs'), 'stdio'],
    trustAnnotations: true,
  });
  await addServer({
    name: 'garbled',
    command: [node, join(FIXTURES, 'garbage-server.mjs'), 'listed-garbage'],
    trustAnnotations: true,
  });

  gateway = await startHttpGateway({
    client: createClient({ dataDir, role: 'agent' }),
    token: gatewayToken,
    version: 'test',
    approvalWaitMs: 1000,
  });
  client = new Client({ name: 'chain-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(gateway.url), {
      requestInit: { headers: { authorization: `Bearer ${gatewayToken}` } },
    }),
  );
}, 60_000);

afterAll(async () => {
  await client?.close();
  await gateway?.close();
  await daemon?.close();
  upstream?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

const text = (result: { content?: unknown }) => JSON.stringify(result.content);
const call = (name: string, args: Record<string, unknown> = {}, meta?: Record<string, unknown>) =>
  client.callTool({ name, arguments: args, ...(meta ? { _meta: meta } : {}) }) as Promise<{
    content: unknown;
    isError?: boolean;
    structuredContent?: Json;
    _meta?: Json;
  }>;

describe('agent → gateway → briefcased → remote MCP servers', () => {
  it('lists remote tools next to the built-ins, namespaced by server', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    for (const name of [
      'echo',
      'ev__echo',
      'evhttp__get-sum',
      'careful__echo',
      'hang__hang',
      'garbled__garble',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('calls a stdio and a Streamable HTTP server with provenance', async () => {
    const echoed = await call('ev__echo', { message: 'hi' });
    expect(echoed.isError).toBeFalsy();
    expect(text(echoed)).toContain('Echo: hi');
    expect(echoed._meta['briefcase/provenance'].source).toEqual({
      kind: 'mcp',
      server: 'ev',
      upstreamName: 'echo',
    });
    const sum = await call('evhttp__get-sum', { a: 40, b: 2 });
    expect(text(sum)).toContain('42');
  });

  it('waits for approval, then lets the same call through on retry', async () => {
    const first = await call('careful__echo', { message: 'please' });
    expect(first.isError).toBe(true);
    expect(first.structuredContent).toMatchObject({ code: 'approval_required' });
    const id = first.structuredContent.approvalId;
    expect((await adminApi('POST', `/v1/approvals/${id}/approve`, {})).status).toBe(200);
    const retry = await call('careful__echo', { message: 'please' });
    expect(retry.isError).toBeFalsy();
    expect(text(retry)).toContain('Echo: please');
  });

  it('applies budgets to remote calls', async () => {
    expect((await call('paid__get-sum', { a: 1, b: 1 })).isError).toBeFalsy();
    const over = await call('paid__get-sum', { a: 1, b: 2 });
    expect(over.structuredContent).toMatchObject({ code: 'approval_required' });
  });

  it('turns misbehaving upstreams into upstream_error receipts and keeps serving', async () => {
    for (const name of ['hang__hang', 'crash__crash', 'huge__huge', 'garbled__garble']) {
      // These fixtures declare no read-only hint, so each call is a write: a person approves it first.
      const pending = await call(name);
      expect(pending.structuredContent, name).toMatchObject({ code: 'approval_required' });
      await adminApi('POST', `/v1/approvals/${pending.structuredContent.approvalId}/approve`, {});
      const result = await call(name);
      expect(result.isError, name).toBe(true);
      expect(result.structuredContent?.code ?? result._meta?.['briefcase/error']?.code, name).toBe(
        'upstream_error',
      );
      expect(text(await call('ev__echo', { message: `after ${name}` }))).toContain(`after ${name}`);
    }
    const receipts = (await adminApi('GET', '/v1/receipts?limit=200&kind=tool_call')).json.receipts as Array<{
      tool: string;
      outcome: string;
      errorCode: string | null;
    }>;
    for (const name of ['hang__hang', 'crash__crash', 'huge__huge', 'garbled__garble']) {
      expect(receipts.find((r) => r.tool === name)).toMatchObject({
        outcome: 'failed',
        errorCode: 'upstream_error',
      });
    }
  }, 60_000);

  it('denies a whole server by policy', async () => {
    const policy = (await adminApi('GET', '/v1/policy')).json.text as string;
    const forbid = `${policy}\n@id("no-evhttp")\nforbid (principal, action, resource) when { resource has server && resource.server == "evhttp" };\n`;
    expect((await adminApi('PUT', '/v1/policy', { text: forbid })).status).toBe(200);
    const denied = await call('evhttp__get-sum', { a: 1, b: 1 });
    expect(denied.isError).toBe(true);
    expect(denied.structuredContent).toMatchObject({ code: 'denied' });
  });

  it('keeps an intact receipt chain through all of it', async () => {
    expect((await adminApi('POST', '/v1/receipts/verify', {})).json.ok).toBe(true);
  });

  it('works the same through the stdio gateway', async () => {
    const stdio = new Client({ name: 'chain-test-stdio', version: '1.0.0' });
    await stdio.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [GATEWAY_MAIN, '--stdio'],
        env: { PATH: process.env.PATH ?? '', BRIEFCASE_DATA_DIR: dataDir },
        stderr: 'ignore',
      }),
    );
    try {
      expect((await stdio.listTools()).tools.map((t) => t.name)).toContain('ev__echo');
      const result = (await stdio.callTool({ name: 'ev__echo', arguments: { message: 'stdio' } })) as {
        content: unknown;
      };
      expect(text(result)).toContain('Echo: stdio');
    } finally {
      await stdio.close();
    }
  });
});
