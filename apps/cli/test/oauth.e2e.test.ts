/**
 * End to end: `briefcase mcp login|show|list|logout` as subprocesses against a real briefcased
 * (`briefcase daemon`), in the world of apps/gateway/test/oauth.e2e.test.ts: a real authorization
 * server (oidc-provider: PKCE, DPoP, rotation, resource indicators, revocation, registration) and an
 * SDK MCP server that checks DPoP-bound tokens on every request. The test is the person: it reads
 * the URL the CLI prints while it waits and drives the provider's login and consent pages.
 * A fake `xdg-open` first on PATH records whether the CLI opened a browser.
 * Build first: `npx tsc -b apps/cli`.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CONFIDENTIAL_CLIENT,
  type ProtectedMcp,
  playBrowser,
  startAuthorizationServer,
  startProtectedMcp,
  type TestAuthorizationServer,
} from '@briefcase/test-world';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, MAIN, type Result, type Running, startDaemon, startScript, stop } from './support.js';

const SECRET_VAR = 'BC_TEST_CLIENT_SECRET';

let mcp: ProtectedMcp;
let as: TestAuthorizationServer;
let dataDir: string;
let daemon: Running | undefined;
let marker: string;
let env: NodeJS.ProcessEnv;
/** Everything the CLI printed in this file: no token or client secret may ever be in it. */
const printed: string[] = [];

function startCli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Running {
  const running = startScript(MAIN, args, { ...env, ...extraEnv });
  void running.exited.then((r) => printed.push(r.stdout, r.stderr));
  return running;
}

const cli = (...args: string[]): Promise<Result> => startCli(args).exited;

async function eventually<T>(probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(100);
  }
}

/** Starts `briefcase mcp login …`, waits for the URL line, and plays the browser unless told not to. */
async function login(
  args: string[],
  options: {
    browser?: 'sign-in' | 'refuse' | 'none';
    urlOn?: 'stdout' | 'stderr';
    env?: NodeJS.ProcessEnv;
  } = {},
) {
  const running = startCli(['mcp', 'login', 'secure', ...args], options.env);
  // The URL is alone on its line: nothing before or after it.
  const [, href] = await running.waitFor(options.urlOn ?? 'stdout', /^(https?:\/\/\S+)$/m, 20_000);
  const url = new URL(href as string);
  const redirectUri = url.searchParams.get('redirect_uri') as string;
  if (options.browser !== 'none') {
    const page = await playBrowser(url, redirectUri, { abort: options.browser === 'refuse' });
    expect(page.status).toBe(200);
  }
  return { running, url, redirectUri };
}

/** Calls secure__whoami through `briefcase tools call`, approving the approval it asks for first. */
async function callWhoami(): Promise<Result> {
  const call = ['--json', 'tools', 'call', 'secure__whoami', '--args', '{}'];
  const first = await cli(...call);
  const body = JSON.parse(first.stdout) as { error?: { code: string; approval_id?: string } };
  if (body.error?.code !== 'approval_required') return first;
  expect((await cli('approvals', 'approve', body.error.approval_id as string)).code).toBe(0);
  return cli(...call);
}

beforeAll(async () => {
  mcp = await startProtectedMcp();
  as = await startAuthorizationServer(mcp.url);
  mcp.setAuthorizationServer(as);
  dataDir = await mkdtemp(join(tmpdir(), 'bc-cli-oauth-'));
  const bin = join(dataDir, 'fake-bin');
  marker = join(dataDir, 'browser-opened');
  await mkdir(bin);
  await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${marker}'\n`);
  await chmod(join(bin, 'xdg-open'), 0o755);
  env = envFor(dataDir, { PATH: `${bin}:${process.env.PATH ?? ''}` });
  daemon = await startDaemon(dataDir);
}, 60_000);

