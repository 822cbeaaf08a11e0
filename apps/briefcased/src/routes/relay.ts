import {
  answerChannelRequest,
  type BodyOf,
  CHANNEL_CAPABILITIES,
  openChannel,
  type ParamsOf,
  relay,
} from '@briefcase/api';
import { BriefcaseError } from '@briefcase/core';
import { context } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { ANY_ROLE } from '../auth.js';
import { DEFAULT_AGENT } from '../kernel/action.js';
import type { ChannelAnswer, ChannelBinding, ChannelEvent, ChannelHub } from '../mcp/channels.js';
import type { Relay } from '../mcp/relay.js';
import { callerTraceContext } from '../trace-context.js';
import { openSse, type SseStream } from './sse.js';

/** What the relay routes drive. */
export interface RelayRouteDeps {
  relay: Relay;
  channels: ChannelHub;
}

const CAPABILITIES = CHANNEL_CAPABILITIES;
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

/**
 * Registers the agent-facing relay: the channel a gateway session keeps open (server-sent events),
 * the answers to the requests sent down it, and the MCP requests other than tools. Both roles may use
 * them: they carry what an agent session may already do, and nothing here approves or configures.
 */
export function registerRelayRoutes(app: FastifyInstance, deps: RelayRouteDeps): void {
  app.get(
    openChannel.url,
    {
      config: { roles: ANY_ROLE },
      schema: openChannel.schema,
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
    answerChannelRequest.url,
    {
      config: { roles: ANY_ROLE },
      schema: answerChannelRequest.schema,
    },
    async (request, reply) => {
      const { channel, id } = request.params as ParamsOf<typeof answerChannelRequest>;
      deps.channels.answer(channel, id, request.body as ChannelAnswer);
      return reply.code(204).send();
    },
  );

  app.post(
    relay.url,
    {
      config: { roles: ANY_ROLE },
      schema: relay.schema,
    },
    async (request, reply) => {
      const body = request.body as BodyOf<typeof relay>;
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
