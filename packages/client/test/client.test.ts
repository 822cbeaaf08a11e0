/**
 * Transport-level behaviour against a scripted HTTP server on a Unix socket. The real daemon is
 * exercised end to end by apps/cli/test/cli.e2e.test.ts; this server exists only to send what a
 * well-behaved daemon never would (malformed bodies, oversize responses, odd chunking).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type ApprovalWatchEvent,
  createClient,
  DaemonUnavailableError,
  isDaemonUnavailableError,
  type ReceiptExportEntry,
} from '@briefcase/client';
import { BriefcaseError } from '@briefcase/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const TOKEN = 'tok_SECRET_abcdefghijklmnop';
type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

let dataDir: string;
let server: Server | undefined;
let handler: Handler;
let seenAuth: Array<string | undefined>;

async function listen(): Promise<void> {
  server = createServer((req, res) => {
    seenAuth.push(req.headers.authorization);
    void handler(req, res);
  });
  const s = server;
  await new Promise<void>((resolve) => s.listen(join(dataDir, 'briefcased.sock'), resolve));
}

const approval = (id: string, state = 'pending') => ({
  id,
  tool: 'note_add',
  argsHash: 'h',
  summary: 'add a note',
  costMicroUsd: 0,
  reasons: [],
  state,
  createdAt: '2025-01-01T00:00:00Z',
  expiresAt: '2025-01-01T01:00:00Z',
  decidedAt: null,
  decidedBy: null,
  denyReason: null,
});

/** The provenance of a successful call, complete as the contract requires. */
const provenance = (tool: string) => ({
  tool,
  source: { kind: 'builtin' },
  receiptSeq: 1,
  receiptHash: 'h',
  costMicroUsd: 0,
  approvalId: null,
  redactions: 0,
  durationMs: 1,
});

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bc-client-'));
  await writeFile(join(dataDir, 'admin.token'), `${TOKEN}\n`, { mode: 0o600 });
  seenAuth = [];
  handler = (_req, res) => res.end('{}');
});

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s !== undefined) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('connection failures', () => {
  it('reports a missing socket as DaemonUnavailableError naming the data dir, with a hint', async () => {
    const error = await createClient({ dataDir })
      .status()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DaemonUnavailableError);
    expect(isDaemonUnavailableError(error)).toBe(true);
    const e = error as DaemonUnavailableError;
    expect(e.reason).toBe('not_running');
    expect(e.message).toContain(dataDir);
    expect(e.hint).toMatch(/npm start/);
    expect(e.hint).toMatch(/briefcase daemon/);
    expect(e.hint).toMatch(/BRIEFCASE_DATA_DIR/);
  });

  it('reports a missing token file as DaemonUnavailableError before connecting', async () => {
    await listen();
    await rm(join(dataDir, 'admin.token'));
    const error = await createClient({ dataDir })
      .listTools()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'token_missing' });
    expect(seenAuth).toEqual([]);
  });

  it('rejects a malformed token file without echoing its content', async () => {
    await listen();
    await writeFile(join(dataDir, 'admin.token'), 'abc\r\nX-Injected: SECRETVALUE');
    const error = await createClient({ dataDir })
      .listTools()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unauthorized' });
    expect(String((error as Error).message)).not.toContain('SECRETVALUE');
    expect(seenAuth).toEqual([]);
  });
});

