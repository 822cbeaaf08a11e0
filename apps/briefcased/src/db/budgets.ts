import type { BudgetCap, BudgetSpend } from '@briefcase/policy';
import { utcDayStart, utcMonthStart } from '@briefcase/policy';
import type { Db } from './open.js';

export interface BudgetView extends BudgetCap, BudgetSpend {}

/** Per-category caps and the spend ledger they are checked against (integer micro-USD). */
export interface BudgetStore {
  cap(category: string): BudgetCap | undefined;
  spend(category: string, nowMs: number): BudgetSpend;
  record(category: string, amountMicroUsd: number, nowMs: number, receiptSeq: number): void;
  set(cap: BudgetCap, nowMs: number): void;
  list(nowMs: number): BudgetView[];
}

interface CapRow {
  category: string;
  daily_cap_micro_usd: number | null;
  monthly_cap_micro_usd: number | null;
}

export function createBudgetStore(db: Db): BudgetStore {
  const capStmt = db.prepare<[string], CapRow>('SELECT * FROM budgets WHERE category = ?');
  const allCaps = db.prepare<[], CapRow>('SELECT * FROM budgets ORDER BY category');
  const spentSince = db.prepare<[string, number], { total: number }>(
    'SELECT coalesce(sum(amount_micro_usd), 0) AS total FROM spend WHERE category = ? AND ts_ms >= ?',
  );
  const insertSpend = db.prepare(
    'INSERT INTO spend (ts_ms, category, amount_micro_usd, receipt_seq) VALUES (?, ?, ?, ?)',
  );
  const upsert = db.prepare(
    `INSERT INTO budgets (category, daily_cap_micro_usd, monthly_cap_micro_usd, updated_at_ms)
     VALUES (@category, @daily, @monthly, @now)
     ON CONFLICT (category) DO UPDATE SET daily_cap_micro_usd = @daily, monthly_cap_micro_usd = @monthly,
       updated_at_ms = @now`,
  );
  const toCap = (row: CapRow): BudgetCap => ({
    category: row.category,
    dailyCapMicroUsd: row.daily_cap_micro_usd,
    monthlyCapMicroUsd: row.monthly_cap_micro_usd,
  });
  const spend = (category: string, nowMs: number): BudgetSpend => {
    const now = new Date(nowMs);
    return {
      spentTodayMicroUsd: (spentSince.get(category, utcDayStart(now)) as { total: number }).total,
      spentThisMonthMicroUsd: (spentSince.get(category, utcMonthStart(now)) as { total: number }).total,
    };
  };
  return {
    cap(category) {
      const row = capStmt.get(category);
      return row && toCap(row);
    },
    spend,
    record(category, amount, nowMs, receiptSeq) {
      if (amount > 0) insertSpend.run(nowMs, category, amount, receiptSeq);
    },
    set(cap, nowMs) {
      upsert.run({
        category: cap.category,
        daily: cap.dailyCapMicroUsd,
        monthly: cap.monthlyCapMicroUsd,
        now: nowMs,
      });
    },
    list(nowMs) {
      return allCaps.all().map((row) => ({ ...toCap(row), ...spend(row.category, nowMs) }));
    },
  };
}
