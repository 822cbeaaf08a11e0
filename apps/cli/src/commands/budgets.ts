import type { BudgetCaps } from '@briefcase/client';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import { printJson } from '../context.js';
import { formatTable, inlineSafe, usd } from '../output.js';
import { parseCap } from '../parse.js';

/** `briefcase budgets list|set`. */
export function registerBudgets(program: Command, act: ActionFactory): void {
  const budgets = program.command('budgets').description('see and set spending caps per category');

  budgets
    .command('list')
    .description('list budgets and what was spent')
    .action(
      act(async (ctx) => {
        const list = await ctx.client().listBudgets();
        if (ctx.json) {
          printJson(ctx, { budgets: list });
          return 0;
        }
        if (list.length === 0) {
          ctx.io.out('no budgets\n');
          return 0;
        }
        ctx.io.out(
          formatTable(
            ['CATEGORY', 'DAILY CAP', 'SPENT TODAY', 'MONTHLY CAP', 'SPENT THIS MONTH'],
            list.map((b) => [
              b.category,
              usd(b.dailyCapMicroUsd),
              usd(b.spentTodayMicroUsd),
              usd(b.monthlyCapMicroUsd),
              usd(b.spentThisMonthMicroUsd),
            ]),
          ),
        );
        return 0;
      }),
    );

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
        if (ctx.json) {
          printJson(ctx, { budget });
          return 0;
        }
        ctx.io.out(
          `budget ${inlineSafe(budget.category)}: daily cap ${usd(budget.dailyCapMicroUsd)}, monthly cap ${usd(budget.monthlyCapMicroUsd)}\n`,
        );
        return 0;
      }),
    );
}
