import {
  type AuthorizationServer,
  accessTokenHash,
  buildAuthorizationRequest,
  chooseTokenBinding,
  chooseTokenEndpointAuthMethod,
  createDpopProver,
  isUseDpopNonceResponse,
  resolveClientIdentity,
  startLoopbackRedirectListener,
} from '@briefcase/oauth';
import { createTestSigner } from '@briefcase/test-world';
import { decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';

const AS: AuthorizationServer = {
  issuer: 'https://as.example',
  authorization_endpoint: 'https://as.example/authorize',
  token_endpoint: 'https://as.example/token',
  code_challenge_methods_supported: ['S256'],
};

describe('client identity choice', () => {
  it('prefers pre-registration, then a metadata document when advertised, then DCR unless the quirk forbids it', async () => {
    const pre = await resolveClientIdentity(AS, { preregistered: { clientId: 'c', clientSecret: 's' } });
    expect(pre).toEqual({
      clientId: 'c',
      clientSecret: 's',
      tokenEndpointAuthMethod: 'client_secret_basic',
      source: 'preregistered',
    });

    const cimdUrl = 'https://briefcase.example/oauth/client.json';
    const cimd = await resolveClientIdentity(
      { ...AS, client_id_metadata_document_supported: true, registration_endpoint: 'https://as.example/reg' },
      { clientMetadataDocumentUrl: cimdUrl, registration: { redirectUris: ['http://127.0.0.1/callback'] } },
    );
    expect(cimd).toEqual({ clientId: cimdUrl, tokenEndpointAuthMethod: 'none', source: 'metadata_document' });

    await expect(
      resolveClientIdentity(
        { ...AS, registration_endpoint: 'https://as.example/reg' },
        {
          clientMetadataDocumentUrl: cimdUrl,
          registration: { redirectUris: ['x'] },
          noDynamicRegistration: true,
        },
      ),
    ).rejects.toMatchObject({ code: 'oauth_required', reason: 'no_client_identity' });
  });

  it('chooses the token endpoint auth method from metadata', () => {
    expect(chooseTokenEndpointAuthMethod(AS, false)).toBe('none');
    expect(chooseTokenEndpointAuthMethod(AS, true)).toBe('client_secret_basic');
    expect(
      chooseTokenEndpointAuthMethod(
        { ...AS, token_endpoint_auth_methods_supported: ['client_secret_post', 'none'] },
        true,
      ),
    ).toBe('client_secret_post');
    expect(() =>
      chooseTokenEndpointAuthMethod(
        { ...AS, token_endpoint_auth_methods_supported: ['private_key_jwt'] },
        true,
      ),
    ).toThrow(expect.objectContaining({ reason: 'no_client_identity' }));
  });
});

describe('token binding choice', () => {
  it('uses DPoP only when the signer algorithm is advertised, and says why not otherwise', () => {
    const signer = createTestSigner('EdDSA');
    expect(chooseTokenBinding(AS, signer)).toEqual({ tokenType: 'Bearer', reason: 'dpop_not_advertised' });
    expect(chooseTokenBinding({ ...AS, dpop_signing_alg_values_supported: ['ES256'] }, signer)).toEqual({
      tokenType: 'Bearer',
      reason: 'algorithm_not_advertised',
    });
    expect(
      chooseTokenBinding({ ...AS, dpop_signing_alg_values_supported: ['EdDSA'] }, signer).tokenType,
    ).toBe('DPoP');
    expect(chooseTokenBinding(AS)).toEqual({ tokenType: 'Bearer', reason: 'no_signer' });
  });
});

describe('DPoP proofs (RFC 9449 §4.2)', () => {
  it('carries typ, public jwk, jti, htm, htu without query/fragment, iat, ath and the origin nonce', async () => {
    const signer = createTestSigner('ES256');
    const prover = createDpopProver(signer, { now: () => 1_700_000_000_500 });
    const url = 'https://rs.example/mcp/x?a=1#frag';
    prover.rememberNonce(url, new Response(null, { headers: { 'dpop-nonce': 'n-1' } }), 'resource');
    prover.rememberNonce(
      url,
      new Response(null, { headers: { 'dpop-nonce': 'bad nonce"' } }),
      'authorization_server',
    );
    const proof = await prover.proof('post', url, { accessToken: 'at-123' });
    const header = decodeProtectedHeader(proof);
    expect(header).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: signer.publicJwk() });
    const { payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      currentDate: new Date(1_700_000_000_000),
    });
    expect(payload).toMatchObject({
      htm: 'POST',
      htu: 'https://rs.example/mcp/x',
      iat: 1_700_000_000,
      nonce: 'n-1',
    });
    expect(payload.ath).toBe(accessTokenHash('at-123'));
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const asProof = await prover.proof('POST', 'https://rs.example/token');
    const asPayload = JSON.parse(Buffer.from(asProof.split('.')[1] as string, 'base64url').toString());
    expect(asPayload.nonce).toBeUndefined();
    expect(asPayload.ath).toBeUndefined();
    expect(prover.thumbprint).toBe(signer.thumbprint());
  });

  it('recognizes nonce challenges from both kinds of server', async () => {
    const json = { 'content-type': 'application/json' };
    expect(
      await isUseDpopNonceResponse(
        new Response('{"error":"use_dpop_nonce"}', { status: 400, headers: json }),
      ),
    ).toBe(true);
    expect(
      await isUseDpopNonceResponse(new Response('{"error":"invalid_grant"}', { status: 400, headers: json })),
    ).toBe(false);
    expect(await isUseDpopNonceResponse(new Response('not json', { status: 400 }))).toBe(false);
    const challenge = { 'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="x"' };
    expect(await isUseDpopNonceResponse(new Response(null, { status: 401, headers: challenge }))).toBe(true);
  });
});