describe('responses', () => {
  it('sends the trimmed bearer token, the agent token for role agent, and none for /health', async () => {
    await writeFile(join(dataDir, 'agent.token'), 'agent_tok\n');
    handler = (req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/health' ? '{"status":"ok","version":"1"}' : '{"tools":[]}');
    };
    await listen();
    await createClient({ dataDir }).listTools();
    await createClient({ dataDir, role: 'agent' }).listTools();
    await createClient({ dataDir }).health();
    expect(seenAuth).toEqual([`Bearer ${TOKEN}`, 'Bearer agent_tok', undefined]);
  });

  it('turns an error body into a BriefcaseError with code, approval id and details', async () => {
    handler = (_req, res) => {
      res.statusCode = 409;
      res.end(
        JSON.stringify({
          error: {
            code: 'approval_required',
            message: 'needs a person',
            approval_id: 'ap_1',
            details: { approval: approval('ap_1'), receiptSeq: 4 },
          },
        }),
      );
    };
    await listen();
    const error = await createClient({ dataDir })
      .callTool({ tool: 'note_add', args: { text: 'a' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BriefcaseError);
    expect(error).toMatchObject({ code: 'approval_required', approvalId: 'ap_1', message: 'needs a person' });
    expect((error as BriefcaseError).details).toMatchObject({ receiptSeq: 4 });
  });

  it('sends waitMs and approvalId only when given', async () => {
    const bodies: unknown[] = [];
    handler = async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.end(JSON.stringify({ result: {}, provenance: provenance('echo') }));
    };
    await listen();
    const client = createClient({ dataDir });
    await client.callTool({ tool: 'echo', args: { text: 'a' } });
    await client.callTool({ tool: 'note_add', args: { text: 'b' }, approvalId: 'ap_1', waitMs: 1500 });
    expect(bodies).toEqual([
      { tool: 'echo', args: { text: 'a' } },
      { tool: 'note_add', args: { text: 'b' }, approvalId: 'ap_1', waitMs: 1500 },
    ]);
  });

  it.each([
    ['HTML', '<html>bad gateway</html>'],
    ['an unknown code', '{"error":{"code":"totally_new","message":"x"}}'],
    ['a non-string approval id', '{"error":{"code":"approval_required","message":"x","approval_id":5}}'],
    ['no message', '{"error":{"code":"denied"}}'],
  ])('maps an error body with %s to internal_error, never leaking the token', async (_label, body) => {
    handler = (_req, res) => {
      res.statusCode = 500;
      res.end(body);
    };
    await listen();
    const error = await createClient({ dataDir })
      .listTools()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'internal_error' });
    expect(JSON.stringify({ m: (error as Error).message, s: (error as Error).stack })).not.toContain(TOKEN);
  });

  it('refuses a response larger than the cap and a success body of the wrong shape', async () => {
    handler = (_req, res) => res.end(JSON.stringify({ tools: [], pad: 'x'.repeat(10_000) }));
    await listen();
    await expect(createClient({ dataDir, maxResponseBytes: 1000 }).listTools()).rejects.toThrow(
      /larger than 1000/,
    );
    handler = (_req, res) => res.end('{"tools":"nope"}');
    await expect(createClient({ dataDir }).listTools()).rejects.toMatchObject({ code: 'internal_error' });
  });
});

describe('streams', () => {
  it('watchApprovals parses events split at awkward points and returns when aborted', async () => {
    const stream =
      ': ping\n\n' +
      `event: snapshot\ndata: ${JSON.stringify({ approvals: [approval('ap_1')] })}\n\n` +
      `event: approval\r\ndata: ${JSON.stringify({ type: 'approved', approval: approval('ap_1', 'approved') })}\r\n\r\n` +
      'event: future_kind\ndata: {}\n\n';
    handler = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < stream.length; i += 7) {
        res.write(stream.slice(i, i + 7));
        await delay(1);
      }
      // Keep the stream open, as the daemon does, until the client leaves.
    };
    await listen();
    const events: ApprovalWatchEvent[] = [];
    const controller = new AbortController();
    await createClient({ dataDir }).watchApprovals((event) => {
      events.push(event);
      if (events.length === 2) controller.abort();
    }, controller.signal);
    expect(events.map((e) => (e.event === 'snapshot' ? 'snapshot' : e.type))).toEqual([
      'snapshot',
      'approved',
    ]);
  });

  it('watchApprovals resolves when the server ends the stream', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: snapshot\ndata: {"approvals":[]}\n\n');
    };
    await listen();
    const events: ApprovalWatchEvent[] = [];
    await createClient({ dataDir }).watchApprovals((e) => {
      events.push(e);
    });
    expect(events).toEqual([{ event: 'snapshot', approvals: [] }]);
  });

  it('watchApprovals rejects malformed event data', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: approval\ndata: {"type":"approved","approval":"nope"}\n\n');
    };
    await listen();
    await expect(createClient({ dataDir }).watchApprovals(() => {})).rejects.toMatchObject({
      code: 'internal_error',
    });
  });

  it('exportReceipts yields receipts line by line and rejects a huge line', async () => {
    const lines = [1, 2, 3].map((seq) =>
      JSON.stringify({ v: 1, seq, ts: 't', kind: 'tool_call', prevHash: 'p', hash: `h${seq}` }),
    );
    const body = `${lines.join('\r\n')}\n`;
    handler = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for (let i = 0; i < body.length; i += 5) res.write(body.slice(i, i + 5));
      res.end();
    };
    await listen();
    const receipts: ReceiptExportEntry[] = [];
    for await (const receipt of createClient({ dataDir }).exportReceipts()) receipts.push(receipt);
    expect(receipts.map((r) => ('unreadable' in r ? -1 : r.seq))).toEqual([1, 2, 3]);

    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(`${lines[0]}\n{"pad":"${'x'.repeat(5000)}"}\n`);
    };
    const consume = async () => {
      for await (const _receipt of createClient({ dataDir, maxLineBytes: 1024 }).exportReceipts()) {
        // drain: the oversize line must throw, not be buffered
      }
    };
    await expect(consume()).rejects.toThrow(/longer than 1024 bytes/);
  });
});

