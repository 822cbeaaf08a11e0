import { DEFAULT_POLICY, NO_CAP_REMAINING_MICRO_USD, POLICY_REASON_IDS } from '@briefcase/policy';
import { describe, expect, it } from 'vitest';
import { mustCompile, request } from './helpers.js';

const defaults = mustCompile(DEFAULT_POLICY);

describe('the default policy', () => {
  it('allows a read within budget, citing the permits', () => {
    expect(defaults.evaluate(request())).toEqual({
      kind: 'allow',
      reasons: [
        {
          stage: 'policy',
          id: 'default-permit-read-write',
          message: 'tools that read or write may be called',
        },
        {
          stage: 'policy',
          id: 'default-read-without-approval',
          message: 'reads within budget run without approval',
        },
      ],
    });
  });

  it('requires approval for a write', () => {
    expect(defaults.evaluate(request({ tool: { effect: 'write' } }))).toEqual({
      kind: 'approval_required',
      reasons: [
        {
          stage: 'policy',
          id: POLICY_REASON_IDS.noPermitWithoutApproval,
          message: 'no policy permits this call without a person approving it',
        },
      ],
    });
  });

  it('denies an unknown effect, citing the forbid', () => {
    for (const effect of ['delete', 'READ', '', 'read ']) {
      const decision = defaults.evaluate(request({ tool: { effect } }));
      expect(decision.kind).toBe('deny');
      expect(decision.reasons.map((r) => r.id)).toEqual(['default-forbid-unknown-effect']);
    }
  });

  it('keeps an unknown effect forbidden when a user appends a broad permit', () => {
    const policy = mustCompile(`${DEFAULT_POLICY}\n@id("yolo") permit (principal, action, resource);`);
    expect(policy.evaluate(request({ tool: { effect: 'admin' } })).kind).toBe('deny');
    expect(policy.evaluate(request({ tool: { effect: 'write' } })).kind).toBe('allow');
  });

  it('requires approval for a read that would exceed its budget', () => {
    const decision = defaults.evaluate(request({ context: { budget: { wouldExceed: true } } }));
    expect(decision.kind).toBe('approval_required');
  });

  it('says "no policy permits this call" when nothing permits it', () => {
    const policy = mustCompile(
      '@id("only-notes") permit (principal, action, resource) when { resource.category == "notes" };',
    );
    expect(policy.evaluate(request({ tool: { category: 'payments' } }))).toEqual({
      kind: 'deny',
      reasons: [{ stage: 'policy', id: POLICY_REASON_IDS.noPermit, message: 'no policy permits this call' }],
    });
  });
});

describe('fail closed', () => {
  it('denies when a policy errors at evaluation time (integer overflow), even though a permit matched', () => {
    const policy = mustCompile(
      `${DEFAULT_POLICY}\n@id("overflow") forbid (principal, action, resource) when { context.cost_micro_usd * 9223372036854775807 > 0 };`,
    );
    // cost 0 does not overflow: the forbid is simply false.
    expect(policy.evaluate(request()).kind).toBe('allow');
    const decision = policy.evaluate(request({ context: { costMicroUsd: 2 } }));
    expect(decision.kind).toBe('deny');
    expect(decision.reasons).toHaveLength(1);
    expect(decision.reasons[0]?.id).toBe('overflow');
    expect(decision.reasons[0]?.message).toContain('policy evaluation failed');
    expect(decision.reasons[0]?.message).toContain('overflow');
  });

  it('denies when only the call_without_approval query errors', () => {
    const policy = mustCompile(
      `${DEFAULT_POLICY}\n@id("overflow-cwa") forbid (principal, action == Briefcase::Action::"call_without_approval", resource) when { context.args_bytes * 9223372036854775807 > 0 };`,
    );
    const decision = policy.evaluate(request({ context: { argsBytes: 3 } }));
    expect(decision.kind).toBe('deny');
    expect(decision.reasons[0]?.message).toContain('(call_without_approval)');
  });

  it('denies amounts that Cedar would not see exactly', () => {
    for (const bad of [2 ** 60, -1, 1.5, Number.NaN]) {
      const decision = defaults.evaluate(request({ context: { costMicroUsd: bad } }));
      expect(decision).toEqual({
        kind: 'deny',
        reasons: [expect.objectContaining({ id: POLICY_REASON_IDS.invalidRequest })],
      });
    }
  });

  it('denies structurally broken requests instead of throwing', () => {
    const broken = [
      null,
      {},
      { ...request(), tool: null },
      { ...request(), context: { ...request().context, riskSignals: 'x' } },
      { ...request(), agent: 7 },
      {
        ...request(),
        get tool(): never {
          throw new Error('boom');
        },
      },
    ];
    for (const req of broken) {
      expect(defaults.evaluate(req as never).kind).toBe('deny');
    }
  });
});

describe('context values reach the policy', () => {
  it('passes the no-cap sentinel for a null remaining amount', () => {
    const policy = mustCompile(
      `permit (principal, action, resource) when { context.budget.daily_remaining_micro_usd == ${NO_CAP_REMAINING_MICRO_USD} && context.budget.monthly_remaining_micro_usd == 7 };`,
    );
    expect(policy.evaluate(request({ context: { budget: { monthlyRemainingMicroUsd: 7 } } })).kind).toBe(
      'allow',
    );
    expect(
      policy.evaluate(
        request({ context: { budget: { dailyRemainingMicroUsd: 1, monthlyRemainingMicroUsd: 7 } } }),
      ).kind,
    ).toBe('deny');
  });

  it('passes risk signals as a set and server only when present', () => {
    const policy = mustCompile(
      'permit (principal, action, resource) when { context.risk_signals.contains("large_args") && !(resource has server) };',
    );
    expect(policy.evaluate(request({ context: { riskSignals: ['large_args', 'large_args'] } })).kind).toBe(
      'allow',
    );
    expect(
      policy.evaluate(
        request({ tool: { server: 'x', source: 'mcp' }, context: { riskSignals: ['large_args'] } }),
      ).kind,
    ).toBe('deny');
  });
});

describe('hostile tool and server names', () => {
  const hostile = [
    'a"; permit (principal, action, resource); //',
    'line\nbreak\r\n',
    '\u0000nul',
    'é🎉\u202eevil\u200b',
    'Briefcase::Tool::"x"',
    'x'.repeat(10_000),
    '',
  ];

  it('treats them as data: the default policy decides by effect, never by the name', () => {
    for (const name of hostile) {
      expect(defaults.evaluate(request({ tool: { name } })).kind).toBe('allow');
      expect(defaults.evaluate(request({ tool: { name, effect: 'write' } })).kind).toBe('approval_required');
      expect(
        defaults.evaluate(request({ tool: { name, effect: 'bogus', server: name, source: 'mcp' } })).kind,
      ).toBe('deny');
    }
  });

  it('matches them exactly when a policy compares names', () => {
    const policy = mustCompile(
      `${DEFAULT_POLICY}\n@id("block") forbid (principal, action, resource) when { resource has server && resource.server == "a\\"; permit (principal, action, resource); //" };`,
    );
    expect(policy.evaluate(request({ tool: { server: hostile[0], source: 'mcp' } })).kind).toBe('deny');
    expect(policy.evaluate(request({ tool: { server: 'a', source: 'mcp' } })).kind).toBe('allow');
  });

  it('works as the agent id too', () => {
    for (const name of hostile) {
      expect(defaults.evaluate(request({ agent: name })).kind).toBe('allow');
    }
  });
});
