import { randomUUID } from 'node:crypto';
import {
  type BriefcaseClient,
  type ChannelEvent,
  type RelayMethod,
  traceContextFromMeta,
} from '@briefcase/client';
import { type ErrorCode, isBriefcaseError } from '@briefcase/core';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  GetPromptRequestSchema,
  ErrorCode as JsonRpcErrorCode,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListRootsResultSchema,
  type LoggingLevel,
  McpError,
  ReadResourceRequestSchema,
  type ServerNotification,
  type ServerRequest,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { protocolError } from './errors.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** MCP 2025-11-25 "Resource not found" (server/resources, Error Handling). */
export const RESOURCE_NOT_FOUND = -32002;

const LOG_LEVELS: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

const RESULT_SCHEMAS = {
  'sampling/createMessage': CreateMessageResultSchema,
  'elicitation/create': ElicitResultSchema,
  'roots/list': ListRootsResultSchema,
} as const;

/** How long a request waits for the session's channel to open before going without it. */
const CHANNEL_OPEN_WAIT_MS = 2000;

/** One agent request in flight, for progress and for requests and notifications related to it. */
interface InFlight {
  extra: Extra;
  progressToken: string | number | undefined;
  /** Added to upstream progress so it keeps increasing after the gateway's own waiting ticks. */
  offset: number;
  lastUpstream: number;
  /** Resolves when the daemon's `end` event for this request arrived. */
  ended: Promise<void>;
  end: () => void;
}

/** How long the gateway waits, after a response, for the `end` event of its request. */
const END_WAIT_MS = 1000;

/** Everything a request handler needs to send a request down the daemon with the session's channel. */
export interface RelayBinding {
  channel?: string;
  ref?: string;
  progress?: boolean;
  /**
   * Call when the daemon answered: waits (briefly) until everything the request sent down the channel
   * was relayed, so that its progress and logs reach the client before its result.
   */
  done(): Promise<void>;
  /** Sends one of the gateway's own progress ticks (while waiting for approval). */
  tick(message: string): void;
}

/**
 * The gateway's side of the relay for one MCP session: it keeps the session's channel to briefcased
 * open, serves resources, prompts, completion and logging level from the daemon, and carries a
 * remote server's requests (sampling, elicitation, roots), notifications and progress to the agent's
 * client. Nothing here decides anything: the daemon applies the policy and writes the receipts.
 */
