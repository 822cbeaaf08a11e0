import { compileCheck, listBudgets, setBudget } from '@briefcase/api';
import { type DaemonHttp, pathSegment } from '../daemon-http.js';
import type { BudgetCaps, BudgetView } from '../types.js';
import type { RequestOptions } from './options.js';

/** Spending caps per category and what was spent. */
export interface BudgetMethods {
  listBudgets(options?: RequestOptions): Promise<BudgetView[]>;
  setBudget(category: string, caps: BudgetCaps, options?: RequestOptions): Promise<BudgetView>;
}

const list = compileCheck(listBudgets.schema.response[200]);
const set = compileCheck(setBudget.schema.response[200]);

export function budgetMethods(http: DaemonHttp): BudgetMethods {
  return {
    async listBudgets(opts = {}) {
      return (await http.json({ method: 'GET', path: '/v1/budgets', signal: opts.signal }, list)).budgets;
    },

    async setBudget(category, caps, opts = {}) {
      const path = `/v1/budgets/${pathSegment(category, 'category')}`;
      return (await http.json({ method: 'PUT', path, body: caps, signal: opts.signal }, set)).budget;
    },
  };
}
