import type { IncomingHttpHeaders } from 'node:http';
import { type Context, context, propagation } from '@opentelemetry/api';

/** The only headers read from a caller: W3C trace context (never `baggage`, which a caller could fill). */
const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/**
 * The active context, continued from the caller's W3C `traceparent` / `tracestate` headers when
 * they are valid. The propagator registered with tracing (W3C Trace Context) checks the format and
 * ignores a malformed value, so the call then starts a new trace; with tracing off the no-op
 * propagator returns the active context unchanged.
 */
export function callerTraceContext(headers: IncomingHttpHeaders): Context {
  const carrier: Record<string, string> = {};
  for (const name of TRACE_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') carrier[name] = value;
  }
  return propagation.extract(context.active(), carrier);
}

/**
 * The W3C trace context of the active span, as MCP `_meta` fields (`traceparent`, `tracestate`),
 * for a call to a remote MCP server; `undefined` when there is none (tracing off).
 */
export function traceContextMeta(): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const meta: Record<string, string> = {};
  for (const name of TRACE_HEADERS) {
    const value = carrier[name];
    if (typeof value === 'string' && value !== '') meta[name] = value;
  }
  return meta.traceparent === undefined ? undefined : meta;
}
