import { isBriefcaseError } from '@briefcase/core';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { authRequiredError, isUpstreamError, UpstreamError, type UpstreamErrorReason } from './errors.js';
import { ForeignUrlError, ResponseTooLargeError } from './http-fetch.js';

/** What was going on when an error happened, for the message. */
export interface FailureContext {
  server: string;
  /** e.g. `connecting`, `listing tools`, `calling tool "echo"`. */
  activity: string;
  /** True once the session this request ran on was closed (by either side). */
  sessionClosed: boolean;
  /** The fatal cause recorded on the session, if any: it wins over the symptom. */
  sessionFailure: UpstreamError | null;
}

/** Reasons after which a session is not worth keeping: it is closed and rebuilt after backoff. */
export const SESSION_FATAL_REASONS: ReadonlySet<UpstreamErrorReason> = new Set([
  'closed',
  'malformed',
  'too_large',
  'unreachable',
  'auth_required',
]);

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOENT',
  'EACCES',
  'EPERM',
  'ENOEXEC',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const CLOSED_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ERR_STREAM_DESTROYED',
]);

/** The `code` of an error or of the first error in its `cause` chain that has one. */
function systemCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isSchemaError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ZodError' || error.name === '$ZodError');
}

function fromHttpStatus(status: number, context: FailureContext): UpstreamError {
  const { server, activity } = context;
  if (status === 401) return authRequiredError(server);
  if (status >= 300 && status < 400) {
    return new UpstreamError(
      'protocol',
      `Server "${server}" answered with a redirect while ${activity}; redirects are not followed. Fix the configured URL.`,
      { server, details: { httpStatus: status } },
    );
  }
  if (status === 404 || status === 410) {
    // MCP Streamable HTTP: 404 on a request with a session id means the session is gone.
    return new UpstreamError('closed', `Server "${server}" no longer knows this session (HTTP ${status}).`, {
      server,
      details: { httpStatus: status },
    });
  }
  if (status === 408 || status === 429 || status >= 500) {
    return new UpstreamError(
      'unreachable',
      `Server "${server}" is unavailable (HTTP ${status}) while ${activity}.`,
      {
        server,
        details: { httpStatus: status },
      },
    );
  }
  if (status === -1) {
    return new UpstreamError('malformed', `Server "${server}" answered with an unexpected content type.`, {
      server,
    });
  }
  return new UpstreamError('protocol', `Server "${server}" answered HTTP ${status} while ${activity}.`, {
    server,
    details: { httpStatus: status },
  });
}

/**
 * Maps anything the SDK, the transports or Node can throw to an {@link UpstreamError}. Never copies
 * the original message: SDK errors embed server-sent text (HTTP bodies, JSON-RPC error messages).
 */
export function classifyFailure(error: unknown, context: FailureContext): UpstreamError {
  const { server, activity } = context;
  if (context.sessionFailure) return context.sessionFailure;
  if (isUpstreamError(error)) return error;
  // Thrown by an authorizing fetch (see UpstreamPoolOptions.fetchFor): its message is ours, not the
  // server's, and says what a person must do.
  if (isBriefcaseError(error) && error.code === 'oauth_required') {
    return new UpstreamError(
      'auth_required',
      `${error.message} Sign in with: briefcase mcp login ${server}`,
      {
        server,
        details: { oauthReason: (error.details as { reason?: unknown } | undefined)?.reason ?? null },
      },
    );
  }
  if (error instanceof StreamableHTTPError) return fromHttpStatus(error.code ?? 0, context);
  if (error instanceof SseError) {
    if (error.code === 401) return authRequiredError(server);
    if (typeof error.code === 'number' && error.code > 0) return fromHttpStatus(error.code, context);
  }
  if (error instanceof UnauthorizedError) return authRequiredError(server);
  if (error instanceof ResponseTooLargeError) {
    return new UpstreamError(
      'too_large',
      `Server "${server}" sent a message over the size limit while ${activity}.`,
      {
        server,
      },
    );
  }
  if (error instanceof ForeignUrlError) {
    return new UpstreamError(
      'protocol',
      `Server "${server}" tried to send the client to another URL; refused.`,
      {
        server,
      },
    );
  }
  if (error instanceof McpError) {
    if (context.sessionClosed) {
      return new UpstreamError('closed', `Server "${server}" closed the connection while ${activity}.`, {
        server,
      });
    }
    // A JSON-RPC error answer. Its message is server text: only the numeric code is kept.
    return new UpstreamError(
      'protocol',
      `Server "${server}" answered with JSON-RPC error ${error.code} while ${activity}.`,
      {
        server,
        details: { rpcCode: error.code },
      },
    );
  }
  if (error instanceof SyntaxError) {
    return new UpstreamError(
      'malformed',
      `Server "${server}" sent data that is not valid JSON while ${activity}.`,
      {
        server,
      },
    );
  }
  if (isSchemaError(error)) {
    return new UpstreamError(
      'protocol',
      `Server "${server}" sent a result that does not match the MCP schema while ${activity}.`,
      {
        server,
      },
    );
  }
  const code = systemCode(error);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return new UpstreamError('unreachable', `Server "${server}" could not be reached or started (${code}).`, {
      server,
      details: { systemCode: code },
    });
  }
  if ((code !== undefined && CLOSED_CODES.has(code)) || context.sessionClosed) {
    return new UpstreamError('closed', `Server "${server}" closed the connection while ${activity}.`, {
      server,
    });
  }
  if (error instanceof Error && error.message === 'Not connected') {
    return new UpstreamError('closed', `Server "${server}" is not connected.`, { server });
  }
  if (error instanceof TypeError && error.message === 'fetch failed') {
    return new UpstreamError('unreachable', `Server "${server}" could not be reached while ${activity}.`, {
      server,
    });
  }
  if (error instanceof RangeError) {
    return new UpstreamError('malformed', `Server "${server}" sent data too deeply nested to process.`, {
      server,
    });
  }
  return new UpstreamError('protocol', `Server "${server}" failed in an unexpected way while ${activity}.`, {
    server,
  });
}

/**
 * Which errors reported through `onerror` (outside any single request) poison the session.
 * Returns null for noise such as a stray response id.
 */
export function fatalReasonOfBackgroundError(error: unknown): UpstreamErrorReason | null {
  if (error instanceof ResponseTooLargeError) return 'too_large';
  if (error instanceof SyntaxError) return 'malformed';
  if (isSchemaError(error)) return 'malformed';
  if (error instanceof SseError) return error.code === 401 ? 'auth_required' : 'closed';
  if (error instanceof StreamableHTTPError) return error.code === 401 ? 'auth_required' : null;
  if (error instanceof UnauthorizedError) return 'auth_required';
  if (error instanceof Error) {
    // Texts of SDK 1.32.2's StreamableHTTPClientTransport when a server-sent event stream breaks.
    if (
      error.message.startsWith('SSE stream disconnected') ||
      error.message.startsWith('Failed to reconnect SSE stream') ||
      error.message.startsWith('Maximum reconnection attempts')
    ) {
      return 'closed';
    }
  }
  return null;
}
