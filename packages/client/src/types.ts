import type {
  Approval,
  ApprovalState,
  CallOutcome,
  DecisionReason,
  JsonSchema,
  McpLoginView,
  McpServerView,
  MicroUsd,
} from '@briefcase/core';

/** `GET /health`. */
export interface HealthView {
  status: 'ok';
  version: string;
}

/** `GET /v1/status`. */
export interface StatusView {
  version: string;
  pid: number;
  startedAt: string;
  dataDir: string;
  socketPath: string;
  tcp: string | null;
  secretBackend: string;
  /** Set when the secret backend is weaker than the OS keychain (e.g. in-memory); show it as a warning. */
  secretBackendNotice: string | null;
  policyHash: string;
  durability: 'full';
  receipts: { count: number; headSeq: number | null; headHash: string | null };
  approvalsPending: number;
  /** How many keys are in custody, how many are active, and where their private halves live. */
  keyCustody?: { keys: number; active: number; backends: string[] };
  /** Sentences to show as warnings (e.g. keys that are software-backed). */
  warnings?: string[];
}

/** Where a tool comes from, as the API shows it. */
export interface ToolSourceView {
  kind: string;
  server?: string;
}

/** A tool as agents and admins see it (`GET /v1/tools`). */
export interface ToolView {
  name: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  category: string;
  effect: 'read' | 'write';
  costMicroUsd: MicroUsd;
  source: ToolSourceView;
}

/** A tool call request. `args` defaults to `{}`. */
export interface CallToolRequest {
  tool: string;
  args?: Record<string, unknown>;
  approvalId?: string;
  /**
   * When the call needs approval, let the daemon hold the request up to this many milliseconds
   * (integer, 0 to `MAX_APPROVAL_WAIT_MS` of @briefcase/core) while a person decides: approved in time, the call runs and its result is
   * returned; denied, it fails with `denied`; still pending, it fails with `approval_required`.
   */
  waitMs?: number;
  /** The agent session's channel ({@link BriefcaseClient.openChannel}): the server's requests and progress go there. */
  channel?: string;
  /** The caller's reference for this call: its `progress` and `end` channel events carry it. */
  ref?: string;
  /** Ask the remote server for progress (as `progress` channel events). */
  progress?: boolean;
}

/** What the agent's MCP client can answer; the daemon relays only these server requests to it. */
export interface ChannelCapabilities {
  sampling?: boolean;
  elicitation?: boolean;
  roots?: boolean;
}

/** The MCP requests other than tools that the daemon relays for the agent. */
export type RelayMethod =
  | 'resources/list'
  | 'resources/templates/list'
  | 'resources/read'
  | 'resources/subscribe'
  | 'resources/unsubscribe'
  | 'prompts/list'
  | 'prompts/get'
  | 'completion/complete';

/** Where a result came from and what it cost. */
export interface CallProvenance {
  tool: string;
  source: ToolSourceView;
  receiptSeq: number;
  receiptHash: string;
  costMicroUsd: MicroUsd;
  approvalId: string | null;
  durationMs: number;
}

/** `POST /v1/tools/call` success. */
export interface CallToolResponse {
  result: unknown;
  provenance: CallProvenance;
}

/** `state` filter for listing approvals. */
export type ApprovalListState = 'pending' | 'all';

/** What happened to an approval, as pushed on `/v1/approvals/stream`. */
export type ApprovalEventType = 'created' | 'approved' | 'denied' | 'expired' | 'consumed';

/** One event from {@link BriefcaseClient.watchApprovals}. */
export type ApprovalWatchEvent =
  | { event: 'snapshot'; approvals: Approval[] }
  | { event: 'approval'; type: ApprovalEventType; approval: Approval };

/** An entry of the tamper-evident receipt chain. Extra fields depend on `kind`. */
export interface Receipt {
  v: number;
  seq: number;
  ts: string;
  kind: string;
  prevHash: string;
  hash: string;
  tool?: string;
  source?: ToolSourceView;
  argsHash?: string;
  decision?: string;
  reasons?: DecisionReason[];
  approvalId?: string | null;
  costMicroUsd?: MicroUsd;
  outcome?: CallOutcome;
  errorCode?: string | null;
  durationMs?: number;
  [field: string]: unknown;
}

