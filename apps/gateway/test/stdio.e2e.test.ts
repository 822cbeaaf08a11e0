/** The gateway binary over stdio and HTTP, as an MCP client starts it, against a real daemon. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { META_KEYS } from '@briefcase/gateway';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, startTestDaemon, type TestDaemon } from './support.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
let bc: TestDaemon;

beforeAll(async () => {
  bc = await startTestDaemon();
});

afterAll(async () => {
  await bc.stop();
});

describe('--stdio', () => {
  it('lists and calls tools for a client that spawned it', async () => {
    const stderr: string[] = [];
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MAIN, '--stdio'],
      env: { BRIEFCASE_DATA_DIR: bc.dataDir, PATH: process.env.PATH ?? '' },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
    const client = new Client({ name: 'stdio-agent', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()?.name).toBe('credential-briefcase');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('echo');
      const result = (await client.callTool({
        name: 'echo',
        arguments: { text: 'over stdio' },
      })) as CallToolResult;
      expect(result.structuredContent).toEqual({ text: 'over stdio' });
      expect(result._meta?.[META_KEYS.provenance]).toMatchObject({ tool: 'echo' });
      const everything = JSON.stringify({ tools, result, stderr });
      expect(everything).not.toContain(bc.agentToken);
      expect(everything).not.toContain(bc.adminToken);
    } finally {
      await client.close();
    }
  });
});

describe('--http', () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('serves Streamable HTTP with the token from gateway.token and stops on SIGTERM', async () => {
    child = spawn(process.execPath, [MAIN, '--http', '127.0.0.1:0'], {
      env: { BRIEFCASE_DATA_DIR: bc.dataDir, PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = child;
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      proc.stderr?.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        const match = /MCP endpoint (http:\/\/\S+)/.exec(text);
        if (match) resolve(match[1] as string);
      });
      proc.once('exit', (code) => reject(new Error(`gateway exited early (${code}): ${text}`)));
    });
    const token = readFileSync(join(bc.dataDir, 'gateway.token'), 'utf8').trim();
    const agent = await connectHttp(url, token);
    const result = (await agent.client.callTool({
      name: 'echo',
      arguments: { text: 'http' },
    })) as CallToolResult;
    expect(result.structuredContent).toEqual({ text: 'http' });
    await agent.close();
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('--print-config and usage', () => {
  // Asynchronous on purpose: spawnSync would block this process, and with it the in-process daemon.
  const run = (args: string[]) =>
    new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const proc = spawn(process.execPath, [MAIN, ...args], {
        env: { BRIEFCASE_DATA_DIR: bc.dataDir, PATH: process.env.PATH ?? '' },
        stdio: ['pipe', 'pipe', 'ignore'],
        timeout: 15_000,
      });
      let stdout = '';
      proc.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
      });
      proc.stdin.end();
      proc.once('close', (status) => resolve({ status, stdout }));
    });

  it('prints stdio client configuration with absolute paths', async () => {
    const { status, stdout } = await run(['--stdio', '--print-config']);
    expect(status).toBe(0);
    expect(stdout).toContain(`"${process.execPath}"`);
    expect(stdout).toContain(`"${MAIN}"`);
    expect(stdout).toContain(`"BRIEFCASE_DATA_DIR": "${bc.dataDir}"`);
  });

  it('prints HTTP client configuration with the gateway token', async () => {
    const { status, stdout } = await run(['--http', '127.0.0.1:8766', '--print-config']);
    expect(status).toBe(0);
    const token = readFileSync(join(bc.dataDir, 'gateway.token'), 'utf8').trim();
    expect(stdout).toContain('"url": "http://127.0.0.1:8766/mcp"');
    expect(stdout).toContain(`"Authorization": "Bearer ${token}"`);
  });

  it('exits 2 on bad usage, 1 when it cannot start', async () => {
    expect((await run([])).status).toBe(2);
    expect((await run(['--stdio', '--http', '127.0.0.1:1'])).status).toBe(2);
    expect((await run(['--http', 'nonsense'])).status).toBe(2);
    expect((await run(['--stdio', '--approval-wait', '500'])).status).toBe(2);
    expect((await run(['--http', '10.1.2.3:8766'])).status).toBe(1);
  });
});
