import { type CompiledPolicy, compilePolicy, DEFAULT_POLICY, type PolicyRequest } from '@briefcase/policy';

/** Compiles `text` or fails the test with Cedar's problems. */
export function mustCompile(text: string): CompiledPolicy {
  const result = compilePolicy(text);
  if (!result.ok) throw new Error(`policy did not compile: ${JSON.stringify(result.errors, null, 2)}`);
  return result.policy;
}

/** The default policy with `extra` appended. */
export function withDefault(extra: string): string {
  return `${DEFAULT_POLICY}\n${extra}\n`;
}

type DeepPartialRequest = {
  agent?: string;
  tool?: Partial<PolicyRequest['tool']>;
  context?: Partial<Omit<PolicyRequest['context'], 'budget'>> & {
    budget?: Partial<PolicyRequest['context']['budget']>;
  };
};

/** A harmless read request (free builtin tool, within budget, no risk), with `overrides` applied. */
export function request(overrides: DeepPartialRequest = {}): PolicyRequest {
  const tool = {
    name: 'notes.search',
    category: 'notes',
    effect: 'read',
    costMicroUsd: 0,
    source: 'builtin',
    ...overrides.tool,
  };
  const { budget, ...context } = overrides.context ?? {};
  return {
    agent: overrides.agent ?? 'default',
    tool,
    context: {
      costMicroUsd: 0,
      argsBytes: 20,
      firstUse: false,
      riskScore: 0,
      riskSignals: [],
      ...context,
      budget: {
        category: tool.category,
        wouldExceed: false,
        dailyRemainingMicroUsd: null,
        monthlyRemainingMicroUsd: null,
        ...budget,
      },
    },
  };
}
