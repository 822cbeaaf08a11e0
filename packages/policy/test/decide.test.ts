import type { DecisionReason } from '@briefcase/core';
import {
  type BudgetCheck,
  buildPolicyRequest,
  type CallRequest,
  checkBudget,
  DECISION_STRICTNESS,
  DEFAULT_POLICY,
  DEFAULT_RISK_THRESHOLD,
  decideCall,
  isBudgetDenial,
  type RiskScore,
  scoreRisk,
} from '@briefcase/policy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mustCompile, withDefault } from './helpers.js';

const defaults = mustCompile(DEFAULT_POLICY);

function call(
  overrides: { effect?: string; category?: string; cost?: number; budgetCategory?: string } = {},
) {
  const cost = overrides.cost ?? 0;
  const req: CallRequest = {
    agent: 'default',
    tool: {
      name: 'notes.search',
      category: overrides.category ?? 'notes',
      effect: overrides.effect ?? 'read',
      costMicroUsd: cost,
      source: 'builtin',
    },
    context: { costMicroUsd: cost, argsBytes: 50, firstUse: false },
  };
  if (overrides.budgetCategory !== undefined) req.context.budgetCategory = overrides.budgetCategory;
  return req;
}

const withinBudget: BudgetCheck = {
  wouldExceed: false,
  dailyRemainingMicroUsd: null,
  monthlyRemainingMicroUsd: null,
  reasons: [],
};
const overBudget: BudgetCheck = checkBudget(
  { category: 'notes', dailyCapMicroUsd: 10, monthlyCapMicroUsd: null },
  { spentTodayMicroUsd: 10, spentThisMonthMicroUsd: 10 },
  5,
);
const noRisk: RiskScore = { score: 0, signals: [] };
const risky: RiskScore = {
  score: 70,
  signals: [
    { id: 'first_use', points: 30, message: 'first call' },
    { id: 'large_args', points: 40, message: 'big' },
  ],
};

const base = { policy: defaults, riskThreshold: DEFAULT_RISK_THRESHOLD, budgetOverrun: 'approve' as const };

