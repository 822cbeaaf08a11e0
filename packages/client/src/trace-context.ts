/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) values as they cross the agent → gateway →
 * daemon boundary. Both come from the untrusted side, so they are checked strictly before they become
 * HTTP headers: a malformed value is never sent (and never reaches Node's header validation).
 */

/** `version-traceid-parentid-flags`, version 00 only (trace-context §3.2.2), lowercase hex. */
const TRACEPARENT_PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** §3.3.1.1: at most 512 characters; printable ASCII only, which also rules out CR/LF injection. */
const TRACESTATE_PATTERN = /^[\x20-\x7e]{1,512}$/;

/** W3C trace context to hand on with a call. */
export interface TraceContextHeaders {
  /** `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. */
  traceparent?: string;
  /** Vendor-specific trace state; only sent together with a valid `traceparent`. */
  tracestate?: string;
}

/**
 * True when `value` is a version-00 `traceparent` with non-zero trace and parent ids
 * (trace-context §3.2.2.3 and §3.2.2.4: all-zero ids are invalid).
 */
export function isValidTraceparent(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = TRACEPARENT_PATTERN.exec(value);
  if (match === null) return false;
  const [, traceId = '', parentId = ''] = match;
  return !/^0+$/.test(traceId) && !/^0+$/.test(parentId);
}

/** True when `value` may be sent as a `tracestate` header: 1–512 printable ASCII characters. */
export function isValidTracestate(value: unknown): value is string {
  return typeof value === 'string' && TRACESTATE_PATTERN.test(value);
}

/**
 * The trace context found in `meta` (an MCP request's `_meta`, where MCP clients put W3C trace
 * context), or `{}`. A malformed `traceparent` is ignored, and so is a `tracestate` that is malformed
 * or comes without a valid `traceparent` (§3.3: tracestate is meaningless without a parent).
 */
export function traceContextFromMeta(meta: unknown): TraceContextHeaders {
  if (typeof meta !== 'object' || meta === null) return {};
  const { traceparent, tracestate } = meta as Record<string, unknown>;
  if (!isValidTraceparent(traceparent)) return {};
  return isValidTracestate(tracestate) ? { traceparent, tracestate } : { traceparent };
}
