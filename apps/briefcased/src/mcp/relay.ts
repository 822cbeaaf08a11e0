import type { AGENT_RELAY_METHODS } from '@briefcase/api';
import { BriefcaseError, canonicalHash, denialSource, isBriefcaseError, isRecord } from '@briefcase/core';
import type { UpstreamPool, UpstreamServerConfig, UpstreamServerRequest } from '@briefcase/mcp-upstream';
import type { CompiledPolicy } from '@briefcase/policy';
import {
  ErrorCode as JsonRpcErrorCode,
  ListRootsResultSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpServerRecord } from '../db/mcp.js';
import { type Action, type ActionPlan, DEFAULT_AGENT } from '../kernel/action.js';
import { hasReceipt, type Kernel } from '../kernel/enforce.js';
import type { ReceiptFields } from '../kernel/receipt-writer.js';
import { redactResult } from '../pipeline/redact.js';
import { traceContextMeta } from '../trace-context.js';
import type { ChannelBinding, ChannelHub } from './channels.js';
import { createRelayDirectory, printable } from './relay-directory.js';

/** One of the contract's {@link AGENT_RELAY_METHODS}: what an agent may ask besides tools. */
export type AgentRelayMethod = (typeof AGENT_RELAY_METHODS)[number];

export interface RelayDeps {
  /** Every relayed request that reaches one server is enforced, and receipted, by the kernel. */
  kernel: Kernel;
  pool: UpstreamPool;
  channels: ChannelHub;
  policy: () => CompiledPolicy;
  /** Registered servers, in registration order. */
  servers: () => McpServerRecord[];
  configFor: (server: McpServerRecord) => Promise<UpstreamServerConfig>;
  knownSecrets: () => readonly string[];
  maxResultBytes: number;
  /** How long listings of resources, templates and prompts are reused (list_changed clears them). */
  listingTtlMs: number;
  log: { warn(fields: object, msg: string): void };
}

/** Per-request options of {@link Relay.request}. */
export interface RelayRequestOptions {
  agent: string;
  binding?: ChannelBinding;
  signal?: AbortSignal;
}

const MAX_TARGET_IN_RECEIPT = 512;
/** The `server` of a listing's receipt: it asked every server. */
const ALL_SERVERS = '*';
/** Why a listing as a whole is allowed: each server's part was decided on its own. */
const PER_SERVER_LISTING = {
  stage: 'relay',
  id: 'relay:per-server-listing',
  message: "each server's listing is decided by the policy on its own",
};

/**
 * The relay of MCP requests other than tool calls between the agent and remote servers: resources,
 * templates, subscriptions, prompts and completion from the agent; sampling, elicitation and roots
 * from a server to the agent's client; and the servers' notifications. Every request that reaches
 * one server, in either direction, is decided by the policy (`relay` action) and leaves one receipt
 * (`kind: "mcp_relay"`), written before its answer is passed on.
 */
