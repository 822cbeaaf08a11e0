import {
  buildAuthorizationRequest,
  type ClientIdentity,
  chooseTokenBinding,
  createDpopProver,
  createTokenManager,
  discoverAuthorizationServer,
  discoverProtectedResource,
  exchangeAuthorizationCode,
  fetchWithToken,
  isOAuthFailure,
  parseWwwAuthenticate,
  refreshTokenSet,
  resolveClientIdentity,
  revokeTokenSet,
  startLoopbackRedirectListener,
  type TokenEndpointContext,
  type TokenSet,
  validateAuthorizationCallback,
} from '@briefcase/oauth';
import {
  CONFIDENTIAL_CLIENT,
  createTestSigner,
  playBrowser,
  startAuthorizationServer,
  startResourceServer,
  type TestAuthorizationServer,
  type TestResourceServer,
} from '@briefcase/test-world';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let as: TestAuthorizationServer;
let rs: TestResourceServer;

beforeAll(async () => {
  rs = await startResourceServer();
  as = await startAuthorizationServer(rs.resource);
  rs.setAuthorizationServer(as);
});

afterAll(async () => {
  await rs?.close();
  await as?.close();
});

interface Session {
  ctx: TokenEndpointContext;
  tokens: TokenSet;
  signer: ReturnType<typeof createTestSigner>;
}

/** The whole client side, from a bare 401 of the resource to a token set. */
async function signIn(
  options: { preregistered?: boolean; scope?: string; signer?: ReturnType<typeof createTestSigner> } = {},
): Promise<Session> {
  const bare = await fetch(rs.resource);
  expect(bare.status).toBe(401);
  const challenge = parseWwwAuthenticate(bare.headers.get('www-authenticate')).find(
    (c) => c.scheme === 'bearer',
  );
  const prm = await discoverProtectedResource(rs.resource, {
    resourceMetadataUrl: challenge?.params.resource_metadata,
  });
  expect(prm.authorizationServer).toBe(as.issuer);
  const metadata = await discoverAuthorizationServer(prm.authorizationServer);
  const listener = await startLoopbackRedirectListener({ timeoutMs: 10_000 });
  const client: ClientIdentity = await resolveClientIdentity(metadata, {
    ...(options.preregistered ? { preregistered: CONFIDENTIAL_CLIENT } : {}),
    registration: { redirectUris: ['http://127.0.0.1/callback'], clientName: 'briefcase test' },
  });
  const signer = options.signer ?? createTestSigner('ES256');
  const binding = chooseTokenBinding(metadata, signer);
  if (binding.tokenType !== 'DPoP') throw new Error('expected DPoP');
  const request = await buildAuthorizationRequest(metadata, client, {
    redirectUri: listener.redirectUri,
    scope: options.scope ?? 'mcp:tools',
    resource: rs.resource,
    dpop: binding.dpop,
  });
  const callback = listener.waitForCallback(request.state);
  const page = await playBrowser(request.url, listener.redirectUri);
  expect(page.status).toBe(200);
  const params = validateAuthorizationCallback(metadata, client, await callback, request.state);
  const ctx: TokenEndpointContext = { as: metadata, client, dpop: binding.dpop, resource: rs.resource };
  const tokens = await exchangeAuthorizationCode(ctx, params, request);
  return { ctx, tokens, signer };
}

function managerFor(session: Session, store: { tokens: TokenSet; saves: number }) {
  return createTokenManager({
    load: async () => store.tokens,
    save: async (t) => {
      store.tokens = t;
      store.saves++;
    },
    refresh: (t) => refreshTokenSet(session.ctx, t),
  });
}

describe('full login with DCR, PKCE, DPoP and resource indicators', () => {
  it('discovers from a bare 401, registers, signs in, and calls the resource with a DPoP-bound token', async () => {
    const session = await signIn();
    expect(session.ctx.client.source).toBe('dynamic_registration');
    expect(session.ctx.client.tokenEndpointAuthMethod).toBe('none');
    expect(session.tokens.tokenType).toBe('DPoP');
    expect(session.tokens.refreshToken).toBeTypeOf('string');
    expect(session.tokens.scope).toBe('mcp:tools');
    const store = { tokens: session.tokens, saves: 0 };
    const res = await fetchWithToken(
      rs.resource,
      { method: 'POST', body: '{}' },
      {
        tokens: managerFor(session, store),
        dpop: session.ctx.dpop,
        resource: rs.resource,
      },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, sub: 'alice' });
  });

  it('works with a pre-registered confidential client (client_secret_basic) and an EdDSA key', async () => {
    const session = await signIn({ preregistered: true, signer: createTestSigner('EdDSA') });
    expect(session.ctx.client).toMatchObject({
      source: 'preregistered',
      tokenEndpointAuthMethod: 'client_secret_basic',
    });
    expect(session.ctx.dpop?.algorithm).toBe('EdDSA');
    const res = await fetchWithToken(
      rs.resource,
      {},
      {
        tokens: managerFor(session, { tokens: session.tokens, saves: 0 }),
        dpop: session.ctx.dpop,
        resource: rs.resource,
      },
    );
    expect(res.status).toBe(200);
  });
});

