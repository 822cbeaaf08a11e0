import { type BodyOf, listBudgets, type ParamsOf, setBudget } from '@briefcase/api';
import type { FastifyInstance } from 'fastify';
import { ADMIN } from '../auth.js';
import type { BudgetStore } from '../db/budgets.js';
import type { ReceiptWriter } from '../kernel/receipt-writer.js';

/** What the budget routes read and write; a cap change and its receipt share one transaction. */
export interface BudgetRouteDeps {
  budgets: BudgetStore;
  writer: ReceiptWriter;
  clock: () => Date;
}

/** Registers the admin's budget routes: list with current spend, set the caps of a category. */
export function registerBudgetRoutes(app: FastifyInstance, deps: BudgetRouteDeps): void {
  app.get(
    listBudgets.url,
    {
      config: { roles: ADMIN },
      schema: listBudgets.schema,
    },
    async () => ({ budgets: deps.budgets.list(deps.clock().getTime()) }),
  );

  app.put(
    setBudget.url,
    {
      config: { roles: ADMIN, admin: 'budget.set' },
      schema: setBudget.schema,
    },
    async (request) => {
      const { category } = request.params as ParamsOf<typeof setBudget>;
      const body = request.body as BodyOf<typeof setBudget>;
      const now = deps.clock();
      const cap = {
        category,
        dailyCapMicroUsd: body.dailyCapMicroUsd,
        monthlyCapMicroUsd: body.monthlyCapMicroUsd ?? null,
      };
      await deps.writer.commit((tx) => {
        deps.budgets.set(cap, now.getTime());
        tx.append('budget_update', { ...cap, by: 'local-admin' });
      });
      const budget = deps.budgets.list(now.getTime()).find((b) => b.category === category);
      return { budget };
    },
  );
}
