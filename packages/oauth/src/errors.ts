import { BriefcaseError, type ErrorCode } from '@briefcase/core';

/**
 * Why an OAuth operation failed, as a stable machine-readable value (`details.reason`). Callers
 * branch on this, never on the message.
 */
export type OAuthFailureReason =
  /** A URL is neither `https:` nor `http:` on a loopback address. */
  | 'insecure_url'
  /** A metadata or token endpoint answered with a 3xx; redirects are never followed. */
  | 'redirect'
  /** Protected resource metadata names another resource (RFC 9728 §3.3). */
  | 'resource_mismatch'
  /** Authorization server metadata, or an authorization response, names another issuer. */
  | 'issuer_mismatch'
  /** Metadata is missing, malformed or too large. */
  | 'metadata_invalid'
  /** No usable metadata was found at any well-known location. */
  | 'metadata_not_found'
  /** The protected resource names no authorization server this client can use. */
  | 'no_authorization_server'
  /** The client cannot identify itself (no pre-registration, no CIMD support, no DCR). */
  | 'no_client_identity'
  /** A client private key given for `private_key_jwt` is unusable (never echoed). */
  | 'invalid_client_key'
  /** Dynamic Client Registration was refused. */
  | 'registration_failed'
  /** The person refused, or the authorization server returned an error to the redirect URI. */
  | 'authorization_denied'
  /** The authorization response is malformed or its `state` does not match. */
  | 'callback_invalid'
  /** No authorization response arrived in time. */
  | 'callback_timeout'
  /** The grant is gone (RFC 6749 §5.2 `invalid_grant`) or there is none: a person must sign in. */
  | 'login_required'
  /** The authorization server no longer accepts this client (`invalid_client`): register again. */
  | 'invalid_client'
  /** The token endpoint returned another error. */
  | 'token_error'
  /** The resource rejected the access token even after one refresh. */
  | 'token_rejected'
  /** The resource needs a scope the token lacks (RFC 6750 §3.1 `insufficient_scope`). */
  | 'insufficient_scope'
  /** The request would send a token to an origin other than the resource's. */
  | 'cross_origin'
  /** A network failure or timeout. */
  | 'network_error'
  /** The server answered something the protocol does not allow. */
  | 'protocol_error';

/**
 * A BriefcaseError raised by this package. `reason` (also in `details.reason`) says what happened;
 * the message never contains a token, secret, code or verifier.
 */
export class OAuthError extends BriefcaseError {
  readonly reason: OAuthFailureReason;

  constructor(
    code: ErrorCode,
    reason: OAuthFailureReason,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, { details: { reason, ...details } });
    this.name = 'OAuthError';
    this.reason = reason;
  }
}

/** True when `err` is an OAuthError (or a look-alike from another module instance) with `reason`. */
export function isOAuthFailure(err: unknown, reason?: OAuthFailureReason): err is OAuthError {
  if (typeof err !== 'object' || err === null) return false;
  const r = (err as { reason?: unknown }).reason;
  return typeof r === 'string' && (reason === undefined || r === reason);
}

/** OAuth error codes are ASCII `[a-z_]` in every registry entry; anything else is reported as `unknown`. */
export function safeErrorCode(value: unknown): string {
  return typeof value === 'string' && /^[a-z0-9_]{1,64}$/.test(value) ? value : 'unknown';
}

/**
 * Server-provided free text (`error_description`): RFC 6749 §5.2 limits it to printable ASCII. It is
 * capped, filtered, and every known secret in `secrets` is removed, so a hostile server echoing a
 * token back cannot make us log it.
 */
export function safeDescription(
  value: unknown,
  secrets: readonly (string | undefined)[] = [],
): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096) return undefined;
  // Redact before truncating, so that a secret cut in half by the cap cannot survive as a prefix.
  let text = value;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) text = text.split(secret).join('[redacted]');
  }
  text = text.replace(/[^\x20-\x7e]/g, '?');
  return text.slice(0, 200);
}