describe('remote MCP servers', () => {
  const server = (name: string) => ({
    name,
    transport: 'stdio',
    url: null,
    command: ['node', 'server.js'],
    envNames: ['API_KEY'],
    prefix: true,
    trustAnnotations: false,
    costMicroUsd: 0,
    timeoutMs: null,
    createdAt: '2025-01-01T00:00:00Z',
    status: { connected: true, lastError: null, authorization: 'none' },
    auth: {
      state: 'none',
      reason: null,
      issuer: null,
      scope: null,
      tokenType: null,
      bearerReason: null,
      expiresAt: null,
      clientSource: null,
      quirks: { omitResource: false, oidcOnly: false, noDynamicRegistration: false },
    },
    tools: [
      {
        name: `${name}__echo`,
        upstreamName: 'echo',
        state: 'quarantined',
        change: 'changed',
        description: 'Echoes',
        flags: ['asks the model to hide something'],
        pinned: { name: 'echo', description: 'Echoes', inputSchema: { type: 'object' } },
        pending: { name: 'echo', description: 'Echoes, and hides', inputSchema: { type: 'object' } },
      },
    ],
  });

  it('uses each route with the right method, path and body, and accepts a 204 without a body', async () => {
    const seen: Array<{ method?: string; url?: string; body: string }> = [];
    handler = async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      seen.push({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString('utf8') });
      res.setHeader('content-type', 'application/json');
      if (req.method === 'DELETE') {
        res.statusCode = 204;
        res.end();
      } else if (req.url === '/v1/mcp/servers' && req.method === 'GET') {
        res.end(JSON.stringify({ servers: [server('a')] }));
      } else if (req.url?.endsWith('/refresh')) {
        res.end(JSON.stringify({ server: server('a b'), changes: [{ tool: 'echo', change: 'changed' }] }));
      } else if (req.url?.endsWith('/review')) {
        res.end(JSON.stringify({ server: server('a b'), accepted: ['echo'] }));
      } else {
        res.statusCode = req.method === 'POST' ? 201 : 200;
        res.end(JSON.stringify({ server: server('a') }));
      }
    };
    await listen();
    const client = createClient({ dataDir });
    expect((await client.listMcpServers()).map((s) => s.name)).toEqual(['a']);
    const input = { name: 'a', command: ['node', 'server.js'], env: { API_KEY: 'k' }, costMicroUsd: 5 };
    expect((await client.addMcpServer(input)).envNames).toEqual(['API_KEY']);
    expect((await client.getMcpServer('a b')).tools[0]?.flags).toHaveLength(1);
    expect(await client.removeMcpServer('a b')).toBeUndefined();
    expect((await client.refreshMcpServer('a b')).changes).toEqual([{ tool: 'echo', change: 'changed' }]);
    expect((await client.reviewMcpServer('a b')).accepted).toEqual(['echo']);
    expect(seen).toEqual([
      { method: 'GET', url: '/v1/mcp/servers', body: '' },
      { method: 'POST', url: '/v1/mcp/servers', body: JSON.stringify(input) },
      { method: 'GET', url: '/v1/mcp/servers/a%20b', body: '' },
      { method: 'DELETE', url: '/v1/mcp/servers/a%20b', body: '' },
      { method: 'POST', url: '/v1/mcp/servers/a%20b/refresh', body: '{}' },
      { method: 'POST', url: '/v1/mcp/servers/a%20b/review', body: '{}' },
    ]);
  });

  it.each([
    ['a server without tools', () => ({ server: { ...server('a'), tools: undefined } })],
    [
      'a tool whose flags are not strings',
      () => ({ server: { ...server('a'), tools: [{ ...server('a').tools[0], flags: [1] }] } }),
    ],
    ['a server with a fractional cost', () => ({ server: { ...server('a'), costMicroUsd: 0.5 } })],
    ['no server at all', () => ({})],
  ])('refuses %s as internal_error', async (_label, body) => {
    handler = (_req, res) => res.end(JSON.stringify(body()));
    await listen();
    await expect(createClient({ dataDir }).getMcpServer('a')).rejects.toMatchObject({
      code: 'internal_error',
    });
  });

  it('refuses refresh and review answers without their lists, and maps 404 to not_found', async () => {
    handler = (req, res) => {
      if (req.url?.endsWith('/missing')) {
        res.statusCode = 404;
        res.end(
          JSON.stringify({ error: { code: 'not_found', message: 'No MCP server is named "missing".' } }),
        );
        return;
      }
      res.end(JSON.stringify({ server: server('a') }));
    };
    await listen();
    const client = createClient({ dataDir });
    await expect(client.refreshMcpServer('a')).rejects.toMatchObject({ code: 'internal_error' });
    await expect(client.reviewMcpServer('a')).rejects.toMatchObject({ code: 'internal_error' });
    await expect(client.getMcpServer('missing')).rejects.toMatchObject({ code: 'not_found' });
    await expect(client.removeMcpServer('missing')).rejects.toMatchObject({ code: 'not_found' });
    await expect(client.getMcpServer('')).rejects.toMatchObject({ code: 'invalid_args' });
  });
});
