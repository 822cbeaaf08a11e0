/**
 * End to end: how long `npm start`'s gateway holds a call for approval (BRIEFCASE_APPROVAL_WAIT), and
 * what Ctrl-C does to a call that is held. Build first: `npx tsc -b apps/cli`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEV, envFor, freePort, type Running, runJson, startDaemon, startScript, stop } from './support.js';

let dataDir: string;
let launched: Running | undefined;
let daemon: Running | undefined;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bc-cli-dev-wait-'));
});

afterEach(async () => {
  await stop(launched);
  await stop(daemon);
  launched = undefined;
  daemon = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

/** The command line of the gateway process `npm start` spawned, once it exists. */
async function gatewayCommandLine(running: Running): Promise<string[]> {
  const pid = running.child.pid;
  const deadline = Date.now() + 25_000;
  for (;;) {
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => ''))
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    if (children.length > 0) {
      return (await readFile(`/proc/${children[0]}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    }
    if (Date.now() > deadline || running.child.exitCode !== null) {
      throw new Error(`no gateway process:\n${running.output.stdout}\n${running.output.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm start and BRIEFCASE_APPROVAL_WAIT', () => {
  it('passes the wait to the gateway as --approval-wait', async () => {
    const port = await freePort();
    launched = startScript(
      DEV,
      [],
      envFor(dataDir, { BRIEFCASE_GATEWAY_PORT: String(port), BRIEFCASE_APPROVAL_WAIT: '7.5' }),
    );
    const args = await gatewayCommandLine(launched);
    expect(args.slice(-2)).toEqual(['--approval-wait', '7.5']);
  }, 40_000);

  it('leaves the gateway its default when unset', async () => {
    const port = await freePort();
    const env = envFor(dataDir, { BRIEFCASE_GATEWAY_PORT: String(port) });
    delete env.BRIEFCASE_APPROVAL_WAIT;
    launched = startScript(DEV, [], env);
    expect(await gatewayCommandLine(launched)).not.toContain('--approval-wait');
  }, 40_000);

  it('refuses an invalid wait with exit 2 before starting anything', async () => {
    launched = startScript(DEV, [], envFor(dataDir, { BRIEFCASE_APPROVAL_WAIT: '60s' }));
    const done = await launched.exited;
    expect(done.code).toBe(2);
    expect(done.stderr).toContain(
      'npm start: BRIEFCASE_APPROVAL_WAIT must be a number of seconds from 0 to 120, got "60s"',
    );
    expect(existsSync(join(dataDir, 'briefcase.db'))).toBe(false);
  });
});

/** An SDK client connected to `npm start`'s gateway, once it answers. */
async function connectWhenUp(port: number): Promise<Client> {
  const deadline = Date.now() + 25_000;
  for (;;) {
    try {
      const token = (await readFile(join(dataDir, 'gateway.token'), 'utf8')).trim();
      const client = new Client({ name: 'dev-wait-e2e', version: '0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
      );
      return client;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

interface ApprovalOut {
  id: string;
  state: string;
  summary: string;
}

describe('Ctrl-C in npm start while an agent waits for approval', () => {
  it('answers the agent, stops cleanly, and leaves no pending approval behind', async () => {
    const port = await freePort();
    launched = startScript(DEV, [], envFor(dataDir, { BRIEFCASE_GATEWAY_PORT: String(port) }));
    const client = await connectWhenUp(port);
    const call = client.callTool({ name: 'note_add', arguments: { text: 'held at Ctrl-C' } });
    let approval: ApprovalOut | undefined;
    while (approval === undefined) {
      const listed = await runJson<{ approvals: ApprovalOut[] }>(dataDir, 'approvals', 'list');
      approval = listed.body.approvals.find((a) => a.summary.includes('held at Ctrl-C'));
    }

    launched.child.kill('SIGINT');
    const result = (await call) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ code: 'shutting_down' });
    const done = await launched.exited;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).not.toContain('Failed to send response');
    await client.close().catch(() => {});

    // Started again: the request nobody can retry on was withdrawn, and the receipts say so.
    daemon = await startDaemon(dataDir);
    const after = await runJson<{ approvals: ApprovalOut[] }>(dataDir, 'approvals', 'list', '--all');
    const id = approval.id;
    expect(after.body.approvals.find((a) => a.id === id)?.state).toBe('expired');
    const receipts = await runJson<{ receipts: Array<Record<string, unknown>> }>(
      dataDir,
      'receipts',
      'list',
      '--kind',
      'approval_expired',
    );
    expect(receipts.body.receipts).toEqual([
      expect.objectContaining({ approvalId: approval.id, cause: 'caller_left' }),
    ]);
  }, 60_000);
});
