import { randomBytes } from 'node:crypto';
import { BriefcaseError, type ChannelAnswer, type ChannelEvent } from '@briefcase/core';

/**
 * What an agent's MCP client can answer, as the gateway saw it in `initialize`: a server's request
 * for a capability the client lacks is refused here rather than sent to a client that cannot answer.
 */
export interface ChannelCapabilities {
  sampling: boolean;
  elicitation: boolean;
  roots: boolean;
}

export type { ChannelAnswer, ChannelEvent };

/** Ties one call or relayed request to the channel of the gateway session it came from. */
export interface ChannelBinding {
  channel: string;
  /** The gateway's reference for this request: its progress events and its `end` event carry it. */
  ref?: string;
  /** The agent asked for progress: the server is asked for it and it goes down the channel. */
  progress?: boolean;
}

interface Pending {
  resolve: (answer: ChannelAnswer) => void;
  reject: (error: Error) => void;
}

interface Channel {
  id: string;
  capabilities: ChannelCapabilities;
  send: (event: ChannelEvent) => void;
  pending: Map<string, Pending>;
  /** `server \0 uri` pairs this session subscribed to. */
  subscriptions: Set<string>;
}

/** Longest a server's request to the agent's client may wait for its answer. */
export const MAX_CLIENT_REQUEST_MS = 10 * 60_000;

const CAPABILITY_OF: Readonly<Record<string, keyof ChannelCapabilities>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/**
 * Channels: one per gateway session (one agent connection), over which briefcased reaches the agent's
 * MCP client. A remote server's sampling, elicitation and roots requests, its log and resource
 * notifications, and progress of a request all travel down a channel; the gateway answers requests
 * with {@link ChannelHub.answer}.
 *
 * Upstream sessions are pooled across agents, and MCP does not say which of our requests a server's
 * request belongs to, so a server's request goes to the one channel with requests in flight on that
 * server, and is refused when there is none or more than one: it never reaches a session that did
 * not ask that server for anything.
 */
