import type { Signer } from '@briefcase/keys';
import {
  type AuthorizationServer,
  authorizationCodeGrantRequest,
  processAuthorizationCodeResponse,
  processRefreshTokenResponse,
  processRevocationResponse,
  refreshTokenGrantRequest,
  revocationRequest,
  type TokenEndpointRequestOptions,
  type TokenEndpointResponse,
  WWWAuthenticateChallengeError,
} from 'oauth4webapi';
import {
  type ClientIdentity,
  clientAuthentication,
  clientSecretsOf,
  toOauthClient,
} from './client-identity.js';
import { createDpopProver, type DpopProver, isUseDpopNonceResponse } from './dpop.js';
import { isOAuthFailure, OAuthError, safeDescription, safeErrorCode } from './errors.js';
import { type HttpOptions, oauthHttpOptions } from './http.js';

/** Tokens of one grant. Access and refresh tokens are secrets: never log them. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** `DPoP` when the access token is bound to the DPoP key (RFC 9449 §5), else `Bearer`. */
  tokenType: 'DPoP' | 'Bearer';
  /** Epoch milliseconds after which the access token is expired (from `expires_in`). */
  expiresAt?: number;
  /** Space-separated scopes granted, when the server said. */
  scope?: string;
}

/** How tokens will be bound, and why when they are not. */
export type TokenBinding =
  | { tokenType: 'DPoP'; dpop: DpopProver }
  | { tokenType: 'Bearer'; reason: 'no_signer' | 'dpop_not_advertised' | 'algorithm_not_advertised' };

/**
 * Uses DPoP (RFC 9449) when the server advertises `dpop_signing_alg_values_supported` (§5.1) and
 * it lists the signer's algorithm; otherwise plain bearer tokens, with the reason.
 */
export function chooseTokenBinding(as: AuthorizationServer, signer?: Signer): TokenBinding {
  if (!signer) return { tokenType: 'Bearer', reason: 'no_signer' };
  const algs = as.dpop_signing_alg_values_supported;
  if (!Array.isArray(algs) || algs.length === 0)
    return { tokenType: 'Bearer', reason: 'dpop_not_advertised' };
  if (!algs.includes(signer.algorithm)) return { tokenType: 'Bearer', reason: 'algorithm_not_advertised' };
  return { tokenType: 'DPoP', dpop: createDpopProver(signer) };
}

/** Everything a token endpoint call needs. */
export interface TokenEndpointContext {
  as: AuthorizationServer;
  client: ClientIdentity;
  /** Present when tokens are DPoP-bound (see {@link chooseTokenBinding}). */
  dpop?: DpopProver;
  /** The resource indicator sent on token requests (RFC 8707 §2.2). */
  resource?: string;
  /** Server quirk: do not send `resource`. */
  omitResource?: boolean;
  http?: HttpOptions;
  /** Clock in milliseconds (default Date.now). */
  now?: () => number;
}

/**
 * Sends a token endpoint request, with a DPoP proof when DPoP is on, and retries it once when the
 * server answers `use_dpop_nonce` (RFC 9449 §8), now carrying the nonce it supplied.
 */
export async function sendWithDpopRetry(
  ctx: TokenEndpointContext,
  url: string,
  send: (options: TokenEndpointRequestOptions) => Promise<Response>,
): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = {};
    if (ctx.dpop) headers.dpop = await ctx.dpop.proof('POST', url, { target: 'authorization_server' });
    const options: TokenEndpointRequestOptions = { ...oauthHttpOptions(ctx.http), headers };
    if (ctx.resource !== undefined && !ctx.omitResource)
      options.additionalParameters = { resource: ctx.resource };
    const response = await send(options);
    if (!ctx.dpop) return response;
    ctx.dpop.rememberNonce(url, response, 'authorization_server');
    if (attempt === 0 && (await isUseDpopNonceResponse(response))) {
      await response.body?.cancel().catch(() => {});
      continue;
    }
    return response;
  }
}

/** Maps a token endpoint failure to an OAuthError without echoing any secret. */
export function tokenError(err: unknown, secrets: readonly (string | undefined)[]): OAuthError {
  if (err instanceof OAuthError) return err;
  let error: string | undefined;
  let description: string | undefined;
  if (err instanceof WWWAuthenticateChallengeError) {
    const c = err.cause.find((ch) => ch.parameters.error !== undefined);
    error = safeErrorCode(c?.parameters.error);
    description = safeDescription(c?.parameters.error_description, secrets);
  } else if (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { error?: unknown }).error === 'string'
  ) {
    const e = err as { error: string; error_description?: unknown };
    error = safeErrorCode(e.error);
    description = safeDescription(e.error_description, secrets);
  }
  const details = { error, description };
  if (error === 'invalid_grant') {
    return new OAuthError(
      'oauth_required',
      'login_required',
      'The authorization grant is no longer valid; a person must sign in again.',
      details,
    );
  }
  if (error === 'invalid_client') {
    return new OAuthError(
      'oauth_required',
      'invalid_client',
      'The authorization server rejected this client; it must be registered again.',
      details,
    );
  }
  if (error !== undefined) {
    return new OAuthError(
      'upstream_error',
      'token_error',
      `The token endpoint returned the error ${error}.`,
      details,
    );
  }
  return new OAuthError(
    'upstream_error',
    'protocol_error',
    'The token endpoint response is not a valid OAuth response.',
  );
}

