import { DEFAULT_POLICY, type PolicyDecision } from '@briefcase/policy';
import { describe, expect, it } from 'vitest';
import { memoizeDecisions } from '../src/memo.js';
import { mustCompile, request } from './helpers.js';

describe('memoized decisions', () => {
  it('asks once per distinct request and returns the same answer', () => {
    let asked = 0;
    const decide = memoizeDecisions((r: { n: number }): PolicyDecision => {
      asked += 1;
      return {
        kind: r.n > 1 ? 'deny' : 'allow',
        reasons: [{ stage: 'policy', id: `p${r.n}`, message: 'm' }],
      };
    });
    expect(decide({ n: 1 })).toEqual(decide({ n: 1 }));
    expect(decide({ n: 2 }).kind).toBe('deny');
    expect(asked).toBe(2);
    expect(Object.isFrozen(decide({ n: 1 }).reasons)).toBe(true);
  });

  it('forgets the least recently used request past its size', () => {
    let asked = 0;
    const decide = memoizeDecisions((r: { n: number }): PolicyDecision => {
      asked += 1;
      return { kind: 'allow', reasons: [{ stage: 'policy', id: String(r.n), message: '' }] };
    }, 2);
    decide({ n: 1 });
    decide({ n: 2 });
    decide({ n: 1 }); // 1 is now the most recent
    decide({ n: 3 }); // evicts 2
    decide({ n: 1 });
    expect(asked).toBe(3);
    decide({ n: 2 });
    expect(asked).toBe(4);
  });

  it('passes a request it cannot serialize straight through', () => {
    let asked = 0;
    const decide = memoizeDecisions((): PolicyDecision => {
      asked += 1;
      return { kind: 'deny', reasons: [] };
    });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    decide(cyclic);
    decide(cyclic);
    expect(asked).toBe(2);
  });

  it('keeps a compiled policy exact: a different context gets its own decision', () => {
    const policy = mustCompile(DEFAULT_POLICY);
    expect(policy.evaluate(request()).kind).toBe('allow');
    expect(policy.evaluate(request({ tool: { effect: 'write' } })).kind).toBe('approval_required');
    expect(policy.evaluate(request()).kind).toBe('allow');
    expect(policy.evaluate(request({ context: { budget: { wouldExceed: true } } })).kind).toBe(
      'approval_required',
    );
  });

  it('answers nothing from memory once the policy is disposed', () => {
    const policy = mustCompile(DEFAULT_POLICY);
    expect(policy.evaluate(request()).kind).toBe('allow');
    policy.dispose();
    expect(policy.evaluate(request())).toMatchObject({ kind: 'deny', reasons: [{ id: 'policy:disposed' }] });
  });
});
