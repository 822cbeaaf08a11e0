/**
 * The types of the local API as the client sees them: every one is inferred from the contract in
 * `@briefcase/api`, so a schema change there changes them here (and breaks what no longer fits).
 * The names are the client's public ones; the request-option types at the end are the client's own.
 */
import type {
  AGENT_RELAY_METHODS,
  APPROVAL_EVENT_TYPES,
  ApprovalChangeEvent,
  Approval as ApprovalSchema,
  ApprovalSnapshotEvent,
  addMcpServer,
  approveApproval,
  BodyOf,
  Budget,
  CallProvenance as CallProvenanceSchema,
  CHANNEL_CAPABILITIES,
  ChannelAnswer as ChannelAnswerSchema,
  ChannelEvent as ChannelEventSchema,
  callTool,
  DaemonStatus,
  health,
  Key,
  listApprovals,
  logoutMcpServer,
  McpAuth,
  McpLogin as McpLoginSchema,
  McpServer,
  McpTool,
  Policy,
  PolicyProblem as PolicyProblemSchema,
  PublicJwk,
  QueryOf,
  Receipt as ReceiptSchema,
  ResponseOf,
  receiptHead,
  refreshMcpServer,
  reviewMcpServer,
  Static,
  setBudget,
  startMcpLogin,
  Tool,
  ToolSource,
  validatePolicy,
  verifyReceipts,
} from '@briefcase/api';

/** `GET /health`. */
export type HealthView = ResponseOf<typeof health, 200>;
/** `GET /v1/status`. */
export type StatusView = Static<typeof DaemonStatus>;
/** Where a tool comes from. */
export type ToolSourceView = Static<typeof ToolSource>;
/** A tool as agents and admins see it (`GET /v1/tools`). */
export type ToolView = Static<typeof Tool>;
/** A tool call request (`POST /v1/tools/call`); `args` defaults to `{}`. */
export type CallToolRequest = BodyOf<typeof callTool>;
/** Where a result came from, what it cost and what was redacted from it. */
export type CallProvenance = Static<typeof CallProvenanceSchema>;
/** `POST /v1/tools/call` success. */
export type CallToolResponse = ResponseOf<typeof callTool, 200>;

/** An approval request as trusted UIs see it. */
export type Approval = Static<typeof ApprovalSchema>;
/** A person's decision as the daemon answers it: the approval, and whether a call was waiting for it. */
export type ApprovalDecision = ResponseOf<typeof approveApproval, 200>;
/** The state of an approval request. */
export type ApprovalState = Approval['state'];
/** `state` filter for listing approvals. */
export type ApprovalListState = NonNullable<QueryOf<typeof listApprovals>['state']>;
/** What happened to an approval, as pushed on `/v1/approvals/stream`. */
export type ApprovalEventType = (typeof APPROVAL_EVENT_TYPES)[number];
/** One event from `watchApprovals`: the snapshot first, then each change. */
export type ApprovalWatchEvent =
  | ({ event: 'snapshot' } & Static<typeof ApprovalSnapshotEvent>)
  | ({ event: 'approval' } & Static<typeof ApprovalChangeEvent>);

/** An entry of the tamper-evident receipt chain. Extra members depend on `kind`. */
export type Receipt = Static<typeof ReceiptSchema>;
/** A page of receipts as listed, with the rows of it that could not be read (corrupted). */
export interface ReceiptPage {
  receipts: Receipt[];
  /** Rows left out of `receipts` because they cannot be read: the chain is broken there. */
  unreadable: { seq: number; reason: string }[];
}
/** One entry of the export: a receipt, or the marker of a row that could not be read. */
export type ReceiptExportEntry = Receipt | { unreadable: { seq: number; reason: string } };
/** `POST /v1/receipts/verify`. */
export type ReceiptVerification = ResponseOf<typeof verifyReceipts, 200>;
/** A public key as a JWK (RFC 7517). */
export type PublicJwkView = Static<typeof PublicJwk>;
/** A key in custody (`GET /v1/keys`); never any private material. */
export type KeyView = Static<typeof Key>;
/** `GET /v1/receipts/head`: the chain head signed with the receipts key, and the key to pin. */
export type ReceiptHeadView = ResponseOf<typeof receiptHead, 200>;

/** A spending category's caps and spend so far. `null` cap = unlimited. */
export type BudgetView = Static<typeof Budget>;
/** `PUT /v1/budgets/:category` body. Omitting `monthlyCapMicroUsd` leaves it unchanged. */
export type BudgetCaps = BodyOf<typeof setBudget>;

/** The active Cedar policy. */
export type PolicyView = Static<typeof Policy>;
/** One problem found in a policy. */
export type PolicyProblem = Static<typeof PolicyProblemSchema>;
/** `POST /v1/policy/validate`. */
export type PolicyValidation = ResponseOf<typeof validatePolicy, 200>;

/** A registered remote MCP server with its connection state, OAuth state and tools. */
export type McpServerView = Static<typeof McpServer>;
/** One tool of a remote MCP server and where it stands in review. */
export type McpToolView = Static<typeof McpTool>;
/** A remote server's OAuth state; never a token. */
export type McpAuthView = Static<typeof McpAuth>;
/** How briefcased reaches a remote MCP server. */
export type McpTransport = McpServerView['transport'];
/** `POST /v1/mcp/servers` body: exactly one of `url` or `command`. */
export type AddMcpServerInput = BodyOf<typeof addMcpServer>;
/** `POST /v1/mcp/servers/:name/refresh`: the server after comparing its live tools with the pins. */
export type McpRefreshResult = ResponseOf<typeof refreshMcpServer, 200>;
/** `POST /v1/mcp/servers/:name/review`: the pending definitions that were accepted. */
export type McpReviewResult = ResponseOf<typeof reviewMcpServer, 200>;
/** A login as returned by the daemon. */
export type McpLogin = Static<typeof McpLoginSchema>;
/** The same, by the name the daemon's types use. */
export type McpLoginView = McpLogin;
/** What `POST /v1/mcp/servers/:name/login` takes. The secret is sent over the admin socket only. */
export type McpLoginInput = NonNullable<BodyOf<typeof startMcpLogin>>;
/** `POST /v1/mcp/servers/:name/logout`: which tokens the server accepted to revoke. */
export type McpLogoutResult = ResponseOf<typeof logoutMcpServer, 200>;

/** An event of an agent session's channel. */
export type ChannelEvent = Static<typeof ChannelEventSchema>;
/** The agent's answer to a `request` channel event. */
export type ChannelAnswer = Static<typeof ChannelAnswerSchema>;
/** The MCP requests other than tools that the daemon relays for the agent. */
export type RelayMethod = (typeof AGENT_RELAY_METHODS)[number];
/** What the agent's MCP client can answer; the daemon relays only these server requests to it. */
export type ChannelCapabilities = Partial<Record<(typeof CHANNEL_CAPABILITIES)[number], boolean>>;

/** Filters for `GET /v1/receipts` (newest first). */
export interface ListReceiptsOptions {
  /** 1..1000, daemon default 50. */
  limit?: number;
  /** Only receipts with a smaller seq (paging). */
  before?: number;
  kind?: string;
}