export function createRelay(deps: RelayDeps) {
  const { pool, channels } = deps;
  const directory = createRelayDirectory({
    ...deps,
    allowed: (agent, server, method) => decide(agent, server, method, '', {}).kind === 'allow',
  });
  const { capabilities, listAll, promptCatalog, serverForUri, withServer, forgetListings } = directory;

  function decide(agent: string, server: string, method: string, target: string, params: unknown) {
    return deps.policy().evaluateRelay({
      agent,
      server,
      method,
      target,
      paramsBytes: Buffer.byteLength(JSON.stringify(params ?? {})),
    });
  }

  /** The receipt fields of a relayed request before its server is known. */
  const relayFields = (
    method: string,
    direction: 'to_server' | 'to_client',
    params: unknown,
  ): ReceiptFields => ({
    server: '',
    method,
    target: '',
    direction,
    paramsHash: canonicalHash(params ?? {}),
  });

  /**
   * A relayed request as a kernel action: its plan is the `relay` policy decision and one request.
   * A relayed request has no effect the daemon answers for beyond its answer (reads, prompts,
   * completion, a subscription), so it runs as `pure`: one receipt after it, no intent before.
   */
  function relayPlan(
    fields: ReceiptFields,
    agent: string,
    server: string,
    target: string,
    params: Record<string, unknown>,
    run: () => Promise<unknown>,
    redact: boolean,
  ): ActionPlan {
    const method = String(fields.method);
    Object.assign(fields, {
      server,
      target: target.slice(0, MAX_TARGET_IN_RECEIPT),
      paramsHash: canonicalHash(params),
    });
    return {
      decide: () => decide(agent, server, method, target, params),
      denialMessage: (reasons) =>
        `The policy does not allow ${method} on server ${server}: ${reasons.map((r) => r.message).join('; ')}.`,
      executor: { mode: 'pure', run },
      args: params,
      ...(redact ? { output: { label: `${server} ${method}`, allowlist: ['*'] } } : {}),
    };
  }

  /** Sends one request to one server through the kernel (policy, receipt, redaction); returns the redacted result. */
  async function forward(
    server: McpServerRecord,
    method: Exclude<AgentRelayMethod, 'resources/list' | 'resources/templates/list' | 'prompts/list'>,
    target: string,
    params: Record<string, unknown>,
    opts: RelayRequestOptions,
    send = true,
  ): Promise<Record<string, unknown>> {
    const action: Action = {
      kind: 'mcp_relay',
      fields: relayFields(method, 'to_server', params),
      prepare: (fields) =>
        relayPlan(
          fields,
          opts.agent,
          server.name,
          target,
          params,
          () => (send ? ask() : Promise.resolve({})),
          true,
        ),
    };
    const ask = async () => {
      const done = channels.track(server.name, opts.binding?.channel);
      try {
        const meta = traceContextMeta();
        const progress = channels.progressSink(opts.binding);
        return await pool.request(await deps.configFor(server), method, params, {
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(meta ? { meta } : {}),
          ...(progress ? { onProgress: progress } : {}),
        });
      } catch (error) {
        throw isBriefcaseError(error)
          ? error
          : new BriefcaseError('upstream_error', `Server ${server.name} failed to answer ${method}.`);
      } finally {
        done();
      }
    };
    const caller = { role: 'agent', agent: opts.agent } as const;
    return (await deps.kernel.enforce(action, caller, opts.signal ? { signal: opts.signal } : {}))
      .value as Record<string, unknown>;
  }

  function stringParam(params: Record<string, unknown>, name: string, max = 8192): string {
    const value = params[name];
    if (typeof value !== 'string' || value.length === 0 || value.length > max) {
      throw new BriefcaseError('invalid_args', `params.${name} must be a string of 1 to ${max} characters.`);
    }
    return value;
  }

  async function subscription(
    method: 'resources/subscribe' | 'resources/unsubscribe',
    params: Record<string, unknown>,
    opts: RelayRequestOptions,
  ): Promise<Record<string, unknown>> {
    const uri = stringParam(params, 'uri');
    const channel = opts.binding?.channel;
    if (channel === undefined || !channels.has(channel)) {
      throw new BriefcaseError('invalid_args', 'Subscriptions need the open channel of an agent session.');
    }
    const server = await serverForUri(uri, opts.agent);
    if (method === 'resources/subscribe') {
      if (!(await capabilities(server)).resources?.subscribe) {
        throw new BriefcaseError(
          'invalid_args',
          `Server ${server.name} does not support resource subscriptions.`,
        );
      }
      const first = channels.subscribe(channel, server.name, uri);
      try {
        await forward(server, method, uri, { uri }, opts, first);
      } catch (error) {
        // Nothing was subscribed upstream (denied, or the server refused): only the note goes.
        channels.unsubscribe(channel, server.name, uri);
        throw error;
      }
      return {};
    }
    const last = channels.unsubscribe(channel, server.name, uri);
    await forward(server, method, uri, { uri }, opts, last);
    return {};
  }

  /** Unsubscribes upstream once no session wants a resource any more (best effort). */
  async function release(server: McpServerRecord, uri: string): Promise<void> {
    try {
      await pool.request(await deps.configFor(server), 'resources/unsubscribe', { uri });
    } catch {
      // the session may be gone, which ends the subscription too
    }
  }

  async function complete(params: Record<string, unknown>, opts: RelayRequestOptions) {
    const ref = params.ref;
    if (!isRecord(ref)) throw new BriefcaseError('invalid_args', 'params.ref must be an object.');
    if (ref.type === 'ref/prompt') {
      const name = stringParam(ref, 'name', 256);
      const entry = (await promptCatalog(opts.agent)).get(name);
      if (!entry) throw new BriefcaseError('not_found', `No prompt is named ${printable(name)}.`);
      return forward(
        entry.server,
        'completion/complete',
        entry.upstream,
        {
          ...params,
          ref: { ...ref, name: entry.upstream },
        },
        opts,
      );
    }
    if (ref.type === 'ref/resource') {
      const uri = stringParam(ref, 'uri');
      const owners = (await listAll('resourceTemplates', opts.agent)).filter(({ items }) =>
        items.some((t) => t.uriTemplate === uri),
      );
      const server =
        owners.length === 1
          ? (owners[0] as { server: McpServerRecord }).server
          : await serverForUri(uri, opts.agent);
      return forward(server, 'completion/complete', uri, params, opts);
    }
    throw new BriefcaseError('invalid_args', 'params.ref.type must be "ref/prompt" or "ref/resource".');
  }

  /**
   * Answers one agent request from {@link AGENT_RELAY_METHODS}. Listings merge every server's
   * (one page, each item's `_meta["briefcase/server"]` naming its server); the rest go to one server.
   */
  async function request(
    method: AgentRelayMethod,
    params: Record<string, unknown>,
    opts: RelayRequestOptions,
  ): Promise<Record<string, unknown>> {
    const caller = { role: 'agent', agent: opts.agent } as const;
    if (method.endsWith('/list')) {
      // A listing asks every server, each decided by the policy on its own (a server the policy
      // keeps out is left out); the request as a whole is one attempt with one receipt, server "*".
      const listing: Action = {
        kind: 'mcp_relay',
        fields: relayFields(method, 'to_server', params),
        prepare: (fields): ActionPlan => {
          fields.server = ALL_SERVERS;
          if (params.cursor !== undefined) {
            throw new BriefcaseError(
              'invalid_args',
              'Unknown cursor: briefcased returns every item on one page.',
            );
          }
          return {
            decide: () => ({ kind: 'allow', reasons: [PER_SERVER_LISTING] }),
            denialMessage: () => '',
            executor: { mode: 'pure', run: () => dispatch(method, params, opts) },
            args: params,
          };
        },
      };
      const signal = opts.signal ? { signal: opts.signal } : {};
      return (await deps.kernel.enforce(listing, caller, signal)).value as Record<string, unknown>;
    }
    try {
      return await dispatch(method, params, opts);
    } catch (error) {
      // A request refused before it reached the kernel (bad params, no server owns the URI) is an
      // attempt too: it leaves its receipt here.
      if (!isBriefcaseError(error) || hasReceipt(error)) throw error;
      const refused: Action = {
        kind: 'mcp_relay',
        fields: relayFields(method, 'to_server', params),
        prepare: () => {
          throw error;
        },
      };
      throw await deps.kernel.recordRejected(refused, caller, error);
    }
  }

  async function dispatch(
    method: AgentRelayMethod,
    params: Record<string, unknown>,
    opts: RelayRequestOptions,
  ): Promise<Record<string, unknown>> {
    switch (method) {
      case 'resources/list':
      case 'resources/templates/list': {
        const kind = method === 'resources/list' ? 'resources' : 'resourceTemplates';
        const all = (await listAll(kind, opts.agent)).flatMap(({ server, items }) =>
          items.map((item) => withServer(item, server.name)),
        );
        return { [kind]: all };
      }
      case 'prompts/list':
        return { prompts: [...(await promptCatalog(opts.agent)).values()].map((p) => p.item) };
      case 'prompts/get': {
        const name = stringParam(params, 'name', 256);
        let entry = (await promptCatalog(opts.agent)).get(name);
        if (!entry) {
          forgetListings('prompts');
          entry = (await promptCatalog(opts.agent)).get(name);
        }
        if (!entry) throw new BriefcaseError('not_found', `No prompt is named ${printable(name)}.`);
        return forward(entry.server, method, entry.upstream, { ...params, name: entry.upstream }, opts);
      }
      case 'resources/read': {
        const uri = stringParam(params, 'uri');
        return forward(await serverForUri(uri, opts.agent), method, uri, params, opts);
      }
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return subscription(method, params, opts);
      case 'completion/complete':
        return complete(params, opts);
    }
  }

  /** A server asks the agent's client (sampling, elicitation, roots): through the kernel, then routed. */
  async function onServerRequest(
    serverName: string,
    request: UpstreamServerRequest,
    ctx: { signal: AbortSignal },
  ): Promise<Record<string, unknown>> {
    const { method } = request;
    // A server could echo the values it was given with --env into what it asks the client.
    let params: Record<string, unknown>;
    try {
      params = redactResult(
        `${serverName} ${method}`,
        request.params ?? {},
        ['*'],
        deps.maxResultBytes,
        deps.knownSecrets(),
      ).value as Record<string, unknown>;
    } catch {
      throw new McpError(JsonRpcErrorCode.InvalidParams, `The ${method} request is too large to relay.`);
    }
    const action: Action = {
      kind: 'mcp_relay',
      fields: relayFields(method, 'to_client', params),
      prepare: (fields) =>
        relayPlan(
          fields,
          DEFAULT_AGENT,
          serverName,
          '',
          params,
          () => askClient(serverName, method, params, ctx.signal),
          false,
        ),
    };
    try {
      const caller = { role: 'agent', agent: DEFAULT_AGENT } as const;
      return (await deps.kernel.enforce(action, caller, { signal: ctx.signal })).value as Record<
        string,
        unknown
      >;
    } catch (error) {
      if (!isBriefcaseError(error)) throw error;
      if (error.code === 'denied') {
        // Refused by the policy, unless the daemon refuses everything (a broken receipt chain).
        throw new McpError(
          JsonRpcErrorCode.InvalidRequest,
          denialSource(error.details) === 'receipts'
            ? error.message
            : `The user's policy does not allow ${method} from this server.`,
        );
      }
      const rpcCode = (error.details as { rpcCode?: unknown } | undefined)?.rpcCode;
      throw new McpError(
        typeof rpcCode === 'number' ? rpcCode : JsonRpcErrorCode.InternalError,
        error.message,
      );
    }
  }

  /** Routes a server's request to the one agent session that can answer it, and checks the answer. */
  async function askClient(
    serverName: string,
    method: string,
    params: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const fail = (rpcCode: number, message: string, id: string): never => {
      throw new BriefcaseError('upstream_error', message, {
        details: { rpcCode, receiptReason: { stage: 'relay', id, message } },
      });
    };
    let channel: string;
    try {
      channel = channels.route(serverName, method);
    } catch (error) {
      return fail(JsonRpcErrorCode.InvalidRequest, (error as Error).message, 'relay:no-session');
    }
    let answer: Awaited<ReturnType<ChannelHub['ask']>>;
    try {
      answer = await channels.ask(channel, serverName, method, params, signal);
    } catch (error) {
      return fail(JsonRpcErrorCode.InternalError, (error as Error).message, 'relay:no-answer');
    }
    if ('error' in answer) {
      return fail(answer.error.code, answer.error.message.slice(0, 1024), 'relay:client-error');
    }
    if (method === 'roots/list' && !ListRootsResultSchema.safeParse(answer.result).success) {
      return fail(
        JsonRpcErrorCode.InternalError,
        "The agent's client answered roots/list with a malformed result.",
        'relay:malformed',
      );
    }
    return answer.result;
  }

  /** A server's notification: logs and resource updates go to the sessions concerned, list changes to all. */
  function onServerNotification(server: string, notification: UpstreamServerRequest): void {
    const params = notification.params ?? {};
    switch (notification.method) {
      case 'notifications/message': {
        let safe: Record<string, unknown>;
        try {
          safe = redactResult(`${server} log`, params, ['*'], deps.maxResultBytes, deps.knownSecrets())
            .value as Record<string, unknown>;
        } catch {
          return; // too large or too deep to pass on
        }
        const logger = typeof safe.logger === 'string' ? `${server}/${safe.logger}` : server;
        channels.notifyLog(server, { ...safe, logger });
        return;
      }
      case 'notifications/resources/updated':
        if (typeof params.uri === 'string') channels.notifyUpdated(server, params.uri);
        return;
      case 'notifications/resources/list_changed':
        forgetListings('resources', server);
        forgetListings('resourceTemplates', server);
        channels.notifyListChanged(server, notification.method);
        return;
      case 'notifications/prompts/list_changed':
        forgetListings('prompts', server);
        channels.notifyListChanged(server, notification.method);
        return;
    }
  }

  /** Closes a gateway session's channel and releases the subscriptions only it held. */
  function closeChannel(id: string): void {
    for (const { server, uri } of channels.close(id)) {
      if (channels.isSubscribed(server, uri)) continue;
      const record = deps.servers().find((s) => s.name === server);
      if (record) void release(record, uri);
    }
  }

  /** Forgets what is cached about a server (it was removed, changed or reconnected). */
  const forgetServer = directory.forgetServer;

  return { request, onServerRequest, onServerNotification, closeChannel, forgetServer };
}

/** The relay of a daemon. */
export type Relay = ReturnType<typeof createRelay>;