describe('sender constraint at the resource', () => {
  it('rejects a replayed proof, a bearer presentation and a proof from another key', async () => {
    const session = await signIn();
    const at = session.tokens.accessToken;
    const dpop = session.ctx.dpop;
    if (!dpop) throw new Error('no dpop');
    const proof = await dpop.proof('GET', rs.resource, { accessToken: at });
    const first = await fetch(rs.resource, { headers: { authorization: `DPoP ${at}`, dpop: proof } });
    expect(first.status).toBe(200);
    const replay = await fetch(rs.resource, { headers: { authorization: `DPoP ${at}`, dpop: proof } });
    expect(replay.status).toBe(401);
    expect(rs.state.outcomes.at(-1)).toBe('replay');

    const bearer = await fetch(rs.resource, { headers: { authorization: `Bearer ${at}` } });
    expect(bearer.status).toBe(401);
    expect(rs.state.outcomes.at(-1)).toBe('bearer_for_dpop_token');

    const thief = createDpopProver(createTestSigner('ES256'));
    const stolen = await fetch(rs.resource, {
      headers: {
        authorization: `DPoP ${at}`,
        dpop: await thief.proof('GET', rs.resource, { accessToken: at }),
      },
    });
    expect(stolen.status).toBe(401);
    expect(rs.state.outcomes.at(-1)).toBe('jkt_mismatch');
  });

  it('answers a resource nonce challenge by retrying exactly once', async () => {
    const session = await signIn();
    rs.state.requireNonce = true;
    rs.state.currentNonce = 'rs-nonce-A';
    try {
      const before = rs.state.outcomes.length;
      const res = await fetchWithToken(
        rs.resource,
        {},
        {
          tokens: managerFor(session, { tokens: session.tokens, saves: 0 }),
          dpop: session.ctx.dpop,
          resource: rs.resource,
        },
      );
      expect(res.status).toBe(200);
      expect(rs.state.outcomes.slice(before)).toEqual(['nonce_required', 'ok']);
      expect(session.ctx.dpop?.nonceFor(rs.resource, 'resource')).toBe('rs-nonce-A');
      expect(session.ctx.dpop?.nonceFor(rs.resource, 'authorization_server')).toBeUndefined();
    } finally {
      rs.state.requireNonce = false;
    }
  });

  it('answers an authorization server nonce challenge (400 use_dpop_nonce) by retrying once', async () => {
    as.state.requireNonce = true;
    try {
      const before = as.state.requests.filter((r) => r === 'POST /token').length;
      const session = await signIn();
      const tokenPosts = as.state.requests.filter((r) => r === 'POST /token').length - before;
      expect(tokenPosts).toBe(2);
      expect(session.tokens.tokenType).toBe('DPoP');
      expect(session.ctx.dpop?.nonceFor(as.issuer, 'authorization_server')).toBeTypeOf('string');
    } finally {
      as.state.requireNonce = false;
    }
  });
});