export function attachRelay(server: Server, client: BriefcaseClient, log: (message: string) => void) {
  let channel: string | undefined;
  let opening: Promise<string | undefined> | undefined;
  const stop = new AbortController();
  const inFlight = new Map<string, InFlight>();
  const pendingRequests = new Map<string, AbortController>();
  let minLevel: LoggingLevel | undefined;

  function openChannel(): Promise<string | undefined> {
    if (channel !== undefined) return Promise.resolve(channel);
    if (opening) return opening;
    const caps = server.getClientCapabilities() ?? {};
    opening = new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), CHANNEL_OPEN_WAIT_MS);
      client
        .openChannel(
          {
            sampling: caps.sampling !== undefined,
            elicitation: caps.elicitation !== undefined,
            roots: caps.roots !== undefined,
          },
          (event) => {
            if (event.type === 'channel') {
              channel = event.id;
              clearTimeout(timer);
              resolve(event.id);
              return;
            }
            onEvent(event);
          },
          stop.signal,
        )
        .catch((error: unknown) => {
          if (!stop.signal.aborted) log(`relay channel failed: ${String(error)}`);
        })
        .finally(() => {
          clearTimeout(timer);
          channel = undefined;
          opening = undefined;
          resolve(undefined);
        });
    });
    return opening;
  }

  /** The in-flight request that server requests and notifications relate to: the latest one. */
  const latest = (): InFlight | undefined => [...inFlight.values()].at(-1);

  function notify(notification: ServerNotification): void {
    const target = latest();
    const sent = target ? target.extra.sendNotification(notification) : server.notification(notification);
    sent.catch((error: unknown) => log(`could not relay ${notification.method}: ${String(error)}`));
  }

  function onEvent(event: Exclude<ChannelEvent, { type: 'channel' }>): void {
    switch (event.type) {
      case 'request':
        void answer(event.id, event.method, event.params);
        return;
      case 'cancel':
        pendingRequests.get(event.id)?.abort();
        return;
      case 'end':
        inFlight.get(event.ref)?.end();
        return;
      case 'progress': {
        const call = inFlight.get(event.ref);
        if (!call || call.progressToken === undefined) return;
        call.lastUpstream = Math.max(call.lastUpstream, event.progress);
        notify({
          method: 'notifications/progress',
          params: {
            progressToken: call.progressToken,
            progress: call.offset + event.progress,
            ...(event.total !== undefined ? { total: call.offset + event.total } : {}),
            ...(event.message !== undefined ? { message: event.message } : {}),
          },
        });
        return;
      }
      case 'notification':
        relayNotification(event.method, event.params);
        return;
    }
  }

  function relayNotification(method: string, params: Record<string, unknown>): void {
    switch (method) {
      case 'notifications/message': {
        const level = params.level as LoggingLevel;
        if (!LOG_LEVELS.includes(level)) return;
        if (minLevel !== undefined && LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(minLevel)) return;
        notify({ method, params: params as ServerNotification['params'] } as ServerNotification);
        return;
      }
      case 'notifications/resources/updated':
        if (typeof params.uri === 'string') notify({ method, params: { uri: params.uri } });
        return;
      case 'notifications/resources/list_changed':
      case 'notifications/prompts/list_changed':
      case 'notifications/tools/list_changed':
        server.notification({ method }).catch(() => undefined);
        return;
    }
  }

  /** Asks the agent's client on behalf of a remote server and sends the answer back to the daemon. */
  async function answer(id: string, method: string, params: Record<string, unknown>): Promise<void> {
    const open = channel;
    if (open === undefined) return;
    const schema = RESULT_SCHEMAS[method as keyof typeof RESULT_SCHEMAS];
    const abort = new AbortController();
    pendingRequests.set(id, abort);
    let reply: Parameters<BriefcaseClient['answerChannelRequest']>[2];
    try {
      if (schema === undefined)
        throw new McpError(JsonRpcErrorCode.MethodNotFound, `${method} is not relayed`);
      const request = { method, params } as ServerRequest;
      const target = latest();
      const options = { signal: abort.signal, timeout: 10 * 60_000 };
      const result = target
        ? await target.extra.sendRequest(request, schema, options)
        : await server.request(request, schema, options);
      reply = { result: result as Record<string, unknown> };
    } catch (error) {
      const code = error instanceof McpError ? error.code : JsonRpcErrorCode.InternalError;
      const message = error instanceof Error ? error.message.slice(0, 1024) : 'the client failed';
      reply = { error: { code, message } };
    } finally {
      pendingRequests.delete(id);
    }
    await client.answerChannelRequest(open, id, reply).catch((error: unknown) => {
      log(`could not return the answer to ${method}: ${String(error)}`);
    });
  }

  /** Binds one agent request to the channel, registering it for progress and related messages. */
  async function bind(extra: Extra, meta: Record<string, unknown> | undefined): Promise<RelayBinding> {
    const id = await openChannel();
    const ref = randomUUID();
    const progressToken = meta?.progressToken as string | number | undefined;
    let end = () => {};
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    const call: InFlight = { extra, progressToken, offset: 0, lastUpstream: 0, ended, end };
    inFlight.set(ref, call);
    return {
      ...(id !== undefined ? { channel: id, ref } : {}),
      ...(id !== undefined && progressToken !== undefined ? { progress: true } : {}),
      done: async () => {
        if (id !== undefined && channel === id) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, END_WAIT_MS)))]);
          clearTimeout(timer);
        }
        inFlight.delete(ref);
      },
      tick: (message) => {
        if (progressToken === undefined) return;
        call.offset += 1;
        extra
          .sendNotification({
            method: 'notifications/progress',
            params: { progressToken, progress: call.offset + call.lastUpstream, message },
          })
          .catch((error: unknown) => log(`could not send a progress notification: ${String(error)}`));
      },
    };
  }

  /** Forwards one agent request to the daemon's relay, mapping its errors to JSON-RPC errors. */
  async function relay(method: RelayMethod, params: Record<string, unknown>, extra: Extra) {
    const { _meta: meta, ...rest } = params as { _meta?: Record<string, unknown> };
    const binding = await bind(extra, meta);
    try {
      return await client.relay(method, rest, {
        signal: extra.signal,
        ...traceContextFromMeta(meta),
        ...(binding.channel !== undefined ? { channel: binding.channel } : {}),
        ...(binding.ref !== undefined ? { ref: binding.ref } : {}),
        ...(binding.progress ? { progress: true } : {}),
      });
    } catch (error) {
      throw relayError(error, method, log);
    } finally {
      await binding.done();
    }
  }

  const handle =
    (method: RelayMethod) =>
    async (request: { params?: Record<string, unknown> }, extra: Extra): Promise<never> =>
      (await relay(method, request.params ?? {}, extra)) as never;

  server.setRequestHandler(ListResourcesRequestSchema, handle('resources/list'));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, handle('resources/templates/list'));
  server.setRequestHandler(ReadResourceRequestSchema, handle('resources/read'));
  server.setRequestHandler(SubscribeRequestSchema, handle('resources/subscribe'));
  server.setRequestHandler(UnsubscribeRequestSchema, handle('resources/unsubscribe'));
  server.setRequestHandler(ListPromptsRequestSchema, handle('prompts/list'));
  server.setRequestHandler(GetPromptRequestSchema, handle('prompts/get'));
  server.setRequestHandler(CompleteRequestSchema, handle('completion/complete'));
  // Upstream sessions are shared by every agent, so the level is applied here, per session, to the
  // log messages relayed to this client; it is not sent upstream.
  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    minLevel = request.params.level;
    return {};
  });

  // The session's channel opens once the client said what it can answer.
  server.oninitialized = () => {
    void openChannel();
  };

  return {
    bind,
    /** Closes the channel; called when the MCP session ends. */
    close: () => stop.abort(),
  };
}

