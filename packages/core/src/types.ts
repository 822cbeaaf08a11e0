/** Whether a tool only reads or may change something. */
export type ToolEffect = 'read' | 'write';

/** Amounts of money are integers in micro-USD (1 USD = 1,000,000) everywhere: no floats. */
export type MicroUsd = number;

/** A JSON Schema document (draft 2020-12). */
export type JsonSchema = Record<string, unknown>;

/** Where a tool comes from. Remote MCP servers, sandboxed plugins and providers plug in here later. */
export interface ToolSource {
  kind: 'builtin' | 'mcp' | 'sandbox' | 'provider';
  /** Server or provider name for non-builtin tools. */
  server?: string;
  /** The tool's name at its source, when it differs from the catalog name. */
  upstreamName?: string;
}

/** Everything the pipeline needs to know about a tool, independent of how it runs. */
export interface ToolDefinition {
  name: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  /** Free-form grouping used by budgets and policy, e.g. `notes`, `payments`, `network`. */
  category: string;
  effect: ToolEffect;
  /** Estimated cost per call, charged against the category's budgets. */
  costMicroUsd: MicroUsd;
  /**
   * Top-level result fields that may leave the daemon. `['*']` allows every field
   * (still subject to size caps and secret scrubbing).
   */
  outputAllowlist: string[];
  source: ToolSource;
}

/** Why the pipeline decided what it decided; each reason is short and secret-free. */
export interface DecisionReason {
  /** Which stage produced it: `policy`, `budget`, `risk`, `approval`, `validate`, `lookup`. */
  stage: string;
  /** Stable identifier, e.g. a Cedar policy id, `budget:daily:notes`, `risk:first_use`. */
  id: string;
  message: string;
}

export type DecisionKind = 'allow' | 'deny' | 'approval_required';

export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired' | 'consumed';

/** An approval request as trusted UIs see it. Arguments themselves are never stored. */
export interface Approval {
  id: string;
  tool: string;
  argsHash: string;
  summary: string;
  costMicroUsd: MicroUsd;
  reasons: DecisionReason[];
  state: ApprovalState;
  createdAt: string;
  expiresAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  denyReason: string | null;
}

/** What happened to a call attempt, as recorded in its receipt. */
export type CallOutcome = 'ok' | 'denied' | 'invalid' | 'approval_required' | 'failed';

/** How briefcased reaches a remote MCP server. */
export type McpTransport = 'streamable_http' | 'sse' | 'stdio';

