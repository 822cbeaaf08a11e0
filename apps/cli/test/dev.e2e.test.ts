/**
 * End to end: `npm start`'s launcher (apps/cli/dist/dev.js) runs briefcased, and the HTTP gateway in
 * a child process of its own. Driven like a person would: read the banner, connect an MCP client with the printed
 * URL and token, use the CLI, see the approval line, press Ctrl-C. Build first: `npx tsc -b apps/cli`.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEV, envFor, freePort, type Running, run, startScript, stop } from './support.js';

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
  it('runs the daemon and the gateway, prints a short banner (the token once, no client configs), stops on Ctrl-C', async () => {
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
    expect(banner).toMatch(new RegExp(`^ {2}MCP gateway: +${url.replaceAll('.', '\\.')}$`, 'm'));
    // The token once, with the file that holds it; no client configuration printed.
    expect(banner.split(token)).toHaveLength(2);
    expect(banner).toContain(`(in ${join(dataDir, 'gateway.token')}; keep it private`);
    expect(banner).not.toContain('mcpServers');
    expect(banner).not.toContain('Authorization');
    expect(banner).toContain('briefcase gateway --print-config --client claude-code');
    expect(banner).toContain('briefcase approvals watch');
    expect(banner).toContain(`export BRIEFCASE_DATA_DIR=${dataDir}`);
    expect(banner.split('\n').length).toBeLessThan(30);

    // status reports the gateway npm start runs.
    const status = await run(dataDir, 'status');
    expect(status.stdout).toMatch(
      new RegExp(`^gateway +${url.replaceAll('.', '\\.')} \\(http, pid \\d+`, 'm'),
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
    expect(existsSync(join(dataDir, 'gateway.json'))).toBe(false);
  }, 40_000);

  it('announces each new pending approval with the command that decides it, and a desktop notification', async () => {
    // A stand-in notify-send that records its arguments, one per line.
    const bin = join(dataDir, 'fake-bin');
    const recorded = join(dataDir, 'notify-send.args');
    await mkdir(bin);
    await writeFile(
      join(bin, 'notify-send'),
      `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${JSON.stringify(recorded)}\n`,
      { mode: 0o755 },
    );
    const env = envFor(dataDir, { BRIEFCASE_GATEWAY_PORT: String(await freePort()) });
    env.PATH = `${bin}:${env.PATH}`;
    launched = startScript(DEV, [], env);
    await launched.waitFor('stdout', /Stop with Ctrl-C\./, 25_000);
    expect(launched.output.stdout).toContain('(and a desktop notification)');

    const call = await run(dataDir, 'tools', 'call', 'note_add', '--args', '{"text":"secret-looking args"}');
    expect(call.code).toBe(4);
    const id = /approve it: {2}briefcase approvals approve (\S+)/.exec(call.stderr)?.[1];
    expect(id).toBeDefined();
    const line = await launched.waitFor('stdout', /^.*approval needed: .*$/m);
    expect(line[0]).toMatch(
      new RegExp(
        `^\\d\\d:\\d\\d:\\d\\d approval needed: note_add \\(approval ${id}\\) · approve: briefcase approvals approve ${id} · deny: briefcase approvals deny ${id}$`,
      ),
    );
    // Not a terminal: no bell. And the agent's arguments are never shown.
    expect(launched.output.stdout).not.toContain('\u0007');
    expect(launched.output.stdout).not.toContain('secret-looking');

    // The notification is fire-and-forget: wait for the stand-in to have written its record.
    for (let i = 0; i < 400 && !existsSync(recorded); i++) await delay(50);
    const args = (await readFile(recorded, 'utf8')).split('\n');
    expect(args.slice(0, 3)).toEqual(['--app-name=Credential Briefcase', '--', 'Approval needed']);
    expect(args.slice(3).join('\n')).toContain(`briefcase approvals approve ${id}`);
    expect(args.join('\n')).not.toContain('secret-looking');
  }, 40_000);

  it('without notify-send, or with BRIEFCASE_NOTIFY=0, the line still comes and nothing breaks', async () => {
    const env = envFor(dataDir, { BRIEFCASE_GATEWAY_PORT: String(await freePort()), BRIEFCASE_NOTIFY: '0' });
    launched = startScript(DEV, [], env);
    await launched.waitFor('stdout', /Stop with Ctrl-C\./, 25_000);
    expect(launched.output.stdout).not.toContain('desktop notification');
    expect((await run(dataDir, 'tools', 'call', 'note_add', '--args', '{"text":"x"}')).code).toBe(4);
    await launched.waitFor('stdout', /approval needed: note_add \(approval \S+\)/);
    expect((await run(dataDir, 'tools', 'call', 'echo', '--args', '{"text":"still fine"}')).code).toBe(0);
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
