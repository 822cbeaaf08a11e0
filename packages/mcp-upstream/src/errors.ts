import { BriefcaseError } from '@briefcase/core';

/**
 * Why a request to an upstream MCP server failed. Stable identifiers: callers branch on them.
 *
 * - `timeout`: no answer within the per-request timeout.
 * - `cancelled`: the caller's AbortSignal fired first.
 * - `closed`: the connection or process ended while a request was in flight.
 * - `malformed`: the server sent bytes that are not JSON-RPC (broken JSON, not a message).
 * - `too_large`: one message, one result or the tool catalog exceeded its cap.
 * - `unreachable`: the server could not be reached or started, or is inside its reconnect backoff.
 * - `protocol`: a well-formed message that breaks the protocol (schema-invalid result, JSON-RPC error
 *   answer, unexpected HTTP status, redirect, pagination loop).
 * - `auth_required`: the server answered HTTP 401; a person must sign in (code `oauth_required`).
 * - `invalid_tool`: a tool definition that cannot be used (bad name, non-object schema, ...).
 */
export type UpstreamErrorReason =
  | 'timeout'
  | 'cancelled'
  | 'closed'
  | 'malformed'
  | 'too_large'
  | 'unreachable'
  | 'protocol'
  | 'auth_required'
  | 'invalid_tool';

/**
 * A failure talking to an upstream MCP server. `code` is `upstream_error`, except for
 * `reason: 'auth_required'`, which carries `oauth_required` so the daemon can ask a person to sign in.
 *
 * The message never contains text the server sent (it is hostile and may echo credentials),
 * headers, tokens or URLs: only the server name, tool name and our own description.
 */
export class UpstreamError extends BriefcaseError {
  /** The machine-readable failure class. */
  readonly reason: UpstreamErrorReason;
  /** The configured server name, when known. */
  readonly server: string | undefined;

  constructor(
    reason: UpstreamErrorReason,
    message: string,
    options: { server?: string; details?: Record<string, unknown> } = {},
  ) {
    super(reason === 'auth_required' ? 'oauth_required' : 'upstream_error', message, {
      details: {
        reason,
        ...(options.server === undefined ? {} : { server: options.server }),
        ...options.details,
      },
    });
    this.name = 'UpstreamError';
    this.reason = reason;
    this.server = options.server;
  }
}

/** True for an {@link UpstreamError}, also across duplicate module instances. */
export function isUpstreamError(value: unknown): value is UpstreamError {
  return (
    value instanceof UpstreamError ||
    (value instanceof Error &&
      (value as { name?: unknown }).name === 'UpstreamError' &&
      typeof (value as { reason?: unknown }).reason === 'string')
  );
}

/** The fixed message for a server that needs a person to sign in. */
export function authRequiredError(server: string): UpstreamError {
  return new UpstreamError(
    'auth_required',
    `Server "${server}" requires authorization. Sign in with: briefcase mcp login ${server}`,
    { server },
  );
}
