/**
 * The gateway over Streamable HTTP, end to end: the SDK's own MCP client ↔ the gateway ↔ a real
 * briefcased (in-process, on its Unix socket). A person's decisions are made with the admin token,
 * which the gateway never holds.
 */
import type { BriefcaseClient } from '@briefcase/client';
import { type HttpGateway, META_KEYS, startHttpGateway } from '@briefcase/gateway';
import {
  type CallToolResult,
  ErrorCode,
  LATEST_PROTOCOL_VERSION,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, eventually, type HttpAgent, startTestDaemon, type TestDaemon } from './support.js';

const TOKEN = 'gateway-test-token-0123456789abcdef';
let bc: TestDaemon;
const gateways: HttpGateway[] = [];
const agents: HttpAgent[] = [];

/** A gateway with its own approval wait, and an MCP client connected to it. */
async function agentWith(
  approvalWaitMs: number,
  progressIntervalMs = 5_000,
  client: BriefcaseClient = bc.agent,
): Promise<HttpAgent> {
  const gateway = await startHttpGateway({
    client,
    version: '9.9.9-test',
    token: TOKEN,
    approvalWaitMs,
    progressIntervalMs,
    log: () => {},
  });
  gateways.push(gateway);
  const agent = await connectHttp(gateway.url, TOKEN);
  agents.push(agent);
  return agent;
}

const call = async (agent: HttpAgent, name: string, args: Record<string, unknown>) =>
  (await agent.client.callTool({ name, arguments: args })) as CallToolResult;

const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;

/** An admin command: the agent holds no admin token, so text meant for it must not suggest one. */
const ADMIN_COMMAND = /briefcase (policy|approvals|budgets|mcp)\b/;

let agent: HttpAgent;

/** The ids of the approvals pending now. */
const pendingIds = async () => new Set((await bc.admin.listApprovals('pending')).map((a) => a.id));

/** Waits for a pending approval that was not in `before`, as a person watching would see it. */
const newPendingApproval = (before: Set<string>) =>
  eventually(async () => (await bc.admin.listApprovals('pending')).find((a) => !before.has(a.id)));

beforeAll(async () => {
  bc = await startTestDaemon();
  agent = await agentWith(1500);
});

afterAll(async () => {
  // Canary: nothing the agent side received contains a daemon token.
  for (const a of agents) await a.close();
  const bodies = (await Promise.all(agents.map((a) => a.bodies()))).flat();
  expect(bodies.length).toBeGreaterThan(10);
  for (const body of bodies) {
    expect(body).not.toContain(bc.adminToken);
    expect(body).not.toContain(bc.agentToken);
  }
  for (const g of gateways) await g.close();
  await bc.stop();
});

