import {
  type AuthorizationServer,
  type Client,
  type ClientAuth,
  ClientSecretPost,
  dynamicClientRegistrationRequest,
  None,
  processDynamicClientRegistrationResponse,
} from 'oauth4webapi';
import { type ClientPrivateKey, pemSecretParts, privateKeyJwtAuthentication } from './client-key.js';
import { OAuthError, safeDescription, safeErrorCode } from './errors.js';
import { assertSecureUrl, type HttpOptions, oauthHttpOptions } from './http.js';

/** Token endpoint client authentication methods this client implements (RFC 7591 §2). */
export type TokenEndpointAuthMethod =
  | 'none'
  | 'client_secret_basic'
  | 'client_secret_post'
  /** RFC 7523 §2.2, OIDC Core §9: a JWT signed with the client's private key (pre-registered only). */
  | 'private_key_jwt';

/** How the client identity was obtained. */
export type ClientIdentitySource = 'preregistered' | 'metadata_document' | 'dynamic_registration';

/**
 * Who this client is at one authorization server. `clientSecret` and `privateKey` are secrets:
 * never log them.
 */
export interface ClientIdentity {
  clientId: string;
  clientSecret?: string;
  /** The key of a `private_key_jwt` client. */
  privateKey?: ClientPrivateKey;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  source: ClientIdentitySource;
  /** Unix seconds when the secret expires (RFC 7591 §3.2.1; 0 or absent: never). */
  clientSecretExpiresAt?: number;
}

/** A client registered out of band with the authorization server. */
export interface PreregisteredClient {
  clientId: string;
  clientSecret?: string;
  /** Its private key: the client then authenticates with `private_key_jwt` (RFC 7523 §2.2). */
  privateKey?: ClientPrivateKey;
  /** Forces the method; otherwise it is chosen from the server metadata. */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
}

/** Client metadata sent in a Dynamic Client Registration request (RFC 7591 §2). */
export interface RegistrationMetadata {
  redirectUris: string[];
  clientName?: string;
  scope?: string;
  softwareId?: string;
  softwareVersion?: string;
}

/** Options of {@link resolveClientIdentity}. */
export interface ResolveClientIdentityOptions {
  preregistered?: PreregisteredClient;
  /** An https URL serving this client's Client ID Metadata Document. */
  clientMetadataDocumentUrl?: string;
  /** Metadata for Dynamic Client Registration, the last resort. */
  registration?: RegistrationMetadata;
  /** Server quirk: never try Dynamic Client Registration. */
  noDynamicRegistration?: boolean;
  http?: HttpOptions;
}

const SUPPORTED_METHODS: readonly TokenEndpointAuthMethod[] = [
  'none',
  'client_secret_basic',
  'client_secret_post',
];

/**
 * The token endpoint auth method to use: `none` without a secret; with a secret,
 * `client_secret_basic` when the server lists it, else `client_secret_post` when listed. An absent
 * `token_endpoint_auth_methods_supported` means `client_secret_basic` (RFC 8414 §2).
 */
export function chooseTokenEndpointAuthMethod(
  as: AuthorizationServer,
  hasSecret: boolean,
): TokenEndpointAuthMethod {
  if (!hasSecret) return 'none';
  const listed = as.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  if (listed.includes('client_secret_basic')) return 'client_secret_basic';
  if (listed.includes('client_secret_post')) return 'client_secret_post';
  throw new OAuthError(
    'upstream_error',
    'no_client_identity',
    'The authorization server supports neither client_secret_basic nor client_secret_post for this secret.',
  );
}

/**
 * Picks how to identify this client to `as`, in the order of the MCP authorization spec
 * (2025-11-25, "Client Registration Approaches"): a pre-registered client; else a Client ID
 * Metadata Document URL when the server advertises `client_id_metadata_document_supported`;
 * else Dynamic Client Registration (RFC 7591) when the server has a `registration_endpoint` and the
 * `noDynamicRegistration` quirk is off. Fails with `no_client_identity` otherwise.
 */
