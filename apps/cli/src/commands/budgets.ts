import type { BudgetCaps, BudgetView } from '@briefcase/client';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import { inlineSafe, usd } from '../output.js';
import { parseCap } from '../parse.js';
import { type ListView, reply, replyList } from '../reply.js';

const BUDGET_LIST: ListView<BudgetView> = {
  jsonKey: 'budgets',
  empty: 'no budgets',
  columns: [
    ['CATEGORY', (b) => b.category],
    ['DAILY CAP', (b) => usd(b.dailyCapMicroUsd)],
    ['SPENT TODAY', (b) => usd(b.spentTodayMicroUsd)],
    ['MONTHLY CAP', (b) => usd(b.monthlyCapMicroUsd)],
    ['SPENT THIS MONTH', (b) => usd(b.spentThisMonthMicroUsd)],
  ],
};

/** `briefcase budgets list|set`. */
export function registerBudgets(program: Command, act: ActionFactory): void {
  const budgets = program.command('budgets').description('see and set spending caps per category');

  budgets
    .command('list')
    .description('list budgets and what was spent')
    .action(act(async (ctx) => replyList(ctx, await ctx.client().listBudgets(), BUDGET_LIST)));

  budgets
    .command('set')
    .description('set the caps of a category (USD, up to 6 decimals; "none" = no cap)')
    .argument('<category>', 'budget category, e.g. demo_paid')
    .requiredOption('--daily <usd>', 'daily cap in USD, or "none"')
    .option('--monthly <usd>', 'monthly cap in USD, or "none" (unchanged when omitted)')
    .action(
      act<{ daily: string; monthly?: string }>(async (ctx, [category], options) => {
        const caps: BudgetCaps = { dailyCapMicroUsd: parseCap('--daily', options.daily) };
        if (options.monthly !== undefined) caps.monthlyCapMicroUsd = parseCap('--monthly', options.monthly);
        const budget = await ctx.client().setBudget(category ?? '', caps);
        return reply(ctx, { budget }, () =>
          ctx.io.out(
            `budget ${inlineSafe(budget.category)}: daily cap ${usd(budget.dailyCapMicroUsd)}, monthly cap ${usd(budget.monthlyCapMicroUsd)}\n`,
          ),
        );
      }),
    );
}