describe('session', () => {
  it('negotiates the latest protocol version and describes itself', async () => {
    expect(agent.transport.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
    expect(agent.transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(agent.client.getServerVersion()).toEqual({ name: 'credential-briefcase', version: '9.9.9-test' });
    expect(agent.client.getServerCapabilities()).toEqual({
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      completions: {},
      logging: {},
    });
    expect(agent.client.getInstructions()).toMatch(/approval_required/);
    expect(agent.client.getInstructions()).toMatch(/cannot approve/);
  });

  it('answers ping', async () => {
    await expect(agent.client.ping()).resolves.toEqual({});
  });
});

describe('tools/list', () => {
  it('lists the catalog with annotations and briefcase metadata', async () => {
    const { tools, nextCursor } = await agent.client.listTools();
    expect(nextCursor).toBeUndefined();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining(['echo', 'note_add', 'notes_list', 'premium_fortune', 'upstream_search']),
    );
    expect(byName.get('echo')).toMatchObject({
      inputSchema: { type: 'object', required: ['text'] },
      annotations: { readOnlyHint: true },
      _meta: {
        [META_KEYS.source]: { kind: 'builtin' },
        [META_KEYS.category]: 'utility',
        [META_KEYS.costMicroUsd]: 0,
      },
    });
    expect(byName.get('note_add')?.annotations).toEqual({ readOnlyHint: false });
    expect(byName.get('premium_fortune')?._meta?.[META_KEYS.costMicroUsd]).toBe(2000);
    expect(byName.get('upstream_search')).toMatchObject({
      outputSchema: { type: 'object', required: ['hits'] },
      _meta: { [META_KEYS.source]: { kind: 'mcp', server: 'demo', upstreamName: 'search' } },
    });
  });

  it('rejects a cursor it never issued with InvalidParams', async () => {
    const error = await agent.client.listTools({ cursor: 'page-2' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(ErrorCode.InvalidParams);
  });
});

describe('tools/call', () => {
  it('returns the result as text and structuredContent, with provenance', async () => {
    const result = await call(agent, 'echo', { text: 'hi' });
    expect(result.isError).toBeFalsy();
    expect(text(result)).toBe('{"text":"hi"}');
    expect(result.structuredContent).toEqual({ text: 'hi' });
    const provenance = result._meta?.[META_KEYS.provenance] as Record<string, unknown>;
    expect(provenance).toMatchObject({ tool: 'echo', source: { kind: 'builtin' }, approvalId: null });
    expect(provenance.receiptSeq).toEqual(expect.any(Number));
    expect(provenance.receiptHash).toMatch(/^[0-9a-f]{64}$/);
    // The receipt it names is the daemon's: the admin side sees the same seq and hash.
    const [receipt] = await bc.admin.listReceipts({ limit: 1 });
    expect(receipt).toMatchObject({ seq: provenance.receiptSeq, hash: provenance.receiptHash, tool: 'echo' });
  });

  it('answers an unknown tool with a JSON-RPC InvalidParams error', async () => {
    const error = await call(agent, 'no_such_tool', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(ErrorCode.InvalidParams);
    expect((error as McpError).message).toContain('Unknown tool: "no_such_tool"');
  });

  it('reports invalid arguments as an isError result with JSON-pointer errors', async () => {
    const result = await call(agent, 'echo', { text: 5 });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({
      code: 'invalid_args',
      errors: [expect.objectContaining({ path: '/text' })],
    });
    expect(text(result)).toContain('/text');
  });

  it('passes a remote MCP tool result through and keeps provenance its own', async () => {
    await agent.client.listTools(); // the SDK client validates structuredContent against outputSchema
    const result = await call(agent, 'upstream_search', { query: 'cats' });
    expect(result.content).toEqual([{ type: 'text', text: '2 hits for cats' }]);
    expect(result.structuredContent).toEqual({ hits: 2 });
    expect(result._meta?.[META_KEYS.provenance]).toMatchObject({
      tool: 'upstream_search',
      source: { kind: 'mcp', server: 'demo', upstreamName: 'search' },
    });
  });

  it('keeps error details out of structuredContent for tools with an outputSchema', async () => {
    await agent.client.listTools();
    const result = await call(agent, 'upstream_search', { query: 'x', fail: 'upstream_error' });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expect(result._meta?.[META_KEYS.error]).toMatchObject({ code: 'upstream_error' });
  });

  it.each([
    'denied',
    'budget_exceeded',
    'oauth_required',
    'upstream_error',
    'revoked',
    'sandbox_violation',
    'replay_detected',
  ])('reports %s as an isError result with its code and the daemon message', async (code) => {
    const result = await call(agent, 'fail_with', { code });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ code, message: expect.any(String) });
    expect(result.structuredContent?.receiptSeq).toEqual(expect.any(Number));
    const message = (result.structuredContent as { message: string }).message;
    expect(text(result)).toContain(message);
    if (code === 'oauth_required') expect(text(result)).toContain('briefcase login demo');
  });

  it('reports an internal daemon failure as InternalError without its details', async () => {
    const error = await call(agent, 'fail_with', { code: 'internal_error' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(ErrorCode.InternalError);
    expect((error as McpError).message).not.toContain('the provider failed');
  });
});

describe('approvals', () => {
  it('returns approval_required with the id; after a person approves, the same call succeeds', async () => {
    const first = await call(agent, 'note_add', { text: 'approve me' });
    expect(first.isError).toBe(true);
    const structured = first.structuredContent as Record<string, unknown>;
    expect(structured).toMatchObject({
      code: 'approval_required',
      approvalId: expect.any(String),
      expiresAt: expect.any(String),
    });
    const id = structured.approvalId as string;
    expect(text(first)).toContain(`briefcase approvals approve ${id}`);
    expect(text(first)).toMatch(/retry the same call/);

    // Nothing waits on it (this gateway answered at once): the agent repeats the call itself.
    expect((await bc.admin.approve(id)).callWaiting).toBe(false);
    const second = await call(agent, 'note_add', { text: 'approve me' });
    expect(second.isError).toBeFalsy();
    expect(second.structuredContent).toMatchObject({ id: expect.any(Number) });
    expect(second._meta?.[META_KEYS.provenance]).toMatchObject({ approvalId: id });
  });

  it('accepts the approval id in _meta on the retry', async () => {
    const first = await call(agent, 'note_add', { text: 'with meta' });
    const id = (first.structuredContent as { approvalId: string }).approvalId;
    await bc.admin.approve(id);
    const second = (await agent.client.callTool({
      name: 'note_add',
      arguments: { text: 'with meta' },
      _meta: { approvalId: id },
    })) as CallToolResult;
    expect(second._meta?.[META_KEYS.provenance]).toMatchObject({ approvalId: id });
  });

  it('completes a call approved while it waits, sending progress meanwhile', async () => {
    const waiting = await agentWith(10_000, 150);
    const progress: { progress: number; message?: string }[] = [];
    const before = await pendingIds();
    const pending = waiting.client.callTool(
      { name: 'note_add', arguments: { text: 'approve while waiting' } },
      undefined,
      {
        onprogress: (p) => progress.push(p),
        timeout: 20_000,
      },
    );
    const approval = await newPendingApproval(before);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The held call takes the approval itself: the person is told so, not "retry once".
    expect((await bc.admin.approve(approval.id)).callWaiting).toBe(true);
    const result = (await pending) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result._meta?.[META_KEYS.provenance]).toMatchObject({ approvalId: approval.id });
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const values = progress.map((p) => p.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(values.length);
    expect(progress[0]?.message).toMatch(/waiting for approval/);
    // Progress stops with the call.
    const count = progress.length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(progress.length).toBe(count);
  });

  it('reports a call a person denies while it waits as denied', async () => {
    const waiting = await agentWith(10_000);
    const before = await pendingIds();
    const pending = waiting.client.callTool({ name: 'note_add', arguments: { text: 'deny while waiting' } });
    const approval = await newPendingApproval(before);
    expect((await bc.admin.deny(approval.id, 'not today')).callWaiting).toBe(true);
    const result = (await pending) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ code: 'denied', deniedBy: 'person' });
    expect(text(result)).toContain('not today');
    // A person's denial, not the policy's; and no admin command for the agent to run.
    expect(text(result)).toMatch(/A person refused this call/);
    expect(text(result)).not.toMatch(/polic/i);
    expect(text(result)).not.toMatch(ADMIN_COMMAND);
  });

  it('reports a retry after a denial as denied', async () => {
    const first = await call(agent, 'note_add', { text: 'deny me' });
    const id = (first.structuredContent as { approvalId: string }).approvalId;
    expect((await bc.admin.deny(id)).callWaiting).toBe(false);
    const second = await call(agent, 'note_add', { text: 'deny me' });
    expect(second.isError).toBe(true);
    expect(second.structuredContent).toMatchObject({ code: 'denied', deniedBy: 'person' });
    expect(text(second)).not.toMatch(/polic/i);
    expect(text(second)).not.toMatch(ADMIN_COMMAND);
  });

  it('reports an approval id for another call as such, not as a policy denial', async () => {
    const first = await call(agent, 'note_add', { text: 'one call' });
    const id = (first.structuredContent as { approvalId: string }).approvalId;
    const other = (await agent.client.callTool({
      name: 'note_add',
      arguments: { text: 'another call' },
      _meta: { approvalId: id },
    })) as CallToolResult;
    expect(other.structuredContent).toMatchObject({ code: 'denied', deniedBy: 'approval' });
    expect(text(other)).toMatch(/without an approval id/);
    expect(text(other)).not.toMatch(/polic/i);
    expect(text(other)).not.toMatch(ADMIN_COMMAND);
  });

  it("reports a policy denial as the policy's, with no admin command for the agent", async () => {
    const before = await bc.admin.getPolicy();
    await bc.admin.setPolicy(
      `${before.text}\n@id("no-echo") @reason("echo is off today")\nforbid (principal, action, resource) when { resource.name == "echo" };\n`,
    );
    try {
      const result = await call(agent, 'echo', { text: 'hi' });
      expect(result.structuredContent).toMatchObject({ code: 'denied', deniedBy: 'policy' });
      expect(text(result)).toContain('echo is off today');
      expect(text(result)).toMatch(/policy does not allow this call/);
      expect(text(result)).not.toMatch(/A person/);
      expect(text(result)).not.toMatch(ADMIN_COMMAND);
    } finally {
      await bc.admin.setPolicy(before.text);
    }
  });

  it('asks for approval past the budget: the sixth premium_fortune of the day', async () => {
    for (let i = 0; i < 5; i += 1) {
      const ok = await call(agent, 'premium_fortune', { topic: `t${i}` });
      expect(ok.isError, text(ok)).toBeFalsy();
      expect(ok._meta?.[META_KEYS.provenance]).toMatchObject({ costMicroUsd: 2000 });
    }
    const sixth = await call(agent, 'premium_fortune', { topic: 't5' });
    expect(sixth.isError).toBe(true);
    expect(sixth.structuredContent).toMatchObject({
      code: 'approval_required',
      approvalId: expect.any(String),
    });
  });

  it('aborts the daemon request when the client cancels the call', async () => {
    const signals: AbortSignal[] = [];
    const recording: BriefcaseClient = {
      ...bc.agent,
      callTool: (request, options) => {
        if (options?.signal) signals.push(options.signal);
        return bc.agent.callTool(request, options);
      },
    };
    const waiting = await agentWith(10_000, 5_000, recording);
    const before = await pendingIds();
    const controller = new AbortController();
    const pending = waiting.client
      .callTool({ name: 'note_add', arguments: { text: 'cancel me' } }, undefined, {
        signal: controller.signal,
      })
      .catch((e: unknown) => e);
    await newPendingApproval(before);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(false);
    controller.abort('changed my mind');
    expect(await pending).toBeDefined();
    await eventually(async () => (signals[0]?.aborted ? true : undefined));
    await expect(waiting.client.ping()).resolves.toEqual({});
  });
});
