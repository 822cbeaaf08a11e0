import type { DecisionReason, MicroUsd } from '@briefcase/core';

/** The caps of one budget category. `null` means no cap for that window. */
export interface BudgetCap {
  category: string;
  dailyCapMicroUsd: MicroUsd | null;
  monthlyCapMicroUsd: MicroUsd | null;
}

/** What the category already spent in the current UTC day and month (see {@link utcDayStart}). */
export interface BudgetSpend {
  spentTodayMicroUsd: MicroUsd;
  spentThisMonthMicroUsd: MicroUsd;
}

/**
 * Whether one call fits its category's budget. Remaining amounts are what is left before this call,
 * never negative; `null` means "no cap for this window".
 */
export interface BudgetCheck {
  wouldExceed: boolean;
  dailyRemainingMicroUsd: MicroUsd | null;
  monthlyRemainingMicroUsd: MicroUsd | null;
  /** One reason per exceeded window (stage `budget`, id `budget:daily:<category>` / `budget:monthly:<category>`). */
  reasons: DecisionReason[];
}

function isAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Formats micro-USD for people: 1500000 → "$1.500000". */
export function formatMicroUsd(amount: MicroUsd): string {
  if (!Number.isSafeInteger(amount)) return `${amount} micro-USD`;
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}$${Math.trunc(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, '0')}`;
}

function checkWindow(
  window: 'daily' | 'monthly',
  category: string,
  cap: MicroUsd | null,
  spent: MicroUsd,
  cost: MicroUsd,
): { remaining: MicroUsd | null; reason?: DecisionReason } {
  if (cap === null) return { remaining: null };
  const id = `budget:${window}:${category}`;
  const valid = isAmount(cap) && isAmount(spent);
  // Spending can pass a cap that was lowered later; "remaining" never goes below zero.
  const remaining = valid ? Math.max(0, cap - spent) : 0;
  if (cost === 0) return { remaining };
  if (!valid) {
    return {
      remaining: 0,
      reason: {
        stage: 'budget',
        id,
        message: `the ${window} budget of "${category}" has an invalid cap or spend record; fix it with \`briefcase budgets set\``,
      },
    };
  }
  if (cost <= remaining) return { remaining };
  return {
    remaining,
    reason: {
      stage: 'budget',
      id,
      message: `costs ${formatMicroUsd(cost)} but only ${formatMicroUsd(remaining)} of the ${window} ${formatMicroUsd(cap)} budget of "${category}" is left`,
    },
  };
}

/**
 * Checks one call against its category's caps. Pure: the caller supplies what was spent.
 *
 * - A zero-cost call never exceeds.
 * - No cap row at all (`cap` undefined) and a positive cost: would exceed (fail closed: priced calls
 *   need a budget). Remaining is reported as 0 for both windows, reason id `budget:missing:<category>`
 *   (`category` is the optional fourth argument, since there is no cap row to take it from).
 * - Invalid amounts (negative, fractional, NaN) also fail closed as "would exceed".
 */
export function checkBudget(
  cap: BudgetCap | undefined,
  spend: BudgetSpend,
  costMicroUsd: MicroUsd,
  category: string = cap?.category ?? 'unknown',
): BudgetCheck {
  if (!isAmount(costMicroUsd)) {
    return {
      wouldExceed: true,
      dailyRemainingMicroUsd: 0,
      monthlyRemainingMicroUsd: 0,
      reasons: [
        {
          stage: 'budget',
          id: `budget:invalid:${category}`,
          message: `the call's cost (${String(costMicroUsd)}) is not a non-negative integer number of micro-USD`,
        },
      ],
    };
  }
  if (cap === undefined) {
    const wouldExceed = costMicroUsd > 0;
    return {
      wouldExceed,
      dailyRemainingMicroUsd: 0,
      monthlyRemainingMicroUsd: 0,
      reasons: wouldExceed
        ? [
            {
              stage: 'budget',
              id: `budget:missing:${category}`,
              message: `costs ${formatMicroUsd(costMicroUsd)} but category "${category}" has no budget; set one with \`briefcase budgets set\``,
            },
          ]
        : [],
    };
  }
  const daily = checkWindow(
    'daily',
    cap.category,
    cap.dailyCapMicroUsd,
    spend.spentTodayMicroUsd,
    costMicroUsd,
  );
  const monthly = checkWindow(
    'monthly',
    cap.category,
    cap.monthlyCapMicroUsd,
    spend.spentThisMonthMicroUsd,
    costMicroUsd,
  );
  const reasons = [daily.reason, monthly.reason].filter((r): r is DecisionReason => r !== undefined);
  return {
    wouldExceed: reasons.length > 0,
    dailyRemainingMicroUsd: daily.remaining,
    monthlyRemainingMicroUsd: monthly.remaining,
    reasons,
  };
}

function assertValidDate(now: Date): void {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new RangeError('invalid date');
}

/** Start of the UTC calendar day containing `now`, in epoch milliseconds. Throws RangeError on an invalid date. */
export function utcDayStart(now: Date): number {
  assertValidDate(now);
  // setUTCHours rather than Date.UTC(y, m, d): Date.UTC maps years 0-99 to 1900-1999.
  return new Date(now.getTime()).setUTCHours(0, 0, 0, 0);
}

/** Start of the UTC calendar month containing `now`, in epoch milliseconds. Throws RangeError on an invalid date. */
export function utcMonthStart(now: Date): number {
  assertValidDate(now);
  const start = new Date(now.getTime());
  start.setUTCDate(1);
  return start.setUTCHours(0, 0, 0, 0);
}