/** The token set of a token endpoint response (internal to this package). */
export function toTokenSet(
  ctx: TokenEndpointContext,
  res: TokenEndpointResponse,
  previous?: TokenSet,
): TokenSet {
  let tokenType: TokenSet['tokenType'];
  if (res.token_type === 'dpop') {
    if (!ctx.dpop) {
      throw new OAuthError(
        'upstream_error',
        'protocol_error',
        'The server issued a DPoP token although no proof was sent.',
      );
    }
    tokenType = 'DPoP';
  } else if (res.token_type === 'bearer') {
    tokenType = 'Bearer';
  } else {
    throw new OAuthError('upstream_error', 'protocol_error', 'The server issued an unsupported token type.');
  }
  const now = (ctx.now ?? Date.now)();
  const set: TokenSet = { accessToken: res.access_token, tokenType };
  // Rotation (OAuth 2.1 §4.3.1): a new refresh token replaces the old one; otherwise keep it.
  const refreshToken = res.refresh_token ?? previous?.refreshToken;
  if (refreshToken !== undefined) set.refreshToken = refreshToken;
  if (typeof res.expires_in === 'number') set.expiresAt = now + res.expires_in * 1000;
  const scope = res.scope ?? previous?.scope;
  if (scope !== undefined) set.scope = scope;
  return set;
}

/**
 * Exchanges an authorization code (OAuth 2.1 §4.1.3) with the PKCE `code_verifier`, `resource`
 * and, when DPoP is on, a proof (RFC 9449 §5), via oauth4webapi. `callbackParameters` must come
 * from {@link validateAuthorizationCallback}.
 */
export async function exchangeAuthorizationCode(
  ctx: TokenEndpointContext,
  callbackParameters: URLSearchParams,
  request: { redirectUri: string; codeVerifier: string },
): Promise<TokenSet> {
  const client = toOauthClient(ctx.client);
  const secrets = [
    callbackParameters.get('code') ?? undefined,
    request.codeVerifier,
    ...clientSecretsOf(ctx.client),
  ];
  try {
    const response = await sendWithDpopRetry(ctx, String(ctx.as.token_endpoint), (options) =>
      authorizationCodeGrantRequest(
        ctx.as,
        client,
        clientAuthentication(ctx.client),
        callbackParameters,
        request.redirectUri,
        request.codeVerifier,
        options,
      ),
    );
    const result = await processAuthorizationCodeResponse(ctx.as, client, response);
    return toTokenSet(ctx, result);
  } catch (err) {
    throw tokenError(err, secrets);
  }
}

/**
 * Refreshes `current` (OAuth 2.1 §4.3) with `resource` and DPoP as configured. A rotated refresh
 * token replaces the old one. `invalid_grant` becomes `login_required`, `invalid_client` becomes
 * `invalid_client`.
 */
export async function refreshTokenSet(ctx: TokenEndpointContext, current: TokenSet): Promise<TokenSet> {
  const refreshToken = current.refreshToken;
  if (refreshToken === undefined) {
    throw new OAuthError(
      'oauth_required',
      'login_required',
      'There is no refresh token; a person must sign in again.',
    );
  }
  const client = toOauthClient(ctx.client);
  const secrets = [refreshToken, current.accessToken, ...clientSecretsOf(ctx.client)];
  try {
    const response = await sendWithDpopRetry(ctx, String(ctx.as.token_endpoint), (options) =>
      refreshTokenGrantRequest(ctx.as, client, clientAuthentication(ctx.client), refreshToken, options),
    );
    const result = await processRefreshTokenResponse(ctx.as, client, response);
    return toTokenSet(ctx, result, current);
  } catch (err) {
    throw tokenError(err, secrets);
  }
}

/**
 * Revokes one token (RFC 7009 §2.1) via oauth4webapi. Best effort: returns false when the server
 * has no revocation endpoint or the request fails; never throws.
 */
export async function revokeToken(
  ctx: TokenEndpointContext,
  token: string,
  tokenTypeHint: 'access_token' | 'refresh_token',
): Promise<boolean> {
  if (typeof ctx.as.revocation_endpoint !== 'string') return false;
  try {
    const response = await revocationRequest(
      ctx.as,
      toOauthClient(ctx.client),
      clientAuthentication(ctx.client),
      token,
      {
        ...oauthHttpOptions(ctx.http),
        additionalParameters: { token_type_hint: tokenTypeHint },
      },
    );
    await processRevocationResponse(response);
    return true;
  } catch {
    return false;
  }
}

