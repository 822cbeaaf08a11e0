import { Type } from '../type.js';

/** Body members binding a request to its agent session's channel (tools/call and the relay). */
export const BINDING_PROPERTIES = {
  channel: Type.Optional(
    Type.String({
      maxLength: 64,
      description:
        "The agent session's channel (`GET /v1/mcp/channel`): a remote server's progress, sampling, elicitation and roots requests during this request go there. An unknown channel is ignored.",
    }),
  ),
  ref: Type.Optional(
    Type.String({
      maxLength: 64,
      description:
        "The caller's reference for this request: its `progress` events and its `end` event (sent on the channel just before the response) carry it.",
    }),
  ),
  progress: Type.Optional(
    Type.Boolean({
      description: 'Ask the remote server for progress, sent as `progress` events on the channel.',
    }),
  ),
};
