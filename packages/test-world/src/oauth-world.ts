import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyAlgorithm, PublicJwk, Signer } from '@briefcase/keys';
import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  EmbeddedJWK,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import { errors, Provider } from 'oidc-provider';

/** A software Signer over a node:crypto key pair (the real KeyStore lives in @briefcase/keys). */
export function createTestSigner(algorithm: KeyAlgorithm = 'ES256'): Signer & { privateKey: KeyObject } {
  const { privateKey, publicKey } =
    algorithm === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const full = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const jwk: PublicJwk =
    algorithm === 'EdDSA'
      ? { kty: 'OKP', crv: 'Ed25519', x: full.x as string }
      : { kty: 'EC', crv: 'P-256', x: full.x as string, y: full.y as string };
  // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
  const canonical =
    jwk.kty === 'OKP'
      ? JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x })
      : JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  const thumbprint = createHash('sha256').update(canonical).digest('base64url');
  return {
    keyId: `test-${thumbprint.slice(0, 8)}`,
    algorithm,
    backend: 'software',
    privateKey,
    publicJwk: () => ({ ...jwk }),
    thumbprint: () => thumbprint,
    sign: async (data) =>
      algorithm === 'EdDSA'
        ? new Uint8Array(sign(null, data, privateKey))
        : new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Knobs of the test authorization server, changeable while it runs. */
export interface ProviderState {
  requireNonce: boolean;
  accessTokenTtl: number;
  /** grant_type of every successful token request, in order. */
  grants: string[];
  /** Every request path + method, in order. */
  requests: string[];
}

/**
 * What a protected server needs from the authorization server it trusts: its issuer, and whether
 * a grant still exists (so that a revoked grant's tokens are refused at once).
 */
export interface TrustedIssuer {
  issuer: string;
  grantExists(grantId: string): Promise<boolean>;
}

/** A running oidc-provider on 127.0.0.1. */
export interface TestAuthorizationServer extends TrustedIssuer {
  /** Ends a grant at the provider, as an administrator revoking it would. */
  destroyGrant(grantId: string): Promise<void>;
  state: ProviderState;
  /** PKCS#8 PEM private key (ES256) of {@link MACHINE_JWT_CLIENT}, registered by its public JWK. */
  machineClientKeyPem: string;
  close(): Promise<void>;
}

/** A client_credentials client that authenticates with client_secret_post (OAuth 2.1 §4.2). */
export const MACHINE_CLIENT = {
  clientId: 'machine-client',
  clientSecret: 'machine-s3cret-0123456789-abcdef',
};

/** A client_credentials client that authenticates with private_key_jwt (RFC 7523 §2.2). */
export const MACHINE_JWT_CLIENT = { clientId: 'machine-jwt-client' };

/** Its id and secret hold characters that Basic authentication must form-encode exactly (RFC 6749 §2.3.1). */
export const CONFIDENTIAL_CLIENT = {
  clientId: 'pre-registered-client',
  clientSecret: 's3cret-s3cret.s3cret~0123456789 +',
};

/**
 * oidc-provider 9.13.3 with PKCE required, DPoP (nonces switchable), revocation, introspection,
 * dynamic registration, refresh token rotation, and resource indicators issuing JWT access tokens
 * (with the grant id in `gid`, so the resource server can check provider state) for `resource`.
 */
export async function startAuthorizationServer(resource: string): Promise<TestAuthorizationServer> {
  const server = createServer();
  const issuer = await listen(server);
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const keys = [
    { ...(await exportJWK(rsa.privateKey)), kid: 'rsa', use: 'sig' },
    { ...(await exportJWK(ec.privateKey)), kid: 'ec', use: 'sig' },
  ];
  const state: ProviderState = { requireNonce: false, accessTokenTtl: 3600, grants: [], requests: [] };
  const machineKey = await generateKeyPair('ES256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: MACHINE_CLIENT.clientId,
        client_secret: MACHINE_CLIENT.clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: MACHINE_JWT_CLIENT.clientId,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [{ ...(await exportJWK(machineKey.publicKey)), kid: 'machine', use: 'sig' }] },
      },
      {
        client_id: CONFIDENTIAL_CLIENT.clientId,
        client_secret: CONFIDENTIAL_CLIENT.clientSecret,
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys },
    features: {
      dPoP: {
        enabled: true,
        nonceSecret: Buffer.alloc(32, 7),
        requireNonce: () => state.requireNonce,
      },
      revocation: { enabled: true },
      introspection: { enabled: true },
      clientCredentials: { enabled: true },
      devInteractions: { enabled: true },
      registration: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string) => oneOf ?? resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, indicator: string) => {
          if (indicator !== resource) throw new errors.InvalidTarget();
          return {
            scope: 'mcp:tools mcp:admin',
            audience: resource,
            accessTokenTTL: state.accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    // A client_credentials token has no grant at the provider: its "grant" is the client's own, so
    // a resource server checking grants accepts it while the client exists.
    extraTokenClaims: async (
      _ctx: unknown,
      token: { grantId?: string; kind?: string; clientId?: string },
    ) => ({
      gid: token.grantId ?? (token.kind === 'ClientCredentials' ? `client:${token.clientId}` : undefined),
    }),
    pkce: { required: () => true },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    cookies: { keys: ['k1-0123456789abcdef'] },
  });
  provider.on('grant.success', (ctx) => {
    state.grants.push(String(ctx.oidc.params?.grant_type));
  });
  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    state.requests.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    callback(req, res);
  });
  return {
    issuer,
    state,
    machineClientKeyPem: await exportPKCS8(machineKey.privateKey),
    grantExists: async (grantId) =>
      grantId.startsWith('client:') || (await provider.Grant.find(grantId)) !== undefined,
    destroyGrant: async (grantId) => {
      await (await provider.Grant.find(grantId))?.destroy();
    },
    close: () => close(server),
  };
}

