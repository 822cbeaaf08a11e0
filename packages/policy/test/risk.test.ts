import { DEFAULT_RISK_RULES, DEFAULT_RISK_THRESHOLD, type RiskInput, scoreRisk } from '@briefcase/policy';
import { describe, expect, it } from 'vitest';

function input(
  overrides: Partial<Omit<RiskInput, 'history'>> & { history?: Partial<RiskInput['history']> } = {},
): RiskInput {
  return {
    tool: { name: 'notes.search', costMicroUsd: 0 },
    argsBytes: 100,
    costMicroUsd: 0,
    ...overrides,
    history: { previousCalls: 10, medianArgsBytes: 100, maxCostMicroUsd: 0, ...overrides.history },
  };
}

const ids = (i: RiskInput) => scoreRisk(i).signals.map((s) => s.id);

describe('scoreRisk', () => {
  it('scores a routine call zero', () => {
    expect(scoreRisk(input())).toEqual({ score: 0, signals: [] });
  });

  it('flags the first use with 30 points, below the default threshold', () => {
    const risk = scoreRisk(
      input({ history: { previousCalls: 0, medianArgsBytes: null, maxCostMicroUsd: null } }),
    );
    expect(risk.signals.map((s) => [s.id, s.points])).toEqual([['first_use', 30]]);
    expect(risk.score).toBeLessThan(DEFAULT_RISK_THRESHOLD);
  });

  it('flags large arguments against max(4096, 8 × median)', () => {
    expect(ids(input({ argsBytes: 4096, history: { medianArgsBytes: 100 } }))).toEqual([]);
    expect(ids(input({ argsBytes: 4097, history: { medianArgsBytes: 100 } }))).toEqual(['large_args']);
    expect(ids(input({ argsBytes: 8000, history: { medianArgsBytes: 1000 } }))).toEqual([]);
    expect(ids(input({ argsBytes: 8001, history: { medianArgsBytes: 1000 } }))).toEqual(['large_args']);
    expect(ids(input({ argsBytes: 5000, history: { medianArgsBytes: null } }))).toEqual(['large_args']);
  });

  it('puts a first use with large arguments at or over the default threshold', () => {
    const risk = scoreRisk(
      input({
        argsBytes: 10_000,
        history: { previousCalls: 0, medianArgsBytes: null, maxCostMicroUsd: null },
      }),
    );
    expect(risk.score).toBe(70);
    expect(risk.score).toBeGreaterThanOrEqual(DEFAULT_RISK_THRESHOLD);
  });

  it('flags a cost spike above 10 × the highest earlier cost, only for positive costs', () => {
    expect(ids(input({ costMicroUsd: 1000, history: { maxCostMicroUsd: 100 } }))).toEqual([]);
    expect(ids(input({ costMicroUsd: 1001, history: { maxCostMicroUsd: 100 } }))).toEqual(['cost_spike']);
    expect(ids(input({ costMicroUsd: 1, history: { maxCostMicroUsd: 0 } }))).toEqual(['cost_spike']);
    expect(ids(input({ costMicroUsd: 0, history: { maxCostMicroUsd: 0 } }))).toEqual([]);
    expect(ids(input({ costMicroUsd: 5, history: { maxCostMicroUsd: null } }))).toEqual([]);
    expect(scoreRisk(input({ costMicroUsd: 1001, history: { maxCostMicroUsd: 100 } })).score).toBe(60);
  });

  it('fires a rule whose measurement is invalid instead of staying silent', () => {
    expect(ids(input({ argsBytes: Number.NaN }))).toEqual(['large_args']);
    expect(ids(input({ costMicroUsd: -5 }))).toEqual(['cost_spike']);
    expect(ids(input({ history: { previousCalls: Number.NaN } }))).toEqual(['first_use']);
  });

  it('honours custom rules and refuses rules that could loosen', () => {
    const rules = { ...DEFAULT_RISK_RULES, firstUse: { points: 100 } };
    expect(scoreRisk(input({ history: { previousCalls: 0 } }), rules).score).toBe(100);
    expect(() => scoreRisk(input(), { ...DEFAULT_RISK_RULES, firstUse: { points: -10 } })).toThrow(
      RangeError,
    );
    expect(() => scoreRisk(input(), { ...DEFAULT_RISK_RULES, firstUse: { points: 1.5 } })).toThrow(
      RangeError,
    );
  });

  it('exports the default thresholds as data', () => {
    expect(DEFAULT_RISK_RULES).toEqual({
      firstUse: { points: 30 },
      largeArgs: { points: 40, minBytes: 4096, medianMultiplier: 8 },
      costSpike: { points: 60, multiplier: 10 },
    });
    expect(DEFAULT_RISK_THRESHOLD).toBe(60);
  });

  it('escapes a hostile tool name in the first-use message', () => {
    const risk = scoreRisk(
      input({
        tool: { name: 'x\n\u202eevil"'.padEnd(10_000, 'a'), costMicroUsd: 0 },
        history: { previousCalls: 0 },
      }),
    );
    const message = risk.signals[0]?.message ?? '';
    expect(message).not.toMatch(/[\n\u202e]/);
    expect(message).toContain('\\u000a');
    expect(message.length).toBeLessThan(200);
  });
});
