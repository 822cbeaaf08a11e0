/**
 * A remote server that answered 401 when it was added stays marked as needing a sign-in after the
 * daemon restarts (the state lives in SQLite, not only in memory), and its challenge never leaks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProtectedMcp } from '@briefcase/test-world';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestDaemon } from './support.js';

const FIXTURE = new URL(
  '../../../packages/mcp-upstream/test/fixtures/unauthorized-server.mjs',
  import.meta.url,
).pathname;
let server: ChildProcess;
let url: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'briefcased-auth-state-'));
  server = spawn(process.execPath, [FIXTURE], { stdio: ['ignore', 'pipe', 'ignore'] });
  url = await new Promise<string>((resolve) => {
    server.stdout?.on('data', (chunk: Buffer) => {
      const port = /LISTENING (\d+)/.exec(String(chunk))?.[1];
      if (port) resolve(`http://127.0.0.1:${port}/mcp`);
    });
  });
});

afterAll(() => {
  server.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

it('keeps oauth_required for a server that answered 401 across a restart', async () => {
  const first = await startTestDaemon({ dataDir });
  const added = await first.api('POST', '/v1/mcp/servers', { name: 'locked', url });
  expect(added.status).toBe(201);
  expect(added.json.server.auth).toMatchObject({
    state: 'oauth_required',
    reason: 'the server answered 401',
  });
  await first.daemon.close();

  const second = await startTestDaemon({ dataDir });
  try {
    const shown = await second.api('GET', '/v1/mcp/servers/locked');
    expect(shown.json.server.status.authorization).toBe('oauth_required');
    expect(shown.json.server.auth.state).toBe('oauth_required');
    expect(JSON.stringify(shown.json)).not.toContain('CANARY');
  } finally {
    await second.daemon.close();
  }
});

it('drops the note once the server answers without a token (it no longer needs a sign-in)', async () => {
  const mcp = await startProtectedMcp();
  const bc = await startTestDaemon();
  try {
    await bc.api('POST', '/v1/mcp/servers', { name: 'opened', url: mcp.url });
    expect((await bc.api('GET', '/v1/mcp/servers/opened')).json.server.auth.state).toBe('oauth_required');
    mcp.state.allowAnonymous = true;
    const refreshed = await bc.api('POST', '/v1/mcp/servers/opened/refresh', {});
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.server.auth.state).toBe('none');
    expect(refreshed.json.server.status.authorization).toBe('none');
    expect(refreshed.json.server.tools.map((t: { name: string }) => t.name)).toEqual(['opened__whoami']);
  } finally {
    await bc.daemon.close();
    await mcp.close();
  }
});
