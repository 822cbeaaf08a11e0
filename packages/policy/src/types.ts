import type { DecisionKind, DecisionReason, MicroUsd } from '@briefcase/core';

/** The tool as the policy sees it. `name` and `server` may come from remote servers: they are data only. */
export interface PolicyTool {
  name: string;
  category: string;
  /** `read` or `write`; anything else is passed through so that the policy can forbid it. */
  effect: string;
  costMicroUsd: MicroUsd;
  /** `builtin`, `mcp`, `sandbox` or `provider`. */
  source: string;
  /** Remote server or provider name; leave undefined for builtins. */
  server?: string;
}

/** Budget facts for the call, as the policy sees them. `null` remaining means "no cap for this window". */
export interface PolicyBudgetContext {
  category: string;
  wouldExceed: boolean;
  dailyRemainingMicroUsd: MicroUsd | null;
  monthlyRemainingMicroUsd: MicroUsd | null;
}

/** Facts about this particular call. Every number must be a non-negative safe integer. */
export interface PolicyContext {
  /** The MCP method; default `tools/call`. */
  method?: string;
  /** What the request is about; default the tool name. */
  target?: string;
  costMicroUsd: MicroUsd;
  argsBytes: number;
  firstUse: boolean;
  riskScore: number;
  riskSignals: string[];
  budget: PolicyBudgetContext;
}

/** One question to the policy: may `agent` call `tool` in `context`? */
export interface PolicyRequest {
  /** The caller's id; for now always `default`. */
  agent: string;
  tool: PolicyTool;
  context: PolicyContext;
}

/**
 * One question about a relayed MCP request that is not a tool call: may `method` about `target` pass
 * between `agent` and remote server `server`? Every string may come from a remote server or the agent:
 * it is data only.
 */
export interface RelayPolicyRequest {
  agent: string;
  server: string;
  /** The MCP method, e.g. `resources/read` or `sampling/createMessage`. */
  method: string;
  /** The resource URI or prompt name the request is about; `""` when none. */
  target: string;
  /** Size of the request's params as JSON, in bytes (`context.args_bytes`). */
  paramsBytes: number;
}

/** The outcome of a decision and why; reasons are short and secret-free. */
export interface PolicyDecision {
  kind: DecisionKind;
  reasons: DecisionReason[];
}

/** Something wrong with a policy text, phrased so that a person can fix it. */
export interface PolicyProblem {
  /** Cedar's message, its hint and, where Cedar gives one, the line and column in the policy text. */
  message: string;
  /** The policy the problem is in, when known. */
  policyId?: string;
  /** 1-based position in the policy text, when known. */
  location?: { line: number; column: number };
}

/** A policy set that was parsed, validated and pre-parsed once; evaluating it parses nothing. */
export interface CompiledPolicy {
  /** The policy text exactly as given. */
  readonly text: string;
  /** Lowercase hex SHA-256 of `text` (UTF-8): identifies the policy version in receipts. */
  readonly hash: string;
  /** Ids of the policies in source order: the `@id("...")` annotation, else `policy<N>` (N = 0-based position). */
  readonly policyIds: string[];
  /** Decides one request. Never throws: every failure is a `deny` whose reason says what went wrong. */
  evaluate(request: PolicyRequest): PolicyDecision;
  /**
   * Decides one relayed MCP request (Cedar action `relay`): `allow` or `deny`, never approval. Never
   * throws: every failure is a `deny`.
   */
  evaluateRelay(request: RelayPolicyRequest): PolicyDecision;
  /**
   * Frees the pre-parsed policy set. cedar-wasm 4.13 has no call to drop a cached set, so this replaces
   * it with an empty set under the same id and recycles the id for the next compiled policy: memory
   * stays bounded by the number of live policies. After `dispose`, `evaluate` denies.
   */
  dispose(): void;
}

/** Result of {@link compilePolicy}: the compiled policy, or every problem found. */
export type CompileResult = { ok: true; policy: CompiledPolicy } | { ok: false; errors: PolicyProblem[] };
