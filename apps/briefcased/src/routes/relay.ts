import { BriefcaseError } from '@briefcase/core';
import { context } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { ANY_ROLE } from '../auth.js';
import { DEFAULT_AGENT } from '../kernel/action.js';
import type { ChannelAnswer, ChannelBinding, ChannelEvent, ChannelHub } from '../mcp/channels.js';
import { AGENT_RELAY_METHODS, type AgentRelayMethod, type Relay } from '../mcp/relay.js';
import { errorResponses } from '../schemas.js';
import { callerTraceContext } from '../trace-context.js';
import { openSse, type SseStream } from './sse.js';

/** What the relay routes drive. */
export interface RelayRouteDeps {
  relay: Relay;
  channels: ChannelHub;
}

const ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' };
const CAPABILITIES = ['sampling', 'elicitation', 'roots'] as const;
/** Unread bytes on a channel past which its log and progress events are dropped. */
export const MAX_CHANNEL_BACKLOG_BYTES = 1024 * 1024;

/**
 * Writes channel events to `stream`. A server flooding logs or progress must not grow the daemon's
 * memory without bound while the gateway reads slowly: past `maxBacklog` unread bytes those events
 * are dropped. Requests, cancels, ends and the channel id never are: losing one would hang a request.
 */
export function channelSender(
  stream: Pick<SseStream, 'send' | 'backlog'>,
  maxBacklog = MAX_CHANNEL_BACKLOG_BYTES,
): (event: ChannelEvent) => void {
  return ({ type, ...data }) => {
    const droppable = type === 'notification' || type === 'progress';
    if (droppable && stream.backlog() > maxBacklog) return;
    stream.send(type, data);
  };
}

/** The binding of a request to an open channel; undefined when none was named or it is not open. */
export function bindingOf(
  channels: ChannelHub,
  body: { channel?: string; ref?: string; progress?: boolean },
): ChannelBinding | undefined {
  const { channel, ref } = body;
  if (channel === undefined || !channels.has(channel)) return undefined;
  return { channel, ...(ref === undefined ? {} : { ref }), ...(body.progress ? { progress: true } : {}) };
}

/** Body fields binding a request to its agent session's channel (shared by tools/call and the relay). */
export const BINDING_PROPERTIES = {
  channel: {
    type: 'string',
    maxLength: 64,
    description:
      "The agent session's channel (`GET /v1/mcp/channel`): a remote server's progress, sampling, elicitation and roots requests during this request go there. An unknown channel is ignored.",
  },
  ref: {
    type: 'string',
    maxLength: 64,
    description:
      "The caller's reference for this request: its `progress` events and its `end` event (sent on the channel just before the response) carry it.",
  },
  progress: {
    type: 'boolean',
    description: 'Ask the remote server for progress, sent as `progress` events on the channel.',
  },
} as const;

/**
 * Registers the agent-facing relay: the channel a gateway session keeps open (server-sent events),
 * the answers to the requests sent down it, and the MCP requests other than tools. Both roles may use
 * them: they carry what an agent session may already do, and nothing here approves or configures.
 */
export function registerRelayRoutes(app: FastifyInstance, deps: RelayRouteDeps): void {
  app.get(
    '/v1/mcp/channel',
    {
      config: { roles: ANY_ROLE },
      schema: {
        summary: "Open an agent session's channel (Server-Sent Events)",
        description:
          'One per gateway session. First `event: channel` with `{"id"}`; then `end` (`{ref}`: the request with that ref is over, sent just before its response), `request` (`{id, server, method, params}`: a remote server asks the agent\'s client for sampling, elicitation or roots; answer with `POST /v1/mcp/channel/{channel}/answers/{id}`), `cancel` (`{id}`), `notification` (`{server, method, params}`: logs, resource updates, list changes) and `progress` (`{ref, progress, total?, message?}`). Closing the stream closes the channel and its subscriptions.',
        querystring: {
          type: 'object',
          properties: {
            capabilities: {
              type: 'string',
              maxLength: 64,
              description: 'Comma-separated client capabilities to relay: sampling, elicitation, roots',
            },
          },
          additionalProperties: false,
        },
        produces: ['text/event-stream'],
        response: { 200: { type: 'string', description: 'text/event-stream' }, ...errorResponses(400, 401) },
      },
    },
    (request, reply) => {
      const asked = new Set(
        String((request.query as { capabilities?: string }).capabilities ?? '')
          .split(',')
          .map((c) => c.trim()),
      );
      const capabilities = {
        sampling: asked.has(CAPABILITIES[0]),
        elicitation: asked.has(CAPABILITIES[1]),
        roots: asked.has(CAPABILITIES[2]),
      };
      const stream = openSse(reply);
      const id = deps.channels.open(capabilities, channelSender(stream));
      stream.onClose(() => deps.relay.closeChannel(id));
    },
  );

  app.post(
    '/v1/mcp/channel/:channel/answers/:id',
    {
      config: { roles: ANY_ROLE },
      schema: {
        summary: "Answer a remote server's request sent down a channel",
        params: {
          type: 'object',
          properties: { channel: ID, id: ID },
          required: ['channel', 'id'],
        },
        body: {
          oneOf: [
            {
              type: 'object',
              properties: { result: { type: 'object' } },
              required: ['result'],
              additionalProperties: false,
            },
            {
              type: 'object',
              properties: {
                error: {
                  type: 'object',
                  properties: {
                    code: { type: 'integer' },
                    message: { type: 'string', maxLength: 4096 },
                    data: {},
                  },
                  required: ['code', 'message'],
                  additionalProperties: false,
                },
              },
              required: ['error'],
              additionalProperties: false,
            },
          ],
        },
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { channel, id } = request.params as { channel: string; id: string };
      deps.channels.answer(channel, id, request.body as ChannelAnswer);
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/mcp/relay',
    {
      config: { roles: ANY_ROLE },
      schema: {
        summary: 'Send an MCP request other than tools to the remote servers',
        description:
          'Listings (`resources/list`, `resources/templates/list`, `prompts/list`) merge every server, on one page, each item naming its server in `_meta["briefcase/server"]`; prompts are named like tools (`SERVER__prompt` unless the server was added without prefix). The others go to one server, decided by the policy (action `relay`), and leave an `mcp_relay` receipt; errors carry `details.receiptSeq`.',
        body: {
          type: 'object',
          properties: {
            method: { type: 'string', enum: [...AGENT_RELAY_METHODS] },
            params: { type: 'object' },
            ...BINDING_PROPERTIES,
          },
          required: ['method'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { result: { type: 'object', additionalProperties: true } },
            required: ['result'],
          },
          ...errorResponses(400, 401, 403, 404, 424, 500, 502),
        },
      },
    },
    async (request, reply) => {
      const body = request.body as {
        method: AgentRelayMethod;
        params?: Record<string, unknown>;
        channel?: string;
        ref?: string;
        progress?: boolean;
      };
      // The upstream request stops when the caller goes away (the agent cancelled it).
      const gone = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      const binding = bindingOf(deps.channels, body);
      const traced = callerTraceContext(request.headers);
      let result: Record<string, unknown>;
      try {
        result = await context.with(traced, () =>
          deps.relay.request(body.method, body.params ?? {}, {
            agent: DEFAULT_AGENT,
            signal: gone.signal,
            ...(binding ? { binding } : {}),
          }),
        );
      } finally {
        deps.channels.end(binding);
      }
      if (gone.signal.aborted) throw new BriefcaseError('upstream_error', 'The request was cancelled.');
      return reply.send({ result });
    },
  );
}
