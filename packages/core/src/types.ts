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
