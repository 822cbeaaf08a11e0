import { BriefcaseError, isRecord, jsonDepth, MAX_JSON_DEPTH } from '@briefcase/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type CallToolResult,
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  ProgressNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type ServerCapabilities,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { classifyFailure, fatalReasonOfBackgroundError, SESSION_FATAL_REASONS } from './classify.js';
import {
  configHash,
  type NormalizedServerConfig,
  type UpstreamServerConfig,
  validateServerConfig,
  validateServerUrl,
} from './config.js';
import { runWithDeadline } from './deadline.js';
import { authRequiredError, UpstreamError, type UpstreamErrorReason } from './errors.js';
import { createGuardedFetch, type FatalHook } from './http-fetch.js';
import { isRelayedMethod, RELAYED_METHODS, type RelayedMethod } from './relayed-methods.js';
import { BoundedStdioTransport } from './stdio-transport.js';
import { isValidToolName, sanitizeTools, toolDefinitionHash, type UpstreamTool } from './tools.js';

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
   * The {@link toolDefinitionHash} of one tool in the (cached) live catalog, or undefined when the
   * server no longer offers it: a cheap per-call check against a pinned definition.
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

let progressTokens = 0;

/**
 * Sends `send(params)` with a `progressToken` in `_meta` when `onProgress` is set, routing the
 * server's progress notifications for it to `onProgress`.
 *
 * Not the SDK's `onprogress` option: the SDK drops a request's progress handler as soon as the
 * response arrives, but dispatches notifications a microtask later, so the last progress sent just
 * before a result is lost. Here the listener outlives the response by one macrotask.
 */
async function withProgress<T>(
  session: Session,
  params: Record<string, unknown>,
  onProgress: ((progress: UpstreamProgress) => void) | undefined,
  send: (params: Record<string, unknown>) => Promise<T>,
): Promise<T> {
  if (!onProgress) return send(params);
  progressTokens += 1;
  const token = `briefcase-${progressTokens}`;
  session.progress.set(token, (p) => {
    try {
      onProgress({
        progress: p.progress,
        ...(typeof p.total === 'number' ? { total: p.total } : {}),
        ...(typeof p.message === 'string' ? { message: p.message.slice(0, 1024) } : {}),
      });
    } catch {
      // a failing listener must not break the request
    }
  });
  const meta = isRecord(params._meta) ? params._meta : {};
  try {
    return await send({ ...params, _meta: { ...meta, progressToken: token } });
  } finally {
    setImmediate(() => session.progress.delete(token));
  }
}

/** Pagination limits of `tools/list`: more than this is treated as hostile (`too_large`). */
export const MAX_TOOL_PAGES = 100;
/** Most tools accepted from one server. */
export const MAX_TOOLS_PER_SERVER = 2000;
/** The SDK's own request timeout trails ours, as a backstop only. */
const SDK_TIMEOUT_SLACK_MS = 1000;
/** After this many timeouts in a row the session is assumed wedged and rebuilt. */
const TIMEOUTS_BEFORE_RECYCLE = 3;
/** Budget for the polite HTTP DELETE that ends a Streamable HTTP session. */
const TERMINATE_SESSION_MS = 1000;
const DEFAULT_BACKOFF = { initialMs: 250, maxMs: 30_000 };
const DEFAULT_CATALOG_TTL_MS = 60_000;
const MAX_LAST_ERROR_CHARS = 4096;

/** `tools/list` result, parsed leniently: each tool is checked on its own so one bad entry is dropped, not fatal. */
const ToolsPageSchema = z.looseObject({
  tools: z.array(z.unknown()),
  nextCursor: z.string().max(4096).nullish(),
});

interface Session {
  readonly client: Client;
  /** Progress listeners by the progressToken we sent. */
  readonly progress: Map<string, (p: { progress: number; total?: number; message?: string }) => void>;
  readonly stdio: BoundedStdioTransport | null;
  /** First fatal cause seen on this session; it explains every request the session then fails. */
  failure: UpstreamError | null;
  closed: boolean;
  closing: Promise<void> | null;
}

