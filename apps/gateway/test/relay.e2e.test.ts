/**
 * Everything but tools, through the whole chain with real peers: the SDK client → HTTP gateway →
 * briefcased → an SDK upstream server (stdio). Resources, templates, subscriptions, prompts,
 * completion, logging, progress, and the upstream's sampling, elicitation and roots requests to the
 * agent's client; each decided by the policy's `relay` action and each leaving a receipt.
 */
import { join } from 'node:path';
import { startHttpGateway } from '@briefcase/gateway';
import { DEFAULT_POLICY } from '@briefcase/policy';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  type CallToolResult,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  type Progress,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectHttp, eventually, startTestDaemon, type TestDaemon } from './support.js';

const FIXTURE = join(new URL('.', import.meta.url).pathname, 'fixtures/relay-server.mjs');
const GATEWAY_MAIN = join(new URL('.', import.meta.url).pathname, '../dist/main.js');
const SECRET = 'relay-secret-value-0123456789';
const TOKEN = 'relay-test-gateway-token';
/** The fixture's tools run without approval; the relay stays under the default policy's permit. */
const POLICY = `${DEFAULT_POLICY}
permit (principal, action == Briefcase::Action::"call_without_approval", resource)
when { resource has server && resource.server == "memo" };
`;

let bc: TestDaemon;
let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
let agent: Client;
const logs: Array<{ level: string; logger?: string; data: unknown }> = [];
/** Every sampling request the agent's client was sent. */
const samplingRequests: unknown[] = [];
const updates: string[] = [];

/** The agent's MCP client, answering sampling, elicitation and roots, recording logs and updates. */
function agentClient(): Client {
  const client = new Client(
    { name: 'relay-test-agent', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: { form: {} }, roots: {} } },
  );
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    samplingRequests.push(request.params);
    return {
      role: 'assistant',
      content: { type: 'text', text: '4' },
      model: 'test-model',
    };
  });
  client.setRequestHandler(ElicitRequestSchema, async () => ({
    action: 'accept',
    content: { colour: 'blue' },
  }));
  client.setRequestHandler(ListRootsRequestSchema, async () => ({
    roots: [{ uri: 'file:///work/project', name: 'project' }],
  }));
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params);
  });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    updates.push(n.params.uri);
  });
  return client;
}

const relayReceipts = async () => (await bc.admin.listReceipts({ kind: 'mcp_relay', limit: 200 })).reverse();
const text = (result: unknown) =>
  ((result as CallToolResult).content as Array<{ type: string; text?: string }>)
    .map((c) => c.text ?? '')
    .join('');

beforeAll(async () => {
  bc = await startTestDaemon();
  await bc.admin.setPolicy(POLICY);
  await bc.admin.addMcpServer({
    name: 'memo',
    command: [process.execPath, FIXTURE],
    env: { RELAY_SECRET: SECRET },
  });
  gateway = await startHttpGateway({
    client: bc.agent,
    version: 'test',
    token: TOKEN,
    approvalWaitMs: 0,
    log: () => {},
  });
  agent = (await connectHttp(gateway.url, TOKEN, agentClient())).client;
});

afterAll(async () => {
  await agent?.close();
  await gateway?.close();
  await bc?.stop();
});

beforeEach(async () => {
  await bc.admin.setPolicy(POLICY);
});

