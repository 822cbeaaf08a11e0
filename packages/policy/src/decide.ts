import type { DecisionKind, DecisionReason, MicroUsd } from '@briefcase/core';
import type { BudgetCheck } from './budget.js';
import type { RiskScore } from './risk.js';
import type { CompiledPolicy, PolicyDecision, PolicyRequest } from './types.js';

/** Facts about the call that are neither budget nor risk; every number a non-negative safe integer. */
export interface CallFacts {
  costMicroUsd: MicroUsd;
  argsBytes: number;
  firstUse: boolean;
  /** Budget category charged; defaults to the tool's category. */
  budgetCategory?: string;
}

/** A policy request before budget and risk are folded into its context. */
export type CallRequest = Omit<PolicyRequest, 'context'> & { context: CallFacts };

/** Everything {@link decideCall} combines. */
export interface DecideCallInput {
  policy: CompiledPolicy;
  request: CallRequest;
  budget: BudgetCheck;
  risk: RiskScore;
  /** Risk score at or above which a call needs approval (see `DEFAULT_RISK_THRESHOLD`). */
  riskThreshold: number;
  /** What a budget overrun does to an allowed call: ask a person, or deny outright. */
  budgetOverrun: 'approve' | 'deny';
}

/** Orders decisions by strictness: allow < approval_required < deny. */
export const DECISION_STRICTNESS: Readonly<Record<DecisionKind, number>> = Object.freeze({
  allow: 0,
  approval_required: 1,
  deny: 2,
});

/** Reason id used when a budget overrun is reported without reasons of its own. */
export const BUDGET_EXCEEDED_REASON_ID = 'budget:exceeded';

/** The full policy request: the call facts with budget and risk folded into the Cedar context. */
export function buildPolicyRequest(
  request: CallRequest,
  budget: BudgetCheck,
  risk: RiskScore,
): PolicyRequest {
  const facts = request.context;
  return {
    agent: request.agent,
    tool: request.tool,
    context: {
      costMicroUsd: facts.costMicroUsd,
      argsBytes: facts.argsBytes,
      firstUse: facts.firstUse,
      riskScore: risk.score,
      riskSignals: risk.signals.map((s) => s.id),
      budget: {
        category: facts.budgetCategory ?? request.tool.category,
        wouldExceed: budget.wouldExceed,
        dailyRemainingMicroUsd: budget.dailyRemainingMicroUsd,
        monthlyRemainingMicroUsd: budget.monthlyRemainingMicroUsd,
      },
    },
  };
}

function budgetReasons(budget: BudgetCheck): DecisionReason[] {
  const own = budget.reasons.filter((r) => r.stage === 'budget' && r.id.startsWith('budget:'));
  return own.length > 0
    ? own
    : [{ stage: 'budget', id: BUDGET_EXCEEDED_REASON_ID, message: 'the call would exceed its budget' }];
}

function riskReasons(risk: RiskScore, threshold: number): DecisionReason[] {
  const reasons = risk.signals.map((s) => ({
    stage: 'risk',
    id: `risk:${s.id}`,
    message: `${s.message} (+${s.points})`,
  }));
  if (reasons.length === 0) {
    reasons.push({
      stage: 'risk',
      id: 'risk:score',
      message: `risk score ${risk.score} is at or above the threshold ${threshold}`,
    });
  }
  return reasons;
}

/**
 * Combines Cedar, budget and risk into one decision. Cedar decides first, with budget and risk in its
 * context; a deny stays a deny. Then a budget overrun turns allow into approval_required (or anything
 * into deny when `budgetOverrun` is `deny`; see {@link isBudgetDenial}), and a risk score at or above
 * the threshold turns allow into approval_required. Budget and risk only ever tighten: the result is
 * never less strict than Cedar's decision. Reasons come from the stages that set the final kind.
 */
export function decideCall(input: DecideCallInput): PolicyDecision {
  const { policy, budget, risk } = input;
  const cedar = policy.evaluate(buildPolicyRequest(input.request, budget, risk));
  if (cedar.kind === 'deny') return cedar;

  let kind: DecisionKind = cedar.kind;
  let reasons: DecisionReason[] = [...cedar.reasons];
  const tighten = (to: DecisionKind, added: DecisionReason[]): void => {
    if (DECISION_STRICTNESS[to] > DECISION_STRICTNESS[kind]) {
      kind = to;
      reasons = added;
    } else if (to === kind) {
      reasons = [...reasons, ...added];
    }
  };

  // Anything but an explicit boolean false counts as an overrun: fail closed.
  if (budget.wouldExceed !== false) {
    tighten(input.budgetOverrun === 'approve' ? 'approval_required' : 'deny', budgetReasons(budget));
  }
  // A threshold that is not a finite number would make `score >= threshold` false: treat it as crossed.
  const threshold = input.riskThreshold;
  if (!Number.isFinite(threshold) || !Number.isFinite(risk.score) || risk.score >= threshold) {
    tighten('approval_required', riskReasons(risk, threshold));
  }
  return { kind, reasons };
}

/**
 * True when `decision` is a deny caused by a budget (a reason from stage `budget` whose id starts with
 * `budget:`): the daemon reports it as `budget_exceeded` rather than `denied`.
 */
export function isBudgetDenial(decision: PolicyDecision): boolean {
  return (
    decision.kind === 'deny' &&
    decision.reasons.some((r) => r.stage === 'budget' && r.id.startsWith('budget:'))
  );
}
