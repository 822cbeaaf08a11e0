/**
 * createGatewayServer over an in-memory MCP link, for failures a healthy daemon never produces:
 * no daemon at all, a rejected token. The messages reach an untrusted client, so they must help
 * the operator without naming paths or tokens.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BriefcaseClient, createClient } from '@briefcase/client';
import { createGatewayServer, DAEMON_UNREACHABLE_MESSAGE, TOKEN_REJECTED_MESSAGE } from '@briefcase/gateway';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from './support.js';

let bc: TestDaemon;
let scratch: string;

beforeAll(async () => {
  bc = await startTestDaemon();
  scratch = mkdtempSync(join(tmpdir(), 'bc-gateway-unit-'));
});

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await bc.stop();
});

async function connect(client: BriefcaseClient, logs: string[]) {
  const server = createGatewayServer({ client, version: 'test', log: (m) => logs.push(m) });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const mcp = new Client({ name: 'unit', version: '1' });
  await mcp.connect(clientSide);
  return mcp;
}

describe('operator-facing failures', () => {
  it('reports an unreachable daemon as InternalError without paths; the log says more', async () => {
    const logs: string[] = [];
    const missing = join(scratch, 'no-daemon-here');
    const mcp = await connect(createClient({ dataDir: missing, role: 'agent' }), logs);
    for (const attempt of [
      () => mcp.listTools(),
      () => mcp.callTool({ name: 'echo', arguments: { text: 'x' } }),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(ErrorCode.InternalError);
      expect((error as McpError).message).toContain(DAEMON_UNREACHABLE_MESSAGE);
      expect((error as McpError).message).not.toContain(scratch);
    }
    expect(logs.join('\n')).toContain(missing);
    await mcp.close();
  });

  it('reports a token the daemon rejects as InternalError, never echoing the token', async () => {
    const logs: string[] = [];
    const wrong = 'wrong_agent_token_0123456789abcdefghijklmnop';
    const tokenDir = mkdtempSync(join(scratch, 'tok-'));
    writeFileSync(join(tokenDir, 'agent.token'), wrong);
    const mcp = await connect(
      createClient({ dataDir: tokenDir, role: 'agent', socketPath: bc.daemon.socketPath }),
      logs,
    );
    const error = await mcp.callTool({ name: 'echo', arguments: { text: 'x' } }).catch((e: unknown) => e);
    expect((error as McpError).code).toBe(ErrorCode.InternalError);
    expect((error as McpError).message).toContain(TOKEN_REJECTED_MESSAGE);
    expect(JSON.stringify({ error, logs })).not.toContain(wrong);
    await mcp.close();
  });

  it('rejects out-of-range options', () => {
    expect(() => createGatewayServer({ client: bc.agent, version: 't', approvalWaitMs: 120_001 })).toThrow(
      RangeError,
    );
    expect(() => createGatewayServer({ client: bc.agent, version: 't', approvalWaitMs: 1.5 })).toThrow(
      RangeError,
    );
    expect(() => createGatewayServer({ client: bc.agent, version: 't', progressIntervalMs: 0 })).toThrow(
      RangeError,
    );
  });
});