describe('resources', () => {
  it('lists resources and templates of every server, each naming its server', async () => {
    const { resources } = await agent.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual(['memo://cancelled', 'memo://leaky', 'memo://static']);
    expect(resources[0]?._meta?.['briefcase/server']).toBe('memo');
    const { resourceTemplates } = await agent.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['memo://notes/{id}']);
    // Each listing is one attempt over every server: one receipt, server "*".
    expect((await relayReceipts()).slice(-2)).toMatchObject([
      { method: 'resources/list', server: '*', outcome: 'ok', decision: 'allow' },
      { method: 'resources/templates/list', server: '*', outcome: 'ok', decision: 'allow' },
    ]);
  });

  it('reads a listed resource and a templated one, each with a receipt', async () => {
    const before = (await relayReceipts()).length;
    const read = await agent.readResource({ uri: 'memo://static' });
    expect(read.contents).toEqual([{ uri: 'memo://static', mimeType: 'text/plain', text: 'static memo' }]);
    const note = await agent.readResource({ uri: 'memo://notes/42' });
    expect(note.contents[0]).toMatchObject({ text: 'note 42' });
    const receipts = (await relayReceipts()).slice(before);
    expect(receipts.map((r) => [r.method, r.target, r.outcome, r.direction])).toEqual([
      ['resources/read', 'memo://static', 'ok', 'to_server'],
      ['resources/read', 'memo://notes/42', 'ok', 'to_server'],
    ]);
    expect(receipts[0]).toMatchObject({ server: 'memo', decision: 'allow' });
  });

  it("scrubs the server's --env values from what it returns", async () => {
    const read = await agent.readResource({ uri: 'memo://leaky' });
    const shown = JSON.stringify(read);
    expect(shown).not.toContain(SECRET);
    expect(shown).toContain('[REDACTED:secret]');
  });

  it("passes on the server's own refusal of an unknown resource, with a failed receipt", async () => {
    // One server offers resources, so it is asked; the SDK server answers -32602 for an unknown URI.
    const error = (await agent.readResource({ uri: 'other://nothing' }).catch((e: unknown) => e)) as McpError;
    expect(error).toBeInstanceOf(McpError);
    expect(error.code).toBe(-32602);
    expect(error.data).toMatchObject({ code: 'upstream_error', receiptSeq: expect.any(Number) });
    expect(error.message).not.toContain('other://nothing not found'); // the server's text stays upstream
    expect((await relayReceipts()).at(-1)).toMatchObject({
      method: 'resources/read',
      target: 'other://nothing',
      outcome: 'failed',
      errorCode: 'upstream_error',
    });
  });

  it('denies a read the policy forbids, with a receipt saying so, and nothing reaches the server', async () => {
    await bc.admin.setPolicy(`${POLICY}
@id("no-leaky")
forbid (principal, action == Briefcase::Action::"relay", resource)
when { context.method == "resources/read" && context.target == "memo://leaky" };
`);
    const error = (await agent.readResource({ uri: 'memo://leaky' }).catch((e: unknown) => e)) as McpError;
    expect(error).toBeInstanceOf(McpError);
    expect(error.data).toMatchObject({ code: 'denied' });
    const last = (await relayReceipts()).at(-1);
    expect(last).toMatchObject({ method: 'resources/read', outcome: 'denied', decision: 'deny' });
    expect(last?.reasons).toEqual([expect.objectContaining({ id: 'no-leaky' })]);
  });

  it('relays subscriptions and the updates of a subscribed resource', async () => {
    await agent.subscribeResource({ uri: 'memo://static' });
    await agent.callTool({ name: 'memo__touch', arguments: {} });
    await eventually(async () => (updates.includes('memo://static') ? true : undefined));
    await agent.unsubscribeResource({ uri: 'memo://static' });
    const methods = (await relayReceipts()).map((r) => r.method);
    expect(methods).toContain('resources/subscribe');
    expect(methods).toContain('resources/unsubscribe');
  });
});

describe('prompts and completion', () => {
  it('lists prompts named like tools and gets one', async () => {
    const { prompts } = await agent.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['memo__greet']);
    const prompt = await agent.getPrompt({ name: 'memo__greet', arguments: { name: 'Ada' } });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'Say hello to Ada' });
    expect((await relayReceipts()).at(-1)).toMatchObject({
      method: 'prompts/get',
      target: 'greet',
      outcome: 'ok',
    });
  });

  it('completes prompt arguments and template variables', async () => {
    const names = await agent.complete({
      ref: { type: 'ref/prompt', name: 'memo__greet' },
      argument: { name: 'name', value: 'A' },
    });
    expect(names.completion.values).toEqual(['Ada', 'Alan']);
    const ids = await agent.complete({
      ref: { type: 'ref/resource', uri: 'memo://notes/{id}' },
      argument: { name: 'id', value: '10' },
    });
    expect(ids.completion.values).toEqual(['101', '102']);
  });
});

