import type { McpServerSettings, McpToolDefinition, McpTransport } from '@briefcase/core';
import type { Db } from './open.js';

/** A remote MCP server as registered: the settings part of the API's server view. */
export type McpServerRecord = McpServerSettings;
export type { McpToolDefinition, McpTransport };

export interface McpToolRecord {
  server: string;
  tool: string;
  state: 'active' | 'quarantined';
  pinnedHash: string | null;
  pinned: McpToolDefinition | null;
  pendingHash: string | null;
  pending: McpToolDefinition | null;
  flags: string[];
  updatedAt: string;
}

interface ServerRow {
  name: string;
  transport: McpTransport;
  url: string | null;
  command_json: string | null;
  env_names_json: string;
  prefix: number;
  trust_annotations: number;
  cost_micro_usd: number;
  /** Added by migration 3; NULL means the pool's default. */
  timeout_ms: number | null;
  created_at_ms: number;
}

interface ToolRow {
  server: string;
  tool: string;
  state: 'active' | 'quarantined';
  pinned_hash: string | null;
  pinned_json: string | null;
  pending_hash: string | null;
  pending_json: string | null;
  flags_json: string;
  updated_at_ms: number;
}

const toServer = (row: ServerRow): McpServerRecord => ({
  name: row.name,
  transport: row.transport,
  url: row.url,
  command: row.command_json === null ? null : (JSON.parse(row.command_json) as string[]),
  envNames: JSON.parse(row.env_names_json) as string[],
  prefix: row.prefix === 1,
  trustAnnotations: row.trust_annotations === 1,
  costMicroUsd: row.cost_micro_usd,
  timeoutMs: row.timeout_ms,
  createdAt: new Date(row.created_at_ms).toISOString(),
});

const parseDefinition = (json: string | null) =>
  json === null ? null : (JSON.parse(json) as McpToolDefinition);

const toTool = (row: ToolRow): McpToolRecord => ({
  server: row.server,
  tool: row.tool,
  state: row.state,
  pinnedHash: row.pinned_hash,
  pinned: parseDefinition(row.pinned_json),
  pendingHash: row.pending_hash,
  pending: parseDefinition(row.pending_json),
  flags: JSON.parse(row.flags_json) as string[],
  updatedAt: new Date(row.updated_at_ms).toISOString(),
});

/** The remote-server registry and the pinned definitions of their tools. */
export function createMcpStore(db: Db) {
  const insertServer = db.prepare(
    `INSERT INTO mcp_servers (name, transport, url, command_json, env_names_json, prefix, trust_annotations, cost_micro_usd, timeout_ms, created_at_ms)
     VALUES (@name, @transport, @url, @command_json, @env_names_json, @prefix, @trust_annotations, @cost_micro_usd, @timeout_ms, @created_at_ms)`,
  );
  const serverByName = db.prepare<[string], ServerRow>('SELECT * FROM mcp_servers WHERE name = ?');
  const allServers = db.prepare<[], ServerRow>('SELECT * FROM mcp_servers ORDER BY name');
  const deleteServer = db.prepare('DELETE FROM mcp_servers WHERE name = ?');
  const toolsOf = db.prepare<[string], ToolRow>('SELECT * FROM mcp_tools WHERE server = ? ORDER BY tool');
  const upsertTool = db.prepare(
    `INSERT INTO mcp_tools (server, tool, state, pinned_hash, pinned_json, pending_hash, pending_json, flags_json, updated_at_ms)
     VALUES (@server, @tool, @state, @pinned_hash, @pinned_json, @pending_hash, @pending_json, @flags_json, @updated_at_ms)
     ON CONFLICT (server, tool) DO UPDATE SET state = @state, pinned_hash = @pinned_hash, pinned_json = @pinned_json,
       pending_hash = @pending_hash, pending_json = @pending_json, flags_json = @flags_json, updated_at_ms = @updated_at_ms`,
  );
  const deleteTool = db.prepare('DELETE FROM mcp_tools WHERE server = ? AND tool = ?');
  const pinnedHashOf = db.prepare<[string, string], { pinned_hash: string | null }>(
    "SELECT pinned_hash FROM mcp_tools WHERE server = ? AND tool = ? AND state = 'active'",
  );

  return {
    addServer(server: Omit<McpServerRecord, 'createdAt'>, nowMs: number): McpServerRecord {
      insertServer.run({
        name: server.name,
        transport: server.transport,
        url: server.url,
        command_json: server.command === null ? null : JSON.stringify(server.command),
        env_names_json: JSON.stringify(server.envNames),
        prefix: server.prefix ? 1 : 0,
        trust_annotations: server.trustAnnotations ? 1 : 0,
        cost_micro_usd: server.costMicroUsd,
        timeout_ms: server.timeoutMs,
        created_at_ms: nowMs,
      });
      return toServer(serverByName.get(server.name) as ServerRow);
    },
    server(name: string): McpServerRecord | undefined {
      const row = serverByName.get(name);
      return row && toServer(row);
    },
    servers(): McpServerRecord[] {
      return allServers.all().map(toServer);
    },
    removeServer(name: string): boolean {
      return deleteServer.run(name).changes === 1;
    },
    tools(server: string): McpToolRecord[] {
      return toolsOf.all(server).map(toTool);
    },
    saveTool(tool: Omit<McpToolRecord, 'updatedAt'>, nowMs: number): void {
      upsertTool.run({
        server: tool.server,
        tool: tool.tool,
        state: tool.state,
        pinned_hash: tool.pinnedHash,
        pinned_json: tool.pinned === null ? null : JSON.stringify(tool.pinned),
        pending_hash: tool.pendingHash,
        pending_json: tool.pending === null ? null : JSON.stringify(tool.pending),
        flags_json: JSON.stringify(tool.flags),
        updated_at_ms: nowMs,
      });
    },
    /** The pinned hash of an active tool; undefined when it is not active (or unknown). */
    pinnedHash(server: string, tool: string): string | undefined {
      return pinnedHashOf.get(server, tool)?.pinned_hash ?? undefined;
    },
    removeTool(server: string, tool: string): void {
      deleteTool.run(server, tool);
    },
  };
}

export type McpStore = ReturnType<typeof createMcpStore>;
