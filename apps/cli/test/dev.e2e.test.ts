/**
 * End to end: `npm start`'s launcher (apps/cli/dist/dev.js) runs briefcased, and the HTTP gateway in
 * a child process of its own. Driven like a person would: read the banner, connect an MCP client with the printed
 * URL and token, use the CLI, press Ctrl-C. Build first: `npx tsc -b apps/cli`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEV, EVERYTHING, envFor, freePort, MAIN, type Running, run, startScript, stop } from './support.js';

let dataDir: string;
let launched: Running | undefined;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bc-cli-dev-'));
});

afterEach(async () => {
  await stop(launched);
  launched = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('runs the daemon and the gateway, prints the client config and next steps, stops on Ctrl-C', async () => {
    const port = await freePort();
    const passphrase = 'passphrase-the-gateway-must-never-see';
    launched = startScript(
      DEV,
      [],
      envFor(dataDir, {
        BRIEFCASE_GATEWAY_PORT: String(port),
        BRIEFCASE_SECRET_BACKEND: 'file',
        BRIEFCASE_MASTER_PASSPHRASE: passphrase,
      }),
    );
    await launched.waitFor('stdout', /Stop with Ctrl-C\./, 25_000);
    const banner = launched.output.stdout;
    const url = `http://127.0.0.1:${port}/mcp`;
    const token = (await readFile(join(dataDir, 'gateway.token'), 'utf8')).trim();
    expect(banner).toMatch(new RegExp(`^ {2}data dir: +${dataDir}$`, 'm'));
    expect(banner).toMatch(new RegExp(`^ {2}MCP gateway: +${url.replaceAll('.', '\\.')} `, 'm'));
    expect(banner).toContain(`"url": "${url}"`);
    expect(banner).toContain(`"Authorization": "Bearer ${token}"`);
    expect(banner).toMatch(
      new RegExp(`"args": \\[\\s*${JSON.stringify(MAIN)},\\s*"gateway",\\s*"--stdio"\\s*\\]`),
    );
    expect(banner).toContain(`export BRIEFCASE_DATA_DIR=${dataDir}`);
    expect(banner).toContain(
      `npx briefcase mcp add everything --command '${process.execPath} ${EVERYTHING} stdio'`,
    );

    const client = new Client({ name: 'dev-e2e', version: '0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
    const echo = await client.callTool({ name: 'echo', arguments: { text: 'from npm start' } });
    expect(JSON.stringify(echo.content)).toContain('from npm start');
    await client.close();
    expect((await run(dataDir, 'status')).code).toBe(0);

    // The agent-facing gateway is a separate process whose environment holds no secret.
    const children = (
      await readFile(`/proc/${launched.child.pid}/task/${launched.child.pid}/children`, 'utf8')
    )
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    expect(children).toHaveLength(1);
    const gatewayEnv = await readFile(`/proc/${children[0]}/environ`, 'utf8');
    expect(gatewayEnv).toContain(`BRIEFCASE_DATA_DIR=${dataDir}`);
    expect(gatewayEnv).not.toContain(passphrase);
    expect(gatewayEnv).not.toContain('BRIEFCASE_MASTER_PASSPHRASE');

    launched.child.kill('SIGINT');
    const done = await launched.exited;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/stopped \(SIGINT\)\.\n$/);
    expect(existsSync(join(dataDir, 'briefcased.sock'))).toBe(false);
  }, 40_000);

  it('fails clearly when the gateway port is taken, leaving no daemon behind', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const passphrase = 'passphrase-the-gateway-must-never-see';
      launched = startScript(
        DEV,
        [],
        envFor(dataDir, {
          BRIEFCASE_GATEWAY_PORT: String(port),
          BRIEFCASE_SECRET_BACKEND: 'file',
          BRIEFCASE_MASTER_PASSPHRASE: passphrase,
        }),
      );
      const done = await launched.exited;
      expect(done.code).toBe(1);
      expect(done.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
      expect(done.stderr).toMatch(/BRIEFCASE_GATEWAY_PORT=\d+ npm start/);
      expect((await run(dataDir, 'status')).code).toBe(3);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 40_000);

  it('refuses a malformed BRIEFCASE_GATEWAY_PORT before starting anything', async () => {
    launched = startScript(DEV, [], envFor(dataDir, { BRIEFCASE_GATEWAY_PORT: '80a' }));
    const done = await launched.exited;
    expect(done.code).toBe(2);
    expect(done.stderr).toMatch(/BRIEFCASE_GATEWAY_PORT must be a port number/);
    expect(existsSync(join(dataDir, 'briefcase.db'))).toBe(false);
  });
});