describe('decideCall', () => {
  it('allows a routine read', () => {
    const decision = decideCall({ ...base, request: call(), budget: withinBudget, risk: noRisk });
    expect(decision.kind).toBe('allow');
  });

  it('turns a budget overrun into approval, or into a budget denial', () => {
    const approve = decideCall({ ...base, request: call({ cost: 5 }), budget: overBudget, risk: noRisk });
    expect(approve.kind).toBe('approval_required');
    expect(approve.reasons.map((r) => r.id)).toContain('budget:daily:notes');
    expect(isBudgetDenial(approve)).toBe(false);

    const deny = decideCall({
      ...base,
      budgetOverrun: 'deny',
      request: call({ cost: 5 }),
      budget: overBudget,
      risk: noRisk,
    });
    expect(deny).toEqual({ kind: 'deny', reasons: overBudget.reasons });
    expect(isBudgetDenial(deny)).toBe(true);
  });

  it('denies an over-budget write when overruns deny, even though the policy only asked for approval', () => {
    const decision = decideCall({
      ...base,
      budgetOverrun: 'deny',
      request: call({ effect: 'write', cost: 5 }),
      budget: overBudget,
      risk: noRisk,
    });
    expect(isBudgetDenial(decision)).toBe(true);
  });

  it('keeps the policy reasons and adds the budget reasons when both ask for approval', () => {
    const decision = decideCall({
      ...base,
      request: call({ effect: 'write', cost: 5 }),
      budget: overBudget,
      risk: noRisk,
    });
    expect(decision.kind).toBe('approval_required');
    expect(decision.reasons.map((r) => r.stage)).toEqual(['policy', 'budget']);
  });

  it('leaves a Cedar deny alone: not a budget denial, even with an overrun', () => {
    const decision = decideCall({
      ...base,
      budgetOverrun: 'deny',
      request: call({ effect: 'exec', cost: 5 }),
      budget: overBudget,
      risk: risky,
    });
    expect(decision.reasons.map((r) => r.id)).toEqual(['default-forbid-unknown-effect']);
    expect(isBudgetDenial(decision)).toBe(false);
  });

  it('does not mistake a policy named budget:... for a budget denial', () => {
    const policy = mustCompile('@id("budget:fake") forbid (principal, action, resource);');
    const decision = decideCall({ ...base, policy, request: call(), budget: withinBudget, risk: noRisk });
    expect(decision.kind).toBe('deny');
    expect(isBudgetDenial(decision)).toBe(false);
  });

  it('asks for approval at or above the risk threshold, one reason per signal', () => {
    const decision = decideCall({ ...base, request: call(), budget: withinBudget, risk: risky });
    expect(decision.kind).toBe('approval_required');
    expect(decision.reasons.map((r) => [r.stage, r.id])).toEqual([
      ['risk', 'risk:first_use'],
      ['risk', 'risk:large_args'],
    ]);
    const atThreshold = decideCall({
      ...base,
      riskThreshold: 70,
      request: call(),
      budget: withinBudget,
      risk: risky,
    });
    expect(atThreshold.kind).toBe('approval_required');
    const below = decideCall({
      ...base,
      riskThreshold: 71,
      request: call(),
      budget: withinBudget,
      risk: risky,
    });
    expect(below.kind).toBe('allow');
  });

  it('treats a threshold that is not a number as crossed', () => {
    const decision = decideCall({
      ...base,
      riskThreshold: Number.NaN,
      request: call(),
      budget: withinBudget,
      risk: noRisk,
    });
    expect(decision.kind).toBe('approval_required');
  });

  it('reports an overrun without reasons as budget:exceeded', () => {
    const decision = decideCall({
      ...base,
      budgetOverrun: 'deny',
      request: call(),
      budget: { ...withinBudget, wouldExceed: true },
      risk: noRisk,
    });
    expect(decision.reasons.map((r) => r.id)).toEqual(['budget:exceeded']);
    expect(isBudgetDenial(decision)).toBe(true);
  });

  it('gives Cedar the budget category, risk score and signals', () => {
    const policy = mustCompile(
      withDefault(
        '@id("see") forbid (principal, action, resource) when { context.budget.category == "team-a" && context.risk_score == 70 && context.risk_signals.contains("large_args") };',
      ),
    );
    const input = { ...base, policy, riskThreshold: 1000, budget: withinBudget, risk: risky };
    expect(decideCall({ ...input, request: call({ budgetCategory: 'team-a' }) }).kind).toBe('deny');
    expect(decideCall({ ...input, request: call() }).kind).toBe('allow');
  });

  it('runs end to end with real budget and risk checks: first use alone passes, first use with large args does not', () => {
    const history = { previousCalls: 0, medianArgsBytes: null, maxCostMicroUsd: null };
    const budget = checkBudget(
      { category: 'notes', dailyCapMicroUsd: null, monthlyCapMicroUsd: null },
      { spentTodayMicroUsd: 0, spentThisMonthMicroUsd: 0 },
      0,
    );
    const firstUse = scoreRisk({
      tool: { name: 'notes.search', costMicroUsd: 0 },
      argsBytes: 50,
      costMicroUsd: 0,
      history,
    });
    expect(decideCall({ ...base, request: call(), budget, risk: firstUse }).kind).toBe('allow');
    const big = scoreRisk({
      tool: { name: 'notes.search', costMicroUsd: 0 },
      argsBytes: 9000,
      costMicroUsd: 0,
      history,
    });
    const decision = decideCall({ ...base, request: call(), budget, risk: big });
    expect(decision.kind).toBe('approval_required');
    expect(decision.reasons.map((r) => r.id)).toEqual(['risk:first_use', 'risk:large_args']);
  });
});

