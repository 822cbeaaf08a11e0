import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamServerConfig } from './config.js';
import type { RelayedMethod } from './relayed-methods.js';
import type { UpstreamTool } from './tools.js';

// The public shapes of the pool: what callers of createUpstreamPool pass in and get back.

/** Severity of a pool log entry. */
export type UpstreamLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Receives the pool's log entries. Fields hold server and tool names, reasons and counts; never
 * headers, tokens, env values or text the server sent (tool names in `invalid_tool` entries are
 * reduced to printable excerpts).
 */
export type UpstreamLogger = (level: UpstreamLogLevel, msg: string, fields: Record<string, unknown>) => void;

/** Options of {@link createUpstreamPool}. */
export interface UpstreamPoolOptions {
  /** What the pool announces in `initialize` (default `briefcased` / `0.1.0`). */
  clientInfo?: { name: string; version: string };
  /** How long a tool catalog is served from cache (default 60 000 ms). */
  catalogTtlMs?: number;
  /**
   * How old a cached catalog may be for {@link UpstreamPool.toolHash}, the check before each call,
   * before the server is listed again (default {@link DEFAULT_PIN_CHECK_MAX_AGE_MS}; 0 lists before
   * every call). A server can change a tool without `list_changed`; this bounds how long such a
   * change goes unseen. Never more than `catalogTtlMs`.
   */
  pinCheckMaxAgeMs?: number;
  /** Reconnect backoff after a failure: exponential from `initialMs`, capped at `maxMs`, with jitter. */
  backoff?: { initialMs: number; maxMs: number };
  /** Called when a server announces `notifications/tools/list_changed`; the catalog is already invalidated. */
  onToolsChanged?: (server: string) => void;
  /** Structured log sink. */
  log?: UpstreamLogger;
  /**
   * Answers a request a server sends to us as its client (`sampling/createMessage`,
   * `elicitation/create`, `roots/list`). When set, the pool declares the sampling, elicitation and
   * roots capabilities; when not, it declares none and servers may not ask. Throw an `McpError` to
   * answer with a JSON-RPC error. `signal` aborts when the server cancels or the session ends.
   */
  onServerRequest?: (
    server: string,
    request: UpstreamServerRequest,
    ctx: { signal: AbortSignal },
  ) => Promise<Record<string, unknown>>;
  /**
   * Receives a server's notifications other than `tools/list_changed` and progress:
   * `notifications/message` (logging), `notifications/resources/updated`,
   * `notifications/resources/list_changed`, `notifications/prompts/list_changed`. Hostile data.
   */
  onServerNotification?: (server: string, notification: UpstreamServerRequest) => void;
  /**
   * The fetch under the pool's own guards (URL allowlist, no redirects, byte caps) for one HTTP
   * server, e.g. one that adds OAuth tokens. Asked once per session; default: global fetch. An
   * error it throws with code `oauth_required` is reported as `auth_required` with its message.
   */
  fetchFor?: (server: string) => typeof fetch | undefined;
}

/** A request or notification from a server, already checked against the SDK's schema for its method. */
export interface UpstreamServerRequest {
  method: string;
  params?: Record<string, unknown>;
}

/** One `notifications/progress` a server sent about a request of ours. Hostile data. */
export interface UpstreamProgress {
  progress: number;
  total?: number;
  message?: string;
}

/** What a tool call returned. Everything in it is hostile data from the server. */
export interface UpstreamCallResult {
  content: unknown[];
  structuredContent?: unknown;
  isError?: boolean;
}

/** Per-call options of {@link UpstreamPool.callTool}. */
export interface UpstreamCallOptions {
  /** Cancels the call (reason `cancelled`); the server is sent `notifications/cancelled`. */
  signal?: AbortSignal;
  /** Overrides the server's `timeoutMs` for this call; covers connecting too. */
  timeoutMs?: number;
  /** Sent as `params._meta` of `tools/call`. */
  meta?: Record<string, unknown>;
  /** When set, the request asks for progress (a `progressToken`) and each notification lands here. */
  onProgress?: (progress: UpstreamProgress) => void;
}

/** Health of one server's pooled session. */
export interface UpstreamServerStatus {
  /** A session is open right now. */
  connected: boolean;
  /** Our description of the last failure; for stdio servers followed by a redacted tail of stderr. */
  lastError: string | null;
  /** Consecutive failed attempts; 0 after any successful request. */
  reconnectAttempts: number;
}

/** Pooled MCP client sessions to upstream servers, one per server name. */
export interface UpstreamPool {
  /**
   * All tools of a server (every page, following `nextCursor`), cached for `catalogTtlMs`. Unusable
   * definitions are dropped and logged with reason `invalid_tool`.
   * @throws UpstreamError, or BriefcaseError `invalid_args` for a bad config
   */
  listTools(config: UpstreamServerConfig, opts?: { refresh?: boolean }): Promise<UpstreamTool[]>;
  /**
   * The {@link toolDefinitionHash} of one tool in the live catalog, or undefined when the server no
   * longer offers it: the per-call check against a pinned definition. The catalog is listed again
   * first when the cached one is older than `pinCheckMaxAgeMs`.
   */
  toolHash(config: UpstreamServerConfig, toolName: string): Promise<string | undefined>;
  /**
   * Calls one tool on the pooled session.
   * @throws UpstreamError, or BriefcaseError `invalid_args` for a bad config, tool name or args
   */
  callTool(
    config: UpstreamServerConfig,
    toolName: string,
    args: Record<string, unknown>,
    opts?: UpstreamCallOptions,
  ): Promise<UpstreamCallResult>;
  /**
   * Sends one of the {@link RELAYED_METHODS} (resources, prompts, completion, logging level) on the
   * pooled session and returns its result, checked against the SDK's schema and the size caps.
   * @throws UpstreamError, or BriefcaseError `invalid_args` for a bad config, method or params
   */
  request(
    config: UpstreamServerConfig,
    method: RelayedMethod,
    params: Record<string, unknown>,
    opts?: UpstreamCallOptions,
  ): Promise<Record<string, unknown>>;
  /** What the server declared in `initialize` (connects first when needed). @throws UpstreamError */
  serverCapabilities(config: UpstreamServerConfig): Promise<ServerCapabilities>;
  /** Session health of the server named `name` (all zero/null for an unknown name). */
  status(name: string): UpstreamServerStatus;
  /** Closes one server's session, or all; stdio children are terminated. */
  close(name?: string): Promise<void>;
}
