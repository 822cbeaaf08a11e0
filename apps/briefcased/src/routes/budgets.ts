import type { FastifyInstance } from 'fastify';
import { ADMIN } from '../auth.js';
import type { BudgetStore } from '../db/budgets.js';
import type { ReceiptWriter } from '../kernel/receipt-writer.js';
import { BUDGET_CAP, errorResponses, ref } from '../schemas.js';

const CATEGORY = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';

/** What the budget routes read and write; a cap change and its receipt share one transaction. */
export interface BudgetRouteDeps {
  budgets: BudgetStore;
  writer: ReceiptWriter;
  clock: () => Date;
}

/** Registers the admin's budget routes: list with current spend, set the caps of a category. */
export function registerBudgetRoutes(app: FastifyInstance, deps: BudgetRouteDeps): void {
  app.get(
    '/v1/budgets',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Budgets per category with current spend (integer micro-USD; UTC day and month)',
        response: {
          200: {
            type: 'object',
            properties: { budgets: { type: 'array', items: ref('Budget') } },
            required: ['budgets'],
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async () => ({ budgets: deps.budgets.list(deps.clock().getTime()) }),
  );

  app.put(
    '/v1/budgets/:category',
    {
      config: { roles: ADMIN, admin: 'budget.set' },
      schema: {
        summary: 'Set the daily and monthly caps of a category (null = no cap for that window)',
        params: {
          type: 'object',
          properties: { category: { type: 'string', pattern: CATEGORY } },
          required: ['category'],
        },
        body: {
          type: 'object',
          properties: { dailyCapMicroUsd: BUDGET_CAP, monthlyCapMicroUsd: BUDGET_CAP },
          required: ['dailyCapMicroUsd'],
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { budget: ref('Budget') }, required: ['budget'] },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { category } = request.params as { category: string };
      const body = request.body as { dailyCapMicroUsd: number | null; monthlyCapMicroUsd?: number | null };
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