/** Filters for `GET /v1/receipts` (newest first). */
export interface ListReceiptsOptions {
  /** 1..1000, daemon default 50. */
  limit?: number;
  /** Only receipts with a smaller seq (paging). */
  before?: number;
  kind?: string;
}

/** `POST /v1/receipts/verify`. */
export type ReceiptVerification =
  | { ok: true; count: number; head: { seq: number; hash: string } | null }
  | { ok: false; count: number; brokenAt: number; reason: string };

/** A public key as a JWK (RFC 7517): OKP Ed25519 `{kty, crv, x}` or EC P-256 `{kty, crv, x, y}`. */
export interface PublicJwkView {
  kty: 'OKP' | 'EC';
  crv: 'Ed25519' | 'P-256';
  x: string;
  y?: string;
}

/** A key in custody (`GET /v1/keys`); never any private material. */
export interface KeyView {
  id: string;
  purpose: string;
  algorithm: string;
  /** Where the private half lives: `software` = encrypted in the secret store. */
  backend: string;
  active: boolean;
  createdAt: string;
  /** RFC 7638 JWK SHA-256 thumbprint (base64url). */
  thumbprint: string;
  publicJwk: PublicJwkView;
}

/** `GET /v1/receipts/head`: the chain head signed with the receipts key, and the key to pin. */
export interface ReceiptHeadView {
  seq: number;
  hash: string;
  ts: string | null;
  count: number;
  /** Compact JWS (typ `briefcase-receipt-head+jwt`) over `{seq, hash, ts, count, iat}`. */
  signedHead: string;
  key: PublicJwkView;
  /** RFC 7638 thumbprint of `key`, also the JWS `kid`. */
  thumbprint: string;
}

/** A spending category's caps and spend so far. `null` cap = unlimited. */
export interface BudgetView {
  category: string;
  dailyCapMicroUsd: MicroUsd | null;
  monthlyCapMicroUsd: MicroUsd | null;
  spentTodayMicroUsd: MicroUsd;
  spentThisMonthMicroUsd: MicroUsd;
}

/** `PUT /v1/budgets/:category` body. Omitting `monthlyCapMicroUsd` leaves it unchanged. */
export interface BudgetCaps {
  dailyCapMicroUsd: MicroUsd | null;
  monthlyCapMicroUsd?: MicroUsd | null;
}

/** The active Cedar policy. */
export interface PolicyView {
  text: string;
  hash: string;
  updatedAt: string;
  policyIds: string[];
}

/** One problem found in a policy. */
export interface PolicyProblem {
  message: string;
  policyId?: string;
}

/** `POST /v1/policy/validate`. */
export type PolicyValidation = { ok: true; policyIds: string[] } | { ok: false; errors: PolicyProblem[] };

export type {
  AddMcpServerInput,
  ChannelAnswer,
  ChannelEvent,
  McpAuthView,
  McpLoginView,
  McpServerSettings,
  McpServerView,
  McpToolDefinition,
  McpToolView,
  McpTransport,
} from '@briefcase/core';
export type { Approval, ApprovalState };

/** `POST /v1/mcp/servers/:name/refresh`: the server after comparing its live tools with the pins. */
export interface McpRefreshResult {
  server: McpServerView;
  /** What changed: `new`, `changed`, `removed` or `restored`, per upstream tool name. */
  changes: Array<{ tool: string; change: string }>;
}

/** `POST /v1/mcp/servers/:name/review`: the pending definitions that were accepted. */
export interface McpReviewResult {
  server: McpServerView;
  /** Upstream names of the tools whose pending definitions are now pinned. */
  accepted: string[];
}

/** What `POST /v1/mcp/servers/:name/login` takes. The secret is sent over the admin socket only. */
export interface McpLoginInput {
  clientId?: string;
  clientSecret?: string;
  scope?: string;
  /** Quirk: do not send the RFC 8707 `resource` parameter. */
  omitResource?: boolean;
  /** Quirk: discover the authorization server with OpenID Connect Discovery only. */
  oidcOnly?: boolean;
  /** Quirk: never try Dynamic Client Registration. */
  noDynamicRegistration?: boolean;
}

/** `POST /v1/mcp/servers/:name/logout`: which tokens the server accepted to revoke. */
export interface McpLogoutResult {
  revoked: { refreshToken: boolean; accessToken: boolean };
}

/** A login as returned by the daemon. */
export type McpLogin = McpLoginView;
