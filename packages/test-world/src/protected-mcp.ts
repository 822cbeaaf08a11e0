/**
 * An MCP server (the SDK's, over Streamable HTTP) protected the way the MCP authorization spec
 * describes: a bare request gets 401 with `WWW-Authenticate: Bearer resource_metadata=…`, the
 * Protected Resource Metadata (RFC 9728) names the authorization server, and every request must
 * carry an access token issued for this resource, verified with jose, DPoP-bound (RFC 9449): the
 * proof's signature, htm, htu, iat, ath, jti (replay) and `cnf.jkt` are all checked, and the grant
 * must still exist at the provider (so revocation is seen at once).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { calculateJwkThumbprint, createRemoteJWKSet, EmbeddedJWK, type JWTPayload, jwtVerify } from 'jose';
import type { TrustedIssuer } from './oauth-world.js';

/** Knobs and observations of the protected server. */
export interface ProtectedState {
  /** Every request's outcome: `ok`, `no_token`, `bad_token`, `replay`, `grant_revoked`, … */
  outcomes: string[];
  /** The access tokens seen on accepted requests, in order (the test checks refresh with them). */
  acceptedTokens: string[];
  /** When set, tokens without this scope get 403 `insufficient_scope`. */
  requiredScope?: string;
  /** When true, a request without any token is served as `anonymous` (the server dropped its auth). */
  allowAnonymous?: boolean;
}

export interface ProtectedMcp {
  url: string;
  state: ProtectedState;
  setAuthorizationServer(as: TrustedIssuer): void;
  close(): Promise<void>;
}

const sha256b64u = (s: string) => createHash('sha256').update(s).digest('base64url');

export async function startProtectedMcp(): Promise<ProtectedMcp> {
  const http: Server = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const resource = `${origin}/mcp`;
  const prmUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const state: ProtectedState = { outcomes: [], acceptedTokens: [] };
  let issuer = '';
  let trusted: TrustedIssuer | undefined;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  const seenJti = new Set<string>();
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  const mcpServer = (sub: string) => {
    const server = new McpServer({ name: 'protected', version: '1.0.0' });
    server.registerTool('whoami', { description: 'Who the token belongs to', inputSchema: {} }, async () => ({
      content: [{ type: 'text', text: `you are ${sub}` }],
    }));
    return server;
  };

  const deny = (res: ServerResponse, outcome: string, status: number, challenge: string) => {
    state.outcomes.push(outcome);
    res.writeHead(status, { 'www-authenticate': challenge, 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: outcome }));
  };

  http.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/.well-known/oauth-protected-resource/mcp') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          resource,
          authorization_servers: [issuer],
          scopes_supported: ['mcp:tools'],
          dpop_bound_access_tokens_required: true,
        }),
      );
      return;
    }
    if (url.pathname !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    const challenge = `Bearer resource_metadata="${prmUrl}", scope="mcp:tools"`;
    if (state.allowAnonymous && req.headers.authorization === undefined) {
      state.outcomes.push('anonymous');
      return serve(req, res, 'anonymous');
    }
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (!token || !jwks || !trusted) return deny(res, 'no_token', 401, challenge);
    let claims: JWTPayload & { cnf?: { jkt?: string }; gid?: string; scope?: string };
    try {
      ({ payload: claims } = await jwtVerify(token, jwks, { issuer, audience: resource, typ: 'at+jwt' }));
    } catch {
      return deny(res, 'bad_token', 401, `${challenge}, error="invalid_token"`);
    }
    if (!claims.gid || !(await trusted.grantExists(claims.gid))) {
      return deny(res, 'grant_revoked', 401, 'DPoP error="invalid_token", algs="ES256 EdDSA"');
    }
    const jkt = claims.cnf?.jkt;
    if (!jkt || scheme !== 'DPoP' || typeof req.headers.dpop !== 'string') {
      return deny(res, 'not_dpop', 401, 'DPoP error="invalid_token", algs="ES256 EdDSA"');
    }
    try {
      const { payload, protectedHeader } = await jwtVerify(req.headers.dpop, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: ['ES256', 'EdDSA'],
      });
      const now = Math.floor(Date.now() / 1000);
      if (payload.htm !== req.method) return deny(res, 'htm', 401, 'DPoP error="invalid_dpop_proof"');
      if (payload.htu !== resource) return deny(res, 'htu', 401, 'DPoP error="invalid_dpop_proof"');
      if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > 60) {
        return deny(res, 'iat', 401, 'DPoP error="invalid_dpop_proof"');
      }
      if (payload.ath !== sha256b64u(token)) return deny(res, 'ath', 401, 'DPoP error="invalid_dpop_proof"');
      if (typeof payload.jti !== 'string' || seenJti.has(payload.jti)) {
        return deny(res, 'replay', 401, 'DPoP error="invalid_dpop_proof"');
      }
      seenJti.add(payload.jti);
      if ((await calculateJwkThumbprint(protectedHeader.jwk as never)) !== jkt) {
        return deny(res, 'jkt_mismatch', 401, 'DPoP error="invalid_token"');
      }
    } catch {
      return deny(res, 'bad_proof', 401, 'DPoP error="invalid_dpop_proof"');
    }
    const scopes = String(claims.scope ?? '').split(' ');
    if (state.requiredScope && !scopes.includes(state.requiredScope)) {
      return deny(
        res,
        'insufficient_scope',
        403,
        `Bearer error="insufficient_scope", scope="${state.requiredScope}", resource_metadata="${prmUrl}"`,
      );
    }
    state.outcomes.push('ok');
    state.acceptedTokens.push(token);

    await serve(req, res, String(claims.sub));
  });

  async function serve(req: IncomingMessage, res: ServerResponse, sub: string): Promise<void> {
    const sessionId = req.headers['mcp-session-id'];
    let transport = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (!transport) {
      const fresh: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (id) => {
          sessions.set(id, fresh);
        },
      });
      await mcpServer(sub).connect(fresh);
      transport = fresh;
    }
    await transport.handleRequest(req, res);
  }

  return {
    url: resource,
    state,
    setAuthorizationServer(as) {
      issuer = as.issuer;
      trusted = as;
      jwks = createRemoteJWKSet(new URL(`${as.issuer}/jwks`));
    },
    async close() {
      for (const transport of sessions.values()) await transport.close().catch(() => undefined);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
