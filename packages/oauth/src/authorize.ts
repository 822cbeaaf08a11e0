import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AuthorizationResponseError,
  type AuthorizationServer,
  calculatePKCECodeChallenge,
  generateRandomCodeVerifier,
  generateRandomState,
  validateAuthResponse,
} from 'oauth4webapi';
import { type ClientIdentity, toOauthClient } from './client-identity.js';
import type { DpopProver } from './dpop.js';
import { OAuthError, safeDescription, safeErrorCode } from './errors.js';
import { assertSecureUrl } from './http.js';

/** Options of {@link buildAuthorizationRequest}. */
export interface AuthorizationRequestOptions {
  /** The redirect URI (usually {@link LoopbackListener.redirectUri}). */
  redirectUri: string;
  /** Space-separated scopes (RFC 6749 §3.3); typically the resource's `scopes_supported` or a challenge's `scope`. */
  scope?: string;
  /** The resource indicator (RFC 8707 §2), i.e. the MCP server URL. */
  resource?: string;
  /** Server quirk: do not send `resource` (for servers that reject RFC 8707). */
  omitResource?: boolean;
  /** Binds the authorization code to this DPoP key with `dpop_jkt` (RFC 9449 §10). */
  dpop?: DpopProver;
}

/**
 * A prepared authorization request. `codeVerifier` and `state` are secrets of this login attempt:
 * keep them in memory only, never log them.
 */
export interface AuthorizationRequest {
  url: URL;
  state: string;
  codeVerifier: string;
  redirectUri: string;
  /** The `resource` sent, if any (send the same one to the token endpoint, RFC 8707 §2.2). */
  resource?: string;
}

/**
 * The authorization request URL (OAuth 2.1 §4.1.1) with PKCE S256 (RFC 7636 §4.2), a fresh
 * `state`, `scope`, and `resource` (RFC 8707 §2) unless the `omitResource` quirk is set. The MCP
 * authorization spec requires PKCE: a server that does not list S256 in
 * `code_challenge_methods_supported` is refused.
 */
export async function buildAuthorizationRequest(
  as: AuthorizationServer,
  client: ClientIdentity,
  options: AuthorizationRequestOptions,
): Promise<AuthorizationRequest> {
  if (!as.code_challenge_methods_supported?.includes('S256')) {
    throw new OAuthError(
      'upstream_error',
      'protocol_error',
      'The authorization server does not advertise PKCE S256 (code_challenge_methods_supported); the MCP authorization spec forbids proceeding.',
    );
  }
  const url = assertSecureUrl(as.authorization_endpoint ?? '', 'upstream_error', 'authorization endpoint');
  const codeVerifier = generateRandomCodeVerifier();
  const state = generateRandomState();
  const params = url.searchParams;
  params.set('response_type', 'code');
  params.set('client_id', client.clientId);
  params.set('redirect_uri', options.redirectUri);
  params.set('code_challenge', await calculatePKCECodeChallenge(codeVerifier));
  params.set('code_challenge_method', 'S256');
  params.set('state', state);
  if (options.scope) params.set('scope', options.scope);
  const resource = options.resource !== undefined && !options.omitResource ? options.resource : undefined;
  if (resource !== undefined) params.set('resource', resource);
  if (options.dpop) params.set('dpop_jkt', options.dpop.thumbprint);
  return {
    url,
    state,
    codeVerifier,
    redirectUri: options.redirectUri,
    ...(resource !== undefined ? { resource } : {}),
  };
}

/** Options of {@link startLoopbackRedirectListener}. */
export interface LoopbackListenerOptions {
  /** Callback path (default `/callback`). */
  path?: string;
  /** How long to wait for the callback (default 5 minutes). */
  timeoutMs?: number;
}

