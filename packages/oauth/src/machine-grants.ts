import {
  clientCredentialsGrantRequest,
  genericTokenEndpointRequest,
  processClientCredentialsResponse,
  processGenericTokenEndpointResponse,
  type TokenEndpointRequestOptions,
} from 'oauth4webapi';
import { clientAuthentication, clientSecretsOf, toOauthClient } from './client-identity.js';
import { OAuthError } from './errors.js';
import {
  sendWithDpopRetry,
  type TokenEndpointContext,
  type TokenSet,
  tokenError,
  toTokenSet,
} from './tokens.js';

/**
 * Grants a machine uses without a person: `client_credentials` (OAuth 2.1 §4.2) and the JWT
 * bearer grant (RFC 7523 §2.1, an assertion such as a workload identity token, SEP-1933).
 */
export type MachineGrant = 'client_credentials' | 'jwt_bearer';

/** Every grant a server's tokens may come from. */
export type GrantType = 'authorization_code' | MachineGrant;

/** The `grant_type` of the JWT bearer grant (RFC 7523 §2.1). */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** What a machine grant request carries besides the client. */
export interface MachineGrantRequest {
  grant: MachineGrant;
  /** Space-separated scopes to ask for. */
  scope?: string;
  /** The JWT the `jwt_bearer` grant presents (RFC 7523 §2.1). A secret. */
  assertion?: string;
}

/**
 * Obtains tokens with a machine grant, without a person: `client_credentials` (OAuth 2.1 §4.2,
 * client authenticated per {@link clientAuthentication}) or the JWT bearer grant (RFC 7523 §2.1,
 * `assertion`, client authentication when the client has any), with `resource` (RFC 8707 §2.2)
 * and a DPoP proof when DPoP is on (RFC 9449 §5). The same call renews such tokens when they
 * expire: these grants usually come without a refresh token (OAuth 2.1 §4.2.3).
 */
export async function requestMachineGrant(
  ctx: TokenEndpointContext,
  request: MachineGrantRequest,
): Promise<TokenSet> {
  const client = toOauthClient(ctx.client);
  const secrets = [...clientSecretsOf(ctx.client), request.assertion];
  if (request.grant === 'jwt_bearer' && !request.assertion) {
    throw new OAuthError('invalid_args', 'login_required', 'The JWT bearer grant needs an assertion.');
  }
  /** oauth4webapi's grant functions take parameters; `resource` goes in with them. */
  const parameters = (options: TokenEndpointRequestOptions): URLSearchParams => {
    const params = new URLSearchParams();
    if (request.grant === 'jwt_bearer') params.set('assertion', request.assertion as string);
    if (request.scope) params.set('scope', request.scope);
    for (const [name, value] of Object.entries(options.additionalParameters ?? {})) params.set(name, value);
    return params;
  };
  try {
    const response = await sendWithDpopRetry(ctx, String(ctx.as.token_endpoint), (options) => {
      const { additionalParameters: _ignored, ...rest } = options;
      return request.grant === 'client_credentials'
        ? clientCredentialsGrantRequest(
            ctx.as,
            client,
            clientAuthentication(ctx.client),
            parameters(options),
            rest,
          )
        : genericTokenEndpointRequest(
            ctx.as,
            client,
            clientAuthentication(ctx.client),
            JWT_BEARER_GRANT_TYPE,
            parameters(options),
            rest,
          );
    });
    const result =
      request.grant === 'client_credentials'
        ? await processClientCredentialsResponse(ctx.as, client, response)
        : await processGenericTokenEndpointResponse(ctx.as, client, response);
    return toTokenSet(ctx, result);
  } catch (err) {
    const mapped = tokenError(err, secrets);
    // There is no person's grant to sign in again to: say what a machine grant's failure means.
    if (mapped.reason === 'login_required') {
      throw new OAuthError(
        'oauth_required',
        'login_required',
        request.grant === 'jwt_bearer'
          ? 'The authorization server refused the assertion (invalid_grant): it is expired, for another audience, or not trusted; sign in again with a fresh one.'
          : 'The authorization server refused the client credentials grant (invalid_grant).',
        mapped.details as Record<string, unknown>,
      );
    }
    throw mapped;
  }
}
