import type { ToolDefinition } from '@briefcase/core';
import {
  type CompiledPolicy,
  checkBudget,
  decideCall,
  type PolicyDecision,
  scoreRisk,
} from '@briefcase/policy';
import type { BudgetStore } from '../db/budgets.js';
import type { ToolStatsStore } from '../db/stats.js';
import type { Caller } from '../kernel/action.js';
import type { PipelineSettings } from './settings.js';

/** What the decide stage reads: spend and caps, call history, the active policy, and its thresholds. */
export interface DecideDeps {
  budgets: BudgetStore;
  stats: ToolStatsStore;
  policy: () => CompiledPolicy;
  settings: Pick<PipelineSettings, 'riskThreshold' | 'budgetOverrun'>;
}

/** The call being decided; `reservedMicroUsd` is what calls in flight in its category have reserved. */
export interface CallToDecide {
  tool: ToolDefinition;
  caller: Caller;
  argsBytes: number;
  nowMs: number;
  reservedMicroUsd: number;
}

/**
 * Decides a validated call: the budget check (counting spend reserved by calls in flight), the risk
 * score from the tool's history, then the Cedar policy over both. Throws when evaluation fails; the
 * caller must treat that as a denial.
 */
export function decide(deps: DecideDeps, call: CallToDecide): PolicyDecision {
  const { tool: def, caller, argsBytes, nowMs, reservedMicroUsd: inFlight } = call;
  const spend = deps.budgets.spend(def.category, nowMs);
  const budget = checkBudget(
    deps.budgets.cap(def.category),
    {
      spentTodayMicroUsd: spend.spentTodayMicroUsd + inFlight,
      spentThisMonthMicroUsd: spend.spentThisMonthMicroUsd + inFlight,
    },
    def.costMicroUsd,
    def.category,
  );
  const history = deps.stats.history(def.name);
  const risk = scoreRisk({
    tool: { name: def.name, costMicroUsd: def.costMicroUsd },
    argsBytes,
    costMicroUsd: def.costMicroUsd,
    history,
  });
  return decideCall({
    policy: deps.policy(),
    request: {
      agent: caller.agent,
      tool: {
        name: def.name,
        category: def.category,
        effect: def.effect,
        costMicroUsd: def.costMicroUsd,
        source: def.source.kind,
        ...(def.source.server !== undefined ? { server: def.source.server } : {}),
      },
      context: { costMicroUsd: def.costMicroUsd, argsBytes, firstUse: history.previousCalls === 0 },
    },
    budget,
    risk,
    riskThreshold: deps.settings.riskThreshold,
    budgetOverrun: deps.settings.budgetOverrun,
  });
}