interface Entry {
  readonly name: string;
  readonly hash: string;
  readonly config: NormalizedServerConfig;
  session: Session | null;
  connecting: Promise<Session> | null;
  reconnectAttempts: number;
  retryAt: number;
  lastFailure: UpstreamError | null;
  lastError: string | null;
  consecutiveTimeouts: number;
  catalog: { tools: UpstreamTool[]; fetchedAt: number } | null;
  catalogLoad: Promise<UpstreamTool[]> | null;
  catalogGeneration: number;
  changeAnnounced: boolean;
  retired: boolean;
}

const FATAL_WORDING: Record<UpstreamErrorReason, string> = {
  closed: 'closed the connection',
  malformed: 'sent a message that is not valid JSON-RPC',
  too_large: 'sent a message over the size limit',
  auth_required: 'requires authorization',
  timeout: 'timed out',
  cancelled: 'was cancelled',
  unreachable: 'could not be reached',
  protocol: 'broke the protocol',
  invalid_tool: 'announced an invalid tool',
};

/** Printable stderr excerpt with every configured env value (API keys live there) blanked out. */
function redactStderr(tail: string, env: Record<string, string> | undefined): string {
  let text = tail;
  for (const value of Object.values(env ?? {})) {
    if (value.length >= 4) text = text.split(value).join('[redacted]');
  }
  return text.replace(/[^\P{C}\n\t]/gu, '?').trim();
}

/**
 * Creates the pool of MCP client sessions briefcased keeps to upstream servers.
 *
 * One session per server name, opened lazily and shared by all callers (concurrent first calls share
 * one connect). A changed config for a name replaces its session. Failures that break a session
 * (`closed`, `malformed`, `too_large`, `unreachable`, `auth_required`, or three timeouts in a row)
 * close it; the next use reconnects after exponential backoff with jitter, and fails fast with
 * `unreachable` inside the backoff window.
 */
