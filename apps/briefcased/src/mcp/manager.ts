import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AddMcpServerInput,
  BriefcaseError,
  isBriefcaseError,
  MAX_MCP_SERVER_NAME_LENGTH,
  type McpServerView,
  type ToolDefinition,
} from '@briefcase/core';
import {
  detectInstructionLikeText,
  isValidServerName,
  toolDefinitionHash,
  type UpstreamPool,
  type UpstreamServerConfig,
  type UpstreamTool,
  validateServerUrl,
} from '@briefcase/mcp-upstream';
import type { SecretStore } from '@briefcase/secrets';
import type { McpServerRecord, McpStore, McpToolDefinition, McpToolRecord, McpTransport } from '../db/mcp.js';
import type { ReceiptWriter } from '../kernel/receipt-writer.js';
import type { ToolRegistry } from '../tools/registry.js';
import type { ToolSpec } from '../tools/types.js';
import { traceContextMeta } from '../trace-context.js';
import type { ChannelHub } from './channels.js';
import { type LoginInput, type McpAuth, noAuthView } from './oauth.js';

/** The registry provider id under which every remote tool is published. */
export const MCP_PROVIDER_ID = 'mcp';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Bounds of a server's request timeout: the upstream pool's own (1 ms to 10 minutes). */
const TIMEOUT_MS = { min: 1, max: 600_000 };
/** Top-level fields of an MCP CallToolResult that may leave the daemon. */
const RESULT_FIELDS = ['content', 'structuredContent', 'isError'];

/** What `POST /v1/mcp/servers` takes. */
export type AddServerInput = AddMcpServerInput;

export interface McpManagerDeps {
  store: McpStore;
  pool: UpstreamPool;
  secrets: SecretStore;
  registry: ToolRegistry;
  /** The one receipt writer: every change this manager makes is receipted through it. */
  writer: ReceiptWriter;
  /** Parent of the per-server working directories of stdio servers (outside the data dir). */
  scratchDir: string;
  clock: () => Date;
  log: { warn(fields: object, msg: string): void; error(fields: object, msg: string): void };
  /** Agent sessions: a call's progress and the server's requests to the client go to its session. */
  channels?: ChannelHub;
  /** Called after a server's cached state may be stale (refreshed, reviewed, removed). */
  onServerChanged?: (server: string) => void;
  /** OAuth of remote servers (absent: no server can sign in). */
  auth?: McpAuth;
}

const envSecretId = (server: string, name: string) => `mcp.${server}.env.${name}`;
const catalogName = (server: McpServerRecord, tool: string) =>
  server.prefix ? `${server.name}__${tool}` : tool;
/** The pool's `timeoutMs` for a server: absent when it keeps the default, so the pooled config is unchanged. */
const timeoutOf = (server: McpServerRecord) =>
  server.timeoutMs === null ? {} : { timeoutMs: server.timeoutMs };

function asDefinition(tool: UpstreamTool): McpToolDefinition {
  return {
    name: tool.name,
    ...(tool.title !== undefined ? { title: tool.title } : {}),
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    inputSchema: tool.inputSchema as Record<string, unknown>,
    ...(tool.outputSchema !== undefined
      ? { outputSchema: tool.outputSchema as Record<string, unknown> }
      : {}),
    ...(tool.annotations !== undefined ? { annotations: tool.annotations } : {}),
  };
}

const flagsOf = (tool: UpstreamTool) => detectInstructionLikeText(tool);

/**
 * Remote MCP servers behind briefcased: registration, tool pinning and quarantine, and the catalog
 * entries through which their tools go down the same pipeline as built-in ones.
 */