export function createChannelHub(options: { scrub?: (text: string) => string } = {}) {
  const scrub = options.scrub ?? ((text: string) => text);
  const channels = new Map<string, Channel>();
  /** server → channel → number of requests in flight. */
  const inFlight = new Map<string, Map<string, number>>();
  let nextRequest = 0;

  function open(capabilities: ChannelCapabilities, send: (event: ChannelEvent) => void): string {
    const id = randomBytes(16).toString('base64url');
    channels.set(id, { id, capabilities, send, pending: new Map(), subscriptions: new Set() });
    send({ type: 'channel', id });
    return id;
  }

  /** Closes a channel; its pending requests fail. Returns its subscriptions so they can be released. */
  function close(id: string): Array<{ server: string; uri: string }> {
    const channel = channels.get(id);
    if (!channel) return [];
    channels.delete(id);
    for (const pending of channel.pending.values()) {
      pending.reject(new BriefcaseError('upstream_error', "The agent's session closed before it answered."));
    }
    return [...channel.subscriptions].map((key) => {
      const [server = '', uri = ''] = key.split('\0');
      return { server, uri };
    });
  }

  const has = (id: string | undefined): boolean => id !== undefined && channels.has(id);

  /** Counts a request to `server` as in flight for `channel` until the returned function is called. */
  function track(server: string, channel: string | undefined): () => void {
    if (channel === undefined || !channels.has(channel)) return () => undefined;
    const byChannel = inFlight.get(server) ?? new Map<string, number>();
    inFlight.set(server, byChannel);
    byChannel.set(channel, (byChannel.get(channel) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (byChannel.get(channel) ?? 1) - 1;
      if (left > 0) byChannel.set(channel, left);
      else byChannel.delete(channel);
      if (byChannel.size === 0 && inFlight.get(server) === byChannel) inFlight.delete(server);
    };
  }

  /** The open channels with requests in flight on `server`. */
  function activeOn(server: string): Channel[] {
    return [...(inFlight.get(server)?.keys() ?? [])]
      .map((id) => channels.get(id))
      .filter((c) => c !== undefined);
  }

  /**
   * Picks the channel a server's request goes to, or explains why there is none.
   * @throws BriefcaseError `upstream_error` with a message for the server and the receipt
   */
  function route(server: string, method: string): string {
    const candidates = activeOn(server);
    if (candidates.length !== 1) {
      throw new BriefcaseError(
        'upstream_error',
        candidates.length === 0
          ? `${method} can only be sent while a request of the agent to this server is in progress.`
          : `${method} is refused: requests from several agent sessions to this server are in progress, so its target is ambiguous.`,
      );
    }
    const channel = candidates[0] as Channel;
    const capability = CAPABILITY_OF[method];
    if (capability === undefined || !channel.capabilities[capability]) {
      throw new BriefcaseError('upstream_error', `The agent's MCP client does not support ${method}.`);
    }
    return channel.id;
  }

  /** Sends a server's request down `channelId` and waits for the agent's answer. */
  function ask(
    channelId: string,
    server: string,
    method: string,
    params: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<ChannelAnswer> {
    const channel = channels.get(channelId);
    if (!channel) {
      return Promise.reject(new BriefcaseError('upstream_error', "The agent's session is gone."));
    }
    nextRequest += 1;
    const id = `r${nextRequest}`;
    return new Promise<ChannelAnswer>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        channel.pending.delete(id);
      };
      const onAbort = () => {
        finish();
        channel.send({ type: 'cancel', id });
        reject(new BriefcaseError('upstream_error', `The server cancelled its ${method} request.`));
      };
      const timer = setTimeout(() => {
        finish();
        channel.send({ type: 'cancel', id });
        reject(new BriefcaseError('upstream_error', `The agent's client did not answer ${method} in time.`));
      }, MAX_CLIENT_REQUEST_MS);
      timer.unref();
      channel.pending.set(id, {
        resolve: (answer) => {
          finish();
          resolve(answer);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      });
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      channel.send({ type: 'request', id, server, method, params });
    });
  }

  /**
   * Delivers the agent's answer to a pending request.
   * @throws BriefcaseError `not_found` when the channel or request is unknown (answered, cancelled, expired)
   */
  function answer(channelId: string, requestId: string, reply: ChannelAnswer): void {
    const pending = channels.get(channelId)?.pending.get(requestId);
    if (!pending) {
      throw new BriefcaseError(
        'not_found',
        'No such pending request: it was answered, cancelled, or its session closed.',
      );
    }
    pending.resolve(reply);
  }

  /** Sends a notification to every channel `to` selects. */
  function notify(
    to: (channel: Channel) => boolean,
    event: Extract<ChannelEvent, { type: 'notification' }>,
  ): void {
    for (const channel of channels.values()) if (to(channel)) channel.send(event);
  }

  /** A server's log message: to the sessions with requests in flight on it, else to every session. */
  function notifyLog(server: string, params: Record<string, unknown>): void {
    const active = new Set(activeOn(server).map((c) => c.id));
    notify((c) => active.size === 0 || active.has(c.id), {
      type: 'notification',
      server,
      method: 'notifications/message',
      params,
    });
  }

  /** A resource changed: to the sessions that subscribed to it on that server. */
  function notifyUpdated(server: string, uri: string): void {
    const key = `${server}\0${uri}`;
    notify((c) => c.subscriptions.has(key), {
      type: 'notification',
      server,
      method: 'notifications/resources/updated',
      params: { uri },
    });
  }

  /** A list changed (resources, prompts or tools): to every session. */
  function notifyListChanged(server: string, method: string): void {
    notify(() => true, { type: 'notification', server, method, params: {} });
  }

  /** A progress listener for `binding`, or undefined when the agent asked for no progress. */
  function progressSink(binding: ChannelBinding | undefined) {
    const ref = binding?.ref;
    if (binding === undefined || ref === undefined || !binding.progress) return undefined;
    return (p: { progress: number; total?: number; message?: string }) =>
      channels.get(binding.channel)?.send({
        type: 'progress',
        ref,
        progress: p.progress,
        ...(p.total === undefined ? {} : { total: p.total }),
        ...(p.message === undefined ? {} : { message: scrub(p.message) }),
      });
  }

  /**
   * Marks the end of the request `binding` stands for, after everything it sent down the channel.
   * The channel and the response travel on different connections; the gateway waits for this event
   * after the response, so that every progress and log message of the request reaches the agent
   * before its result.
   */
  function end(binding: ChannelBinding | undefined): void {
    if (binding?.ref === undefined) return;
    channels.get(binding.channel)?.send({ type: 'end', ref: binding.ref });
  }

  /** Records a subscription of `channelId`; returns true when it is the first on `server` for `uri`. */
  function subscribe(channelId: string, server: string, uri: string): boolean {
    const key = `${server}\0${uri}`;
    const channel = channels.get(channelId);
    if (!channel) {
      throw new BriefcaseError('invalid_args', 'Subscribing needs the open channel of an agent session.');
    }
    const first = ![...channels.values()].some((c) => c.subscriptions.has(key));
    channel.subscriptions.add(key);
    return first;
  }

  /** Drops a subscription of `channelId`; returns true when no session is subscribed any more. */
  function unsubscribe(channelId: string, server: string, uri: string): boolean {
    const key = `${server}\0${uri}`;
    channels.get(channelId)?.subscriptions.delete(key);
    return ![...channels.values()].some((c) => c.subscriptions.has(key));
  }

  /** True while some session is subscribed to `uri` on `server`. */
  function isSubscribed(server: string, uri: string): boolean {
    const key = `${server}\0${uri}`;
    return [...channels.values()].some((c) => c.subscriptions.has(key));
  }

  return {
    open,
    isSubscribed,
    close,
    has,
    track,
    route,
    ask,
    answer,
    notifyLog,
    notifyUpdated,
    notifyListChanged,
    progressSink,
    end,
    subscribe,
    unsubscribe,
    /** How many channels are open (for status and tests). */
    size: () => channels.size,
  };
}

/** The channel hub of a daemon. */
export type ChannelHub = ReturnType<typeof createChannelHub>;