export async function resolveClientIdentity(
  as: AuthorizationServer,
  options: ResolveClientIdentityOptions,
): Promise<ClientIdentity> {
  const pre = options.preregistered;
  if (pre?.privateKey) {
    return {
      clientId: pre.clientId,
      privateKey: pre.privateKey,
      tokenEndpointAuthMethod: 'private_key_jwt',
      source: 'preregistered',
    };
  }
  if (pre) {
    const method =
      pre.tokenEndpointAuthMethod ?? chooseTokenEndpointAuthMethod(as, pre.clientSecret !== undefined);
    if (method !== 'none' && !pre.clientSecret) {
      throw new OAuthError(
        'invalid_args',
        'no_client_identity',
        `The method ${method} needs a client secret.`,
      );
    }
    return {
      clientId: pre.clientId,
      ...(pre.clientSecret !== undefined && method !== 'none' ? { clientSecret: pre.clientSecret } : {}),
      tokenEndpointAuthMethod: method,
      source: 'preregistered',
    };
  }
  if (options.clientMetadataDocumentUrl !== undefined && as.client_id_metadata_document_supported === true) {
    const url = assertSecureUrl(
      options.clientMetadataDocumentUrl,
      'invalid_args',
      'client metadata document URL',
    );
    // The client_id of a CIMD client is the document's https URL with a path (draft-ietf-oauth-
    // client-id-metadata-document §3); such a client is public and authenticates with `none`.
    if (url.protocol !== 'https:' || url.pathname === '/') {
      throw new OAuthError(
        'invalid_args',
        'insecure_url',
        'A client metadata document URL must be https with a path component.',
      );
    }
    return { clientId: url.href, tokenEndpointAuthMethod: 'none', source: 'metadata_document' };
  }
  if (
    options.registration &&
    !options.noDynamicRegistration &&
    typeof as.registration_endpoint === 'string'
  ) {
    return registerClient(as, options.registration, options.http);
  }
  throw new OAuthError(
    'oauth_required',
    'no_client_identity',
    'This authorization server needs a pre-registered client: it offers neither client ID metadata documents nor dynamic registration.',
  );
}

/** The redirect URI a native client registers: loopback, any port (RFC 8252 §7.3). */
export const LOOPBACK_REDIRECT_URI = 'http://127.0.0.1/callback';

/**
 * The Client ID Metadata Document a person hosts at `url` for this client
 * (draft-ietf-oauth-client-id-metadata-document §4.1): `client_id` is that https URL (with a path),
 * and the rest is the public native client {@link registerClient} registers: the loopback redirect
 * URI (any port, RFC 8252 §7.3), the authorization code and refresh token grants, no client
 * authentication. Throws OAuthError `insecure_url` for a URL a server would refuse as a client id.
 */
export function clientMetadataDocument(
  url: string,
  metadata: Omit<RegistrationMetadata, 'redirectUris'> = {},
): Record<string, unknown> {
  const parsed = assertSecureUrl(url, 'invalid_args', 'client metadata document URL');
  if (parsed.protocol !== 'https:' || parsed.pathname === '/' || parsed.search !== '') {
    throw new OAuthError(
      'invalid_args',
      'insecure_url',
      'A client metadata document URL must be https, with a path and no query (it is the client id).',
    );
  }
  return {
    client_id: parsed.href,
    ...(metadata.clientName !== undefined ? { client_name: metadata.clientName } : {}),
    redirect_uris: [LOOPBACK_REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    ...(metadata.softwareId !== undefined ? { software_id: metadata.softwareId } : {}),
    ...(metadata.softwareVersion !== undefined ? { software_version: metadata.softwareVersion } : {}),
  };
}

/**
 * Registers a client with OAuth 2.0 Dynamic Client Registration (RFC 7591 §3.1) through
 * oauth4webapi. It asks for a public native client (`token_endpoint_auth_method: none`,
 * RFC 8252 §8.4) with the authorization code and refresh token grants, unless the server does not
 * allow `none`, in which case it asks for a secret.
 */
export async function registerClient(
  as: AuthorizationServer,
  metadata: RegistrationMetadata,
  http?: HttpOptions,
): Promise<ClientIdentity> {
  const listed = as.token_endpoint_auth_methods_supported;
  const wanted: TokenEndpointAuthMethod =
    listed === undefined || listed.includes('none') ? 'none' : chooseTokenEndpointAuthMethod(as, true);
  const body: Record<string, unknown> = {
    redirect_uris: metadata.redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: wanted,
    application_type: 'native',
  };
  if (metadata.clientName !== undefined) body.client_name = metadata.clientName;
  if (metadata.scope !== undefined) body.scope = metadata.scope;
  if (metadata.softwareId !== undefined) body.software_id = metadata.softwareId;
  if (metadata.softwareVersion !== undefined) body.software_version = metadata.softwareVersion;

  let registered: Awaited<ReturnType<typeof processDynamicClientRegistrationResponse>>;
  let answered: number | undefined;
  try {
    const response = await dynamicClientRegistrationRequest(
      as,
      body as Parameters<typeof dynamicClientRegistrationRequest>[1],
      oauthHttpOptions(http),
    );
    answered = response.status;
    registered = await processDynamicClientRegistrationResponse(await withSecretExpiryDefault(response));
  } catch (err) {
    if (err instanceof OAuthError) throw err;
    const e = err as { error?: unknown; error_description?: unknown };
    // A 201 with a body we cannot use is not a refusal: say which it was.
    const accepted = answered === 201;
    throw new OAuthError(
      'upstream_error',
      'registration_failed',
      accepted
        ? 'The authorization server registered a client but its registration response is not valid (RFC 7591 §3.2.1).'
        : 'Dynamic client registration was refused.',
      {
        ...(answered !== undefined ? { status: answered } : {}),
        error: safeErrorCode(e.error),
        description: safeDescription(e.error_description),
      },
    );
  }
  const method = registered.token_endpoint_auth_method ?? wanted;
  if (typeof method !== 'string' || !(SUPPORTED_METHODS as readonly string[]).includes(method)) {
    throw new OAuthError(
      'upstream_error',
      'registration_failed',
      'The registered client uses a token endpoint auth method this client does not implement.',
    );
  }
  const secret = typeof registered.client_secret === 'string' ? registered.client_secret : undefined;
  if (method !== 'none' && secret === undefined) {
    throw new OAuthError(
      'upstream_error',
      'registration_failed',
      'The registration response lacks a client secret.',
    );
  }
  const expiresAt = registered.client_secret_expires_at;
  return {
    clientId: registered.client_id,
    ...(secret !== undefined && method !== 'none' ? { clientSecret: secret } : {}),
    tokenEndpointAuthMethod: method as TokenEndpointAuthMethod,
    source: 'dynamic_registration',
    ...(typeof expiresAt === 'number' && expiresAt > 0 ? { clientSecretExpiresAt: expiresAt } : {}),
  };
}

/**
 * RFC 7591 §3.2.1 makes `client_secret_expires_at` REQUIRED when a `client_secret` is issued, with
 * 0 meaning "does not expire", and oauth4webapi enforces it; real servers (and the MCP conformance
 * suite's) omit it. A missing expiry is read as 0: the secret is used until the server refuses it.
 * Every other check stays oauth4webapi's, on an otherwise unchanged body.
 */
async function withSecretExpiryDefault(response: Response): Promise<Response> {
  if (response.status !== 201) return response;
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    return response;
  }
  if (
    typeof body !== 'object' ||
    body === null ||
    Array.isArray(body) ||
    !('client_secret' in body) ||
    'client_secret_expires_at' in body
  ) {
    return response;
  }
  return new Response(JSON.stringify({ ...body, client_secret_expires_at: 0 }), {
    status: response.status,
    headers: response.headers,
  });
}

