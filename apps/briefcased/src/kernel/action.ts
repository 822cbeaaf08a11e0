import type { Approval, CallOutcome, DecisionKind, DecisionReason } from '@briefcase/core';
import type { PolicyDecision } from '@briefcase/policy';
import type { ChannelBinding } from '../mcp/channels.js';
import type { ReceiptAuth, ToolExecutor } from '../tools/types.js';
import type { ReceiptFields } from './receipt-writer.js';

/**
 * The kinds of action the kernel enforces, each closed by one receipt of the same kind. Payments,
 * capability mints and plugin runs join this union as they land; admin changes have their own,
 * smaller path (`admin.ts`) because a person, not policy, decides them.
 */
export type ActionKind = 'tool_call' | 'mcp_relay';

/** The agent every request is attributed to until agents are told apart (one gateway, one agent). */
export const DEFAULT_AGENT = 'default';

/** Who asks: the token's role, and which agent (the principal of the Cedar request). */
export interface Caller {
  role: 'admin' | 'agent';
  agent: string;
}

/** What the caller may add to an action: wait for a person, be cancelled, and its agent session. */
export interface EnforceOptions {
  /** When the action needs approval, wait up to this long for a person to decide (capped). */
  waitMs?: number;
  /** Aborts when the caller went away: a wait ends, a running action is cancelled. */
  signal?: AbortSignal;
  /** The agent session's channel, for a remote server's progress and requests during the action. */
  binding?: ChannelBinding;
}

/**
 * An action as the kernel runs it, built by its `prepare` stage from the untrusted request (lookup,
 * validation, resolving the server). Everything the later stages need is data here.
 */
export interface ActionPlan {
  /**
   * Policy, budget and risk. Synchronous, so nothing interleaves between the decision and the
   * budget reservation; a throw is a denial (fail closed).
   */
  decide(facts: { nowMs: number; reservedMicroUsd: number }): PolicyDecision;
  /** Why a denial happened, in words a person can act on. */
  denialMessage(reasons: DecisionReason[], budget: boolean): string;
  /** What an approval binds to. Without it, an `approval_required` decision is a denial. */
  approval?: {
    tool: string;
    argsHash: string;
    /** An approval id the caller named (untrusted; must match tool and args hash). */
    approvalId: string | undefined;
    /** Stores and announces a new approval request for this exact action. */
    request(reasons: DecisionReason[], nowMs: number): Approval;
  };
  /** Budget the action reserves while in flight and spends when it succeeds. */
  cost?: { category: string; microUsd: number };
  /** How it runs: the `pure | transactional | external` union of tools. */
  executor: ToolExecutor;
  /** The validated arguments the executor gets. */
  args: Record<string, unknown>;
  /** The secret names an external executor may read. */
  secrets?: readonly string[];
  /** What the result may keep (top-level field allowlist, `*` for all) and its label in messages. */
  output?: { label: string; allowlist: readonly string[] };
  /** Longest the action may run; absent, its executor enforces its own deadline. */
  timeoutMs?: number;
  /** Bookkeeping in the same commit as a successful receipt (spend, history). */
  onSuccess?(receiptSeq: number, nowMs: number): void;
}

/** A request for an action: what it is, the receipt fields known before anything is checked, and its prepare stage. */
export interface Action {
  kind: ActionKind;
  /** Receipt fields that name the action, filled in further by `prepare` (tool + args hash, server + method). */
  fields: ReceiptFields;
  /** Lookup and validation. Throws a BriefcaseError: the attempt is recorded as `invalid` (or `failed`). */
  prepare(fields: ReceiptFields): ActionPlan | Promise<ActionPlan>;
}

/** One attempt's receipt as the stages fill it in. */
export interface Attempt {
  kind: ActionKind;
  agent: string;
  fields: ReceiptFields;
  decision: DecisionKind | null;
  reasons: DecisionReason[];
  approvalId: string | null;
  /** What the receipt says if the attempt ends now. */
  outcome: CallOutcome;
  auth?: ReceiptAuth;
}

/** The result of an enforced action: the redacted value, and where it came from and what it cost. */
export interface Enforced {
  value: unknown;
  /** The receipt fields naming the action, as its stages filled them in (e.g. a tool's source). */
  fields: ReceiptFields;
  receiptSeq: number;
  receiptHash: string;
  costMicroUsd: number;
  approvalId: string | null;
  redactions: number;
  durationMs: number;
}
