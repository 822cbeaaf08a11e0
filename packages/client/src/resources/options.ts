import type { TraceContextHeaders } from '../trace-context.js';

/** Per-request options. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/**
 * Options of `callTool`: W3C trace context to continue in the daemon, sent as the `traceparent` /
 * `tracestate` headers. Values that are not well formed are not sent (see `isValidTraceparent`), as
 * a trace-context receiver would ignore them anyway.
 */
export interface CallToolOptions extends RequestOptions, TraceContextHeaders {}

/** Options of `relay`. */
export interface RelayOptions extends CallToolOptions {
  /** The agent session's channel, for progress and subscriptions. */
  channel?: string;
  /** The caller's reference for this request: its `progress` and `end` channel events carry it. */
  ref?: string;
  /** Ask the remote server for progress. */
  progress?: boolean;
}

/** Options of `exportReceipts` and `exportReceiptLines`. */
export interface ExportReceiptsOptions extends RequestOptions {
  /** Only receipts with seq up to this one (e.g. the seq of a signed head). */
  through?: number;
}
