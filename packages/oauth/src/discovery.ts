import {
  type AuthorizationServer,
  JSON_ATTRIBUTE_COMPARISON,
  processDiscoveryResponse,
  processResourceDiscoveryResponse,
  type ResourceServer,
} from 'oauth4webapi';
import { OAuthError } from './errors.js';
import { assertSecureUrl, describeUrl, guardedFetch, type HttpOptions } from './http.js';

/** The well-known URI suffixes this client resolves. */
export type WellKnownName =
  | 'oauth-authorization-server'
  | 'oauth-protected-resource'
  | 'openid-configuration';

/**
 * The well-known metadata URL for `base` (an issuer or resource identifier).
 *
 * - `oauth-authorization-server` (RFC 8414 §3.1) and `oauth-protected-resource` (RFC 9728 §3.1):
 *   a terminating `/` is removed and `/.well-known/<name>` is inserted between the host and the
 *   path (and, for RFC 9728, the query is kept): `https://as.example/tenant` →
 *   `https://as.example/.well-known/oauth-authorization-server/tenant`.
 * - `openid-configuration` (OpenID Connect Discovery 1.0 §4.1): the terminating `/` is removed and
 *   `/.well-known/openid-configuration` is appended to the issuer path.
 */
export function wellKnownUrl(base: string | URL, name: WellKnownName): URL {
  const url = new URL(typeof base === 'string' ? base : base.href);
  url.hash = '';
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  if (name === 'openid-configuration') {
    url.pathname = `${path}/.well-known/openid-configuration`;
    url.search = '';
  } else {
    url.pathname = `/.well-known/${name}${path}`;
    if (name === 'oauth-authorization-server') url.search = '';
  }
  return url;
}

/**
 * The OIDC variant the MCP authorization spec (2025-11-25, "Authorization Server Metadata
 * Discovery") also tries for issuers with a path: `/.well-known/openid-configuration` inserted
 * between host and path, as RFC 8414 §5 describes for compatibility.
 */
function openidInsertedUrl(issuer: URL): URL | undefined {
  if (issuer.pathname === '/' || issuer.pathname === '') return undefined;
  const url = new URL(issuer.href);
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  url.pathname = `/.well-known/openid-configuration${path}`;
  url.search = '';
  return url;
}

/** Options of {@link discoverProtectedResource}. */
export interface DiscoverProtectedResourceOptions {
  /** `resource_metadata` from the resource's `WWW-Authenticate` challenge (RFC 9728 §5.1), tried first. */
  resourceMetadataUrl?: string;
  /** Prefer this authorization server when the resource lists several. */
  preferredAuthorizationServer?: string;
  http?: HttpOptions;
}

/** What {@link discoverProtectedResource} found. */
export interface ProtectedResourceDiscovery {
  /** The validated protected resource metadata (RFC 9728 §2). */
  metadata: ResourceServer;
  /** Where it was fetched from. */
  metadataUrl: string;
  /** The authorization server issuer chosen from `authorization_servers`. */
  authorizationServer: string;
}

/**
 * Finds and validates the protected resource metadata of `resourceUrl` (RFC 9728): the
 * `resource_metadata` URL from a `WWW-Authenticate` challenge first, then the path-inserted
 * well-known URL (§3.1), then the root well-known URL (MCP authorization spec 2025-11-25,
 * "Protected Resource Metadata Discovery Requirements"). A 3xx fails with `redirect`.
 *
 * Which `resource` a document may name (§3.3: the identifier the well-known URL was built from):
 * the path-inserted document must name `resourceUrl` exactly; the root document was built from the
 * origin, and a challenge's URL may serve a whole server, so those two may also name an ancestor of
 * `resourceUrl` on the same origin (`https://host/` for `https://host/mcp`), as the MCP SDK's client
 * accepts. Anything else fails closed with `resource_mismatch`. The caller uses
 * `metadata.resource` as the RFC 8707 resource indicator.
 */