afterAll(async () => {
  await stop(daemon);
  await as?.close();
  await mcp?.close();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('briefcase mcp login / logout against a real authorization server', () => {
  it('add leaves a protected server waiting for a sign-in, and says which command does it', async () => {
    const add = await cli('mcp', 'add', 'secure', '--url', mcp.url);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toContain('sign in with `briefcase mcp login secure`');
    const list = await cli('mcp', 'list');
    expect(list.stdout).toMatch(/^NAME\s+TRANSPORT\s+TOOLS\s+STATUS\s+AUTH\s+TARGET$/m);
    expect(list.stdout).toMatch(
      /^secure\s+streamable_http\s+0 active, 0 quarantined\s+.*\s+sign-in required\s+http:/m,
    );
    const show = await cli('mcp', 'show', 'secure');
    expect(show.stdout).toMatch(/^authorization\s+sign-in required: /m);
    expect(show.stdout).toMatch(/^ {2}sign in with\s+briefcase mcp login secure$/m);
  });

  it('refuses --client-secret-env naming an unset or empty variable, printing no secret and sending nothing', async () => {
    const before = as.state.requests.length;
    const secret = 'do-not-print-this-secret-0123456789';
    const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
      [
        ['--client-id', 'app', '--client-secret-env', 'BC_NOT_SET_ANYWHERE'],
        { [SECRET_VAR]: secret },
        /BC_NOT_SET_ANYWHERE is not set/,
      ],
      [
        ['--client-id', 'app', '--client-secret-env', SECRET_VAR],
        { [SECRET_VAR]: '' },
        new RegExp(`${SECRET_VAR} is empty`),
      ],
      // The secret typed where the variable's name belongs is not echoed back.
      [['--client-id', 'app', '--client-secret-env', `${secret}!`], { [SECRET_VAR]: secret }, /not shown/],
      [['--client-secret-env', SECRET_VAR], { [SECRET_VAR]: secret }, /only applies with --client-id/],
    ];
    for (const [args, extra, message] of cases) {
      const result = await startCli(['mcp', 'login', 'secure', '--no-browser', ...args], extra).exited;
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^error\[usage_error\]: --client-secret-env/m);
      expect(result.stderr).toMatch(message);
      expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
    }
    expect(as.state.requests.length).toBe(before); // no login started
  });

  it('signs in with --no-browser: prints the URL, opens nothing, waits, and reports DPoP', async () => {
    const { running, url, redirectUri } = await login(['--no-browser']);
    expect(redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('resource')).toBe(mcp.url);
    expect(url.searchParams.get('dpop_jkt')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const result = await running.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Sign in to secure: open this URL/m);
    expect(result.stdout).toMatch(/^authorized: signed in to secure$/m);
    expect(result.stdout).toMatch(/^ {2}token\s+DPoP \(RFC 9449\)/m);
    expect(result.stdout).toContain(as.issuer);
    expect(result.stderr).not.toContain('opening your browser');
    await delay(300); // the fake browser writes its marker within milliseconds when it is started
    await expect(readFile(marker, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('show and list report the DPoP grant; the server tools then work through the CLI', async () => {
    const show = await cli('mcp', 'show', 'secure');
    expect(show.stdout).toMatch(/^authorization\s+authorized \(OAuth\)$/m);
    expect(show.stdout).toMatch(new RegExp(`^ {2}issuer\\s+${as.issuer.replaceAll('.', '\\.')}$`, 'm'));
    expect(show.stdout).toMatch(/^ {2}scopes\s+.*mcp:tools/m);
    expect(show.stdout).toMatch(/^ {2}token\s+DPoP \(RFC 9449\): bound to the daemon's dpop key/m);
    expect(show.stdout).toMatch(/^ {2}expires\s+\d{4}-\d\d-\d\dT.*refreshed automatically\)$/m);
    expect(show.stdout).toMatch(/^ {2}client\s+dynamic client registration \(RFC 7591\)$/m);
    await eventually(async () => {
      const list = await cli('mcp', 'list');
      return /^secure\s+streamable_http\s+1 active, 0 quarantined\s+connected\s+DPoP\s+http:/m.test(
        list.stdout,
      )
        ? true
        : undefined;
    });
    const done = await callWhoami();
    expect(done.code, done.stdout).toBe(0);
    expect(done.stdout).toContain('you are alice');
  });

  it('logout revokes at the authorization server and deletes the local tokens', async () => {
    const gid = decodeJwt(mcp.state.acceptedTokens.at(-1) as string).gid as string;
    expect(await as.grantExists(gid)).toBe(true);
    const logout = await cli('mcp', 'logout', 'secure');
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stdout).toMatch(/^logged out of secure$/m);
    expect(logout.stdout).toMatch(/^refresh token\s+revoked at the authorization server$/m);
    expect(logout.stdout).toContain("briefcased's copies of the tokens are deleted");
    expect(await as.grantExists(gid)).toBe(false);
    const show = await cli('mcp', 'show', 'secure');
    expect(show.stdout).toMatch(/^authorization\s+sign-in required: logged out \(logged_out\)$/m);
    expect(show.stdout).toMatch(/^ {2}sign in with\s+briefcase mcp login secure$/m);
    const list = await cli('mcp', 'list');
    expect(list.stdout).toMatch(/^secure\s.*\ssign-in required\s+http:/m);
    const local = await cli('--json', 'mcp', 'logout', 'secure', '--local-only');
    expect(JSON.parse(local.stdout)).toEqual({
      server: 'secure',
      revoked: { refreshToken: false, accessToken: false },
      localOnly: true,
    });
  });

  it('a sign-in refused in the browser fails with oauth_required (exit 8) and its reason', async () => {
    const { running } = await login(['--no-browser'], { browser: 'refuse' });
    const result = await running.exited;
    expect(result.code).toBe(8);
    expect(result.stderr).toMatch(/^error\[oauth_required\]: .* \(reason: authorization_denied\)$/m);
    expect(result.stderr).toMatch(/^hint: /m);
  });

  it('without --no-browser, opens the URL in the browser (xdg-open, argv only) and signs in', async () => {
    const { running, url } = await login([]);
    const result = await running.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^authorized: signed in to secure$/m);
    expect(result.stderr).toContain('opening your browser');
    const opened = await eventually(async () => readFile(marker, 'utf8').catch(() => undefined));
    expect(opened).toBe(`${url.href}\n`); // exactly one argument: the URL
    await rm(marker);
  });

  it('--json with a pre-registered client: the URL goes to stderr, the final login view to stdout', async () => {
    const { running } = await login(
      [
        '--json',
        '--no-browser',
        '--client-id',
        CONFIDENTIAL_CLIENT.clientId,
        '--client-secret-env',
        SECRET_VAR,
      ],
      { urlOn: 'stderr', env: { [SECRET_VAR]: CONFIDENTIAL_CLIENT.clientSecret } },
    );
    const result = await running.exited;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const body = JSON.parse(result.stdout) as {
      login: { state: string; server: string };
      auth: Record<string, unknown>;
    };
    expect(body.login).toMatchObject({ state: 'authorized', server: 'secure' });
    expect(body.auth).toMatchObject({
      state: 'authorized',
      tokenType: 'DPoP',
      clientSource: 'preregistered',
    });
    const show = await cli('mcp', 'show', 'secure');
    expect(show.stdout).toMatch(/^ {2}client\s+pre-registered \(--client-id\)$/m);
  });

  it('never presents a pre-registered client to a new authorization server (SEP-2352)', async () => {
    const moved = await startAuthorizationServer(mcp.url);
    mcp.setAuthorizationServer(moved);
    try {
      const result = await cli('mcp', 'login', 'secure', '--no-browser');
      expect(result.code, result.stdout + result.stderr).toBe(8);
      expect(result.stderr).toContain(
        `now names another authorization server (${moved.issuer}, was ${as.issuer})`,
      );
      // The new server saw no registration, authorization or token request with the old client.
      expect(moved.state.requests.filter((r) => !r.startsWith('GET /.well-known/'))).toEqual([]);
    } finally {
      mcp.setAuthorizationServer(as);
      await moved.close();
    }
  });

  it('a 403 insufficient_scope: show names the scope, and the login command it prints grants it', async () => {
    mcp.state.requiredScope = 'mcp:admin';
    try {
      const refused = await callWhoami();
      expect(refused.code).toBe(8);
      expect(JSON.parse(refused.stdout).error).toMatchObject({
        code: 'oauth_required',
        message: expect.stringContaining('mcp:admin'),
      });
      const show = await cli('mcp', 'show', 'secure');
      expect(show.stdout).toMatch(
        /^authorization\s+sign-in required: the server needs the scope mcp:admin \(insufficient_scope\)$/m,
      );
      // The granted scopes plus the missing one: a plain login would ask for the 401's scope again.
      const command = /^ {2}sign in with\s+(.+)$/m.exec(show.stdout)?.[1];
      expect(command).toBe("briefcase mcp login secure --scope 'mcp:tools mcp:admin'");
      const { running } = await login(['--no-browser', '--scope', 'mcp:tools mcp:admin']);
      const result = await running.exited;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^ {2}scopes\s+.*mcp:admin/m);
      const ok = await eventually(async () => {
        const r = await callWhoami();
        return r.code === 0 ? r : undefined;
      });
      expect(ok.stdout).toContain('you are alice');
    } finally {
      mcp.state.requiredScope = undefined;
    }
  });

  it('Ctrl-C cancels the login (exit 130): the daemon stops listening for the browser', async () => {
    const { running, redirectUri } = await login(['--no-browser'], { browser: 'none' });
    running.child.kill('SIGINT');
    const result = await running.exited;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/^login cancelled: the daemon no longer waits for the browser/m);
    // The redirect listener is closed: a late browser reaches nothing.
    await expect(fetch(`${redirectUri}?code=x&state=y`)).rejects.toThrow();
  });

  it('never printed a token or the client secret', async () => {
    await delay(50); // the last process's output is collected when it closes
    const all = printed.join('\n');
    const tokens = [...new Set(mcp.state.acceptedTokens)];
    expect(tokens.length).toBeGreaterThan(1);
    for (const token of tokens) expect(all.includes(token)).toBe(false);
    expect(all).not.toContain(CONFIDENTIAL_CLIENT.clientSecret);
  });
});
