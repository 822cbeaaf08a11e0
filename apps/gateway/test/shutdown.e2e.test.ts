/**
 * The gateway binary stopping while an agent waits for a person: the held call is answered before
 * the process exits, and the approval nobody will see answered does not stay pending.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, eventually, startTestDaemon, type TestDaemon } from './support.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
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

interface Gateway {
  proc: ChildProcess;
  url: string;
  /** Everything the gateway wrote to stderr so far. */
  stderr(): string;
  exited: Promise<number | null>;
}

function startHttpGateway(args: string[] = []): Promise<Gateway> {
  const proc = spawn(process.execPath, [MAIN, '--http', '127.0.0.1:0', ...args], {
    env: { BRIEFCASE_DATA_DIR: bc.dataDir, PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let text = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  return new Promise<Gateway>((resolve, reject) => {
    proc.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = /MCP endpoint (http:\/\/\S+)/.exec(text);
      if (match) resolve({ proc, url: match[1] as string, stderr: () => text, exited });
    });
    proc.once('exit', (code) => reject(new Error(`gateway exited early (${code}): ${text}`)));
  });
}

/**
 * An MCP client transport over a child's stdin/stdout, so the test owns the process (its pid for the
 * signal, its exit code), as a client's supervisor would.
 */
class ChildStdioTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private readonly buffer = new ReadBuffer();
  constructor(private readonly proc: ChildProcess) {}
  async start(): Promise<void> {
    this.proc.stdout?.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (let message = this.buffer.readMessage(); message !== null; message = this.buffer.readMessage())
        this.onmessage?.(message);
    });
    this.proc.once('close', () => this.onclose?.());
  }
  async send(message: JSONRPCMessage): Promise<void> {
    this.proc.stdin?.write(serializeMessage(message));
  }
  async close(): Promise<void> {
    this.proc.stdin?.end();
  }
}

/** Waits until briefcased holds a pending approval for a note with this text, and returns its id. */
async function pendingApprovalFor(text: string): Promise<string> {
  const approval = await eventually(async () =>
    (await bc.admin.listApprovals('pending')).find((a) => a.summary.includes(text)),
  );
  return approval.id;
}

describe('stopping the HTTP gateway while a call waits for approval', () => {
  it('answers the waiting SDK client with shutting_down before it exits, without noise', async () => {
    const gateway = await startHttpGateway();
    const token = readFileSync(join(bc.dataDir, 'gateway.token'), 'utf8').trim();
    const agent = await connectHttp(gateway.url, token);
    const call = agent.client.callTool({ name: 'note_add', arguments: { text: 'held at shutdown' } });
    const id = await pendingApprovalFor('held at shutdown');

    gateway.proc.kill('SIGTERM');
    const result = (await call) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ code: 'shutting_down' });
    expect(await gateway.exited).toBe(0);
    expect(gateway.stderr()).not.toContain('Failed to send response');
    await agent.close().catch(() => {});
    // Nobody is left to retry on the request: briefcased withdrew it, with a receipt.
    await eventually(async () => ((await bc.admin.getApproval(id)).state === 'expired' ? true : undefined));
    const receipts = await bc.admin.listReceipts({ kind: 'approval_expired' });
    expect(receipts).toContainEqual(expect.objectContaining({ approvalId: id, cause: 'caller_left' }));
  });
});

describe('stopping the stdio gateway while a call waits for approval', () => {
  it('answers the waiting SDK client with shutting_down before it exits, without noise', async () => {
    const proc = spawn(process.execPath, [MAIN, '--stdio'], {
      env: { BRIEFCASE_DATA_DIR: bc.dataDir, PATH: process.env.PATH ?? '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    const client = new Client({ name: 'stdio-agent', version: '1.0.0' });
    await client.connect(new ChildStdioTransport(proc));
    const call = client.callTool({ name: 'note_add', arguments: { text: 'held over stdio' } });
    await pendingApprovalFor('held over stdio');

    proc.kill('SIGTERM');
    const result = (await call) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ code: 'shutting_down' });
    expect(await exited).toBe(0);
    expect(stderr).not.toContain('Failed to send response');
  });
});