describe("a remote server's requests to the agent's client", () => {
  it('relays sampling, with a receipt in the client direction', async () => {
    const result = await agent.callTool({ name: 'memo__ask_model', arguments: {} });
    expect(text(result)).toBe('model said: 4');
    expect((await relayReceipts()).at(-1)).toMatchObject({
      method: 'sampling/createMessage',
      direction: 'to_client',
      outcome: 'ok',
      server: 'memo',
    });
  });

  it('relays elicitation and roots', async () => {
    expect(text(await agent.callTool({ name: 'memo__ask_user', arguments: {} }))).toBe(
      'user: accept {"colour":"blue"}',
    );
    expect(text(await agent.callTool({ name: 'memo__which_roots', arguments: {} }))).toBe(
      'file:///work/project',
    );
  });

  it("scrubs the server's --env values from its requests and progress before the client sees them", async () => {
    const progress: Progress[] = [];
    await agent.callTool({ name: 'memo__leaky_steps', arguments: {} }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    const seen = JSON.stringify({ progress, sampling: samplingRequests.at(-1) });
    expect(seen).toContain('my key is [REDACTED:secret]');
    expect(seen).toContain('using [REDACTED:secret]');
    expect(seen).not.toContain(SECRET);
  });

  it('refuses sampling the policy forbids for that server; the client is never asked', async () => {
    await bc.admin.setPolicy(`${POLICY}
@id("no-sampling-from-memo")
forbid (principal, action == Briefcase::Action::"relay", resource)
when { resource has server && resource.server == "memo" && context.method == "sampling/createMessage" };
`);
    const result = (await agent.callTool({ name: 'memo__ask_model', arguments: {} })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/policy does not allow sampling\/createMessage/);
    expect((await relayReceipts()).at(-1)).toMatchObject({
      method: 'sampling/createMessage',
      outcome: 'denied',
      reasons: [expect.objectContaining({ id: 'no-sampling-from-memo' })],
    });
  });
});

describe('progress and logging', () => {
  it("passes the server's progress on, increasing, and its logs at or above the session's level", async () => {
    await agent.setLoggingLevel('info');
    const progress: Progress[] = [];
    const result = await agent.callTool({ name: 'memo__slow_steps', arguments: {} }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(text(result)).toBe('done');
    expect(progress.map((p) => [p.progress, p.total, p.message])).toEqual([
      [1, 3, 'step 1'],
      [2, 3, 'step 2'],
      [3, 3, 'step 3'],
    ]);
    const seen = await eventually(async () =>
      logs.some((l) => l.data === 'all steps done') ? logs : undefined,
    );
    expect(seen.find((l) => l.data === 'all steps done')).toMatchObject({
      level: 'info',
      logger: 'memo/steps',
    });
    expect(seen.some((l) => l.data === 'debug detail')).toBe(false);
  });
});

it('relays cancellation: the remote server is told, and the receipt says the call failed', async () => {
  const controller = new AbortController();
  const call = agent
    .callTool({ name: 'memo__wait_for_cancel', arguments: {} }, undefined, { signal: controller.signal })
    .catch((e: unknown) => e);
  await eventually(async () => {
    const receipts = await bc.admin.listReceipts({ kind: 'tool_call_intent', limit: 5 });
    return receipts.some((r) => r.tool === 'memo__wait_for_cancel') ? true : undefined;
  });
  controller.abort('the user changed their mind');
  await call;
  const told = await eventually(async () => {
    const read = await agent.readResource({ uri: 'memo://cancelled' });
    const text = (read.contents[0] as { text: string }).text;
    return text.startsWith('yes') ? text : undefined;
  });
  expect(told).toMatch(/^yes/);
  const receipt = await eventually(async () =>
    (await bc.admin.listReceipts({ kind: 'tool_call', limit: 20 })).find(
      (r) => r.tool === 'memo__wait_for_cancel',
    ),
  );
  expect(receipt).toMatchObject({ outcome: 'failed', errorCode: 'upstream_error' });
});

it('relays the same over the stdio transport, with the gateway as its own process', async () => {
  const client = agentClient();
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [GATEWAY_MAIN, '--stdio', '--approval-wait', '0'],
      env: { BRIEFCASE_DATA_DIR: bc.dataDir, PATH: process.env.PATH ?? '' },
      stderr: 'ignore',
    }),
  );
  try {
    const read = await client.readResource({ uri: 'memo://notes/7' });
    expect(read.contents[0]).toMatchObject({ text: 'note 7' });
    expect(text(await client.callTool({ name: 'memo__ask_model', arguments: {} }))).toBe('model said: 4');
    const progress: Progress[] = [];
    await client.callTool({ name: 'memo__slow_steps', arguments: {} }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3]);
  } finally {
    await client.close();
  }
});

it('keeps the relay chain free of the secret: no receipt carries it', async () => {
  const all = JSON.stringify(await bc.admin.listReceipts({ limit: 1000 }));
  expect(all).not.toContain(SECRET);
});