export function createMcpManager(deps: McpManagerDeps) {
  const { store, pool, secrets, registry, writer, clock, log } = deps;
  const authRequired = new Set<string>();
  /** Environment values handed to each stdio server: its tools could echo them, so results are scrubbed of them. */
  const handedOut = new Map<string, string[]>();

  async function configFor(server: McpServerRecord): Promise<UpstreamServerConfig> {
    if (server.transport === 'stdio') {
      const env: Record<string, string> = {};
      for (const name of server.envNames) {
        const value = await secrets.get(envSecretId(server.name, name));
        if (value !== null) env[name] = value.reveal();
      }
      handedOut.set(server.name, Object.values(env));
      const cwd = join(deps.scratchDir, server.name);
      mkdirSync(cwd, { recursive: true, mode: 0o700 });
      return {
        name: server.name,
        transport: 'stdio',
        command: server.command ?? [],
        env,
        cwd,
        ...timeoutOf(server),
      };
    }
    return { name: server.name, transport: server.transport, url: server.url ?? '', ...timeoutOf(server) };
  }

  function toolSpec(server: McpServerRecord, record: McpToolRecord): ToolSpec | undefined {
    const pinned = record.pinned;
    if (record.state !== 'active' || pinned === null) return undefined;
    const readOnly = server.trustAnnotations && pinned.annotations?.readOnlyHint === true;
    const definition: ToolDefinition = {
      name: catalogName(server, record.tool),
      description: pinned.description ?? pinned.title ?? `Tool ${record.tool} of MCP server ${server.name}`,
      inputSchema: pinned.inputSchema,
      ...(pinned.outputSchema ? { outputSchema: pinned.outputSchema } : {}),
      category: 'mcp',
      // A server's own read-only hint is only believed when a person said to trust it.
      effect: readOnly ? 'read' : 'write',
      costMicroUsd: server.costMicroUsd,
      outputAllowlist: RESULT_FIELDS,
      source: { kind: 'mcp', server: server.name, upstreamName: record.tool },
    };
    return {
      definition,
      executor: {
        mode: 'external',
        auth: () => deps.auth?.receiptAuth(server.name),
        run: async (args, ctx) => {
          const current = store.server(server.name);
          if (!current) throw new BriefcaseError('not_found', `MCP server ${server.name} was removed.`);
          const config = await configFor(current);
          await assertUnchanged(current, record.tool, config);
          // The remote server continues this call's trace (MCP carries W3C trace context in `_meta`).
          const meta = traceContextMeta();
          const progress = deps.channels?.progressSink(ctx.binding);
          const done = deps.channels?.track(server.name, ctx.binding?.channel);
          try {
            return await pool.callTool(config, record.tool, args, {
              signal: ctx.signal,
              ...(meta === undefined ? {} : { meta }),
              ...(progress === undefined ? {} : { onProgress: progress }),
            });
          } finally {
            done?.();
          }
        },
      },
    };
  }

  /** Republishes the catalog from the pinned definitions: the agent sees exactly what was reviewed. */
  function publish() {
    const specs: ToolSpec[] = [];
    for (const server of store.servers()) {
      for (const record of store.tools(server.name)) {
        const spec = toolSpec(server, record);
        if (spec) specs.push(spec);
      }
    }
    for (const { tool, why } of registry.replace(MCP_PROVIDER_ID, specs)) {
      log.warn({ tool, why }, 'remote tool left out of the catalog');
    }
    deps.channels?.notifyListChanged('', 'notifications/tools/list_changed');
  }

  /** A rug pull caught at call time: the live definition differs from the pinned one. */
  async function assertUnchanged(server: McpServerRecord, tool: string, config: UpstreamServerConfig) {
    if ((await pool.toolHash(config, tool)) === store.pinnedHash(server.name, tool)) return;
    const live = (await pool.listTools(config)).find((t) => t.name === tool);
    await reconcile(server, live ? [live] : [], { only: tool });
    throw new BriefcaseError(
      'denied',
      `The definition of ${tool} on MCP server ${server.name} changed since a person reviewed it, so it is quarantined until a person reviews it again.`,
      { details: { deniedBy: 'review', server: server.name } },
    );
  }

  /**
   * Compares live tools with the pins. Unchanged tools stay; changed and new ones are quarantined with
   * the live definition pending; tools that disappeared are dropped. `initial` pins everything (add).
   */
  async function reconcile(
    server: McpServerRecord,
    live: UpstreamTool[],
    options: { initial?: boolean; only?: string } = {},
  ) {
    const nowMs = clock().getTime();
    const changes: Array<{ tool: string; change: 'new' | 'changed' | 'removed' | 'restored' }> = [];
    // Read inside the commit: a concurrent reconcile of the same server sees this one's writes.
    await writer.commit((tx) => {
      const records = new Map(store.tools(server.name).map((r) => [r.tool, r]));
      for (const tool of live) {
        const hash = toolDefinitionHash(tool);
        const record = records.get(tool.name);
        const definition = asDefinition(tool);
        const flags = flagsOf(tool);
        if (options.initial) {
          store.saveTool(
            {
              server: server.name,
              tool: tool.name,
              state: 'active',
              pinnedHash: hash,
              pinned: definition,
              pendingHash: null,
              pending: null,
              flags,
            },
            nowMs,
          );
        } else if (!record) {
          changes.push({ tool: tool.name, change: 'new' });
          store.saveTool(
            {
              server: server.name,
              tool: tool.name,
              state: 'quarantined',
              pinnedHash: null,
              pinned: null,
              pendingHash: hash,
              pending: definition,
              flags,
            },
            nowMs,
          );
        } else if (record.pinnedHash === hash) {
          if (record.state !== 'active') {
            changes.push({ tool: tool.name, change: 'restored' });
            store.saveTool({ ...record, state: 'active', pendingHash: null, pending: null }, nowMs);
          }
        } else if (record.pendingHash !== hash || record.state !== 'quarantined') {
          changes.push({ tool: tool.name, change: 'changed' });
          store.saveTool(
            { ...record, state: 'quarantined', pendingHash: hash, pending: definition, flags },
            nowMs,
          );
        }
        records.delete(tool.name);
      }
      if (!options.only) {
        for (const gone of records.keys()) {
          changes.push({ tool: gone, change: 'removed' });
          store.removeTool(server.name, gone);
        }
      } else if (records.has(options.only) && !live.some((t) => t.name === options.only)) {
        const record = records.get(options.only) as McpToolRecord;
        changes.push({ tool: options.only, change: 'removed' });
        store.saveTool({ ...record, state: 'quarantined' }, nowMs);
      }
      if (changes.length > 0) {
        tx.append('mcp_tools_changed', { server: server.name, changes: changes.map((c) => ({ ...c })) });
      }
    });
    publish();
    return changes;
  }

  function view(server: McpServerRecord): McpServerView {
    const status = pool.status(server.name);
    const needsLogin = authRequired.has(server.name);
    const auth = deps.auth?.view(server.name, needsLogin) ?? noAuthView(needsLogin);
    return {
      ...server,
      status: {
        connected: status.connected,
        lastError: status.lastError,
        authorization: auth.state,
      },
      auth,
      tools: store.tools(server.name).map((r) => ({
        name: catalogName(server, r.tool),
        upstreamName: r.tool,
        state: r.state,
        change: r.state === 'active' ? 'none' : r.pinned === null ? 'new' : 'changed',
        description: (r.pending ?? r.pinned)?.description ?? '',
        flags: r.flags,
        pinned: r.pinned,
        pending: r.pending,
      })),
    };
  }

  function requireServer(name: string): McpServerRecord {
    const server = store.server(name);
    if (!server) {
      throw new BriefcaseError(
        'not_found',
        `No MCP server is named ${JSON.stringify(name)}. See \`briefcase mcp list\`.`,
      );
    }
    return server;
  }

  /** Lists the live tools, remembering when a server needs a person to sign in first. */
  async function fetchTools(
    server: McpServerRecord,
    config: UpstreamServerConfig,
  ): Promise<UpstreamTool[] | null> {
    try {
      const tools = await pool.listTools(config, { refresh: true });
      authRequired.delete(server.name);
      deps.auth?.noteReachable(server.name);
      return tools;
    } catch (error) {
      if (isBriefcaseError(error) && error.code === 'oauth_required') {
        authRequired.add(server.name);
        if (store.server(server.name)) deps.auth?.noteUnauthorized(server.name);
        return null;
      }
      throw error;
    }
  }

  /** Fetches the live catalog and reconciles it with the pins. */
  /**
   * Fetches the live catalog and reconciles it with the pins. `initialIfEmpty`: a server that has
   * never shown its tools (it was added while it needed a sign-in) gets them pinned as at `add`,
   * since a person just signed in to it; otherwise new tools are quarantined for review.
   */
  async function refresh(name: string, options: { initialIfEmpty?: boolean } = {}) {
    const server = requireServer(name);
    deps.onServerChanged?.(name);
    // A person asked for it now: a server without a live session is tried again at once, not after
    // the reconnect backoff of its last failure.
    if (!pool.status(name).connected) await pool.close(name);
    const live = await fetchTools(server, await configFor(server));
    const initial = options.initialIfEmpty === true && store.tools(name).length === 0;
    const changes = live ? await reconcile(server, live, { initial }) : [];
    return { server: view(server), changes };
  }

  return {
    /** Publishes the pinned catalog at start; connections are made lazily on first use. */
    start: publish,

    async add(input: AddServerInput): Promise<McpServerView> {
      if (!isValidServerName(input.name)) {
        throw new BriefcaseError(
          'invalid_args',
          `A server name is 1–${MAX_MCP_SERVER_NAME_LENGTH} characters of letters, digits, ".", "_" and "-".`,
        );
      }
      if (store.server(input.name)) {
        throw new BriefcaseError(
          'invalid_args',
          `An MCP server named ${input.name} already exists; remove it first.`,
        );
      }
      if ((input.url === undefined) === (input.command === undefined || input.command.length === 0)) {
        throw new BriefcaseError(
          'invalid_args',
          'Give exactly one of a URL (remote server) or a command (local stdio server).',
        );
      }
      const env = input.env ?? {};
      for (const name of Object.keys(env)) {
        if (!ENV_NAME.test(name))
          throw new BriefcaseError(
            'invalid_args',
            `${JSON.stringify(name)} is not an environment variable name.`,
          );
      }
      if (input.url !== undefined) validateServerUrl(input.url);
      const costMicroUsd = input.costMicroUsd ?? 0;
      if (!Number.isSafeInteger(costMicroUsd) || costMicroUsd < 0) {
        throw new BriefcaseError(
          'invalid_args',
          'The cost must be a whole, non-negative number of micro-USD.',
        );
      }
      const timeoutMs = input.timeoutMs ?? null;
      if (
        timeoutMs !== null &&
        (!Number.isInteger(timeoutMs) || timeoutMs < TIMEOUT_MS.min || timeoutMs > TIMEOUT_MS.max)
      ) {
        throw new BriefcaseError(
          'invalid_args',
          `The timeout must be a whole number of milliseconds from ${TIMEOUT_MS.min} to ${TIMEOUT_MS.max} (10 minutes); leave it out for the default, 30 s.`,
        );
      }
      const transport: McpTransport = input.command
        ? 'stdio'
        : input.transport === 'sse'
          ? 'sse'
          : 'streamable_http';
      const record: McpServerRecord = {
        name: input.name,
        transport,
        url: input.url ?? null,
        command: input.command ?? null,
        envNames: Object.keys(env).sort(),
        prefix: input.prefix ?? true,
        trustAnnotations: input.trustAnnotations ?? false,
        costMicroUsd,
        timeoutMs,
        createdAt: clock().toISOString(),
      };
      const config: UpstreamServerConfig =
        transport === 'stdio'
          ? {
              name: record.name,
              transport,
              command: record.command ?? [],
              env,
              cwd: join(deps.scratchDir, record.name),
              ...timeoutOf(record),
            }
          : { name: record.name, transport, url: record.url ?? '', ...timeoutOf(record) };
      if (config.cwd) mkdirSync(config.cwd, { recursive: true, mode: 0o700 });
      let live: UpstreamTool[] | null;
      try {
        live = await fetchTools(record, config);
      } catch (error) {
        await pool.close(record.name);
        throw error;
      }
      if (!record.prefix && live) {
        const clashes = live.map((t) => t.name).filter((name) => registry.get(name));
        if (clashes.length > 0) {
          await pool.close(record.name);
          throw new BriefcaseError(
            'invalid_args',
            `Without a prefix these tool names would clash with existing tools: ${clashes.slice(0, 10).join(', ')}. Add the server without --no-prefix.`,
          );
        }
      }
      for (const [name, value] of Object.entries(env))
        await secrets.put(envSecretId(record.name, name), value);
      await writer.commit((tx) => {
        store.addServer(record, clock().getTime());
        tx.append('mcp_server_added', {
          server: record.name,
          transport,
          envNames: record.envNames,
          tools: live?.length ?? 0,
          authorization: live ? 'none' : 'oauth_required',
          by: 'local-admin',
        });
      });
      if (!live) deps.auth?.noteUnauthorized(record.name);
      const added = requireServer(record.name);
      await reconcile(added, live ?? [], { initial: true });
      return view(added);
    },

    refresh,

    /** Accepts every pending definition of a server (what `briefcase mcp review NAME --accept` does). */
    async review(name: string) {
      const server = requireServer(name);
      const nowMs = clock().getTime();
      const accepted: string[] = [];
      await writer.commit((tx) => {
        for (const record of store.tools(name)) {
          if (record.state !== 'quarantined' || record.pending === null) continue;
          accepted.push(record.tool);
          store.saveTool(
            {
              ...record,
              state: 'active',
              pinnedHash: record.pendingHash,
              pinned: record.pending,
              pendingHash: null,
              pending: null,
              flags: flagsOf(record.pending as UpstreamTool),
            },
            nowMs,
          );
        }
        // Also when nothing was pending: a person's review is receipted whatever it found.
        tx.append('mcp_review_accepted', { server: name, tools: accepted, by: 'local-admin' });
      });
      publish();
      return { server: view(server), accepted };
    },

    async remove(name: string) {
      const server = requireServer(name);
      await pool.close(name);
      for (const envName of server.envNames) await secrets.delete(envSecretId(name, envName));
      await writer.commit((tx) => {
        store.removeServer(name);
        tx.append('mcp_server_removed', { server: name, by: 'local-admin' });
      });
      authRequired.delete(name);
      handedOut.delete(name);
      await deps.auth?.forget(name);
      deps.onServerChanged?.(name);
      publish();
    },

    /** Starts an OAuth login for a remote server (see McpAuth.startLogin). */
    login(name: string, input: LoginInput) {
      if (!deps.auth) throw new BriefcaseError('internal_error', 'OAuth is not configured.');
      return deps.auth.startLogin(requireServer(name), input);
    },

    /** Cancels a pending login. */
    cancelLogin(id: string) {
      if (!deps.auth) throw new BriefcaseError('not_found', 'No such login.');
      return deps.auth.cancelLogin(id);
    },

    /** A login's state, waiting up to `waitMs` for it to finish. */
    loginStatus(id: string, waitMs: number, signal?: AbortSignal) {
      if (!deps.auth) throw new BriefcaseError('not_found', 'No such login.');
      return deps.auth.loginStatus(id, waitMs, signal);
    },

    /** Logs out of a remote server: revokes (unless `localOnly`) and forgets its tokens. */
    logout(name: string, options: { localOnly?: boolean }) {
      if (!deps.auth) throw new BriefcaseError('internal_error', 'OAuth is not configured.');
      return deps.auth.logout(requireServer(name), options);
    },

    /** After a login or logout: a new session with (or without) tokens, and the catalog re-read. */
    async afterAuthChange(name: string) {
      await pool.close(name);
      authRequired.delete(name);
      if (!store.server(name)) return;
      await refresh(name, { initialIfEmpty: true }).catch((err: unknown) =>
        log.error({ err, server: name }, 'refresh after sign-in change failed'),
      );
    },

    /** Called when a server says its tool list changed: re-check against the pins in the background. */
    onToolsChanged(name: string) {
      if (!store.server(name)) return;
      refresh(name).catch((err: unknown) =>
        log.error({ err, server: name }, 'refresh after list_changed failed'),
      );
    },

    /** Every environment value given to a stdio server so far: the pipeline scrubs them from results. */
    knownSecrets: (): string[] => [...handedOut.values()].flat(),
    list: (): McpServerView[] => store.servers().map(view),
    /** The registered servers' records, for the relay of resources and prompts. */
    servers: () => store.servers(),
    configFor,
    show: (name: string): McpServerView => view(requireServer(name)),
    close: () => pool.close(),
  };
}

export type McpManager = ReturnType<typeof createMcpManager>;