/** A tiny cookie jar for driving the devInteractions pages with fetch. */
class CookieJar {
  readonly #cookies = new Map<string, string>();
  store(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
  header(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Plays the browser: follows the authorization URL through devInteractions login (as `account`)
 * and consent, then delivers the final redirect to the client's redirect URI. With `abort`, the
 * person refuses instead.
 */
export async function playBrowser(
  authorizationUrl: URL,
  redirectUri: string,
  options: { account?: string; abort?: boolean } = {},
): Promise<Response> {
  const jar = new CookieJar();
  let url = authorizationUrl.href;
  let method = 'GET';
  let body: URLSearchParams | undefined;
  for (let hops = 0; hops < 20; hops++) {
    if (url.startsWith(redirectUri.split('?')[0] as string)) return fetch(url);
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body,
    });
    jar.store(response);
    method = 'GET';
    body = undefined;
    const location = response.headers.get('location');
    if (location) {
      await response.body?.cancel();
      url = new URL(location, url).href;
      continue;
    }
    const html = await response.text();
    const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
    if (response.status !== 200 || !prompt) throw new Error(`unexpected page ${response.status} at ${url}`);
    if (options.abort) {
      url = `${url}/abort`;
      continue;
    }
    method = 'POST';
    body = new URLSearchParams(
      prompt === 'login' ? { prompt, login: options.account ?? 'alice', password: 'x' } : { prompt },
    );
  }
  throw new Error('too many hops');
}

/** Knobs of the test resource server. */
export interface ResourceServerState {
  /** Send `WWW-Authenticate: DPoP error="use_dpop_nonce"` until a proof carries `currentNonce`. */
  requireNonce: boolean;
  currentNonce: string;
  /** Overrides the `resource` member of the served PRM (to test mismatches). */
  prmResource?: string;
  /** Overrides `authorization_servers`. */
  prmAuthorizationServers?: string[];
  /** Answer PRM requests with a redirect. */
  prmRedirect: boolean;
  /** Outcomes of protected requests, e.g. `ok`, `replay`, `jkt_mismatch`. */
  outcomes: string[];
}

/** A protected MCP-like resource on 127.0.0.1 that verifies JWT access tokens and DPoP proofs. */
export interface TestResourceServer {
  origin: string;
  /** The resource identifier: `${origin}/mcp`. */
  resource: string;
  state: ResourceServerState;
  setAuthorizationServer(as: TrustedIssuer): void;
  close(): Promise<void>;
}

const sha256b64u = (s: string) => createHash('sha256').update(s).digest('base64url');

/** Starts the resource server; call `setAuthorizationServer` before sending tokens to it. */
export async function startResourceServer(): Promise<TestResourceServer> {
  const server = createServer();
  const origin = await listen(server);
  const resource = `${origin}/mcp`;
  const prmUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const state: ResourceServerState = {
    requireNonce: false,
    currentNonce: 'rs-nonce-1',
    prmRedirect: false,
    outcomes: [],
  };
  let issuer = '';
  let trusted: TrustedIssuer | undefined;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  const seenJti = new Set<string>();

  const deny = (res: ServerResponse, outcome: string, status: number, challenge: string) => {
    state.outcomes.push(outcome);
    res.writeHead(status, { 'www-authenticate': challenge, 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: outcome }));
  };

