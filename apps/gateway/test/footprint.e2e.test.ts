/**
 * The agent side can never approve: the gateway needs nothing but the agent token (and its own
 * gateway token), and calls nothing on the daemon but the agent surface: tools, the relay and its
 * session channel.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BriefcaseClient, createClient } from '@briefcase/client';
import { loadOrCreateGatewayToken, META_KEYS, startHttpGateway } from '@briefcase/gateway';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectHttp, startTestDaemon, type TestDaemon } from './support.js';

let bc: TestDaemon;
let agentDir: string;

beforeAll(async () => {
  bc = await startTestDaemon();
  agentDir = mkdtempSync(join(tmpdir(), 'bc-gateway-agent-side-'));
});

afterAll(async () => {
  rmSync(agentDir, { recursive: true, force: true });
  await bc.stop();
});

it('works fully from a data dir holding only agent.token and gateway.token, using only the agent surface', async () => {
  copyFileSync(join(bc.dataDir, 'agent.token'), join(agentDir, 'agent.token'));
  const gatewayToken = loadOrCreateGatewayToken(agentDir);
  expect(statSync(join(agentDir, 'gateway.token')).mode & 0o777).toBe(0o600);

  const daemonClient = createClient({ dataDir: agentDir, role: 'agent', socketPath: bc.daemon.socketPath });
  const used = new Set<string>();
  // Records every method the gateway calls on its daemon client.
  const recording = new Proxy(daemonClient, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value === 'function') used.add(String(key));
      return value;
    },
  }) as BriefcaseClient;

  const gateway = await startHttpGateway({
    client: recording,
    version: 'test',
    token: gatewayToken,
    approvalWaitMs: 300,
    log: () => {},
  });
  const agent = await connectHttp(gateway.url, gatewayToken);
  try {
    await agent.client.listTools();
    const echo = (await agent.client.callTool({ name: 'echo', arguments: { text: 'x' } })) as CallToolResult;
    expect(echo.structuredContent).toEqual({ text: 'x' });
    const pending = (await agent.client.callTool({
      name: 'note_add',
      arguments: { text: 'footprint' },
    })) as CallToolResult;
    const approvalId = (pending.structuredContent as { approvalId: string }).approvalId;
    await bc.admin.approve(approvalId); // a person, on the trusted side
    const done = (await agent.client.callTool({
      name: 'note_add',
      arguments: { text: 'footprint' },
    })) as CallToolResult;
    expect(done._meta?.[META_KEYS.provenance]).toMatchObject({ approvalId });
    await agent.client.callTool({ name: 'unknown_tool', arguments: {} }).catch(() => undefined);
  } finally {
    await agent.close();
    await gateway.close();
  }
  expect([...used].sort()).toEqual(['callTool', 'listTools', 'openChannel']);
  expect(readdirSync(agentDir).sort()).toEqual(['agent.token', 'gateway.token']);
});

it('has no code path to the admin API', () => {
  const srcDir = new URL('../src/', import.meta.url);
  for (const file of readdirSync(srcDir)) {
    const source = readFileSync(new URL(file, srcDir), 'utf8');
    expect(source, file).not.toMatch(
      /\.(approve|deny|listApprovals|addMcpServer|removeMcpServer|refreshMcpServer|reviewMcpServer|listMcpServers|getMcpServer|receiptHead|listKeys|rotateKey|startMcpLogin|getMcpLogin|logoutMcpServer|getApproval|watchApprovals|setPolicy|validatePolicy|getPolicy|setBudget|listBudgets|listReceipts|verifyReceipts|exportReceipts|exportReceiptLines|status)\(/,
    );
    expect(source, file).not.toMatch(/role:\s*'admin'|admin\.token/);
  }
});
