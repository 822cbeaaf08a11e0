import {
  addMcpServer,
  compileCheck,
  getMcpServer,
  listMcpServers,
  refreshMcpServer,
  reviewMcpServer,
} from '@briefcase/api';
import { type DaemonHttp, pathSegment } from '../daemon-http.js';
import type { AddMcpServerInput, McpRefreshResult, McpReviewResult, McpServerView } from '../types.js';
import type { RequestOptions } from './options.js';

/** Remote MCP servers: register, inspect, refresh against the pins, review, remove. */
export interface McpServerMethods {
  /** Registered remote MCP servers with the review state of their tools. */
  listMcpServers(options?: RequestOptions): Promise<McpServerView[]>;
  /**
   * Registers a remote MCP server: the daemon connects, lists its tools and pins each definition.
   * `env` values go to the daemon's secret store; the returned view lists their names only.
   */
  addMcpServer(input: AddMcpServerInput, options?: RequestOptions): Promise<McpServerView>;
  /** One server; `not_found` when no server has that name. */
  getMcpServer(name: string, options?: RequestOptions): Promise<McpServerView>;
  /** Removes a server, its pins and its stored environment values. */
  removeMcpServer(name: string, options?: RequestOptions): Promise<void>;
  /** Compares the server's live tools with the pins; changed and new tools are quarantined. */
  refreshMcpServer(name: string, options?: RequestOptions): Promise<McpRefreshResult>;
  /** Accepts every pending (changed or new) tool definition of a server. */
  reviewMcpServer(name: string, options?: RequestOptions): Promise<McpReviewResult>;
}

const list = compileCheck(listMcpServers.schema.response[200]);
const added = compileCheck(addMcpServer.schema.response[201]);
const one = compileCheck(getMcpServer.schema.response[200]);
const refreshed = compileCheck(refreshMcpServer.schema.response[200]);
const reviewed = compileCheck(reviewMcpServer.schema.response[200]);

export function mcpServerMethods(http: DaemonHttp): McpServerMethods {
  const serverPath = (name: string) => `/v1/mcp/servers/${pathSegment(name, 'server name')}`;
  return {
    async listMcpServers(opts = {}) {
      return (await http.json({ method: 'GET', path: '/v1/mcp/servers', signal: opts.signal }, list)).servers;
    },

    async addMcpServer(input, opts = {}) {
      const req = { method: 'POST', path: '/v1/mcp/servers', body: input, signal: opts.signal } as const;
      return (await http.json(req, added)).server;
    },

    async getMcpServer(name, opts = {}) {
      return (await http.json({ method: 'GET', path: serverPath(name), signal: opts.signal }, one)).server;
    },

    removeMcpServer: (name, opts = {}) =>
      http.noContent({ method: 'DELETE', path: serverPath(name), signal: opts.signal }),

    refreshMcpServer: (name, opts = {}) =>
      http.json(
        { method: 'POST', path: `${serverPath(name)}/refresh`, body: {}, signal: opts.signal },
        refreshed,
      ),

    reviewMcpServer: (name, opts = {}) =>
      http.json(
        { method: 'POST', path: `${serverPath(name)}/review`, body: {}, signal: opts.signal },
        reviewed,
      ),
  };
}