  server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname.startsWith('/.well-known/oauth-protected-resource')) {
      if (state.prmRedirect) {
        res.writeHead(302, { location: `${origin}/elsewhere` });
        res.end();
        return;
      }
      if (url.pathname !== '/.well-known/oauth-protected-resource/mcp') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          resource: state.prmResource ?? resource,
          authorization_servers: state.prmAuthorizationServers ?? [issuer],
          scopes_supported: ['mcp:tools', 'mcp:admin'],
          dpop_bound_access_tokens_required: true,
        }),
      );
      return;
    }
    if (url.pathname !== '/mcp' && url.pathname !== '/mcp/admin') {
      res.writeHead(404).end();
      return;
    }
    const bearerChallenge = `Bearer resource_metadata="${prmUrl}"`;
    const auth = req.headers.authorization ?? '';
    const [scheme, token] = auth.split(' ');
    if (!token || !jwks || !trusted) return deny(res, 'no_token', 401, bearerChallenge);
    let claims: JWTPayload & { cnf?: { jkt?: string }; gid?: string; scope?: string };
    try {
      ({ payload: claims } = await jwtVerify(token, jwks, { issuer, audience: resource, typ: 'at+jwt' }));
    } catch {
      return deny(res, 'bad_token', 401, `${bearerChallenge}, error="invalid_token"`);
    }
    if (!claims.gid || !(await trusted.grantExists(claims.gid))) {
      return deny(res, 'grant_revoked', 401, `DPoP error="invalid_token", algs="ES256 EdDSA"`);
    }
    const jkt = claims.cnf?.jkt;
    if (jkt) {
      const proof = req.headers.dpop;
      if (scheme !== 'DPoP' || typeof proof !== 'string') {
        return deny(res, 'bearer_for_dpop_token', 401, `DPoP error="invalid_token", algs="ES256 EdDSA"`);
      }
      try {
        const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
          typ: 'dpop+jwt',
          algorithms: ['ES256', 'EdDSA'],
        });
        const now = Math.floor(Date.now() / 1000);
        if (payload.htm !== req.method) return deny(res, 'htm', 401, 'DPoP error="invalid_dpop_proof"');
        if (payload.htu !== `${origin}${url.pathname}`)
          return deny(res, 'htu', 401, 'DPoP error="invalid_dpop_proof"');
        if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > 60) {
          return deny(res, 'iat', 401, 'DPoP error="invalid_dpop_proof"');
        }
        if (payload.ath !== sha256b64u(token))
          return deny(res, 'ath', 401, 'DPoP error="invalid_dpop_proof"');
        if (typeof payload.jti !== 'string' || seenJti.has(payload.jti)) {
          return deny(res, 'replay', 401, 'DPoP error="invalid_dpop_proof"');
        }
        seenJti.add(payload.jti);
        if ((await calculateJwkThumbprint(protectedHeader.jwk as never)) !== jkt) {
          return deny(res, 'jkt_mismatch', 401, 'DPoP error="invalid_token"');
        }
        if (state.requireNonce && payload.nonce !== state.currentNonce) {
          res.setHeader('dpop-nonce', state.currentNonce);
          return deny(res, 'nonce_required', 401, 'DPoP error="use_dpop_nonce", error_description="nonce"');
        }
      } catch {
        return deny(res, 'bad_proof', 401, 'DPoP error="invalid_dpop_proof"');
      }
    }
    const scopes = String(claims.scope ?? '').split(' ');
    if (url.pathname === '/mcp/admin' && !scopes.includes('mcp:admin')) {
      return deny(
        res,
        'insufficient_scope',
        403,
        `Bearer error="insufficient_scope", scope="mcp:tools mcp:admin"`,
      );
    }
    state.outcomes.push('ok');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, sub: claims.sub }));
  });

  return {
    origin,
    resource,
    state,
    setAuthorizationServer(as) {
      issuer = as.issuer;
      trusted = as;
      jwks = createRemoteJWKSet(new URL(`${as.issuer}/jwks`));
    },
    close: () => close(server),
  };
}
