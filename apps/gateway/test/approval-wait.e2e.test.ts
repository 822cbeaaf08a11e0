/**
 * The gateway's approval wait against the official SDK client's own timeout: an agent whose client
 * keeps the SDK default must hear `approval_required` (with an id to hand to a person), never
 * "Request timed out".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_APPROVAL_WAIT_MS } from '@briefcase/core';
import { DEFAULT_APPROVAL_WAIT_MS, parseApprovalWait } from '@briefcase/gateway';
import { DEFAULT_REQUEST_TIMEOUT_MSEC } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, startTestDaemon, type TestDaemon } from './support.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
/** Room left between the gateway's answer and the client giving up: a loaded machine, a slow daemon. */
const MARGIN_MS = 5_000;

let bc: TestDaemon;
let child: ChildProcess | undefined;

beforeAll(async () => {
  bc = await startTestDaemon();
});

afterAll(async () => {
  await bc.stop();
});

afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

/** Starts the gateway binary over HTTP with `args` and returns its MCP endpoint. */
function startGateway(args: string[]): Promise<string> {
  const proc = spawn(process.execPath, [MAIN, '--http', '127.0.0.1:0', ...args], {
    env: { BRIEFCASE_DATA_DIR: bc.dataDir, PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  return new Promise<string>((resolve, reject) => {
    let text = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = /MCP endpoint (http:\/\/\S+)/.exec(text);
      if (match) resolve(match[1] as string);
    });
    proc.once('exit', (code) => reject(new Error(`gateway exited early (${code}): ${text}`)));
  });
}

/** Calls a tool that needs approval through the gateway at `url` with a plain SDK client (its default timeout). */
async function callNobodyDecides(url: string, text: string): Promise<CallToolResult> {
  const token = readFileSync(join(bc.dataDir, 'gateway.token'), 'utf8').trim();
  const agent = await connectHttp(url, token);
  try {
    // No RequestOptions: the SDK's DEFAULT_REQUEST_TIMEOUT_MSEC applies, as in most MCP clients.
    return (await agent.client.callTool({ name: 'note_add', arguments: { text } })) as CallToolResult;
  } finally {
    await agent.close();
  }
}

describe('the default approval wait', () => {
  it('ends well before the MCP TypeScript SDK default request timeout', () => {
    expect(DEFAULT_APPROVAL_WAIT_MS).toBeLessThan(DEFAULT_REQUEST_TIMEOUT_MSEC - MARGIN_MS);
    expect(DEFAULT_APPROVAL_WAIT_MS).toBeLessThanOrEqual(MAX_APPROVAL_WAIT_MS);
  });

  it('parses seconds strictly and names the setting in its error', () => {
    expect(parseApprovalWait('0', 'X')).toBe(0);
    expect(parseApprovalWait('2.5', 'X')).toBe(2_500);
    expect(parseApprovalWait(String(MAX_APPROVAL_WAIT_MS / 1000), 'X')).toBe(MAX_APPROVAL_WAIT_MS);
    for (const bad of ['', ' 5', '-1', '1e1', '0x10', 'five', String(MAX_APPROVAL_WAIT_MS / 1000 + 1)]) {
      expect(() => parseApprovalWait(bad, 'BRIEFCASE_APPROVAL_WAIT'), bad).toThrow(
        /^BRIEFCASE_APPROVAL_WAIT must be a number of seconds from 0 to 120, got /,
      );
    }
  });

  it('a short configured wait answers an SDK client with approval_required and an id', async () => {
    const result = await callNobodyDecides(await startGateway(['--approval-wait', '1']), 'short wait');
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ code: 'approval_required' });
    expect((result.structuredContent as { approvalId: unknown }).approvalId).toEqual(expect.any(String));
  });

  // Real time on purpose: the whole default wait (45 s), against the SDK's real default timeout.
  it(
    'with default settings, an SDK client with its default timeout gets approval_required, not a timeout',
    async () => {
      const result = await callNobodyDecides(await startGateway([]), 'default wait');
      expect(result.structuredContent).toMatchObject({ code: 'approval_required' });
      const id = (result.structuredContent as { approvalId: string }).approvalId;
      // The id the agent got is one a person can approve.
      expect((await bc.admin.getApproval(id)).state).toBe('pending');
    },
    DEFAULT_REQUEST_TIMEOUT_MSEC + 30_000,
  );
});
