import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ProgressNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { fatalReasonOfBackgroundError } from './classify.js';
import type { NormalizedServerConfig } from './config.js';
import { runWithDeadline } from './deadline.js';
import { UpstreamError, type UpstreamErrorReason } from './errors.js';
import type { UpstreamServerRequest } from './pool-types.js';
import type { ProgressListeners } from './progress.js';
import { BoundedStdioTransport } from './stdio-transport.js';
import { createTransport } from './transport.js';

/** The SDK's own request timeout trails ours, as a backstop only. */
const SDK_TIMEOUT_SLACK_MS = 1000;
/** Budget for the polite HTTP DELETE that ends a Streamable HTTP session. */
const TERMINATE_SESSION_MS = 1000;

/** One MCP client session to one server. */
export interface Session {
  readonly client: Client;
  readonly transport: Transport;
  /** Progress listeners by the progressToken we sent (see withProgress). */
  readonly progress: ProgressListeners;
  readonly stdio: BoundedStdioTransport | null;
  /** First fatal cause seen on this session; it explains every request the session then fails. */
  failure: UpstreamError | null;
  closed: boolean;
  closing: Promise<void> | null;
}

/** What a session reports to its owner. Each handler gets the session it was opened for. */
export interface SessionEvents {
  /** The transport or the SDK saw something that poisons the session (`what` completes "Server X ..."). */
  fatal(session: Session, reason: UpstreamErrorReason, what: string): void;
  /** The server sent `notifications/tools/list_changed`. */
  toolsListChanged(session: Session): void;
  /** The server asked us, its client, for sampling, elicitation or roots. */
  serverRequest(
    session: Session,
    request: UpstreamServerRequest,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>>;
  /** The server sent a logging, resource or prompt notification. */
  serverNotification(session: Session, notification: UpstreamServerRequest): void;
  /** An error outside any request that does not poison the session (e.g. a stray response id). */
  backgroundErrorIgnored(kind: string): void;
}

/** How a session presents itself to the server. */
export interface SessionSettings {
  clientInfo: { name: string; version: string };
  /** Declare sampling, elicitation and roots, so the server may ask for them. */
  answersServerRequests: boolean;
  /** HTTP only: the fetch under the pool's guards (default global fetch). */
  baseFetch: typeof fetch | undefined;
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

/** Per-request options for the SDK: our deadline governs, the SDK's timeout is only a backstop. */
export function sdkRequestOptions(
  timeoutMs: number,
  signal: AbortSignal,
): { timeout: number; signal: AbortSignal } {
  return { timeout: timeoutMs + SDK_TIMEOUT_SLACK_MS, signal };
}

/** Builds a session with every handler in place; nothing is sent until {@link connectSession}. */
export function openSession(
  config: NormalizedServerConfig,
  settings: SessionSettings,
  events: SessionEvents,
): Session {
  const client = new Client(settings.clientInfo, {
    capabilities: settings.answersServerRequests
      ? { sampling: {}, elicitation: { form: {}, url: {} }, roots: {} }
      : {},
  });
  // The transport reports fatal conditions on the session that owns it; it sends nothing before
  // connectSession, so `session` is always assigned by then.
  const transport = createTransport(
    config,
    (reason, what) => events.fatal(session, reason, what),
    settings.baseFetch,
  );
  const session: Session = {
    client,
    transport,
    progress: new Map(),
    stdio: transport instanceof BoundedStdioTransport ? transport : null,
    failure: null,
    closed: false,
    closing: null,
  };
  client.onclose = () => {
    session.closed = true;
  };
  client.onerror = (error) => {
    if (session.closed) return;
    const reason = fatalReasonOfBackgroundError(error);
    if (reason) events.fatal(session, reason, FATAL_WORDING[reason]);
    else events.backgroundErrorIgnored(error.name);
  };
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => events.toolsListChanged(session));
  // Replaces the SDK's own progress routing (see withProgress).
  client.setNotificationHandler(ProgressNotificationSchema, (notification) => {
    const { progressToken, ...progress } = notification.params;
    session.progress.get(String(progressToken))?.(progress);
  });
  if (settings.answersServerRequests) {
    const answer = (request: UpstreamServerRequest, signal: AbortSignal) =>
      events.serverRequest(session, request, signal);
    client.setRequestHandler(CreateMessageRequestSchema, (r, extra) => answer(r, extra.signal) as never);
    client.setRequestHandler(ElicitRequestSchema, (r, extra) => answer(r, extra.signal) as never);
    client.setRequestHandler(ListRootsRequestSchema, (r, extra) => answer(r, extra.signal) as never);
  }
  const forward = (notification: UpstreamServerRequest) => events.serverNotification(session, notification);
  client.setNotificationHandler(LoggingMessageNotificationSchema, forward);
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, forward);
  client.setNotificationHandler(ResourceListChangedNotificationSchema, forward);
  client.setNotificationHandler(PromptListChangedNotificationSchema, forward);
  return session;
}

/**
 * Starts the transport and runs the MCP `initialize` handshake within the server's timeout.
 * @throws UpstreamError `timeout`, or whatever the SDK or transport threw (unclassified)
 */
export function connectSession(session: Session, config: NormalizedServerConfig): Promise<void> {
  return runWithDeadline(
    {
      timeoutMs: config.timeoutMs,
      onAbort: () =>
        new UpstreamError(
          'timeout',
          `Server "${config.name}" did not finish connecting within ${config.timeoutMs} ms.`,
          { server: config.name },
        ),
    },
    (signal) => session.client.connect(session.transport, sdkRequestOptions(config.timeoutMs, signal)),
  );
}

/**
 * Closes a session once (later calls share the first close). `graceful` ends a Streamable HTTP
 * session with the DELETE the spec asks for; a broken session is just dropped.
 */
export function closeSession(session: Session, graceful: boolean): Promise<void> {
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
