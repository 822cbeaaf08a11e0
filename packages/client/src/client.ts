import { type ClientRole, createDaemonHttp } from './daemon-http.js';
import { resolveDataDir, socketPathFor } from './data-dir.js';
import { type ApprovalMethods, approvalMethods } from './resources/approvals.js';
import { type BudgetMethods, budgetMethods } from './resources/budgets.js';
import { type ChannelMethods, channelMethods } from './resources/channel.js';
import { type KeyMethods, keyMethods } from './resources/keys.js';
import { type McpLoginMethods, mcpLoginMethods } from './resources/mcp-logins.js';
import { type McpServerMethods, mcpServerMethods } from './resources/mcp-servers.js';
import { type PolicyMethods, policyMethods } from './resources/policy.js';
import { type ReceiptMethods, receiptMethods } from './resources/receipts.js';
import { type SystemMethods, systemMethods } from './resources/system.js';
import { type ToolMethods, toolMethods } from './resources/tools.js';

/** Options for {@link createClient}. */
export interface ClientOptions {
  /** Defaults to {@link resolveDataDir}(). */
  dataDir?: string;
  /** Selects `<dataDir>/<role>.token`; default `admin`. */
  role?: ClientRole;
  /** Use this token instead of reading the token file. */
  token?: string;
  /** Defaults to `<dataDir>/briefcased.sock`. */
  socketPath?: string;
  /** Cap on a JSON response body (default 16 MiB). */
  maxResponseBytes?: number;
  /** Cap on one NDJSON or SSE line (default 1 MiB). */
  maxLineBytes?: number;
}

/** A typed client for every route of the briefcased local API (v1), one group of methods per resource. */
export interface BriefcaseClient
  extends SystemMethods,
    ToolMethods,
    ApprovalMethods,
    ReceiptMethods,
    KeyMethods,
    BudgetMethods,
    PolicyMethods,
    McpServerMethods,
    McpLoginMethods,
    ChannelMethods {
  readonly dataDir: string;
  readonly socketPath: string;
}

const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/**
 * Creates a client for the daemon behind `<dataDir>/briefcased.sock`. Every answer is checked
 * against the route's response schema in `@briefcase/api` before it is returned: a daemon (or
 * whatever listens on the socket) that breaks the contract gets `internal_error`, not a lie typed
 * as the contract.
 */
export function createClient(options: ClientOptions = {}): BriefcaseClient {
  const dataDir = options.dataDir ?? resolveDataDir();
  const http = createDaemonHttp({
    endpoint: { dataDir, socketPath: options.socketPath ?? socketPathFor(dataDir) },
    tokens: { dataDir, role: options.role ?? 'admin', token: options.token },
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
  });
  return {
    dataDir,
    socketPath: http.endpoint.socketPath,
    ...systemMethods(http),
    ...toolMethods(http),
    ...approvalMethods(http),
    ...receiptMethods(http),
    ...keyMethods(http),
    ...budgetMethods(http),
    ...policyMethods(http),
    ...mcpServerMethods(http),
    ...mcpLoginMethods(http),
    ...channelMethods(http),
  };
}