/** An upstream tool definition as the remote server declared it (kept verbatim for review). */
export interface McpToolDefinition {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** `POST /v1/mcp/servers` body: exactly one of `url` (remote server) or `command` (local stdio server). */
export interface AddMcpServerInput {
  /** 1 to `MAX_MCP_SERVER_NAME_LENGTH` (64) characters of letters, digits, `.`, `_` and `-`. */
  name: string;
  url?: string;
  /** For a `url`: `sse` selects the older HTTP+SSE transport; default Streamable HTTP. */
  transport?: 'streamable_http' | 'sse';
  /** argv of a local stdio server, e.g. `['node', '/abs/server.js', 'stdio']`. */
  command?: string[];
  /** Environment of a stdio server. The daemon keeps the values in its secret store and never returns them. */
  env?: Record<string, string>;
  /** Publish tools as `<name>__<tool>` (default true). */
  prefix?: boolean;
  /** Believe the server's `readOnlyHint` annotations (default false: every tool counts as a write). */
  trustAnnotations?: boolean;
  /** Estimated cost per call, integer micro-USD (default 0). */
  costMicroUsd?: MicroUsd;
  /**
   * Deadline of every request to this server, connecting included, in whole milliseconds
   * (1–600000). Default 30000.
   */
  timeoutMs?: number;
}

/** A registered remote MCP server's settings. Environment values live in the secret store, only names here. */
export interface McpServerSettings {
  name: string;
  transport: McpTransport;
  url: string | null;
  command: string[] | null;
  /** Names of the stored environment variables; the values are never returned. */
  envNames: string[];
  prefix: boolean;
  trustAnnotations: boolean;
  costMicroUsd: MicroUsd;
  /** Deadline of every request to this server (connecting included) in ms; null = the default, 30 s. */
  timeoutMs: number | null;
  createdAt: string;
}

/** A remote server's OAuth authorization as the daemon reports it. Never a token. */
export interface McpAuthView {
  state: 'none' | 'authorized' | 'oauth_required';
  /** Why a person must sign in: `login_required`, `token_rejected`, `insufficient_scope: SCOPE`, `logged_out`, … */
  reason: string | null;
  issuer: string | null;
  scope: string | null;
  /** `DPoP` when tokens are bound to the daemon's DPoP key, `Bearer` otherwise. */
  tokenType: 'DPoP' | 'Bearer' | null;
  /** Why tokens are bearer, when they are (`dpop_not_advertised`, …). */
  bearerReason: string | null;
  expiresAt: string | null;
  /** How the client identified itself: `preregistered`, `metadata_document`, `dynamic_registration`. */
  clientSource: string | null;
  /**
   * The grant tokens come from: `authorization_code` (a person signs in), or a machine grant the
   * daemon repeats by itself (`client_credentials`, `jwt_bearer`, `enterprise`: SEP-990). Absent
   * from older daemons.
   */
  grant?: 'authorization_code' | 'client_credentials' | 'jwt_bearer' | 'enterprise';
  /** Per-server quirks set at login (they stay for later logins until set otherwise). */
  quirks: { omitResource: boolean; oidcOnly: boolean; noDynamicRegistration: boolean };
}

/** A login started with `POST /v1/mcp/servers/{name}/login`. */
export interface McpLoginView {
  id: string;
  server: string;
  state: 'pending' | 'authorized' | 'failed';
  /** Where the person signs in (while pending). */
  authorizationUrl?: string;
  expiresAt: string;
  error?: { code: string; reason?: string; message: string };
}

/** One tool of a remote MCP server and where it stands in review. */
export interface McpToolView {
  /** The name in the catalog the agent sees. */
  name: string;
  upstreamName: string;
  /** Quarantined tools are not in the catalog until a person accepts them. */
  state: 'active' | 'quarantined';
  change: 'none' | 'new' | 'changed';
  /** The pending description when quarantined, else the pinned one. */
  description: string;
  /** Instruction-like text found in the definition, one entry per finding. */
  flags: string[];
  /** The accepted definition the agent is offered (null when never accepted). */
  pinned: McpToolDefinition | null;
  /** The changed or new definition awaiting review: compare it with `pinned` before accepting. */
  pending: McpToolDefinition | null;
}

/** A registered remote MCP server with its connection state and tools (`GET /v1/mcp/servers/:name`). */
export interface McpServerView extends McpServerSettings {
  status: {
    connected: boolean;
    lastError: string | null;
    authorization: 'none' | 'authorized' | 'oauth_required';
  };
  /** OAuth state of the server: never a token. */
  auth: McpAuthView;
  tools: McpToolView[];
}

/**
 * An event on an agent session's channel (`GET /v1/mcp/channel`, one server-sent event each:
 * `event: type`, `data: JSON` of the other fields). Every field but `type`, `id` and `ref` comes
 * from a remote server: hostile data.
 */
export type ChannelEvent =
  | { type: 'channel'; id: string }
  | { type: 'request'; id: string; server: string; method: string; params: Record<string, unknown> }
  | { type: 'cancel'; id: string }
  | { type: 'notification'; server: string; method: string; params: Record<string, unknown> }
  | { type: 'progress'; ref: string; progress: number; total?: number; message?: string }
  | { type: 'end'; ref: string };

/** The agent's answer to a `request` channel event: an MCP result, or a JSON-RPC error. */
export type ChannelAnswer =
  | { result: Record<string, unknown> }
  | { error: { code: number; message: string; data?: unknown } };
