/**
 * Machine grants (issue 10 item 7): client_credentials (OAuth 2.1 §4.2) with client_secret_basic,
 * client_secret_post and private_key_jwt (RFC 7523 §2.2), and the JWT bearer grant (RFC 7523
 * §2.1). A small loopback authorization server records each token request exactly as sent; then
 * oidc-provider, a real peer, issues tokens for the same calls (with DPoP).
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthorizationServer,
  type ClientIdentity,
  chooseTokenBinding,
  createTokenManager,
  discoverAuthorizationServer,
  ID_JAG_TOKEN_TYPE,
  JWT_BEARER_GRANT_TYPE,
  parseClientPrivateKey,
  requestIdJag,
  requestMachineGrant,
  type TokenEndpointContext,
} from '@briefcase/oauth';
import {
  createTestSigner,
  MACHINE_CLIENT,
  MACHINE_JWT_CLIENT,
  startAuthorizationServer,
  type TestAuthorizationServer,
} from '@briefcase/test-world';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

interface Seen {
  authorization: string | undefined;
  dpop: string | undefined;
  form: URLSearchParams;
}

let seen: Seen[] = [];
let answer: (req: IncomingMessage) => { status: number; body: unknown } = () => ({
  status: 200,
  body: { access_token: `at-${seen.length}`, token_type: 'Bearer', expires_in: 3600 },
});
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
  });
  req.on('end', () => {
    seen.push({
      authorization: req.headers.authorization,
      dpop: typeof req.headers.dpop === 'string' ? req.headers.dpop : undefined,
      form: new URLSearchParams(body),
    });
    const { status, body: out } = answer(req);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(out));
  });
});
let as: AuthorizationServer;

beforeAll(async () => {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  as = { issuer, token_endpoint: `${issuer}/token`, dpop_signing_alg_values_supported: ['ES256'] };
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});
beforeEach(() => {
  seen = [];
  answer = () => ({
    status: 200,
    body: { access_token: `at-${seen.length}`, token_type: 'Bearer', expires_in: 3600 },
  });
});

const RESOURCE = 'http://127.0.0.1:9/mcp';
const ctxFor = (client: ClientIdentity, extra: Partial<TokenEndpointContext> = {}): TokenEndpointContext => ({
  as,
  client,
  resource: RESOURCE,
  ...extra,
});
const SECRET = 'se cret+/é-0123456789';

describe('client_credentials (OAuth 2.1 §4.2)', () => {
  it('client_secret_basic: the grant, scope and resource in the form, the form-encoded credentials in Basic only', async () => {
    const tokens = await requestMachineGrant(
      ctxFor({
        clientId: 'svc-client',
        clientSecret: SECRET,
        tokenEndpointAuthMethod: 'client_secret_basic',
        source: 'preregistered',
      }),
      { grant: 'client_credentials', scope: 'mcp:read mcp:write' },
    );
    expect(tokens).toMatchObject({ accessToken: 'at-1', tokenType: 'Bearer' });
    expect(tokens.refreshToken).toBeUndefined();
    const [request] = seen;
    expect(Object.fromEntries(request?.form ?? [])).toEqual({
      grant_type: 'client_credentials',
      scope: 'mcp:read mcp:write',
      resource: RESOURCE,
    });
    // RFC 6749 §2.3.1: each of id and secret application/x-www-form-urlencoded, then Basic.
    const expected = Buffer.from(
      `svc-client:${new URLSearchParams([['', SECRET]]).toString().slice(1)}`,
    ).toString('base64');
    expect(request?.authorization).toBe(`Basic ${expected}`);
  });

  it('client_secret_post: id and secret in the form, no Authorization header', async () => {
    await requestMachineGrant(
      ctxFor({
        clientId: 'svc-client',
        clientSecret: SECRET,
        tokenEndpointAuthMethod: 'client_secret_post',
        source: 'preregistered',
      }),
      { grant: 'client_credentials' },
    );
    const [request] = seen;
    expect(request?.authorization).toBeUndefined();
    expect(request?.form.get('client_id')).toBe('svc-client');
    expect(request?.form.get('client_secret')).toBe(SECRET);
    expect(request?.form.get('scope')).toBeNull();
  });

  it('private_key_jwt: a fresh assertion per request, verified against the public key (RFC 7523 §3)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = parseClientPrivateKey(privateKey.export({ type: 'sec1', format: 'pem' }).toString());
    expect(key.alg).toBe('ES256');
    const ctx = ctxFor({
      clientId: 'svc-jwt',
      privateKey: key,
      tokenEndpointAuthMethod: 'private_key_jwt',
      source: 'preregistered',
    });
    await requestMachineGrant(ctx, { grant: 'client_credentials' });
    await requestMachineGrant(ctx, { grant: 'client_credentials' });
    const jtis: unknown[] = [];
    for (const request of seen) {
      expect(request.authorization).toBeUndefined();
      expect(request.form.get('client_id')).toBe('svc-jwt');
      expect(request.form.get('client_assertion_type')).toBe(
        'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      );
      const assertion = request.form.get('client_assertion') ?? '';
      expect(decodeProtectedHeader(assertion).alg).toBe('ES256');
      const { payload } = await jwtVerify(assertion, publicKey, {
        issuer: 'svc-jwt',
        subject: 'svc-jwt',
        audience: as.issuer,
      });
      expect(typeof payload.exp).toBe('number');
      expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(300);
      jtis.push(payload.jti);
    }
    expect(jtis[0]).toEqual(expect.any(String));
    expect(jtis[0]).not.toBe(jtis[1]);
    // Signed with another key, the same assertion does not verify.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    await expect(jwtVerify(seen[0]?.form.get('client_assertion') ?? '', other)).rejects.toThrow();
  });

  it('sends a DPoP proof when the tokens are bound (RFC 9449 §5)', async () => {
    const binding = chooseTokenBinding(as, createTestSigner('ES256'));
    if (binding.tokenType !== 'DPoP') throw new Error('expected DPoP');
    answer = () => ({ status: 200, body: { access_token: 'at-dpop', token_type: 'DPoP', expires_in: 60 } });
    const tokens = await requestMachineGrant(
      ctxFor(
        {
          clientId: 'c',
          clientSecret: SECRET,
          tokenEndpointAuthMethod: 'client_secret_basic',
          source: 'preregistered',
        },
        { dpop: binding.dpop },
      ),
      { grant: 'client_credentials' },
    );
    expect(tokens.tokenType).toBe('DPoP');
    expect(decodeJwt(seen[0]?.dpop ?? '')).toMatchObject({ htm: 'POST', htu: as.token_endpoint });
  });
});

describe('JWT bearer grant (RFC 7523 §2.1)', () => {
  it('presents the assertion with the grant type; a public client names itself', async () => {
    await requestMachineGrant(
      ctxFor({ clientId: 'workload', tokenEndpointAuthMethod: 'none', source: 'preregistered' }),
      { grant: 'jwt_bearer', assertion: 'eyJ.workload.jwt', scope: 's1' },
    );
    expect(Object.fromEntries(seen[0]?.form ?? [])).toEqual({
      grant_type: JWT_BEARER_GRANT_TYPE,
      assertion: 'eyJ.workload.jwt',
      scope: 's1',
      resource: RESOURCE,
      client_id: 'workload',
    });
  });

  it('an assertion refused (invalid_grant) needs a person; nothing secret is in the error', async () => {
    const assertion = 'eyJhbGciOiJFUzI1NiJ9.c2VjcmV0LWFzc2VydGlvbg.c2ln';
    answer = () => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: `expired: ${assertion} ${SECRET}` },
    });
    const error = await requestMachineGrant(
      ctxFor({
        clientId: 'workload',
        clientSecret: SECRET,
        tokenEndpointAuthMethod: 'client_secret_post',
        source: 'preregistered',
      }),
      { grant: 'jwt_bearer', assertion },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'oauth_required', reason: 'login_required' });
    const text = `${(error as Error).message} ${JSON.stringify(error)}`;
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(assertion);
    expect(text).not.toContain(SECRET);
    expect(seen).toHaveLength(1); // not retried
  });
});

describe('enterprise-managed authorization, step 1: RFC 8693 token exchange for an ID-JAG (SEP-990)', () => {
  const idToken = 'eyJhbGciOiJFUzI1NiJ9.aWQtdG9rZW4tb2YtYWxpY2U.c2ln';
  const exchange = () =>
    requestIdJag({
      idp: as,
      idpClient: { clientId: 'idp-client', tokenEndpointAuthMethod: 'none', source: 'preregistered' },
      idToken,
      audience: 'https://mcp-as.example',
      resource: RESOURCE,
    });

  it('sends the ID token as subject token and asks for an ID-JAG for the MCP authorization server', async () => {
    answer = () => ({
      status: 200,
      body: { access_token: 'the.id.jag', issued_token_type: ID_JAG_TOKEN_TYPE, token_type: 'N_A' },
    });
    expect(await exchange()).toBe('the.id.jag');
    expect(Object.fromEntries(seen[0]?.form ?? [])).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
      subject_token: idToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      audience: 'https://mcp-as.example',
      resource: RESOURCE,
      client_id: 'idp-client',
    });
  });

  it('refuses another issued token type, and a refused ID token is not echoed', async () => {
    answer = () => ({
      status: 200,
      body: {
        access_token: 'at',
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
      },
    });
    await expect(exchange()).rejects.toMatchObject({ reason: 'protocol_error' });
    answer = () => ({ status: 400, body: { error: 'invalid_grant', error_description: `bad ${idToken}` } });
    const error = await exchange().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'oauth_required', reason: 'login_required' });
    expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain(idToken);
  });
});

describe('errors never carry the credential', () => {
  it('invalid_client echoing the secret and the private key', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const key = parseClientPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    expect(key.alg).toBe('EdDSA');
    const body = key.pem.split('\n')[1] ?? '';
    answer = () => ({ status: 401, body: { error: 'invalid_client', error_description: `bad key ${body}` } });
    const error = await requestMachineGrant(
      ctxFor({
        clientId: 'c',
        privateKey: key,
        tokenEndpointAuthMethod: 'private_key_jwt',
        source: 'preregistered',
      }),
      { grant: 'client_credentials' },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'invalid_client' });
    expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain(body.slice(0, 20));
  });

  it('a key that is no key, or of the wrong algorithm, is refused without being echoed', () => {
    const garbage = '-----BEGIN PRIVATE KEY-----\nTk9UIEEgS0VZIGF0IGFsbA==\n-----END PRIVATE KEY-----';
    expect(() => parseClientPrivateKey(garbage)).toThrow(/not a PEM private key/);
    try {
      parseClientPrivateKey(garbage);
    } catch (error) {
      expect(JSON.stringify(error)).not.toContain('Tk9UIEEgS0VZ');
      expect((error as Error).message).not.toContain('Tk9UIEEgS0VZ');
    }
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const pem = ec.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => parseClientPrivateKey(pem, 'RS256')).toThrow(/signs with ES256, not RS256/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(parseClientPrivateKey(rsa.export({ type: 'pkcs1', format: 'pem' }).toString()).alg).toBe('RS256');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    expect(() => parseClientPrivateKey(p384.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow(
      /P-256/,
    );
  });
});

describe('renewal without a person', () => {
  it('repeats the grant when the token expires and there is no refresh token', async () => {
    let clock = 1_000_000;
    const ctx = ctxFor(
      {
        clientId: 'c',
        clientSecret: SECRET,
        tokenEndpointAuthMethod: 'client_secret_basic',
        source: 'preregistered',
      },
      { now: () => clock },
    );
    answer = () => ({
      status: 200,
      body: { access_token: `at-${seen.length}`, token_type: 'Bearer', expires_in: 120 },
    });
    let stored = await requestMachineGrant(ctx, { grant: 'client_credentials', scope: 's' });
    const manager = createTokenManager({
      load: async () => stored,
      save: async (t) => {
        stored = t;
      },
      refresh: async () => {
        throw new Error('no refresh token to use');
      },
      reacquire: () => requestMachineGrant(ctx, { grant: 'client_credentials', scope: 's' }),
      now: () => clock,
    });
    expect((await manager.getTokens()).accessToken).toBe('at-1');
    clock += 120_000; // expired
    const [a, b] = await Promise.all([manager.getTokens(), manager.getTokens()]);
    expect(a.accessToken).toBe('at-2');
    expect(b.accessToken).toBe('at-2'); // one request for both callers
    expect(seen).toHaveLength(2);
    expect(seen[1]?.form.get('grant_type')).toBe('client_credentials');
    expect(stored.accessToken).toBe('at-2');
    // A token the resource rejected is replaced the same way.
    expect((await manager.refreshAfterRejection('at-2')).accessToken).toBe('at-3');
  });

  it('without a machine grant, an expired token without refresh token still needs a person', async () => {
    const manager = createTokenManager({
      load: async () => ({ accessToken: 'old', tokenType: 'Bearer', expiresAt: 1 }),
      save: async () => {},
      refresh: async () => {
        throw new Error('unreachable');
      },
      now: () => 10_000,
    });
    await expect(manager.getTokens()).rejects.toMatchObject({ reason: 'login_required' });
  });
});

describe('against oidc-provider', () => {
  const resource = 'http://127.0.0.1:9/mcp';
  let provider: TestAuthorizationServer;
  let metadata: AuthorizationServer;
  beforeAll(async () => {
    provider = await startAuthorizationServer(resource);
    metadata = await discoverAuthorizationServer(provider.issuer);
  });
  afterAll(async () => {
    await provider?.close();
  });

  it('client_credentials with client_secret_post and a DPoP-bound token for the resource', async () => {
    const binding = chooseTokenBinding(metadata, createTestSigner('ES256'));
    if (binding.tokenType !== 'DPoP') throw new Error('expected DPoP');
    const tokens = await requestMachineGrant(
      {
        as: metadata,
        client: {
          clientId: MACHINE_CLIENT.clientId,
          clientSecret: MACHINE_CLIENT.clientSecret,
          tokenEndpointAuthMethod: 'client_secret_post',
          source: 'preregistered',
        },
        dpop: binding.dpop,
        resource,
      },
      { grant: 'client_credentials', scope: 'mcp:tools' },
    );
    expect(tokens.tokenType).toBe('DPoP');
    expect(tokens.refreshToken).toBeUndefined();
    const claims = decodeJwt(tokens.accessToken);
    expect(claims).toMatchObject({ aud: resource, client_id: MACHINE_CLIENT.clientId, scope: 'mcp:tools' });
    expect((claims.cnf as { jkt?: string }).jkt).toBe(binding.dpop.thumbprint);
    expect(provider.state.grants.at(-1)).toBe('client_credentials');
  });

  it('client_credentials with private_key_jwt from a PEM key', async () => {
    const tokens = await requestMachineGrant(
      {
        as: metadata,
        client: {
          clientId: MACHINE_JWT_CLIENT.clientId,
          privateKey: parseClientPrivateKey(provider.machineClientKeyPem, 'ES256'),
          tokenEndpointAuthMethod: 'private_key_jwt',
          source: 'preregistered',
        },
        resource,
      },
      { grant: 'client_credentials', scope: 'mcp:tools' },
    );
    expect(tokens.tokenType).toBe('Bearer');
    expect(decodeJwt(tokens.accessToken)).toMatchObject({ client_id: MACHINE_JWT_CLIENT.clientId });
  });

  it('a wrong key is invalid_client, not a sign-in', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const error = await requestMachineGrant(
      {
        as: metadata,
        client: {
          clientId: MACHINE_JWT_CLIENT.clientId,
          privateKey: parseClientPrivateKey(other.export({ type: 'pkcs8', format: 'pem' }).toString()),
          tokenEndpointAuthMethod: 'private_key_jwt',
          source: 'preregistered',
        },
        resource,
      },
      { grant: 'client_credentials' },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'invalid_client' });
  });
});
