/**
 * OAuth behind the boundary, end to end with real peers on loopback: a real authorization server
 * (oidc-provider: PKCE, DPoP, refresh rotation, resource indicators, revocation, registration) and an
 * SDK MCP server that verifies DPoP-bound access tokens with jose. The daemon discovers everything
 * from the server's bare 401, a "browser" (fetch through the provider's login and consent pages)
 * signs in, and the agent uses the server's tools through the gateway without ever seeing a token.
 */

import { startHttpGateway } from '@briefcase/gateway';
import { DEFAULT_POLICY } from '@briefcase/policy';
import { createLogger } from '@briefcase/telemetry';
import {
  type ProtectedMcp,
  playBrowser,
  startAuthorizationServer,
  startProtectedMcp,
  type TestAuthorizationServer,
} from '@briefcase/test-world';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, eventually, startTestDaemon, type TestDaemon } from './support.js';

const TOKEN = 'oauth-test-gateway-token';
const POLICY = `${DEFAULT_POLICY}
permit (principal, action == Briefcase::Action::"call_without_approval", resource)
when { resource has server && resource.server == "secure" };
`;

let mcp: ProtectedMcp;
let as: TestAuthorizationServer;
let bc: TestDaemon;
let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
let agent: Client;
const agentSaw: string[] = [];
const daemonLog: string[] = [];
let offsetMs = 0;

