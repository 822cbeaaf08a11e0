import type { DpopProver } from './dpop.js';
import { OAuthError, safeErrorCode } from './errors.js';
import { assertSecureUrl, describeUrl } from './http.js';
import type { TokenManager, TokenSet } from './tokens.js';
import { parseWwwAuthenticate, type WwwAuthenticateChallenge } from './www-authenticate.js';

/** Options of {@link fetchWithToken}. */
export interface FetchWithTokenOptions {
  tokens: TokenManager;
  /** Required when the tokens are DPoP-bound. */
  dpop?: DpopProver;
  /**
   * The resource identifier (the MCP server URL). Tokens are only ever sent to its origin; a
   * request to another origin fails with `cross_origin` (no token passthrough).
   */
  resource: string | URL;
  fetch?: typeof fetch;
}

/** RFC 6749 §3.3 scope-token characters, space separated. */
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;

function errorOf(challenges: readonly WwwAuthenticateChallenge[]): string | undefined {
  return challenges.find((c) => (c.scheme === 'bearer' || c.scheme === 'dpop') && c.params.error)?.params
    .error;
}

function replayable(body: RequestInit['body']): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof ArrayBuffer ||
    body instanceof URLSearchParams
  );
}

/**
 * Calls a protected resource with an access token (RFC 6750 §2.1, or RFC 9449 §7.1 with a DPoP
 * proof carrying `ath`). On a 401 nonce challenge (RFC 9449 §9) it retries once with the nonce;
 * on a 401 `invalid_token` (or a 401 without error code) it refreshes once through the token
 * manager and retries once; a second rejection is OAuthError `token_rejected`. A 403
 * `insufficient_scope` (RFC 6750 §3.1) is OAuthError `insufficient_scope` with `details.scope`.
 * Redirects are returned, not followed, so the token cannot travel to another URL.
 */
export async function fetchWithToken(
  url: string | URL,
  init: RequestInit,
  options: FetchWithTokenOptions,
): Promise<Response> {
  const target = assertSecureUrl(url, 'invalid_args', 'resource request URL');
  const resource = assertSecureUrl(options.resource, 'invalid_args', 'resource URL');
  if (target.origin !== resource.origin) {
    throw new OAuthError(
      'invalid_args',
      'cross_origin',
      `Refusing to send the token for ${resource.origin} to ${target.origin}.`,
      { url: describeUrl(target) },
    );
  }
  const doFetch = options.fetch ?? fetch;
  const method = (init.method ?? 'GET').toUpperCase();
  const canRetry = replayable(init.body);
  let tokens: TokenSet = await options.tokens.getTokens();
  let nonceRetried = false;
  let refreshed = false;

  for (;;) {
    const headers = new Headers(init.headers);
    headers.delete('authorization');
    headers.delete('dpop');
    if (tokens.tokenType === 'DPoP') {
      if (!options.dpop) {
        throw new OAuthError('invalid_args', 'protocol_error', 'A DPoP-bound token needs a DPoP prover.');
      }
      headers.set('authorization', `DPoP ${tokens.accessToken}`);
      headers.set('dpop', await options.dpop.proof(method, target, { accessToken: tokens.accessToken }));
    } else {
      headers.set('authorization', `Bearer ${tokens.accessToken}`);
    }
    const response = await doFetch(target.href, { ...init, method, headers, redirect: 'manual' });
    if (tokens.tokenType === 'DPoP') options.dpop?.rememberNonce(target, response, 'resource');

    if (response.status === 401) {
      const challenges = parseWwwAuthenticate(response.headers.get('www-authenticate'));
      const error = errorOf(challenges);
      const nonceChallenge = challenges.some(
        (c) => c.scheme === 'dpop' && c.params.error === 'use_dpop_nonce',
      );
      if (nonceChallenge && tokens.tokenType === 'DPoP' && !nonceRetried && canRetry) {
        nonceRetried = true;
        await response.body?.cancel().catch(() => {});
        continue;
      }
      if ((error === undefined || error === 'invalid_token') && !refreshed && canRetry) {
        refreshed = true;
        await response.body?.cancel().catch(() => {});
        tokens = await options.tokens.refreshAfterRejection(tokens.accessToken);
        continue;
      }
      await response.body?.cancel().catch(() => {});
      throw new OAuthError(
        'oauth_required',
        'token_rejected',
        `${target.origin} rejected the access token; a person may need to sign in again.`,
        { status: 401, error: error === undefined ? undefined : safeErrorCode(error) },
      );
    }
    if (response.status === 403) {
      const challenges = parseWwwAuthenticate(response.headers.get('www-authenticate'));
      const c = challenges.find((ch) => ch.params.error === 'insufficient_scope');
      if (c) {
        await response.body?.cancel().catch(() => {});
        const scope =
          c.params.scope !== undefined && SCOPE.test(c.params.scope) && c.params.scope.length <= 1024
            ? c.params.scope
            : undefined;
        throw new OAuthError(
          'oauth_required',
          'insufficient_scope',
          scope
            ? `${target.origin} needs the scope "${scope}"; a person must sign in again to grant it.`
            : `${target.origin} needs more scope than the token has; a person must sign in again.`,
          { scope },
        );
      }
    }
    return response;
  }
}
