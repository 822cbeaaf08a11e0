import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  assertSecureUrl,
  discoverAuthorizationServer,
  discoverProtectedResource,
  MAX_WWW_AUTHENTICATE_LENGTH,
  parseWwwAuthenticate,
  wellKnownUrl,
} from '@briefcase/oauth';
import {
  startAuthorizationServer,
  startResourceServer,
  type TestAuthorizationServer,
  type TestResourceServer,
} from '@briefcase/test-world';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('wellKnownUrl', () => {
  it('inserts the RFC 8414 §3.1 suffix between host and path', () => {
    // RFC 8414 §3.1 example.
    expect(wellKnownUrl('https://example.com/issuer1', 'oauth-authorization-server').href).toBe(
      'https://example.com/.well-known/oauth-authorization-server/issuer1',
    );
    expect(wellKnownUrl('https://as.example/tenant/', 'oauth-authorization-server').href).toBe(
      'https://as.example/.well-known/oauth-authorization-server/tenant',
    );
    expect(wellKnownUrl('https://as.example', 'oauth-authorization-server').href).toBe(
      'https://as.example/.well-known/oauth-authorization-server',
    );
    expect(wellKnownUrl('https://as.example/', 'oauth-authorization-server').href).toBe(
      'https://as.example/.well-known/oauth-authorization-server',
    );
  });

  it('inserts the RFC 9728 §3.1 suffix and keeps the query', () => {
    // RFC 9728 §3.1 example.
    expect(wellKnownUrl('https://resource.example.com/resource1', 'oauth-protected-resource').href).toBe(
      'https://resource.example.com/.well-known/oauth-protected-resource/resource1',
    );
    expect(wellKnownUrl('https://example.com/public/mcp', 'oauth-protected-resource').href).toBe(
      'https://example.com/.well-known/oauth-protected-resource/public/mcp',
    );
    expect(wellKnownUrl('https://r.example/api/?v=1', 'oauth-protected-resource').href).toBe(
      'https://r.example/.well-known/oauth-protected-resource/api?v=1',
    );
  });

  it('appends the OpenID suffix to the issuer path (OIDC Discovery §4.1)', () => {
    expect(wellKnownUrl('https://example.com/issuer1', 'openid-configuration').href).toBe(
      'https://example.com/issuer1/.well-known/openid-configuration',
    );
    expect(wellKnownUrl('https://example.com/issuer1/', 'openid-configuration').href).toBe(
      'https://example.com/issuer1/.well-known/openid-configuration',
    );
    expect(wellKnownUrl('https://example.com', 'openid-configuration').href).toBe(
      'https://example.com/.well-known/openid-configuration',
    );
  });
});

