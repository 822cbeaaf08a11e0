/**
 * End to end: a running HTTP gateway records itself in the data dir, and `briefcase status` and
 * `briefcase gateway --print-config` report that gateway (its real port), not the default one;
 * a record left by a killed gateway reads as not running. Build first: `npx tsc -b apps/cli`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Running, run, runJson, start, startDaemon, stop } from './support.js';

let dataDir: string;
let daemon: Running | undefined;
let gateway: Running | undefined;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bc-cli-gw-'));
  daemon = await startDaemon(dataDir);
});

afterEach(async () => {
  await stop(gateway);
  await stop(daemon);
  gateway = undefined;
  daemon = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

/** Starts `briefcase gateway --http 0` (the OS picks the port) and returns its URL. */
async function startGateway(): Promise<string> {
  gateway = start(dataDir, ['gateway', '--http', '0']);
  const match = await gateway.waitFor('stderr', /MCP endpoint (http:\/\/127\.0\.0\.1:(\d+)\/mcp)/);
  return match[1] as string;
}

describe('the running gateway, as status and --print-config see it', () => {
  it('status shows the URL, transport and pid; print-config uses its port; both forget it when it stops', async () => {
    const url = await startGateway();
    const record = join(dataDir, 'gateway.json');
    expect((await stat(record)).mode & 0o777).toBe(0o600);
    // The record holds no secret.
    const token = (await readFile(join(dataDir, 'gateway.token'), 'utf8')).trim();
    expect(await readFile(record, 'utf8')).not.toContain(token);

    const status = await run(dataDir, 'status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(`^gateway +${url.replaceAll('.', '\\.')} \\(http, pid ${gateway?.child.pid}, since `, 'm'),
    );
    const json = await runJson<{ gateway: { url: string; transport: string; pid: number; alive: boolean } }>(
      dataDir,
      'status',
    );
    expect(json.body.gateway).toMatchObject({ url, transport: 'http', pid: gateway?.child.pid, alive: true });

    const all = await run(dataDir, 'gateway', '--print-config');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain(`"url": "${url}"`);
    expect(all.stderr).toContain(`using the gateway running for this data dir: ${url}`);
    const cursor = await run(dataDir, 'gateway', '--print-config', '--client', 'cursor');
    expect(cursor.code, cursor.stderr).toBe(0);
    expect(JSON.parse(cursor.stdout)).toEqual({
      mcpServers: { briefcase: { url, headers: { Authorization: `Bearer ${token}` } } },
    });
    expect(cursor.stderr).toMatch(/keep it private/);

    gateway?.child.kill('SIGTERM');
    expect((await gateway?.exited)?.code).toBe(0);
    expect(existsSync(record)).toBe(false);
    expect((await run(dataDir, 'status')).stdout).toMatch(/^gateway +not running \(no HTTP gateway/m);
    const fallback = await run(dataDir, 'gateway', '--print-config', '--client', 'claude-code');
    expect(fallback.stdout).toContain('"url": "http://127.0.0.1:8765/mcp"');
    expect(fallback.stderr).toMatch(/no gateway is running for .*; the HTTP entries use port 8765/);
  }, 40_000);

  it('a record left by a killed gateway reads as not running', async () => {
    await startGateway();
    const pid = gateway?.child.pid;
    gateway?.child.kill('SIGKILL');
    await gateway?.exited;
    expect(existsSync(join(dataDir, 'gateway.json'))).toBe(true);
    const status = await run(dataDir, 'status');
    expect(status.stdout).toMatch(
      new RegExp(`^gateway +not running \\(stale record: pid ${pid} is gone\\)`, 'm'),
    );
    const printed = await run(dataDir, 'gateway', '--print-config', '--client', 'cursor');
    expect(printed.stdout).toContain('http://127.0.0.1:8765/mcp');
  }, 40_000);
});

describe('gateway --print-config --client', () => {
  it('VS Code asks for the token through inputs: its configuration holds no token', async () => {
    const url = await startGateway();
    const token = (await readFile(join(dataDir, 'gateway.token'), 'utf8')).trim();
    const result = await run(dataDir, 'gateway', '--print-config', '--client', 'vscode');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain(token);
    expect(result.stderr).not.toContain(token);
    const config = JSON.parse(result.stdout) as {
      inputs: { type: string; id: string; password: boolean }[];
      servers: { briefcase: { type: string; url: string; headers: { Authorization: string } } };
    };
    expect(config.inputs).toEqual([expect.objectContaining({ type: 'promptString', password: true })]);
    const id = config.inputs[0]?.id;
    expect(config.servers.briefcase).toEqual({
      type: 'http',
      url,
      headers: { Authorization: `Bearer \${input:${id}}` },
    });
  }, 40_000);

  it('--out writes one client file mode 0600 and never replaces an existing file', async () => {
    const out = join(dataDir, 'mcp.json');
    const written = await run(dataDir, 'gateway', '--print-config', '--client', 'claude-code', '--out', out);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toBe('');
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const token = (await readFile(join(dataDir, 'gateway.token'), 'utf8')).trim();
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({
      mcpServers: { briefcase: { type: 'http', headers: { Authorization: `Bearer ${token}` } } },
    });

    await writeFile(out, '{"mine": true}\n');
    const again = await run(dataDir, 'gateway', '--print-config', '--client', 'cursor', '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists; not replacing it/);
    expect(await readFile(out, 'utf8')).toBe('{"mine": true}\n');

    const stdio = await run(dataDir, 'gateway', '--print-config', '--client', 'claude-desktop');
    expect(JSON.parse(stdio.stdout)).toMatchObject({
      mcpServers: { briefcase: { env: { BRIEFCASE_DATA_DIR: dataDir } } },
    });
    for (const args of [
      ['gateway', '--print-config', '--client', 'emacs'],
      ['gateway', '--print-config', '--out', out],
      ['gateway', '--client', 'cursor'],
    ]) {
      const bad = await run(dataDir, ...args);
      expect(bad.code, args.join(' ')).toBe(2);
    }
  }, 40_000);
});