/**
 * Revokes the refresh token first (RFC 7009 §2.1: the server then should drop the grant's access
 * tokens too), then the access token. Best effort; reports which revocations the server accepted.
 */
export async function revokeTokenSet(
  ctx: TokenEndpointContext,
  tokens: TokenSet,
): Promise<{ refreshToken: boolean; accessToken: boolean }> {
  const refreshToken = tokens.refreshToken
    ? await revokeToken(ctx, tokens.refreshToken, 'refresh_token')
    : false;
  const accessToken = await revokeToken(ctx, tokens.accessToken, 'access_token');
  return { refreshToken, accessToken };
}

/** Options of {@link createTokenManager}. */
export interface TokenManagerOptions {
  /** Reads the stored tokens (undefined: none, a person must sign in). */
  load: () => Promise<TokenSet | undefined>;
  /** Stores tokens after a refresh (the old refresh token is then void when the server rotates). */
  save: (tokens: TokenSet) => Promise<void>;
  /** Refreshes, typically `(t) => refreshTokenSet(ctx, t)`. */
  refresh: (current: TokenSet) => Promise<TokenSet>;
  /**
   * Obtains a new token set without a person, for machine grants (`client_credentials`, JWT
   * bearer): used when the tokens expire and there is no refresh token, or the refresh token is
   * refused (OAuth 2.1 §4.2.3: such grants usually issue none). Typically
   * `() => requestMachineGrant(ctx, request)`.
   */
  reacquire?: () => Promise<TokenSet>;
  /** Clock in milliseconds (default Date.now). */
  now?: () => number;
  /** Refresh this long before `expiresAt` (default 60 s). */
  skewMs?: number;
}

/** Hands out valid tokens for one grant. */
export interface TokenManager {
  /** Tokens whose access token is not about to expire, refreshing first when needed. */
  getTokens(): Promise<TokenSet>;
  /**
   * After a resource rejected `rejectedAccessToken` (401 `invalid_token`): a refreshed set, or the
   * current one if another caller already replaced that token.
   */
  refreshAfterRejection(rejectedAccessToken: string): Promise<TokenSet>;
  /** Forgets the in-memory copy (the next call loads again). */
  forget(): void;
}

/**
 * A token manager with single-flight refresh: however many callers need a refresh at once, one
 * refresh request is made and all of them get its result. A missing grant or refresh token, or
 * `invalid_grant`, surfaces as OAuthError `login_required`; `invalid_client` as `invalid_client`.
 */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const now = options.now ?? Date.now;
  const skewMs = options.skewMs ?? 60_000;
  let cached: TokenSet | undefined;
  let inflight: Promise<TokenSet> | undefined;

  const fresh = (t: TokenSet) => t.expiresAt === undefined || t.expiresAt - skewMs > now();
  const loginRequired = () =>
    new OAuthError(
      'oauth_required',
      'login_required',
      'No tokens are stored for this server; a person must sign in.',
    );
  const single = (work: () => Promise<TokenSet>): Promise<TokenSet> => {
    if (!inflight) {
      inflight = work().finally(() => {
        inflight = undefined;
      });
    }
    return inflight;
  };
  const renew = async (current: TokenSet): Promise<TokenSet> => {
    const reacquire = options.reacquire;
    if (current.refreshToken === undefined) {
      if (reacquire) return reacquire();
      throw new OAuthError(
        'oauth_required',
        'login_required',
        'The access token expired and there is no refresh token.',
      );
    }
    if (!reacquire) return options.refresh(current);
    try {
      return await options.refresh(current);
    } catch (error) {
      // A machine grant's refresh token is a convenience: when it is refused, repeat the grant.
      if (isOAuthFailure(error, 'login_required')) return reacquire();
      throw error;
    }
  };
  const doRefresh = async (current: TokenSet): Promise<TokenSet> => {
    const next = await renew(current);
    await options.save(next);
    cached = next;
    return next;
  };
  const ensure = (rejected?: string) =>
    single(async () => {
      const current = cached ?? (await options.load());
      if (!current) throw loginRequired();
      if (fresh(current) && current.accessToken !== rejected) {
        cached = current;
        return current;
      }
      return doRefresh(current);
    });

  return {
    async getTokens() {
      if (cached && fresh(cached)) return cached;
      return ensure();
    },
    async refreshAfterRejection(rejectedAccessToken) {
      if (cached && fresh(cached) && cached.accessToken !== rejectedAccessToken) return cached;
      const result = await ensure(rejectedAccessToken);
      // We may have joined a flight that only loaded the rejected token; then refresh for real.
      return result.accessToken === rejectedAccessToken ? ensure(rejectedAccessToken) : result;
    },
    forget() {
      cached = undefined;
    },
  };
}