describe('parseWwwAuthenticate', () => {
  it('parses multiple challenges, quoted strings with escapes and token68', () => {
    const parsed = parseWwwAuthenticate(
      'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple", ' +
        'Bearer resource_metadata="https://r.example/.well-known/oauth-protected-resource", scope="a b", ' +
        'error="insufficient_scope", error_description="need, more", Negotiate abc+/def==, DPoP algs="ES256"',
    );
    expect(parsed.map((c) => c.scheme)).toEqual(['newauth', 'basic', 'bearer', 'negotiate', 'dpop']);
    expect(parsed[0]?.params).toEqual({ realm: 'apps', type: '1', title: 'Login to "apps"' });
    expect(parsed[2]?.params).toEqual({
      resource_metadata: 'https://r.example/.well-known/oauth-protected-resource',
      scope: 'a b',
      error: 'insufficient_scope',
      error_description: 'need, more',
    });
    expect(parsed[3]?.token68).toBe('abc+/def==');
    expect(parsed[4]?.params.algs).toBe('ES256');
  });

  it('handles bare schemes, case, spaces around = and empty input', () => {
    expect(parseWwwAuthenticate('Bearer')).toEqual([{ scheme: 'bearer', params: {} }]);
    expect(parseWwwAuthenticate('BEARER  Error = invalid_token ,, , DPoP')[0]?.params).toEqual({
      error: 'invalid_token',
    });
    expect(parseWwwAuthenticate('BEARER  Error = invalid_token ,, , DPoP').map((c) => c.scheme)).toEqual([
      'bearer',
      'dpop',
    ]);
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(parseWwwAuthenticate(null)).toEqual([]);
  });

  it('stops at malformed input and caps length', () => {
    expect(parseWwwAuthenticate('Bearer error="unterminated')).toEqual([]);
    expect(parseWwwAuthenticate('Basic realm="a", Bearer x="y" junk').map((c) => c.scheme)).toEqual([
      'basic',
    ]);
    expect(parseWwwAuthenticate(`Bearer realm="${'a'.repeat(MAX_WWW_AUTHENTICATE_LENGTH)}"`)).toEqual([]);
    expect(Object.entries(parseWwwAuthenticate('Bearer __proto__="x"')[0]?.params ?? {})).toEqual([
      ['__proto__', 'x'],
    ]);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        expect(Array.isArray(parseWwwAuthenticate(s))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('Bearer', ' ', ',', '=', '"', '\\', 'a', 'x=y', 'b==', '\t', 'DPoP'), {
          maxLength: 40,
        }),
        (parts) => {
          expect(Array.isArray(parseWwwAuthenticate(parts.join('')))).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('secure URL rule', () => {
  it('allows https, and http on loopback only (localhost included: RFC 6761 §6.3, RFC 8252 §8.3)', () => {
    expect(() => assertSecureUrl('https://as.example/x')).not.toThrow();
    for (const good of [
      'http://127.0.0.1:9/x',
      'http://[::1]:9/',
      'http://localhost:3000/mcp',
      'http://LOCALHOST/',
    ]) {
      expect(() => assertSecureUrl(good), good).not.toThrow();
    }
    for (const bad of [
      'http://as.example/',
      'http://localhost.evil.example/',
      'http://127.0.0.1.nip.io/',
      'ftp://as.example/',
      'https://u:p@as.example/',
      'nope',
    ]) {
      expect(() => assertSecureUrl(bad)).toThrow(expect.objectContaining({ reason: 'insecure_url' }));
    }
  });
});

describe('discovery against real servers', () => {
  let as: TestAuthorizationServer;
  let rs: TestResourceServer;
  let hostile: ReturnType<typeof createServer>;
  let hostileOrigin: string;
  let hostileHandler: (req: IncomingMessage, res: ServerResponse) => void = (_q, res) =>
    res.writeHead(404).end();

  beforeAll(async () => {
    rs = await startResourceServer();
    as = await startAuthorizationServer(rs.resource);
    rs.setAuthorizationServer(as);
    hostile = createServer((req, res) => hostileHandler(req, res));
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', () => r()));
    hostileOrigin = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    hostile?.closeAllConnections();
    await new Promise<void>((r) => (hostile ? hostile.close(() => r()) : r()));
    await rs?.close();
    await as?.close();
  });

  it('finds the PRM by the well-known path when no header URL is given, and the AS via RFC 8414', async () => {
    const prm = await discoverProtectedResource(rs.resource);
    expect(prm.metadataUrl).toBe(`${rs.origin}/.well-known/oauth-protected-resource/mcp`);
    expect(prm.metadata.resource).toBe(rs.resource);
    const metadata = await discoverAuthorizationServer(prm.authorizationServer);
    expect(metadata.issuer).toBe(as.issuer);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    const oidc = await discoverAuthorizationServer(as.issuer, { mode: 'oidc' });
    expect(oidc.issuer).toBe(as.issuer);
  });

  it('fails closed on a resource mismatch', async () => {
    rs.state.prmResource = 'https://evil.example/mcp';
    try {
      await expect(discoverProtectedResource(rs.resource)).rejects.toMatchObject({
        code: 'upstream_error',
        reason: 'resource_mismatch',
      });
    } finally {
      rs.state.prmResource = undefined;
    }
  });

  it('fails closed on a redirecting metadata endpoint', async () => {
    rs.state.prmRedirect = true;
    try {
      await expect(discoverProtectedResource(rs.resource)).rejects.toMatchObject({ reason: 'redirect' });
    } finally {
      rs.state.prmRedirect = false;
    }
    hostileHandler = (_req, res) =>
      res.writeHead(307, { location: `${as.issuer}/.well-known/oauth-authorization-server` }).end();
    await expect(discoverAuthorizationServer(hostileOrigin)).rejects.toMatchObject({ reason: 'redirect' });
  });

  it('fails closed on an issuer mismatch (metadata of another server served here)', async () => {
    const real = await (await fetch(`${as.issuer}/.well-known/oauth-authorization-server`)).json();
    hostileHandler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(real));
    };
    await expect(discoverAuthorizationServer(hostileOrigin)).rejects.toMatchObject({
      code: 'upstream_error',
      reason: 'issuer_mismatch',
    });
  });

  it('fails closed on http endpoints outside loopback, in metadata and in authorization_servers', async () => {
    hostileHandler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer: hostileOrigin,
          authorization_endpoint: `${hostileOrigin}/auth`,
          token_endpoint: 'http://as.example/token',
          code_challenge_methods_supported: ['S256'],
        }),
      );
    };
    await expect(discoverAuthorizationServer(hostileOrigin)).rejects.toMatchObject({
      reason: 'insecure_url',
    });
    await expect(discoverAuthorizationServer('http://as.example')).rejects.toMatchObject({
      reason: 'insecure_url',
    });
    await expect(discoverProtectedResource('http://mcp.example/mcp')).rejects.toMatchObject({
      code: 'invalid_args',
      reason: 'insecure_url',
    });
    rs.state.prmAuthorizationServers = ['http://as.example'];
    try {
      await expect(discoverProtectedResource(rs.resource)).rejects.toMatchObject({
        reason: 'no_authorization_server',
      });
    } finally {
      rs.state.prmAuthorizationServers = undefined;
    }
    await expect(
      discoverProtectedResource(rs.resource, { resourceMetadataUrl: 'http://evil.example/prm' }),
    ).rejects.toMatchObject({ reason: 'insecure_url' });
  });

  it('reports metadata_not_found and oversize bodies', async () => {
    hostileHandler = (_req, res) => res.writeHead(404).end();
    await expect(discoverAuthorizationServer(`${hostileOrigin}/tenant`)).rejects.toMatchObject({
      reason: 'metadata_not_found',
      details: {
        tried: [
          `${hostileOrigin}/.well-known/oauth-authorization-server/tenant`,
          `${hostileOrigin}/.well-known/openid-configuration/tenant`,
          `${hostileOrigin}/tenant/.well-known/openid-configuration`,
        ],
      },
    });
    hostileHandler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"issuer":"${'a'.repeat(2 * 1024 * 1024)}"}`);
    };
    await expect(discoverAuthorizationServer(hostileOrigin)).rejects.toMatchObject({
      reason: 'protocol_error',
    });
  });
});