const PROTOCOL_CODES: Partial<Record<ErrorCode, number>> = {
  invalid_args: JsonRpcErrorCode.InvalidParams,
  denied: JsonRpcErrorCode.InvalidRequest,
  budget_exceeded: JsonRpcErrorCode.InvalidRequest,
  oauth_required: JsonRpcErrorCode.InvalidRequest,
  upstream_error: JsonRpcErrorCode.InternalError,
};

/**
 * The JSON-RPC error for a relayed request that the daemon refused or that failed upstream. The
 * daemon's message is written for the agent (it never holds a secret); `data` carries the stable code
 * and the receipt.
 */
export function relayError(error: unknown, method: RelayMethod, log: (message: string) => void): McpError {
  if (!isBriefcaseError(error)) return protocolError(error, log);
  const details = error.details as { receiptSeq?: unknown } | undefined;
  const data = {
    code: error.code,
    ...(typeof details?.receiptSeq === 'number' ? { receiptSeq: details.receiptSeq } : {}),
  };
  if (error.code === 'not_found') {
    const code = method === 'resources/read' ? RESOURCE_NOT_FOUND : JsonRpcErrorCode.InvalidParams;
    return new McpError(code, error.message, data);
  }
  // The remote server refused the request itself with a code the agent can act on (unknown
  // resource, bad params): keep that code. Only the number crosses; its text stayed upstream.
  const rpcCode = (error.details as { rpcCode?: unknown } | undefined)?.rpcCode;
  if (
    error.code === 'upstream_error' &&
    (rpcCode === RESOURCE_NOT_FOUND || rpcCode === JsonRpcErrorCode.InvalidParams)
  ) {
    return new McpError(rpcCode, error.message, data);
  }
  const code = PROTOCOL_CODES[error.code];
  if (code === undefined) return protocolError(error, log);
  return new McpError(code, error.message, data);
}