describe('decideCall never loosens the Cedar decision (property)', () => {
  const policies = [
    defaults,
    mustCompile('permit (principal, action, resource);'),
    mustCompile('forbid (principal, action, resource);'),
    mustCompile('// empty: denies everything\n'),
    mustCompile(
      withDefault(
        'forbid (principal, action == Briefcase::Action::"call_without_approval", resource) when { resource.category == "payments" && context.cost_micro_usd > 1000000 };',
      ),
    ),
    mustCompile(
      withDefault(
        'forbid (principal, action == Briefcase::Action::"call_without_approval", resource) when { context.risk_score > 30 };',
      ),
    ),
    // Errors at evaluation time (overflow) for large costs: must deny.
    mustCompile(
      withDefault(
        'forbid (principal, action, resource) when { context.cost_micro_usd * 4611686018427387904 > 0 };',
      ),
    ),
    mustCompile(
      'permit (principal, action, resource) when { context.budget.would_exceed || context.first_use };',
    ),
  ];

  const amount = fc.oneof(
    fc.constant(0),
    fc.integer({ min: 0, max: 5_000_000 }),
    fc.constant(Number.MAX_SAFE_INTEGER),
  );
  const remaining = fc.option(amount, { nil: null });
  const signal = fc.record({
    id: fc.constantFrom('first_use', 'large_args', 'cost_spike', 'custom'),
    points: fc.integer({ min: 0, max: 80 }),
    message: fc.string(),
  });
  const arbitraryInput = fc.record({
    policyIndex: fc.integer({ min: 0, max: policies.length - 1 }),
    effect: fc.constantFrom('read', 'write', 'exec', ''),
    category: fc.constantFrom('notes', 'payments', 'network'),
    name: fc.string({ maxLength: 40 }),
    cost: amount,
    argsBytes: fc.integer({ min: 0, max: 100_000 }),
    firstUse: fc.boolean(),
    signals: fc.array(signal, { maxLength: 3 }),
    budget: fc.record({
      wouldExceed: fc.boolean(),
      dailyRemainingMicroUsd: remaining,
      monthlyRemainingMicroUsd: remaining,
      reasons: fc.constant<DecisionReason[]>([]),
    }),
    riskThreshold: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constant(Number.NaN)),
    budgetOverrun: fc.constantFrom('approve' as const, 'deny' as const),
  });

  it('holds for random policies, budgets and risks', () => {
    fc.assert(
      fc.property(arbitraryInput, (input) => {
        const policy = policies[input.policyIndex] ?? defaults;
        const request: CallRequest = {
          agent: 'default',
          tool: {
            name: input.name,
            category: input.category,
            effect: input.effect,
            costMicroUsd: input.cost,
            source: 'mcp',
            server: input.name,
          },
          context: { costMicroUsd: input.cost, argsBytes: input.argsBytes, firstUse: input.firstUse },
        };
        const risk: RiskScore = {
          score: input.signals.reduce((sum, s) => sum + s.points, 0),
          signals: input.signals,
        };
        const budget: BudgetCheck = input.budget;
        const cedarAlone = policy.evaluate(buildPolicyRequest(request, budget, risk));
        const combined = decideCall({
          policy,
          request,
          budget,
          risk,
          riskThreshold: input.riskThreshold,
          budgetOverrun: input.budgetOverrun,
        });
        expect(DECISION_STRICTNESS[combined.kind]).toBeGreaterThanOrEqual(
          DECISION_STRICTNESS[cedarAlone.kind],
        );
        if (cedarAlone.kind === 'deny') expect(combined).toEqual(cedarAlone);
        if (combined.kind === 'allow') {
          expect(budget.wouldExceed).toBe(false);
          expect(risk.score).toBeLessThan(input.riskThreshold);
        }
        if (budget.wouldExceed && cedarAlone.kind !== 'deny') {
          expect(combined.kind).toBe(input.budgetOverrun === 'deny' ? 'deny' : 'approval_required');
          expect(isBudgetDenial(combined)).toBe(input.budgetOverrun === 'deny');
        }
      }),
      { numRuns: 400 },
    );
  });
});