export async function discoverProtectedResource(
  resourceUrl: string | URL,
  options: DiscoverProtectedResourceOptions = {},
): Promise<ProtectedResourceDiscovery> {
  const resource = assertSecureUrl(resourceUrl, 'invalid_args', 'resource URL');
  const candidates: { url: URL; exact: boolean }[] = [];
  if (options.resourceMetadataUrl !== undefined) {
    const url = assertSecureUrl(options.resourceMetadataUrl, 'upstream_error', 'resource_metadata URL');
    candidates.push({ url, exact: false });
  }
  const inserted = wellKnownUrl(resource, 'oauth-protected-resource');
  candidates.push({ url: inserted, exact: true });
  const root = new URL('/.well-known/oauth-protected-resource', resource.origin);
  if (root.href !== inserted.href) candidates.push({ url: root, exact: false });

  const found = await firstMetadata(
    candidates.map((candidate) => candidate.url),
    options.http,
    {
      what: 'protected resource metadata',
      process: async (response, candidate) => {
        const exact = candidates.find((c) => c.url === candidate)?.exact ?? true;
        const named = exact ? resource : await namedResource(response.clone(), resource);
        return processResourceDiscoveryResponse(named, response);
      },
      mismatch: (candidate) =>
        new OAuthError(
          'upstream_error',
          'resource_mismatch',
          `The protected resource metadata at ${describeUrl(candidate)} is for another resource, not ${describeUrl(resource)} (RFC 9728 §3.3).`,
          { url: describeUrl(candidate) },
        ),
    },
  );
  if (!found) {
    throw new OAuthError(
      'upstream_error',
      'metadata_not_found',
      `No protected resource metadata was found for ${describeUrl(resource)}.`,
      { tried: candidates.map((candidate) => describeUrl(candidate.url)) },
    );
  }
  const authorizationServer = pickAuthorizationServer(found.value, options.preferredAuthorizationServer);
  return { metadata: found.value, metadataUrl: found.url.href, authorizationServer };
}

/**
 * The resource a root or challenge-named document may name for `resource`: the `resource` it
 * states when that is `resource` itself or an ancestor on the same origin (path prefix ending at a
 * `/` segment boundary, no query), else `resource` (so oauth4webapi reports the mismatch).
 */
async function namedResource(response: Response, resource: URL): Promise<URL> {
  let stated: unknown;
  try {
    stated = ((await response.json()) as { resource?: unknown }).resource;
  } catch {
    return resource;
  }
  if (typeof stated !== 'string' || !URL.canParse(stated)) return resource;
  const named = new URL(stated);
  if (named.origin !== resource.origin || named.search !== '' || named.hash !== '') return resource;
  const base = named.pathname.endsWith('/') ? named.pathname : `${named.pathname}/`;
  const path = resource.pathname.endsWith('/') ? resource.pathname : `${resource.pathname}/`;
  return path.startsWith(base) ? named : resource;
}

/**
 * Fetches `candidates` in order and processes the first that answers 200 (RFC 8414 §3, RFC 9728
 * §3: other statuses mean "not here", a 3xx is refused by the guarded fetch). A document naming
 * another issuer or resource fails with `mismatch`; any other invalid one with `metadata_invalid`.
 */
