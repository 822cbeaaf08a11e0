import {
  type AuthorizationServer,
  genericTokenEndpointRequest,
  processGenericTokenEndpointResponse,
} from 'oauth4webapi';
import {
  type ClientIdentity,
  clientAuthentication,
  clientSecretsOf,
  toOauthClient,
} from './client-identity.js';
import { OAuthError } from './errors.js';
import { type HttpOptions, oauthHttpOptions } from './http.js';
import { tokenError } from './tokens.js';

/** The `grant_type` of OAuth 2.0 Token Exchange (RFC 8693 §2.1). */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The token type of an OpenID Connect ID token (RFC 8693 §3). */
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
/**
 * The token type of an Identity Assertion JWT Authorization Grant (ID-JAG,
 * draft-ietf-oauth-identity-assertion-authz-grant), which the MCP enterprise-managed authorization
 * extension (SEP-990) presents with the JWT bearer grant.
 */
export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';

/** What {@link requestIdJag} sends to the enterprise identity provider. */
export interface IdJagRequest {
  /** The identity provider's metadata (its `token_endpoint`). */
  idp: AuthorizationServer;
  /** This client at the identity provider. */
  idpClient: ClientIdentity;
  /** The person's ID token from the identity provider: the subject token. A secret. */
  idToken: string;
  /** The issuer of the MCP server's authorization server: the ID-JAG's audience. */
  audience: string;
  /** The MCP server's resource indicator (RFC 8707). */
  resource: string;
  scope?: string;
  http?: HttpOptions;
}

/**
 * Enterprise-managed authorization, step 1 (SEP-990): exchanges the person's ID token at the
 * enterprise identity provider for an ID-JAG (RFC 8693 §2.1: `subject_token_type` id_token,
 * `requested_token_type` id-jag, `audience` the MCP authorization server's issuer, `resource` the
 * MCP server). Step 2 presents the ID-JAG with the JWT bearer grant (RFC 7523 §2.1) at the MCP
 * server's authorization server (`requestMachineGrant`). Returns the ID-JAG, a secret.
 * `invalid_grant` (an expired or refused ID token) becomes `login_required`.
 */
export async function requestIdJag(request: IdJagRequest): Promise<string> {
  const client = toOauthClient(request.idpClient);
  const secrets = [...clientSecretsOf(request.idpClient), request.idToken];
  const parameters = new URLSearchParams({
    requested_token_type: ID_JAG_TOKEN_TYPE,
    subject_token: request.idToken,
    subject_token_type: ID_TOKEN_TYPE,
    audience: request.audience,
    resource: request.resource,
  });
  if (request.scope) parameters.set('scope', request.scope);
  let issued: { access_token: string; issued_token_type?: unknown };
  try {
    const response = await genericTokenEndpointRequest(
      request.idp,
      client,
      clientAuthentication(request.idpClient),
      TOKEN_EXCHANGE_GRANT_TYPE,
      parameters,
      oauthHttpOptions(request.http),
    );
    // RFC 8693 §2.2.1: an issued token that is not an access token has token_type N_A.
    issued = await processGenericTokenEndpointResponse(request.idp, client, response, {
      recognizedTokenTypes: { n_a: () => {} },
    });
  } catch (err) {
    const mapped = tokenError(err, secrets);
    if (mapped.reason === 'login_required') {
      throw new OAuthError(
        'oauth_required',
        'login_required',
        'The identity provider refused to exchange the ID token (invalid_grant): it is expired or not for this client; sign in again with a fresh one.',
        mapped.details as Record<string, unknown>,
      );
    }
    throw mapped;
  }
  if (issued.issued_token_type !== ID_JAG_TOKEN_TYPE) {
    throw new OAuthError(
      'upstream_error',
      'protocol_error',
      'The identity provider did not issue an ID-JAG (RFC 8693 §2.2.1 issued_token_type).',
    );
  }
  return issued.access_token;
}