export function createUpstreamPool(options: UpstreamPoolOptions = {}): UpstreamPool {
  const clientInfo = options.clientInfo ?? { name: 'briefcased', version: '0.1.0' };
  const catalogTtlMs = options.catalogTtlMs ?? DEFAULT_CATALOG_TTL_MS;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const entries = new Map<string, Entry>();

  const log: UpstreamLogger = (level, msg, fields) => {
    try {
      options.log?.(level, msg, fields);
    } catch {
      // a failing log sink must not break a call
    }
  };

  function entryFor(config: UpstreamServerConfig): Entry {
    const normalized = validateServerConfig(config);
    const hash = configHash(normalized);
    const existing = entries.get(normalized.name);
    if (existing && existing.hash === hash) return existing;
    if (existing) {
      log('info', 'upstream config changed; replacing its session', { server: normalized.name });
      void retire(existing);
    }
    const entry: Entry = {
      name: normalized.name,
      hash,
      config: normalized,
      session: null,
      connecting: null,
      reconnectAttempts: 0,
      retryAt: 0,
      lastFailure: null,
      lastError: null,
      consecutiveTimeouts: 0,
      catalog: null,
      catalogLoad: null,
      catalogGeneration: 0,
      changeAnnounced: false,
      retired: false,
    };
    entries.set(entry.name, entry);
    return entry;
  }

  async function retire(entry: Entry): Promise<void> {
    entry.retired = true;
    if (entries.get(entry.name) === entry) entries.delete(entry.name);
    const closing: Array<Promise<void>> = [];
    if (entry.session) closing.push(closeSession(entry.session, true));
    entry.session = null;
    if (entry.connecting) {
      closing.push(entry.connecting.then((session) => closeSession(session, true)).catch(() => undefined));
    }
    await Promise.all(closing);
  }

  function closeSession(session: Session, graceful: boolean): Promise<void> {
    session.closed = true;
    session.closing ??= (async () => {
      const transport = session.client.transport;
      if (graceful && transport instanceof StreamableHTTPClientTransport && transport.sessionId) {
        // MCP Streamable HTTP: a client SHOULD end its session with DELETE. Best effort, bounded.
        await runWithDeadline(
          { timeoutMs: TERMINATE_SESSION_MS, onAbort: () => new Error('terminateSession timed out') },
          () => transport.terminateSession(),
        ).catch(() => undefined);
      }
      await session.client.close().catch(() => undefined);
      // The SDK forgets its transport once the server side closed it; close a stdio transport directly
      // anyway so the rest of the child's process group is killed too.
      await session.stdio?.close();
    })();
    return session.closing;
  }

  function backoffDelay(attempts: number): number {
    const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempts - 1, 30));
    return Math.round(base / 2 + (Math.random() * base) / 2); // "equal jitter"
  }

  function describeFailure(entry: Entry, failure: UpstreamError, session: Session | null): string {
    let text = failure.message;
    const tail = session?.stdio?.stderrTail;
    if (tail) text += ` | stderr: ${redactStderr(tail, entry.config.env)}`;
    return text.length > MAX_LAST_ERROR_CHARS ? `${text.slice(0, MAX_LAST_ERROR_CHARS)}...` : text;
  }

  /** Notes a failure; when it breaks the session, closes it and starts the backoff window. */
  function recordFailure(
    entry: Entry,
    failure: UpstreamError,
    session: Session | null,
    breaks: boolean,
  ): void {
    entry.lastFailure = failure;
    entry.lastError = describeFailure(entry, failure, session);
    if (!breaks) {
      log('warn', 'upstream request failed', { server: entry.name, reason: failure.reason });
      return;
    }
    if (session) {
      if (entry.session === session) entry.session = null;
      void closeSession(session, false);
    }
    entry.consecutiveTimeouts = 0;
    entry.reconnectAttempts += 1;
    const delay = backoffDelay(entry.reconnectAttempts);
    entry.retryAt = Date.now() + delay;
    log('warn', 'upstream session failed', {
      server: entry.name,
      reason: failure.reason,
      reconnectAttempts: entry.reconnectAttempts,
      retryInMs: delay,
    });
  }

  function recordSuccess(entry: Entry): void {
    entry.reconnectAttempts = 0;
    entry.retryAt = 0;
    entry.consecutiveTimeouts = 0;
  }

  function markFatal(entry: Entry, session: Session, reason: UpstreamErrorReason, what: string): void {
    if (session.failure || session.closed) return;
    session.failure =
      reason === 'auth_required'
        ? authRequiredError(entry.name)
        : new UpstreamError(reason, `Server "${entry.name}" ${what}.`, { server: entry.name });
    log('warn', 'upstream session poisoned', { server: entry.name, reason });
    void closeSession(session, false);
  }

  function onToolsListChanged(entry: Entry, session: Session): void {
    if (session.closed || entry.retired) return;
    entry.catalog = null;
    entry.catalogGeneration += 1;
    log('info', 'upstream tools changed', { server: entry.name });
    if (entry.changeAnnounced) return; // one announcement until the catalog is read again
    entry.changeAnnounced = true;
    try {
      options.onToolsChanged?.(entry.name);
    } catch {
      log('error', 'onToolsChanged threw', { server: entry.name });
    }
  }

  async function answerServerRequest(
    entry: Entry,
    session: Session,
    request: UpstreamServerRequest,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const handler = options.onServerRequest;
    if (!handler || session.closed || entry.retired) {
      throw new McpError(ErrorCode.MethodNotFound, `${request.method} is not available`);
    }
    if (jsonDepth(request) > MAX_JSON_DEPTH) {
      throw new McpError(ErrorCode.InvalidParams, `Request nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    return handler(entry.name, { method: request.method, params: request.params ?? {} }, { signal });
  }

  function forwardNotification(entry: Entry, session: Session, notification: UpstreamServerRequest): void {
    if (session.closed || entry.retired || !options.onServerNotification) return;
    if (jsonDepth(notification) > MAX_JSON_DEPTH) {
      log('warn', 'upstream notification dropped', { server: entry.name, reason: 'too_deep' });
      return;
    }
    try {
      options.onServerNotification(entry.name, {
        method: notification.method,
        ...(notification.params ? { params: notification.params } : {}),
      });
    } catch {
      log('error', 'onServerNotification threw', { server: entry.name, method: notification.method });
    }
  }

  function makeTransport(config: NormalizedServerConfig, onFatal: FatalHook): Transport {
    if (config.transport === 'stdio') {
      return new BoundedStdioTransport({
        command: config.command ?? [],
        env: config.env ?? {},
        cwd: config.cwd ?? '/',
        maxMessageBytes: config.maxResponseBytes,
        onFatal,
      });
    }
    const url = validateServerUrl(config.url ?? '');
    const guardedFetch = createGuardedFetch({
      // Streamable HTTP has exactly one endpoint. Legacy SSE posts to an endpoint the server names,
      // which the SDK already requires to share the origin.
      allow:
        config.transport === 'streamable_http'
          ? (target) => target.href === url.href
          : (target) => target.origin === url.origin,
      maxBytes: config.maxResponseBytes,
      onFatal,
      ...(options.fetchFor?.(config.name) ? { baseFetch: options.fetchFor(config.name) } : {}),
    });
    if (config.transport === 'streamable_http') {
      return new StreamableHTTPClientTransport(url, {
        fetch: guardedFetch,
        requestInit: { redirect: 'manual' },
      });
    }
    return new SSEClientTransport(url, { fetch: guardedFetch, requestInit: { redirect: 'manual' } });
  }

  async function connect(entry: Entry): Promise<Session> {
    const { config, name } = entry;
    const relaysRequests = options.onServerRequest !== undefined;
    const client = new Client(clientInfo, {
      capabilities: relaysRequests ? { sampling: {}, elicitation: { form: {}, url: {} }, roots: {} } : {},
    });
    let transport: Transport;
    const session: Session = {
      client,
      progress: new Map(),
      get stdio() {
        return transport instanceof BoundedStdioTransport ? transport : null;
      },
      failure: null,
      closed: false,
      closing: null,
    };
    transport = makeTransport(config, (reason, what) => markFatal(entry, session, reason, what));
    client.onclose = () => {
      session.closed = true;
    };
    client.onerror = (error) => {
      if (session.closed) return;
      const reason = fatalReasonOfBackgroundError(error);
      if (reason) markFatal(entry, session, reason, FATAL_WORDING[reason]);
      else log('debug', 'upstream background error ignored', { server: name, kind: error.name });
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () =>
      onToolsListChanged(entry, session),
    );
    // Replaces the SDK's own progress routing (see withProgress).
    client.setNotificationHandler(ProgressNotificationSchema, (notification) => {
      const { progressToken, ...progress } = notification.params;
      session.progress.get(String(progressToken))?.(progress);
    });
    if (relaysRequests) {
      const answer = (request: UpstreamServerRequest, signal: AbortSignal) =>
        answerServerRequest(entry, session, request, signal);
      client.setRequestHandler(CreateMessageRequestSchema, (r, extra) => answer(r, extra.signal) as never);
      client.setRequestHandler(ElicitRequestSchema, (r, extra) => answer(r, extra.signal) as never);
      client.setRequestHandler(ListRootsRequestSchema, (r, extra) => answer(r, extra.signal) as never);
    }
    const forward = (notification: UpstreamServerRequest) =>
      forwardNotification(entry, session, notification);
    client.setNotificationHandler(LoggingMessageNotificationSchema, forward);
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, forward);
    client.setNotificationHandler(ResourceListChangedNotificationSchema, forward);
    client.setNotificationHandler(PromptListChangedNotificationSchema, forward);
    try {
      await runWithDeadline(
        {
          timeoutMs: config.timeoutMs,
          onAbort: () =>
            new UpstreamError(
              'timeout',
              `Server "${name}" did not finish connecting within ${config.timeoutMs} ms.`,
              {
                server: name,
              },
            ),
        },
        (signal) => client.connect(transport, { timeout: config.timeoutMs + SDK_TIMEOUT_SLACK_MS, signal }),
      );
    } catch (error) {
      const failure = classifyFailure(error, {
        server: name,
        activity: 'connecting',
        sessionClosed: session.closed,
        sessionFailure: session.failure,
      });
      recordFailure(entry, failure, session, true); // also closes the session (kills a stdio child)
      throw failure;
    }
    return session;
  }

  function backoffError(entry: Entry, waitMs: number): UpstreamError {
    if (entry.lastFailure?.reason === 'auth_required') return authRequiredError(entry.name);
    const lastReason = entry.lastFailure?.reason ?? 'unknown';
    return new UpstreamError(
      'unreachable',
      `Server "${entry.name}" is unavailable after a failure (${lastReason}); next retry in ${(waitMs / 1000).toFixed(1)} s.`,
      {
        server: entry.name,
        details: { retryInMs: waitMs, retryAt: new Date(entry.retryAt).toISOString(), lastReason },
      },
    );
  }

  function getSession(entry: Entry): Promise<Session> {
    const current = entry.session;
    if (current && !current.closed) return Promise.resolve(current);
    if (current) entry.session = null;
    if (entry.connecting) return entry.connecting;
    if (entry.retired) {
      return Promise.reject(
        new UpstreamError('closed', `Server "${entry.name}" was closed.`, { server: entry.name }),
      );
    }
    const waitMs = entry.retryAt - Date.now();
    if (waitMs > 0) return Promise.reject(backoffError(entry, waitMs));
    const attempt = connect(entry).then(
      (session) => {
        entry.connecting = null;
        if (entry.retired) {
          void closeSession(session, true);
          throw new UpstreamError(
            'closed',
            `Server "${entry.name}" was closed or reconfigured while connecting.`,
            {
              server: entry.name,
            },
          );
        }
        entry.session = session;
        // Tools may have changed while no session listened for list_changed.
        entry.catalog = null;
        log('info', 'upstream connected', {
          server: entry.name,
          transport: entry.config.transport,
          ...(session.stdio?.pid === undefined ? {} : { pid: session.stdio.pid }),
        });
        return session;
      },
      (error: unknown) => {
        entry.connecting = null;
        throw error;
      },
    );
    entry.connecting = attempt;
    return attempt;
  }

  /** Runs one request on the pooled session under one deadline that covers connecting too. */
  async function runRequest<T>(
    entry: Entry,
    activity: string,
    timeoutMs: number,
    callerSignal: AbortSignal | undefined,
    work: (session: Session, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    let session: Session | undefined;
    const server = entry.name;
    try {
      return await runWithDeadline(
        {
          timeoutMs,
          callerSignal,
          onAbort: (outcome) => {
            const stage = session === undefined ? 'connecting' : activity;
            if (outcome === 'cancelled') {
              return new UpstreamError(
                'cancelled',
                `The request to server "${server}" was cancelled while ${stage}.`,
                {
                  server,
                },
              );
            }
            const what = session === undefined ? 'did not finish connecting' : 'did not answer';
            return new UpstreamError(
              'timeout',
              `Server "${server}" ${what} within ${timeoutMs} ms while ${activity}.`,
              {
                server,
                details: { timeoutMs },
              },
            );
          },
        },
        async (signal) => {
          const ready = await getSession(entry);
          signal.throwIfAborted(); // the deadline fired while connecting: send nothing
          session = ready;
          const value = await work(ready, signal);
          recordSuccess(entry);
          return value;
        },
      );
    } catch (error) {
      if (session === undefined) {
        // Connect failures were recorded by connect(); a deadline while waiting is the caller's only.
        throw error instanceof UpstreamError
          ? error
          : classifyFailure(error, { server, activity, sessionClosed: false, sessionFailure: null });
      }
      const failure = classifyFailure(error, {
        server,
        activity,
        sessionClosed: session.closed,
        sessionFailure: session.failure,
      });
      if (failure.reason === 'cancelled') throw failure;
      if (failure.reason === 'timeout') {
        entry.consecutiveTimeouts += 1;
        recordFailure(entry, failure, session, entry.consecutiveTimeouts >= TIMEOUTS_BEFORE_RECYCLE);
      } else {
        recordFailure(entry, failure, session, SESSION_FATAL_REASONS.has(failure.reason));
      }
      throw failure;
    }
  }

  async function loadCatalog(entry: Entry): Promise<UpstreamTool[]> {
    const { name: server, config } = entry;
    const collected: unknown[] = [];
    const seenCursors = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; ; page += 1) {
      if (page >= MAX_TOOL_PAGES) {
        throw noteFailure(
          entry,
          'too_large',
          `Server "${server}" announced more than ${MAX_TOOL_PAGES} pages of tools.`,
        );
      }
      const params = cursor === undefined ? undefined : { cursor };
      const result = await runRequest(
        entry,
        'listing tools',
        config.timeoutMs,
        undefined,
        (session, signal) =>
          session.client.request({ method: 'tools/list', ...(params ? { params } : {}) }, ToolsPageSchema, {
            timeout: config.timeoutMs + SDK_TIMEOUT_SLACK_MS,
            signal,
          }),
      );
      if (collected.length + result.tools.length > MAX_TOOLS_PER_SERVER) {
        throw noteFailure(
          entry,
          'too_large',
          `Server "${server}" announced more than ${MAX_TOOLS_PER_SERVER} tools.`,
        );
      }
      collected.push(...result.tools);
      const next = result.nextCursor ?? undefined;
      if (next === undefined) break;
      if (seenCursors.has(next)) {
        throw noteFailure(
          entry,
          'protocol',
          `Server "${server}" repeated a pagination cursor while listing tools.`,
        );
      }
      seenCursors.add(next);
      cursor = next;
    }
    const { tools, dropped } = sanitizeTools(collected);
    for (const tool of dropped) {
      log('warn', 'upstream tool dropped', {
        server,
        reason: 'invalid_tool',
        tool: tool.name,
        index: tool.index,
        why: tool.why,
      });
    }
    return tools;
  }

  function noteFailure(entry: Entry, reason: UpstreamErrorReason, message: string): UpstreamError {
    const failure = new UpstreamError(reason, message, { server: entry.name });
    recordFailure(entry, failure, null, false);
    return failure;
  }

  /** The cached catalog itself (never handed out: callers get a copy or a hash). */
  async function catalogOf(
    config: UpstreamServerConfig,
    opts: { refresh?: boolean } = {},
  ): Promise<UpstreamTool[]> {
    const entry = entryFor(config);
    const cached = entry.catalog;
    if (!opts.refresh && cached && Date.now() - cached.fetchedAt < catalogTtlMs) return cached.tools;
    if (!entry.catalogLoad) {
      const generation = entry.catalogGeneration;
      const load = loadCatalog(entry).then((tools) => {
        // A list_changed that arrived meanwhile makes this result stale: return it, don't cache it.
        if (entry.catalogGeneration === generation && !entry.retired) {
          entry.catalog = { tools, fetchedAt: Date.now() };
          entry.changeAnnounced = false;
        }
        return tools;
      });
      load
        .finally(() => {
          if (entry.catalogLoad === load) entry.catalogLoad = null;
        })
        .catch(() => undefined); // the caller below observes the rejection
      entry.catalogLoad = load;
    }
    return entry.catalogLoad;
  }

  async function listTools(
    config: UpstreamServerConfig,
    opts: { refresh?: boolean } = {},
  ): Promise<UpstreamTool[]> {
    return structuredClone(await catalogOf(config, opts));
  }

  // Hashes per catalog, keyed by the catalog array itself: a new catalog is a new array, so a
  // stale hash can never be served.
  const hashesByCatalog = new WeakMap<UpstreamTool[], Map<string, string | undefined>>();

  async function toolHash(config: UpstreamServerConfig, toolName: string): Promise<string | undefined> {
    const tools = await catalogOf(config);
    let hashes = hashesByCatalog.get(tools);
    if (!hashes) {
      hashes = new Map();
      hashesByCatalog.set(tools, hashes);
    }
    if (!hashes.has(toolName)) {
      const tool = tools.find((t) => t.name === toolName);
      hashes.set(toolName, tool ? toolDefinitionHash(tool) : undefined);
    }
    return hashes.get(toolName);
  }

  function checkCallInputs(toolName: string, args: Record<string, unknown>, opts: UpstreamCallOptions): void {
    if (!isValidToolName(toolName)) {
      throw new BriefcaseError(
        'invalid_args',
        'The tool name must be 1-128 characters of letters, digits, "_", "." or "-".',
      );
    }
    for (const [what, value] of [
      ['args', args],
      ['meta', opts.meta ?? {}],
    ] as const) {
      if (!isRecord(value))
        throw new BriefcaseError('invalid_args', `The tool call ${what} must be a JSON object.`);
      if (jsonDepth(value) > MAX_JSON_DEPTH) {
        throw new BriefcaseError(
          'invalid_args',
          `The tool call ${what} are nested deeper than ${MAX_JSON_DEPTH} levels.`,
        );
      }
      try {
        JSON.stringify(value);
      } catch {
        throw new BriefcaseError('invalid_args', `The tool call ${what} are not representable as JSON.`);
      }
    }
    const { timeoutMs } = opts;
    if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000)) {
      throw new BriefcaseError('invalid_args', 'timeoutMs must be an integer from 1 to 600000.');
    }
  }

  function checkParams(params: Record<string, unknown>, opts: UpstreamCallOptions): void {
    if (!isRecord(params)) throw new BriefcaseError('invalid_args', 'The params must be a JSON object.');
    if (jsonDepth(params) > MAX_JSON_DEPTH) {
      throw new BriefcaseError('invalid_args', `The params are nested deeper than ${MAX_JSON_DEPTH} levels.`);
    }
    const { timeoutMs } = opts;
    if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000)) {
      throw new BriefcaseError('invalid_args', 'timeoutMs must be an integer from 1 to 600000.');
    }
  }

  /** Enforces the depth and size caps on a relayed result. */
  function capResult(entry: Entry, method: string, result: Record<string, unknown>): Record<string, unknown> {
    const server = entry.name;
    if (jsonDepth(result) > MAX_JSON_DEPTH) {
      throw new UpstreamError(
        'malformed',
        `Server "${server}" answered ${method} with a result nested deeper than ${MAX_JSON_DEPTH} levels.`,
        { server },
      );
    }
    if (Buffer.byteLength(JSON.stringify(result)) > entry.config.maxResponseBytes) {
      throw new UpstreamError(
        'too_large',
        `Server "${server}" answered ${method} with a result larger than the ${entry.config.maxResponseBytes}-byte limit.`,
        { server, details: { limit: entry.config.maxResponseBytes } },
      );
    }
    return result;
  }

  /** Reduces a result to the documented shape and enforces depth and size caps on it. */
  function shapeResult(entry: Entry, toolName: string, raw: CallToolResult): UpstreamCallResult {
    const result: UpstreamCallResult = { content: raw.content };
    if (raw.structuredContent !== undefined) result.structuredContent = raw.structuredContent;
    if (raw.isError !== undefined) result.isError = raw.isError;
    const server = entry.name;
    if (jsonDepth(result) > MAX_JSON_DEPTH) {
      throw new UpstreamError(
        'malformed',
        `Server "${server}" returned a result for "${toolName}" nested deeper than ${MAX_JSON_DEPTH} levels.`,
        {
          server,
        },
      );
    }
    const bytes = Buffer.byteLength(JSON.stringify(result));
    if (bytes > entry.config.maxResponseBytes) {
      throw new UpstreamError(
        'too_large',
        `Server "${server}" returned a result for "${toolName}" larger than the ${entry.config.maxResponseBytes}-byte limit.`,
        { server, details: { limit: entry.config.maxResponseBytes } },
      );
    }
    return result;
  }

  async function callTool(
    config: UpstreamServerConfig,
    toolName: string,
    args: Record<string, unknown>,
    opts: UpstreamCallOptions = {},
  ): Promise<UpstreamCallResult> {
    const entry = entryFor(config);
    checkCallInputs(toolName, args, opts);
    const timeoutMs = opts.timeoutMs ?? entry.config.timeoutMs;
    const params = { name: toolName, arguments: args, ...(opts.meta ? { _meta: opts.meta } : {}) };
    return runRequest(
      entry,
      `calling tool "${toolName}"`,
      timeoutMs,
      opts.signal,
      async (session, signal) => {
        const raw = await withProgress(session, params, opts.onProgress, (sent) =>
          session.client.request(
            { method: 'tools/call', params: sent as typeof params },
            CallToolResultSchema,
            {
              timeout: timeoutMs + SDK_TIMEOUT_SLACK_MS,
              signal,
            },
          ),
        );
        return shapeResult(entry, toolName, raw);
      },
    );
  }

  async function request(
    config: UpstreamServerConfig,
    method: RelayedMethod,
    params: Record<string, unknown>,
    opts: UpstreamCallOptions = {},
  ): Promise<Record<string, unknown>> {
    const entry = entryFor(config);
    if (!isRelayedMethod(method)) {
      throw new BriefcaseError(
        'invalid_args',
        `${JSON.stringify(String(method).slice(0, 64))} is not relayed.`,
      );
    }
    checkParams(params, opts);
    const timeoutMs = opts.timeoutMs ?? entry.config.timeoutMs;
    const sent = opts.meta ? { ...params, _meta: { ...opts.meta } } : params;
    return runRequest(entry, `answering ${method}`, timeoutMs, opts.signal, async (session, signal) => {
      const raw = await withProgress(session, sent, opts.onProgress, (withToken) =>
        session.client.request({ method, params: withToken }, RELAYED_METHODS[method], {
          timeout: timeoutMs + SDK_TIMEOUT_SLACK_MS,
          signal,
        }),
      );
      return capResult(entry, method, raw as Record<string, unknown>);
    });
  }

  async function serverCapabilities(config: UpstreamServerConfig): Promise<ServerCapabilities> {
    const entry = entryFor(config);
    return runRequest(entry, 'connecting', entry.config.timeoutMs, undefined, async (session) =>
      structuredClone(session.client.getServerCapabilities() ?? {}),
    );
  }

  function status(name: string): UpstreamServerStatus {
    const entry = entries.get(name);
    if (!entry) return { connected: false, lastError: null, reconnectAttempts: 0 };
    return {
      connected: entry.session !== null && !entry.session.closed,
      lastError: entry.lastError,
      reconnectAttempts: entry.reconnectAttempts,
    };
  }

  async function close(name?: string): Promise<void> {
    const targets =
      name === undefined ? [...entries.values()] : [entries.get(name)].filter((e) => e !== undefined);
    await Promise.all(targets.map((entry) => retire(entry)));
  }

  return { listTools, toolHash, callTool, request, serverCapabilities, status, close };
}