/**
 * `application/x-www-form-urlencoded` encoding of a client ID or secret for HTTP Basic (RFC 6749
 * §2.3.1 and Appendix B): the WHATWG form serializer, which leaves `*-._` and alphanumerics as they
 * are and writes a space as `+`. oauth4webapi also encodes `-`, `_`, `.`, `!`, `~`, `*`, `'`, `(`,
 * `)`, which servers that decode only what the RFC requires (the MCP conformance suite's among
 * them) compare literally and refuse: `pre-registered-client` must stay as it is.
 */
export function formEncodeCredential(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/** HTTP Basic client authentication (RFC 6749 §2.3.1) with {@link formEncodeCredential}. */
function clientSecretBasic(clientSecret: string): ClientAuth {
  return (_as, client, _body, headers) => {
    const credentials = `${formEncodeCredential(client.client_id)}:${formEncodeCredential(clientSecret)}`;
    headers.set('authorization', `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`);
  };
}

/** The oauth4webapi client metadata object for `identity`. */
export function toOauthClient(identity: ClientIdentity): Client {
  return { client_id: identity.clientId, token_endpoint_auth_method: identity.tokenEndpointAuthMethod };
}

/** The oauth4webapi client authentication for `identity` (RFC 6749 §2.3.1, OAuth 2.1 §2.4). */
export function clientAuthentication(identity: ClientIdentity): ClientAuth {
  switch (identity.tokenEndpointAuthMethod) {
    case 'client_secret_basic':
      return clientSecretBasic(identity.clientSecret ?? '');
    case 'client_secret_post':
      return ClientSecretPost(identity.clientSecret ?? '');
    case 'private_key_jwt':
      if (!identity.privateKey) {
        throw new OAuthError('invalid_args', 'no_client_identity', 'The method private_key_jwt needs a key.');
      }
      return privateKeyJwtAuthentication(identity.privateKey);
    default:
      return None();
  }
}

/** Everything secret about `identity`, for {@link safeDescription} to remove from server text. */
export function clientSecretsOf(identity: ClientIdentity): string[] {
  return [
    ...(identity.clientSecret !== undefined ? [identity.clientSecret] : []),
    ...(identity.privateKey ? pemSecretParts(identity.privateKey.pem) : []),
  ];
}