describe('refresh', () => {
  it('rotates the refresh token', async () => {
    const session = await signIn();
    const next = await refreshTokenSet(session.ctx, session.tokens);
    expect(next.tokenType).toBe('DPoP');
    expect(next.accessToken).not.toBe(session.tokens.accessToken);
    expect(next.refreshToken).toBeTypeOf('string');
    expect(next.refreshToken).not.toBe(session.tokens.refreshToken);
    // The old refresh token is consumed: using it again is invalid_grant, i.e. login required.
    const err = await refreshTokenSet(session.ctx, session.tokens).catch((e: unknown) => e);
    expect(isOAuthFailure(err, 'login_required')).toBe(true);
  });

  it('makes one refresh request for many concurrent callers of an expiring token', async () => {
    const session = await signIn();
    const store = { tokens: { ...session.tokens, expiresAt: Date.now() + 1000 }, saves: 0 };
    const manager = managerFor(session, store);
    const before = as.state.grants.filter((g) => g === 'refresh_token').length;
    const results = await Promise.all(Array.from({ length: 12 }, () => manager.getTokens()));
    const refreshes = as.state.grants.filter((g) => g === 'refresh_token').length - before;
    expect(refreshes).toBe(1);
    expect(store.saves).toBe(1);
    expect(new Set(results.map((t) => t.accessToken)).size).toBe(1);
    expect(results[0]?.accessToken).not.toBe(session.tokens.accessToken);
    const calls = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetchWithToken(rs.resource, {}, { tokens: manager, dpop: session.ctx.dpop, resource: rs.resource }),
      ),
    );
    expect(calls.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('refreshes once after a 401 invalid_token and retries', async () => {
    const session = await signIn();
    // A token the resource cannot verify stands in for one the resource no longer accepts.
    const store = { tokens: { ...session.tokens, accessToken: `${session.tokens.accessToken}x` }, saves: 0 };
    const res = await fetchWithToken(
      rs.resource,
      {},
      {
        tokens: managerFor(session, store),
        dpop: session.ctx.dpop,
        resource: rs.resource,
      },
    );
    expect(res.status).toBe(200);
    expect(store.saves).toBe(1);
  });

  it('reports login_required when nothing is stored', async () => {
    const manager = createTokenManager({
      load: async () => undefined,
      save: async () => {},
      refresh: async () => {
        throw new Error('not reached');
      },
    });
    await expect(manager.getTokens()).rejects.toMatchObject({
      code: 'oauth_required',
      reason: 'login_required',
    });
  });
});

describe('revocation', () => {
  it('revokes the grant; the resource then rejects and the client reports login_required', async () => {
    const session = await signIn();
    const store = { tokens: session.tokens, saves: 0 };
    const manager = managerFor(session, store);
    const ok = await fetchWithToken(
      rs.resource,
      {},
      { tokens: manager, dpop: session.ctx.dpop, resource: rs.resource },
    );
    expect(ok.status).toBe(200);
    const revoked = await revokeTokenSet(session.ctx, session.tokens);
    expect(revoked.refreshToken).toBe(true);
    const err = await fetchWithToken(
      rs.resource,
      {},
      { tokens: manager, dpop: session.ctx.dpop, resource: rs.resource },
    )
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(rs.state.outcomes.at(-1)).toBe('grant_revoked');
    expect(isOAuthFailure(err, 'login_required')).toBe(true);
  });
});

describe('resource errors and boundaries', () => {
  it('names the missing scope on 403 insufficient_scope', async () => {
    const session = await signIn({ scope: 'mcp:tools' });
    const err = await fetchWithToken(
      `${rs.resource}/admin`,
      {},
      {
        tokens: managerFor(session, { tokens: session.tokens, saves: 0 }),
        dpop: session.ctx.dpop,
        resource: rs.resource,
      },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'oauth_required', reason: 'insufficient_scope' });
    expect((err as { details: { scope: string } }).details.scope).toBe('mcp:tools mcp:admin');
  });

  it('never sends the token to another origin', async () => {
    let called = false;
    const manager = createTokenManager({
      load: async () => ({ accessToken: 'tok', tokenType: 'Bearer' }),
      save: async () => {},
      refresh: async (t) => t,
    });
    const err = await fetchWithToken(
      'http://127.0.0.2:1/mcp',
      {},
      {
        tokens: manager,
        resource: rs.resource,
        fetch: async () => {
          called = true;
          return new Response();
        },
      },
    ).catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(err).toMatchObject({ code: 'invalid_args', reason: 'cross_origin' });
  });

  it('reports a refusal at the authorization server as authorization_denied', async () => {
    const metadata = await discoverAuthorizationServer(as.issuer);
    const client = await resolveClientIdentity(metadata, { preregistered: CONFIDENTIAL_CLIENT });
    const listener = await startLoopbackRedirectListener({ timeoutMs: 10_000 });
    const request = await buildAuthorizationRequest(metadata, client, {
      redirectUri: listener.redirectUri,
      scope: 'mcp:tools',
      resource: rs.resource,
    });
    const callback = listener.waitForCallback(request.state);
    await playBrowser(request.url, listener.redirectUri, { abort: true });
    const url = await callback;
    expect(url.searchParams.get('error')).toBe('access_denied');
    try {
      validateAuthorizationCallback(metadata, client, url, request.state);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'oauth_required', reason: 'authorization_denied' });
    }
  });
});

describe('canary: no token in any error', () => {
  it('keeps known token, code and key values out of every error message and serialization', async () => {
    const session = await signIn();
    const secrets = [session.tokens.accessToken, session.tokens.refreshToken as string];
    const errors: unknown[] = [];
    // 1. refresh with a consumed refresh token (after a rotation)
    await refreshTokenSet(session.ctx, session.tokens);
    errors.push(await refreshTokenSet(session.ctx, session.tokens).catch((e: unknown) => e));
    // 2. a resource that keeps rejecting
    const manager = createTokenManager({
      load: async () => ({ ...session.tokens, accessToken: `${secrets[0]}x` }),
      save: async () => {},
      refresh: async (t) => t,
    });
    errors.push(
      await fetchWithToken(
        rs.resource,
        {},
        { tokens: manager, dpop: session.ctx.dpop, resource: rs.resource },
      ).catch((e: unknown) => e),
    );
    // 3. a hostile token endpoint that echoes the refresh token in its error
    const echo = async (_url: string, init?: RequestInit) =>
      new Response(
        JSON.stringify({
          error: 'invalid_request',
          error_description: `bad token ${String(init?.body)} ${secrets[0]}`,
        }),
        { status: 400, headers: { 'content-type': 'application/json' } },
      );
    errors.push(
      await refreshTokenSet({ ...session.ctx, http: { fetch: echo as typeof fetch } }, session.tokens).catch(
        (e: unknown) => e,
      ),
    );
    expect(errors.every((e) => e instanceof Error)).toBe(true);
    for (const err of errors) {
      const e = err as Error & { details?: unknown };
      const text = `${e.message} ${e.stack} ${JSON.stringify(e.details)} ${JSON.stringify(e)} ${String(e.cause)}`;
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
    expect((errors[2] as { details: { description: string } }).details.description).toContain('[redacted]');
  });
});
