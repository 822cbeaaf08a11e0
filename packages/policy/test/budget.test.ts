import { type BudgetCap, checkBudget, formatMicroUsd, utcDayStart, utcMonthStart } from '@briefcase/policy';
import { describe, expect, it } from 'vitest';

const cap: BudgetCap = { category: 'payments', dailyCapMicroUsd: 5_000_000, monthlyCapMicroUsd: 20_000_000 };
const nothingSpent = { spentTodayMicroUsd: 0, spentThisMonthMicroUsd: 0 };

describe('checkBudget', () => {
  it('fits a call within both caps and reports what remains', () => {
    const check = checkBudget(
      cap,
      { spentTodayMicroUsd: 1_000_000, spentThisMonthMicroUsd: 3_000_000 },
      2_000_000,
    );
    expect(check).toEqual({
      wouldExceed: false,
      dailyRemainingMicroUsd: 4_000_000,
      monthlyRemainingMicroUsd: 17_000_000,
      reasons: [],
    });
  });

  it('allows a call that lands exactly on the cap', () => {
    const check = checkBudget(cap, { spentTodayMicroUsd: 3_000_000, spentThisMonthMicroUsd: 0 }, 2_000_000);
    expect(check.wouldExceed).toBe(false);
  });

  it('reports a daily overrun with a budget:daily:<category> reason', () => {
    const check = checkBudget(
      cap,
      { spentTodayMicroUsd: 4_500_000, spentThisMonthMicroUsd: 4_500_000 },
      1_000_000,
    );
    expect(check.wouldExceed).toBe(true);
    expect(check.reasons.map((r) => r.id)).toEqual(['budget:daily:payments']);
    expect(check.reasons[0]?.stage).toBe('budget');
    expect(check.reasons[0]?.message).toContain('$0.500000');
  });

  it('reports a monthly overrun separately, and both at once', () => {
    const monthly = checkBudget(
      cap,
      { spentTodayMicroUsd: 0, spentThisMonthMicroUsd: 19_500_000 },
      1_000_000,
    );
    expect(monthly.reasons.map((r) => r.id)).toEqual(['budget:monthly:payments']);
    const both = checkBudget(cap, { spentTodayMicroUsd: 5_000_000, spentThisMonthMicroUsd: 20_000_000 }, 1);
    expect(both.reasons.map((r) => r.id)).toEqual(['budget:daily:payments', 'budget:monthly:payments']);
  });

  it('never lets a zero-cost call exceed, even with the caps used up', () => {
    const check = checkBudget(cap, { spentTodayMicroUsd: 9_000_000, spentThisMonthMicroUsd: 90_000_000 }, 0);
    expect(check).toEqual({
      wouldExceed: false,
      dailyRemainingMicroUsd: 0,
      monthlyRemainingMicroUsd: 0,
      reasons: [],
    });
  });

  it('treats a null cap as no cap for that window', () => {
    const check = checkBudget(
      { category: 'net', dailyCapMicroUsd: null, monthlyCapMicroUsd: 1_000_000 },
      { spentTodayMicroUsd: 10 ** 12, spentThisMonthMicroUsd: 0 },
      500_000,
    );
    // Remaining amounts are before this call.
    expect(check).toMatchObject({
      wouldExceed: false,
      dailyRemainingMicroUsd: null,
      monthlyRemainingMicroUsd: 1_000_000,
    });
  });

  it('fails closed for a priced call in a category without a cap row', () => {
    const check = checkBudget(undefined, nothingSpent, 1, 'payments');
    expect(check.wouldExceed).toBe(true);
    expect(check.reasons.map((r) => r.id)).toEqual(['budget:missing:payments']);
    expect(checkBudget(undefined, nothingSpent, 0).wouldExceed).toBe(false);
  });

  it('fails closed on amounts that are not non-negative integers', () => {
    for (const cost of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(checkBudget(cap, nothingSpent, cost).wouldExceed).toBe(true);
    }
    const badSpend = checkBudget(cap, { spentTodayMicroUsd: Number.NaN, spentThisMonthMicroUsd: 0 }, 1);
    expect(badSpend.wouldExceed).toBe(true);
    expect(badSpend.reasons.map((r) => r.id)).toEqual(['budget:daily:payments']);
  });

  it('never reports a negative remaining amount after a cap was lowered', () => {
    const check = checkBudget(cap, { spentTodayMicroUsd: 7_000_000, spentThisMonthMicroUsd: 0 }, 1);
    expect(check.dailyRemainingMicroUsd).toBe(0);
  });
});

describe('UTC windows', () => {
  it('starts the day and the month at UTC midnight', () => {
    const now = new Date('2026-03-31T23:59:59.999Z');
    expect(new Date(utcDayStart(now)).toISOString()).toBe('2026-03-31T00:00:00.000Z');
    expect(new Date(utcMonthStart(now)).toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });

  it('ignores the local time zone offset in the input', () => {
    const now = new Date('2026-01-01T00:30:00+02:00'); // still Dec 31 in UTC
    expect(new Date(utcDayStart(now)).toISOString()).toBe('2025-12-31T00:00:00.000Z');
    expect(new Date(utcMonthStart(now)).toISOString()).toBe('2025-12-01T00:00:00.000Z');
  });

  it('handles years below 100 (where Date.UTC would add 1900)', () => {
    const now = new Date('0050-06-15T12:00:00Z');
    expect(new Date(utcMonthStart(now)).toISOString()).toBe('0050-06-01T00:00:00.000Z');
  });

  it('rejects an invalid date', () => {
    expect(() => utcDayStart(new Date('nope'))).toThrow(RangeError);
    expect(() => utcMonthStart(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('formatMicroUsd', () => {
  it('prints dollars with six decimals', () => {
    expect(formatMicroUsd(1_500_000)).toBe('$1.500000');
    expect(formatMicroUsd(7)).toBe('$0.000007');
  });
});
