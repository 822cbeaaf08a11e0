/**
 * Behaviours of other servers that the MCP conformance suite's client leg found (issue 10): each is
 * reproduced by a small HTTP server on loopback that answers the way those servers do.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  clientAuthentication,
  clientMetadataDocument,
  discoverLegacyAuthorizationServer,
  discoverProtectedResource,
  registerClient,
  resolveClientIdentity,
  toOauthClient,
} from '@briefcase/oauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let handler: Handler = (_req, res) => res.writeHead(404).end();
const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
  });
  req.on('end', () => handler(req, res, body));
});
let port = 0;

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

beforeAll(async () => {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});

describe('protected resource metadata on http://localhost', () => {
  it('is found and accepted (localhost is loopback, RFC 6761 §6.3)', async () => {
    const resource = `http://localhost:${port}/mcp`;
    handler = (req, res) => {
      if (req.url === '/.well-known/oauth-protected-resource/mcp') {
        return json(res, 200, { resource, authorization_servers: [`http://localhost:${port}`] });
      }
      res.writeHead(404).end();
    };
    const found = await discoverProtectedResource(resource);
    expect(found.metadata.resource).toBe(resource);
    expect(found.authorizationServer).toBe(`http://localhost:${port}`);
  });
});

describe('protected resource metadata at the root well-known URL (auth/metadata-var2)', () => {
  const serve = (stated: string): void => {
    handler = (req, res) => {
      if (req.url === '/.well-known/oauth-protected-resource') {
        return json(res, 200, { resource: stated, authorization_servers: [`http://127.0.0.1:${port}`] });
      }
      res.writeHead(404).end();
    };
  };

  it('accepts a document naming the origin, and the origin becomes the resource indicator', async () => {
    serve(`http://127.0.0.1:${port}`);
    const found = await discoverProtectedResource(`http://127.0.0.1:${port}/mcp`);
    expect(found.metadataUrl).toBe(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource`);
    expect(found.metadata.resource).toBe(`http://127.0.0.1:${port}`);
  });

  it('accepts an ancestor path, and the exact URL', async () => {
    serve(`http://127.0.0.1:${port}/api/`);
    await expect(discoverProtectedResource(`http://127.0.0.1:${port}/api/mcp`)).resolves.toMatchObject({
      metadata: { resource: `http://127.0.0.1:${port}/api/` },
    });
    serve(`http://127.0.0.1:${port}/api/mcp`);
    await expect(discoverProtectedResource(`http://127.0.0.1:${port}/api/mcp`)).resolves.toBeDefined();
  });

  it('refuses another origin, a sibling path, a path that is only a string prefix, and a query', async () => {
    for (const stated of [
      'https://evil.example/',
      `http://localhost:${port}/`,
      `http://127.0.0.1:${port}/other`,
      `http://127.0.0.1:${port}/mc`,
      `http://127.0.0.1:${port}/?x=1`,
    ]) {
      serve(stated);
      await expect(discoverProtectedResource(`http://127.0.0.1:${port}/mcp`), stated).rejects.toMatchObject({
        reason: 'resource_mismatch',
      });
    }
  });

  it('still requires the exact URL from the path-inserted document (RFC 9728 §3.3)', async () => {
    handler = (req, res) => {
      if (req.url === '/.well-known/oauth-protected-resource/mcp') {
        return json(res, 200, { resource: `http://127.0.0.1:${port}`, authorization_servers: [] });
      }
      res.writeHead(404).end();
    };
    await expect(discoverProtectedResource(`http://127.0.0.1:${port}/mcp`)).rejects.toMatchObject({
      reason: 'resource_mismatch',
    });
  });
});

describe('dynamic client registration answered without client_secret_expires_at', () => {
  const as = () => ({
    issuer: `http://127.0.0.1:${port}`,
    registration_endpoint: `http://127.0.0.1:${port}/register`,
    token_endpoint_auth_methods_supported: ['client_secret_basic'],
  });
  const metadata = { redirectUris: ['http://127.0.0.1:1/callback'] };

  it('treats the missing expiry as "does not expire" (RFC 7591 §3.2.1: 0)', async () => {
    handler = (_req, res) =>
      json(res, 201, {
        client_id: 'c-1',
        client_secret: 'sek',
        token_endpoint_auth_method: 'client_secret_basic',
      });
    const client = await registerClient(as(), metadata);
    expect(client).toMatchObject({ clientId: 'c-1', clientSecret: 'sek', source: 'dynamic_registration' });
    expect(client.clientSecretExpiresAt).toBeUndefined();
  });

  it('ignores a secret issued to a public client that asked for none', async () => {
    handler = (_req, res) =>
      json(res, 201, { client_id: 'c-2', client_secret: 'unwanted', token_endpoint_auth_method: 'none' });
    const client = await registerClient(
      { ...as(), token_endpoint_auth_methods_supported: ['none'] },
      metadata,
    );
    expect(client).toEqual({
      clientId: 'c-2',
      tokenEndpointAuthMethod: 'none',
      source: 'dynamic_registration',
    });
  });

  it('says "not valid", not "refused", when a 201 body is unusable; "refused" for an error answer', async () => {
    handler = (_req, res) => json(res, 201, { client_secret: 'no id' });
    await expect(registerClient(as(), metadata)).rejects.toMatchObject({
      reason: 'registration_failed',
      message: expect.stringContaining('registration response is not valid'),
      details: expect.objectContaining({ status: 201 }),
    });
    handler = (_req, res) => json(res, 400, { error: 'invalid_client_metadata' });
    await expect(registerClient(as(), metadata)).rejects.toMatchObject({
      reason: 'registration_failed',
      message: 'Dynamic client registration was refused.',
      details: expect.objectContaining({ status: 400, error: 'invalid_client_metadata' }),
    });
  });
});

describe('client_secret_basic (RFC 6749 §2.3.1)', () => {
  const basic = (clientId: string, clientSecret: string): string => {
    const identity = {
      clientId,
      clientSecret,
      tokenEndpointAuthMethod: 'client_secret_basic' as const,
      source: 'preregistered' as const,
    };
    const headers = new Headers();
    const body = new URLSearchParams();
    clientAuthentication(identity)({ issuer: 'https://as.example' }, toOauthClient(identity), body, headers);
    const value = headers.get('authorization') ?? '';
    expect(value.startsWith('Basic ')).toBe(true);
    expect(body.toString()).toBe('');
    return Buffer.from(value.slice('Basic '.length), 'base64').toString('utf8');
  };

  it('form-encodes as Appendix B says: unreserved "-._*" stay, ":" and the rest are escaped', () => {
    expect(basic('pre-registered-client', 'pre-registered-secret')).toBe(
      'pre-registered-client:pre-registered-secret',
    );
    expect(basic('a_b.c*d', 's~e:c r+t/ä')).toBe('a_b.c*d:s%7Ee%3Ac+r%2Bt%2F%C3%A4');
  });
});

describe('Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document)', () => {
  it('names the URL as client_id and describes the public native client briefcase registers', () => {
    const document = clientMetadataDocument('https://me.example/briefcase.json', {
      clientName: 'Credential Briefcase',
    });
    expect(document).toEqual({
      client_id: 'https://me.example/briefcase.json',
      client_name: 'Credential Briefcase',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    });
  });

  it('refuses a URL that cannot be a client id: not https, no path, a query', () => {
    for (const url of [
      'http://me.example/doc.json',
      'https://me.example/',
      'https://me.example/doc?x=1',
      'nope',
    ]) {
      expect(() => clientMetadataDocument(url), url).toThrow(
        expect.objectContaining({ reason: 'insecure_url' }),
      );
    }
  });

  it('is used as the client id where the server supports it, and ignored (registration) where not', async () => {
    const url = 'https://me.example/briefcase.json';
    const as = { issuer: `http://127.0.0.1:${port}`, client_id_metadata_document_supported: true };
    await expect(resolveClientIdentity(as, { clientMetadataDocumentUrl: url })).resolves.toEqual({
      clientId: url,
      tokenEndpointAuthMethod: 'none',
      source: 'metadata_document',
    });
    handler = (_req, res) => json(res, 201, { client_id: 'dcr-1', token_endpoint_auth_method: 'none' });
    const without = { issuer: as.issuer, registration_endpoint: `http://127.0.0.1:${port}/register` };
    await expect(
      resolveClientIdentity(without, {
        clientMetadataDocumentUrl: url,
        registration: { redirectUris: ['http://127.0.0.1:1/callback'] },
      }),
    ).resolves.toMatchObject({ clientId: 'dcr-1', source: 'dynamic_registration' });
  });
});

describe('a 2025-03-26 server without protected resource metadata', () => {
  it('has its authorization server metadata at its origin, the path discarded', async () => {
    const issuer = `http://127.0.0.1:${port}`;
    handler = (req, res) => {
      if (req.url === '/.well-known/oauth-authorization-server') {
        return json(res, 200, {
          issuer,
          authorization_endpoint: `${issuer}/oauth/authorize`,
          token_endpoint: `${issuer}/oauth/token`,
          code_challenge_methods_supported: ['S256'],
        });
      }
      res.writeHead(404).end();
    };
    const found = await discoverLegacyAuthorizationServer(`${issuer}/some/mcp`);
    expect(found.source).toBe('metadata');
    expect(found.as.token_endpoint).toBe(`${issuer}/oauth/token`);
  });

  it('else uses the default endpoints /authorize, /token and /register at that origin', async () => {
    handler = (_req, res) => res.writeHead(404).end();
    const origin = `http://127.0.0.1:${port}`;
    await expect(discoverLegacyAuthorizationServer(`${origin}/mcp`)).resolves.toEqual({
      source: 'default_endpoints',
      as: {
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        registration_endpoint: `${origin}/register`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      },
    });
  });

  it('still fails closed on metadata for another issuer, and on a redirect', async () => {
    handler = (_req, res) =>
      json(res, 200, { issuer: 'https://evil.example', authorization_endpoint: 'https://evil.example/a' });
    await expect(discoverLegacyAuthorizationServer(`http://127.0.0.1:${port}/mcp`)).rejects.toMatchObject({
      reason: 'issuer_mismatch',
    });
    handler = (_req, res) => res.writeHead(302, { location: 'https://evil.example/' }).end();
    await expect(discoverLegacyAuthorizationServer(`http://127.0.0.1:${port}/mcp`)).rejects.toMatchObject({
      reason: 'redirect',
    });
  });
});
