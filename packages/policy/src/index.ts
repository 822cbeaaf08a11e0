export {
  type BudgetCap,
  type BudgetCheck,
  type BudgetSpend,
  checkBudget,
  formatMicroUsd,
  utcDayStart,
  utcMonthStart,
} from './budget.js';
export { compilePolicy, MAX_POLICY_TEXT_BYTES } from './compile.js';
export {
  BUDGET_EXCEEDED_REASON_ID,
  buildPolicyRequest,
  type CallFacts,
  type CallRequest,
  DECISION_STRICTNESS,
  type DecideCallInput,
  decideCall,
  isBudgetDenial,
} from './decide.js';
export { DEFAULT_POLICY } from './default-policy.js';
export { POLICY_REASON_IDS } from './evaluate.js';
export { policyTextForDisplay } from './policy-text.js';
export {
  DEFAULT_RISK_RULES,
  DEFAULT_RISK_THRESHOLD,
  type RiskInput,
  type RiskRules,
  type RiskScore,
  type RiskSignal,
  scoreRisk,
} from './risk.js';
export { CEDAR_SCHEMA, NO_CAP_REMAINING_MICRO_USD } from './schema.js';
export type {
  CompiledPolicy,
  CompileResult,
  PolicyBudgetContext,
  PolicyContext,
  PolicyDecision,
  PolicyProblem,
  PolicyRequest,
  PolicyTool,
  RelayPolicyRequest,
} from './types.js';