async function firstMetadata<T>(
  candidates: readonly URL[],
  http: HttpOptions | undefined,
  how: {
    what: string;
    process: (response: Response, candidate: URL) => Promise<T>;
    mismatch: (candidate: URL) => OAuthError;
  },
): Promise<{ value: T; url: URL } | undefined> {
  const doFetch = guardedFetch(http);
  for (const candidate of candidates) {
    const response = await doFetch(candidate.href, {
      method: 'GET',
      headers: { accept: 'application/json' },
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      continue;
    }
    try {
      return { value: await how.process(response, candidate), url: candidate };
    } catch (err) {
      if ((err as { code?: unknown }).code === JSON_ATTRIBUTE_COMPARISON) throw how.mismatch(candidate);
      throw new OAuthError(
        'upstream_error',
        'metadata_invalid',
        `The ${how.what} at ${describeUrl(candidate)} is not valid JSON metadata.`,
        { url: describeUrl(candidate) },
      );
    }
  }
  return undefined;
}

/**
 * Chooses the authorization server to use from `authorization_servers` (RFC 9728 §2): the
 * preferred one when listed, else the first with a secure issuer URL.
 */
export function pickAuthorizationServer(metadata: ResourceServer, preferred?: string): string {
  const list = Array.isArray(metadata.authorization_servers)
    ? metadata.authorization_servers.filter((v): v is string => typeof v === 'string')
    : [];
  const usable = list.filter((issuer) => {
    try {
      assertSecureUrl(issuer);
      return true;
    } catch {
      return false;
    }
  });
  if (preferred !== undefined && usable.includes(preferred)) return preferred;
  const first = usable[0];
  if (first === undefined) {
    throw new OAuthError(
      'upstream_error',
      'no_authorization_server',
      'The protected resource names no usable authorization server (https, or http on loopback).',
      { listed: list.length },
    );
  }
  return first;
}

/** Which metadata documents {@link discoverAuthorizationServer} may use. */
export type DiscoveryMode = 'auto' | 'oauth' | 'oidc';

/** Options of {@link discoverAuthorizationServer}. */
export interface DiscoverAuthorizationServerOptions {
  /** `auto` (default): RFC 8414, then OpenID; `oauth`: RFC 8414 only; `oidc`: OpenID only (quirk `oidcOnly`). */
  mode?: DiscoveryMode;
  http?: HttpOptions;
}

/** Endpoint members of authorization server metadata that must be secure URLs when present. */
const ENDPOINT_MEMBERS = [
  'authorization_endpoint',
  'token_endpoint',
  'registration_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'jwks_uri',
  'userinfo_endpoint',
  'pushed_authorization_request_endpoint',
  'device_authorization_endpoint',
  'end_session_endpoint',
] as const;

/**
 * Fetches and validates authorization server metadata for `issuer`, in the order of the MCP
 * authorization spec: RFC 8414 §3.1 (path-inserted), then OpenID Connect Discovery (path-inserted
 * for issuers with a path, then §4.1 path-appended). A 404 (or other non-200) moves to the next
 * URL; a 3xx, an `issuer` that differs from `issuer` (RFC 8414 §3.3, checked by oauth4webapi's
 * `processDiscoveryResponse`), or an endpoint that is not https (or http on loopback) fails closed.
 */
export async function discoverAuthorizationServer(
  issuer: string | URL,
  options: DiscoverAuthorizationServerOptions = {},
): Promise<AuthorizationServer> {
  const issuerUrl = assertSecureUrl(issuer, 'upstream_error', 'authorization server issuer');
  if (issuerUrl.search !== '') {
    throw new OAuthError(
      'upstream_error',
      'metadata_invalid',
      'An issuer identifier has no query (RFC 8414 §2).',
    );
  }
  const mode = options.mode ?? 'auto';
  const candidates: URL[] = [];
  if (mode !== 'oidc') candidates.push(wellKnownUrl(issuerUrl, 'oauth-authorization-server'));
  if (mode !== 'oauth') {
    const inserted = openidInsertedUrl(issuerUrl);
    if (inserted) candidates.push(inserted);
    candidates.push(wellKnownUrl(issuerUrl, 'openid-configuration'));
  }

  const found = await firstMetadata(candidates, options.http, {
    what: 'authorization server metadata',
    process: (response) => processDiscoveryResponse(issuerUrl, response),
    mismatch: (candidate) =>
      new OAuthError(
        'upstream_error',
        'issuer_mismatch',
        `The metadata at ${describeUrl(candidate)} names another issuer than ${describeUrl(issuerUrl)} (RFC 8414 §3.3).`,
        { url: describeUrl(candidate) },
      ),
  });
  if (!found) {
    throw new OAuthError(
      'upstream_error',
      'metadata_not_found',
      `No authorization server metadata was found for ${describeUrl(issuerUrl)}.`,
      { tried: candidates.map(describeUrl) },
    );
  }
  const as = found.value;
  for (const member of ENDPOINT_MEMBERS) {
    const value = as[member];
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      throw new OAuthError(
        'upstream_error',
        'metadata_invalid',
        `The metadata member ${member} is not a URL.`,
      );
    }
    assertSecureUrl(value, 'upstream_error', `${member} of ${describeUrl(issuerUrl)}`);
  }
  if (typeof as.authorization_endpoint !== 'string' || typeof as.token_endpoint !== 'string') {
    throw new OAuthError(
      'upstream_error',
      'metadata_invalid',
      `The authorization server ${describeUrl(issuerUrl)} advertises no authorization or token endpoint.`,
    );
  }
  return as;
}

/**
 * Where a 2025-03-26 MCP server (MCP authorization spec 2025-03-26, §2.3.2 "Server Metadata
 * Discovery" and §2.3.3 "Fallbacks for Servers without Metadata Discovery") that publishes no
 * protected resource metadata keeps its authorization server: at the MCP server's own origin (the
 * path discarded). Its RFC 8414 metadata is used when that origin serves it; otherwise the default
 * endpoints `/authorize`, `/token` and `/register` there, with PKCE S256, which that revision
 * requires of every server. A 3xx, invalid metadata or another issuer still fail closed.
 */
export async function discoverLegacyAuthorizationServer(
  serverUrl: string | URL,
  options: { http?: HttpOptions } = {},
): Promise<{ as: AuthorizationServer; source: 'metadata' | 'default_endpoints' }> {
  const origin = assertSecureUrl(serverUrl, 'invalid_args', 'MCP server URL').origin;
  try {
    const as = await discoverAuthorizationServer(origin, {
      mode: 'oauth',
      ...(options.http ? { http: options.http } : {}),
    });
    return { as, source: 'metadata' };
  } catch (error) {
    if (!(error instanceof OAuthError) || error.reason !== 'metadata_not_found') throw error;
  }
  return {
    as: {
      issuer: origin,
      authorization_endpoint: `${origin}/authorize`,
      token_endpoint: `${origin}/token`,
      registration_endpoint: `${origin}/register`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
    },
    source: 'default_endpoints',
  };
}
