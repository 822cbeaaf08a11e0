import { defineRoute, errorResponses } from '../route.js';
import { JsonObject, OneOf, StringEnum } from '../schema-kit.js';
import { type Static, Type } from '../type.js';
import { BINDING_PROPERTIES } from './binding.js';

/** The MCP requests other than tools that the daemon relays for an agent. */
export const AGENT_RELAY_METHODS = [
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
] as const;

/** Client capabilities a channel relays requests for (the `capabilities` query, comma-separated). */
export const CHANNEL_CAPABILITIES = ['sampling', 'elicitation', 'roots'] as const;

const ID = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });

/** The agent's answer to a `request` channel event: an MCP result, or a JSON-RPC error. */
export const ChannelAnswer = OneOf([
  Type.Object({ result: JsonObject() }, { additionalProperties: false }),
  Type.Object(
    {
      error: Type.Object(
        {
          code: Type.Integer(),
          message: Type.String({ maxLength: 4096 }),
          data: Type.Optional(Type.Unknown()),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
]);

/**
 * The events of an agent session's channel, as the client sees them: the SSE event name as `type`,
 * the JSON data as the other members. Everything but `type`, `id` and `ref` comes from a remote
 * server: hostile data.
 */
export const ChannelEvent = Type.Union([
  Type.Object({ type: Type.Literal('channel'), id: Type.String() }),
  Type.Object({
    type: Type.Literal('request'),
    id: Type.String(),
    server: Type.String(),
    method: Type.String(),
    params: JsonObject(),
  }),
  Type.Object({ type: Type.Literal('cancel'), id: Type.String() }),
  Type.Object({
    type: Type.Literal('notification'),
    server: Type.String(),
    method: Type.String(),
    params: JsonObject(),
  }),
  Type.Object({
    type: Type.Literal('progress'),
    ref: Type.String(),
    progress: Type.Number(),
    total: Type.Optional(Type.Number()),
    message: Type.Optional(Type.String()),
  }),
  Type.Object({ type: Type.Literal('end'), ref: Type.String() }),
]);

/** The SSE event names of a channel; a client ignores others (later additions). */
export const CHANNEL_EVENT_TYPES: ReadonlySet<string> = new Set<Static<typeof ChannelEvent>['type']>([
  'channel',
  'end',
  'request',
  'cancel',
  'notification',
  'progress',
]);

export const openChannel = defineRoute('GET', '/v1/mcp/channel', {
  summary: "Open an agent session's channel (Server-Sent Events)",
  description:
    'One per gateway session. First `event: channel` with `{"id"}`; then `end` (`{ref}`: the request with that ref is over, sent just before its response), `request` (`{id, server, method, params}`: a remote server asks the agent\'s client for sampling, elicitation or roots; answer with `POST /v1/mcp/channel/{channel}/answers/{id}`), `cancel` (`{id}`), `notification` (`{server, method, params}`: logs, resource updates, list changes) and `progress` (`{ref, progress, total?, message?}`). Closing the stream closes the channel and its subscriptions.',
  querystring: Type.Object(
    {
      capabilities: Type.Optional(
        Type.String({
          maxLength: 64,
          description: 'Comma-separated client capabilities to relay: sampling, elicitation, roots',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  produces: ['text/event-stream'],
  response: { 200: Type.String({ description: 'text/event-stream' }), ...errorResponses(400, 401) },
});

export const answerChannelRequest = defineRoute('POST', '/v1/mcp/channel/:channel/answers/:id', {
  summary: "Answer a remote server's request sent down a channel",
  params: Type.Object({ channel: ID, id: ID }),
  body: ChannelAnswer,
  response: { 204: Type.Null(), ...errorResponses(400, 401, 404) },
});

export const relay = defineRoute('POST', '/v1/mcp/relay', {
  summary: 'Send an MCP request other than tools to the remote servers',
  description:
    'Listings (`resources/list`, `resources/templates/list`, `prompts/list`) merge every server, on one page, each item naming its server in `_meta["briefcase/server"]`; prompts are named like tools (`SERVER__prompt` unless the server was added without prefix). The others go to one server, decided by the policy (action `relay`), and leave an `mcp_relay` receipt; errors carry `details.receiptSeq`.',
  body: Type.Object(
    {
      method: StringEnum(AGENT_RELAY_METHODS),
      params: Type.Optional(JsonObject()),
      ...BINDING_PROPERTIES,
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object({ result: JsonObject({ additionalProperties: true }) }),
    ...errorResponses(400, 401, 403, 404, 424, 500, 502),
  },
});
