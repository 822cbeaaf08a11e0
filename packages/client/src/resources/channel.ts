import {
  type BodyOf,
  CHANNEL_CAPABILITIES,
  CHANNEL_EVENT_TYPES,
  ChannelEvent,
  compileCheck,
  relay,
} from '@briefcase/api';
import { type DaemonHttp, pathSegment, unexpected } from '../daemon-http.js';
import { eventData, readEventStream } from '../event-stream.js';
import { traceContextFromMeta } from '../trace-context.js';
import type {
  ChannelAnswer,
  ChannelCapabilities,
  ChannelEvent as ChannelEventView,
  RelayMethod,
} from '../types.js';
import type { RelayOptions, RequestOptions } from './options.js';

/** An agent session's side of the daemon: its channel, the answers sent up it, and the MCP relay. */
export interface ChannelMethods {
  /**
   * Opens an agent session's channel and delivers its events until `signal` aborts or the daemon
   * closes it; the first event is `{type: "channel", id}`. Resolves when the stream ends.
   */
  openChannel(
    capabilities: ChannelCapabilities,
    onEvent: (event: ChannelEventView) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Answers a `request` event of a channel; `not_found` when it was answered, cancelled or expired. */
  answerChannelRequest(
    channel: string,
    id: string,
    answer: ChannelAnswer,
    options?: RequestOptions,
  ): Promise<void>;
  /** Sends an MCP request other than tools to the remote servers; returns its (redacted) MCP result. */
  relay(
    method: RelayMethod,
    params: Record<string, unknown>,
    options?: RelayOptions,
  ): Promise<Record<string, unknown>>;
}

const channelEvent = compileCheck(ChannelEvent);
const relayed = compileCheck(relay.schema.response[200]);

export function channelMethods(http: DaemonHttp): ChannelMethods {
  return {
    async openChannel(capabilities, onEvent, signal) {
      const asked = CHANNEL_CAPABILITIES.filter((c) => capabilities[c]);
      const route = 'GET /v1/mcp/channel';
      const path = `/v1/mcp/channel?capabilities=${asked.join(',')}`;
      const res = await http.openEventStream({ method: 'GET', path, signal });
      if (res === undefined) return;
      await readEventStream(http, res, signal, (event) => {
        if (!CHANNEL_EVENT_TYPES.has(event.event)) return; // future event kinds: ignore
        const data = eventData(route, event);
        if (typeof data !== 'object' || data === null) {
          throw unexpected(route, `${event.event} event data is not an object`);
        }
        const typed = { ...data, type: event.event };
        if (!channelEvent(typed)) {
          throw unexpected(route, `malformed ${event.event} event: ${channelEvent.firstError(typed)}`);
        }
        onEvent(typed);
      });
    },

    answerChannelRequest: (channel, id, answer, opts = {}) =>
      http.noContent({
        method: 'POST',
        path: `/v1/mcp/channel/${pathSegment(channel, 'channel id')}/answers/${pathSegment(id, 'request id')}`,
        body: answer,
        signal: opts.signal,
      }),

    async relay(method, params, opts = {}) {
      const request: BodyOf<typeof relay> = { method, params };
      if (opts.channel !== undefined) request.channel = opts.channel;
      if (opts.ref !== undefined) request.ref = opts.ref;
      if (opts.progress !== undefined) request.progress = opts.progress;
      const req = {
        method: 'POST',
        path: '/v1/mcp/relay',
        body: request,
        signal: opts.signal,
        headers: traceContextFromMeta(opts),
      } as const;
      return (await http.json(req, relayed)).result;
    },
  };
}
