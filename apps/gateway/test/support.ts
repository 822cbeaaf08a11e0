import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DaemonOptions,
  type RunningDaemon,
  startDaemon,
  type ToolProvider,
} from '@briefcase/briefcased';
import { type BriefcaseClient, createClient } from '@briefcase/client';
import { BriefcaseError, isErrorCode } from '@briefcase/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/**
 * Tools a real daemon serves besides its built-ins, to reach what the built-ins cannot:
 * - `upstream_search` looks like a tool of a remote MCP server (source kind `mcp`, with an output
 *   schema) and answers with an MCP CallToolResult, or fails with the code in `fail`;
 * - `fail_with` fails with the error code it is given, as a provider would (OAuth, sandbox, ...).
 */
export const testTools: ToolProvider = {
  id: 'gateway-test',
  tools: () => [
    {
      definition: {
        name: 'upstream_search',
        description: 'Searches the demo upstream MCP server.',
        inputSchema: {
          type: 'object',
          properties: { query: { type: 'string' }, fail: { type: 'string' } },
          required: ['query'],
          additionalProperties: false,
        },
        outputSchema: {
          type: 'object',
          properties: { hits: { type: 'integer' } },
          required: ['hits'],
        },
        category: 'search',
        effect: 'read',
        costMicroUsd: 0,
        outputAllowlist: ['content', 'structuredContent', 'isError'],
        source: { kind: 'mcp', server: 'demo', upstreamName: 'search' },
      },
      executor: {
        mode: 'external',
        run: async (args) => {
          if (typeof args.fail === 'string' && isErrorCode(args.fail)) {
            throw new BriefcaseError(args.fail, `the demo server failed with ${args.fail}`);
          }
          return {
            content: [{ type: 'text', text: `2 hits for ${String(args.query)}` }],
            structuredContent: { hits: 2 },
          };
        },
      },
    },
    {
      definition: {
        name: 'fail_with',
        description: 'Fails with the given error code.',
        inputSchema: {
          type: 'object',
          properties: { code: { type: 'string' } },
          required: ['code'],
          additionalProperties: false,
        },
        category: 'utility',
        effect: 'read',
        costMicroUsd: 0,
        outputAllowlist: ['*'],
        source: { kind: 'provider', server: 'failing' },
      },
      executor: {
        mode: 'pure',
        run: (args) => {
          const code = String(args.code);
          if (!isErrorCode(code)) return { unexpected: code };
          throw new BriefcaseError(
            code,
            code === 'oauth_required'
              ? 'Sign in first: run `briefcase login demo`.'
              : `the provider failed with ${code}`,
          );
        },
      },
    },
  ],
};

export interface TestDaemon {
  daemon: RunningDaemon;
  dataDir: string;
  adminToken: string;
  agentToken: string;
  /** A client with the admin token: what a person uses to approve. Never given to a gateway. */
  admin: BriefcaseClient;
  /** A client with the agent token, as the gateway uses it. */
  agent: BriefcaseClient;
  stop(): Promise<void>;
}

/** Starts a real in-process briefcased on a fresh data dir (memory secrets, no log output). */
export async function startTestDaemon(options: Partial<DaemonOptions> = {}): Promise<TestDaemon> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bc-gateway-'));
  const daemon = await startDaemon({
    dataDir,
    secretBackend: 'memory',
    env: {},
    logLevel: 'silent',
    providers: [testTools],
    ...options,
  });
  return {
    daemon,
    dataDir,
    adminToken: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim(),
    agentToken: readFileSync(join(dataDir, 'agent.token'), 'utf8').trim(),
    admin: createClient({ dataDir, role: 'admin' }),
    agent: createClient({ dataDir, role: 'agent' }),
    async stop() {
      await daemon.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An MCP client connected over Streamable HTTP, recording the text of every response it got. */
export interface HttpAgent {
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** Every response body so far (SSE streams once they end). */
  bodies(): Promise<string[]>;
  close(): Promise<void>;
}

/** Connects `client` (default: a plain one) to the gateway at `url` with its bearer token. */
export async function connectHttp(
  url: string,
  token: string,
  client = new Client({ name: 'test-agent', version: '1.0.0' }),
): Promise<HttpAgent> {
  const seen: Promise<string>[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      seen.push(
        res
          .clone()
          .text()
          .catch(() => ''),
      );
      return res;
    },
  });
  await client.connect(transport);
  return {
    client,
    transport,
    bodies: () => Promise.all(seen),
    close: () => client.close(),
  };
}

/** Polls until `find` returns something, or fails after `timeoutMs`. */
export async function eventually<T>(find: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