describe('authorization request', () => {
  it('sends PKCE S256, state, scope and resource, or omits resource per quirk', async () => {
    const client = {
      clientId: 'c',
      tokenEndpointAuthMethod: 'none' as const,
      source: 'preregistered' as const,
    };
    const opts = {
      redirectUri: 'http://127.0.0.1:5/callback',
      scope: 'mcp:tools',
      resource: 'https://rs.example/mcp',
    };
    const req = await buildAuthorizationRequest(AS, client, opts);
    const p = req.url.searchParams;
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('state')).toBe(req.state);
    expect(p.get('resource')).toBe('https://rs.example/mcp');
    expect(p.get('scope')).toBe('mcp:tools');
    expect(req.url.href).not.toContain(req.codeVerifier);
    const omitted = await buildAuthorizationRequest(AS, client, { ...opts, omitResource: true });
    expect(omitted.url.searchParams.has('resource')).toBe(false);
    expect(omitted.resource).toBeUndefined();
    await expect(
      buildAuthorizationRequest({ ...AS, code_challenge_methods_supported: ['plain'] }, client, opts),
    ).rejects.toMatchObject({ reason: 'protocol_error' });
  });
});

describe('loopback redirect listener (RFC 8252 §7.3)', () => {
  it('listens on 127.0.0.1, ignores other paths and states, accepts one callback, then closes', async () => {
    const listener = await startLoopbackRedirectListener();
    expect(listener.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const waiting = listener.waitForCallback('good-state');
    expect((await fetch(listener.redirectUri.replace('/callback', '/other'))).status).toBe(404);
    expect((await fetch(`${listener.redirectUri}?code=x&state=forged`)).status).toBe(400);
    const ok = await fetch(`${listener.redirectUri}?code=abc&state=good-state`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/html');
    expect(await ok.text()).toContain('close this window');
    const url = await waiting;
    expect(url.searchParams.get('code')).toBe('abc');
    await expect(fetch(`${listener.redirectUri}?code=again&state=good-state`)).rejects.toThrow();
  });

  it('times out with callback_timeout', async () => {
    const listener = await startLoopbackRedirectListener({ timeoutMs: 50 });
    await expect(listener.waitForCallback('s')).rejects.toMatchObject({
      code: 'oauth_required',
      reason: 'callback_timeout',
    });
    await expect(fetch(listener.redirectUri)).rejects.toThrow();
  });
});