async function signIn(): Promise<void> {
  const login = await bc.admin.startMcpLogin('secure');
  expect(login.state).toBe('pending');
  const url = new URL(login.authorizationUrl as string);
  const redirectUri = url.searchParams.get('redirect_uri') as string;
  expect(redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
  expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  expect(url.searchParams.get('resource')).toBe(mcp.url);
  expect(url.searchParams.get('dpop_jkt')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const page = await playBrowser(url, redirectUri);
  expect(page.status).toBe(200);
  const done = await bc.admin.getMcpLogin(login.id, { waitMs: 20_000 });
  expect(done.error).toBeUndefined();
  expect(done.state).toBe('authorized');
}

async function call(name: string): Promise<CallToolResult> {
  const result = (await agent.callTool({ name, arguments: {} })) as CallToolResult;
  agentSaw.push(JSON.stringify(result));
  return result;
}

const text = (r: CallToolResult) => (r.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('');
const refreshes = () => as.state.grants.filter((g) => g === 'refresh_token').length;

beforeAll(async () => {
  mcp = await startProtectedMcp();
  as = await startAuthorizationServer(mcp.url);
  mcp.setAuthorizationServer(as);
  bc = await startTestDaemon({
    clock: () => new Date(Date.now() + offsetMs),
    logger: createLogger({
      name: 'briefcased',
      level: 'debug',
      destination: { write: (line: string) => void daemonLog.push(line) },
    }),
  });
  await bc.admin.setPolicy(POLICY);
  gateway = await startHttpGateway({
    client: bc.agent,
    version: 'test',
    token: TOKEN,
    approvalWaitMs: 0,
    log: () => {},
  });
  agent = (await connectHttp(gateway.url, TOKEN)).client;
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await gateway?.close();
  await bc?.stop();
  await as?.close();
  await mcp?.close();
});

describe('a remote MCP server protected with OAuth', () => {
  it('is added in the oauth_required state, discovered from its bare 401', async () => {
    const server = await bc.admin.addMcpServer({ name: 'secure', url: mcp.url });
    expect(server.status.authorization).toBe('oauth_required');
    expect(server.tools).toEqual([]);
    expect(mcp.state.outcomes).toContain('no_token');
  });

  it('signs in through the browser; the agent then calls its tools with DPoP-bound tokens', async () => {
    await signIn();
    const shown = await bc.admin.getMcpServer('secure');
    expect(shown.auth).toMatchObject({ state: 'authorized', tokenType: 'DPoP', issuer: as.issuer });
    expect(shown.auth.scope).toContain('mcp:tools');
    expect(shown.auth.clientSource).toBe('dynamic_registration');
    await eventually(async () =>
      (await bc.agent.listTools()).some((t) => t.name === 'secure__whoami') ? true : undefined,
    );
    const result = await call('secure__whoami');
    expect(result.isError).toBeFalsy();
    expect(text(result)).toBe('you are alice');
    const token = mcp.state.acceptedTokens.at(-1) as string;
    expect(decodeJwt(token).cnf).toMatchObject({ jkt: expect.any(String) });
    const receipt = (await bc.admin.listReceipts({ kind: 'tool_call', limit: 1 }))[0];
    expect(receipt).toMatchObject({ tool: 'secure__whoami', outcome: 'ok', auth: { method: 'oauth_dpop' } });
    const login = (await bc.admin.listReceipts({ kind: 'mcp_login', limit: 1 }))[0];
    expect(login).toMatchObject({ server: 'secure', method: 'oauth_dpop' });
  });

  it('refreshes silently once the access token expired, once for many concurrent calls', async () => {
    const before = refreshes();
    offsetMs += 2 * 3600_000; // the daemon's clock is past the token's expiry
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => call('secure__whoami')));
    expect(results.map(text)).toEqual(Array(5).fill('you are alice'));
    expect(refreshes()).toBe(before + 1);
    const tokens = new Set(mcp.state.acceptedTokens.slice(-5));
    expect(tokens.size).toBe(1); // all five used the one refreshed token
  });

  it('logs out by revoking at the authorization server; the old grant is gone and the agent is told to sign in', async () => {
    const oldToken = mcp.state.acceptedTokens.at(-1) as string;
    const { revoked } = await bc.admin.logoutMcpServer('secure');
    expect(revoked.refreshToken).toBe(true);
    const gid = decodeJwt(oldToken).gid as string;
    expect(await as.grantExists(gid)).toBe(false); // what the server checks on every request
    const shown = await bc.admin.getMcpServer('secure');
    expect(shown.auth).toMatchObject({ state: 'oauth_required', reason: 'logged_out' });
    const refused = await call('secure__whoami');
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/briefcase mcp login secure/);
    expect((refused.structuredContent as { code: string }).code).toBe('oauth_required');
  });

  it('signs in again and works', async () => {
    await signIn();
    await eventually(async () => {
      const r = await call('secure__whoami');
      return r.isError ? undefined : r;
    });
  });

  it('asks for a sign-in naming the scope when the server answers 403 insufficient_scope', async () => {
    mcp.state.requiredScope = 'mcp:admin';
    try {
      const refused = await call('secure__whoami');
      expect(refused.isError).toBe(true);
      expect((refused.structuredContent as { code: string }).code).toBe('oauth_required');
      expect(text(refused)).toMatch(/mcp:admin/);
      expect(text(refused)).toMatch(/briefcase mcp login secure/);
      expect((await bc.admin.getMcpServer('secure')).auth).toMatchObject({
        state: 'oauth_required',
        reason: 'insufficient_scope: mcp:admin',
      });
      // A plain login now asks for the missing scope too (no --scope needed).
      await signIn();
      expect((await bc.admin.getMcpServer('secure')).auth.scope?.split(' ')).toContain('mcp:admin');
      const allowed = await eventually(async () => {
        const r = await call('secure__whoami');
        return r.isError ? undefined : r;
      });
      expect(text(allowed)).toBe('you are alice');
    } finally {
      mcp.state.requiredScope = undefined;
    }
  });

  it('treats a grant the provider dropped (invalid_grant on refresh) as signed out, and drops the tokens', async () => {
    await eventually(async () => {
      const r = await call('secure__whoami');
      return r.isError ? undefined : r;
    });
    const gid = decodeJwt(mcp.state.acceptedTokens.at(-1) as string).gid as string;
    await as.destroyGrant(gid);
    offsetMs += 2 * 3600_000; // expired: the next call must refresh, and the grant is gone
    const refused = await call('secure__whoami');
    expect(refused.isError).toBe(true);
    expect((refused.structuredContent as { code: string }).code).toBe('oauth_required');
    expect((await bc.admin.getMcpServer('secure')).auth).toMatchObject({
      state: 'oauth_required',
      reason: 'login_required',
    });
    await signIn();
    await eventually(async () => {
      const r = await call('secure__whoami');
      return r.isError ? undefined : r;
    });
  });

  it('a sign-in the authorization server refuses fails, and leaves a receipt', async () => {
    const login = await bc.admin.startMcpLogin('secure');
    const url = new URL(login.authorizationUrl as string);
    const callback = new URL(url.searchParams.get('redirect_uri') as string);
    callback.searchParams.set('error', 'access_denied');
    callback.searchParams.set('state', url.searchParams.get('state') as string);
    await fetch(callback);
    const done = await bc.admin.getMcpLogin(login.id, { waitMs: 20_000 });
    expect(done.state).toBe('failed');
    const receipts = await bc.admin.listReceipts({ kind: 'admin_change', limit: 5 });
    expect(receipts.find((r) => r.action === 'mcp.login' && r.outcome === 'failed')).toMatchObject({
      by: 'local-admin',
      target: { name: 'secure' },
      errorCode: done.error?.code,
    });
    await signIn(); // signed in again for the tests after this one
  });

  it('never lets a token reach the agent, a receipt, the daemon log or a server view', async () => {
    const tokens = [...new Set(mcp.state.acceptedTokens)];
    expect(tokens.length).toBeGreaterThan(1);
    const receipts = JSON.stringify(await bc.admin.listReceipts({ limit: 1000 }));
    const views = JSON.stringify(await bc.admin.listMcpServers());
    const places = { agent: agentSaw.join('\n'), receipts, views, log: daemonLog.join('') };
    for (const [where, haystack] of Object.entries(places)) {
      for (const token of tokens) expect(haystack.includes(token), `a token in ${where}`).toBe(false);
      // Refresh tokens and the DPoP key never appear either: none of them is ever serialized there.
      expect(haystack, where).not.toMatch(/"refreshToken"\s*:\s*"/);
    }
  });
});