/** A one-shot redirect URI listener on 127.0.0.1 (RFC 8252 §7.3). */
export interface LoopbackListener {
  /** `http://127.0.0.1:<ephemeral port><path>`. */
  readonly redirectUri: string;
  /**
   * Resolves with the callback URL of the first request whose `state` equals `expectedState`;
   * requests with another state get a 400 page and are ignored. Rejects with `callback_timeout`.
   * The listener closes after the callback or the timeout.
   */
  waitForCallback(expectedState: string): Promise<URL>;
  /** Stops listening (idempotent). */
  close(): Promise<void>;
}

const page = (title: string, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;

/**
 * Starts the loopback redirect listener of a native client (RFC 8252 §7.3): it binds 127.0.0.1 on
 * an ephemeral port (the authorization server must accept any port for loopback redirect URIs),
 * accepts exactly one callback for the expected state, answers the browser with a short HTML page
 * and times out.
 */
export async function startLoopbackRedirectListener(
  options: LoopbackListenerOptions = {},
): Promise<LoopbackListener> {
  const path = options.path ?? '/callback';
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  let expected: string | undefined;
  let settle: ((url: URL) => void) | undefined;
  let done = false;
  let port = 0;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, title: string, text: string) => {
      res.writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        connection: 'close',
      });
      res.end(page(title, text));
    };
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    } catch {
      send(400, 'Bad request', 'This address only accepts the sign-in callback.');
      return;
    }
    if (req.method !== 'GET' || url.pathname !== path) {
      send(404, 'Not found', 'This address only accepts the sign-in callback.');
      return;
    }
    if (done || expected === undefined || url.searchParams.get('state') !== expected || !settle) {
      send(400, 'Unexpected sign-in response', 'This response does not belong to the sign-in in progress.');
      return;
    }
    done = true;
    const failed = url.searchParams.has('error');
    send(
      200,
      failed ? 'Sign-in was not completed' : 'Signed in',
      failed ? 'Return to Briefcase for details. You can close this window.' : 'You can close this window.',
    );
    settle(url);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  return {
    redirectUri: `http://127.0.0.1:${port}${path}`,
    waitForCallback(expectedState) {
      if (expected !== undefined) {
        return Promise.reject(
          new OAuthError('invalid_args', 'callback_invalid', 'This listener already waits for a callback.'),
        );
      }
      expected = expectedState;
      return new Promise<URL>((resolve, reject) => {
        const timer = setTimeout(() => {
          done = true;
          void close();
          reject(
            new OAuthError('oauth_required', 'callback_timeout', 'The sign-in was not completed in time.', {
              timeoutMs,
            }),
          );
        }, timeoutMs);
        settle = (url) => {
          clearTimeout(timer);
          void close();
          resolve(url);
        };
      });
    },
    close,
  };
}

/**
 * Validates the authorization response (OAuth 2.1 §4.1.2) with oauth4webapi's
 * `validateAuthResponse`: `state` must match, `iss` must equal the issuer and is required when
 * the server advertises `authorization_response_iss_parameter_supported` (RFC 9207 §2.4), and an
 * `error` response becomes `authorization_denied`. Returns the parameters to exchange.
 */
export function validateAuthorizationCallback(
  as: AuthorizationServer,
  client: ClientIdentity,
  callback: URL | URLSearchParams,
  expectedState: string,
): URLSearchParams {
  try {
    return validateAuthResponse(as, toOauthClient(client), callback, expectedState);
  } catch (err) {
    if (err instanceof AuthorizationResponseError) {
      throw new OAuthError(
        'oauth_required',
        'authorization_denied',
        'The authorization server did not grant access.',
        {
          error: safeErrorCode(err.error),
          description: safeDescription(err.error_description),
        },
      );
    }
    const message = err instanceof Error ? err.message : '';
    if (message.includes('"iss"')) {
      throw new OAuthError(
        'oauth_required',
        'issuer_mismatch',
        'The authorization response does not come from the expected issuer (RFC 9207).',
      );
    }
    throw new OAuthError(
      'oauth_required',
      'callback_invalid',
      'The authorization response is malformed or its state does not match.',
    );
  }
}
