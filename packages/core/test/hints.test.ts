import { describe, expect, it } from 'vitest';
import { DENIAL_CATALOG, ERROR_CATALOG, ERROR_CODES, errorHint } from '../src/errors.js';

describe('error hints', () => {
  it('never tell the agent to run a briefcase command (it holds no admin token)', () => {
    for (const entry of [...Object.values(ERROR_CATALOG), ...Object.values(DENIAL_CATALOG)]) {
      expect(entry.agentHint).not.toMatch(/`briefcase |briefcase (policy|approvals|budgets|mcp)/);
    }
  });

  it('pick the hint of who refused a denial, for each reader', () => {
    expect(errorHint('denied', { deniedBy: 'person' }, 'person')).toBe(DENIAL_CATALOG.person.hint);
    expect(errorHint('denied', { deniedBy: 'person' }, 'agent')).toBe(DENIAL_CATALOG.person.agentHint);
    expect(errorHint('denied', { deniedBy: 'approval', receiptSeq: 3 }, 'person')).toBe(
      DENIAL_CATALOG.approval.hint,
    );
    // A person's denial is not the policy's: the two hints must not say the same thing.
    expect(DENIAL_CATALOG.person.hint).not.toMatch(/polic/i);
    expect(DENIAL_CATALOG.approval.hint).not.toMatch(/polic/i);
  });

  it('fall back to the code’s own hint for an unknown or missing source', () => {
    for (const details of [undefined, null, {}, { deniedBy: 'toString' }, { deniedBy: 7 }, ['policy']]) {
      expect(errorHint('denied', details, 'person')).toBe(ERROR_CATALOG.denied.hint);
    }
    for (const code of ERROR_CODES) {
      expect(errorHint(code, { deniedBy: 'person' }, 'agent')).toBe(
        code === 'denied' ? DENIAL_CATALOG.person.agentHint : ERROR_CATALOG[code].agentHint,
      );
    }
  });
});
