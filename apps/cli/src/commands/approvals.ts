import { DaemonUnavailableError } from '@briefcase/client';
import type { Approval } from '@briefcase/core';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import { printJson } from '../context.js';
import { inlineSafe, truncate, usd } from '../output.js';
import { type ListView, reply, replyList } from '../reply.js';

const APPROVAL_LIST: ListView<Approval> = {
  jsonKey: 'approvals',
  empty: 'no pending approvals',
  columns: [
    ['ID', (a) => a.id],
    ['STATE', (a) => a.state],
    ['TOOL', (a) => a.tool],
    ['COST', (a) => usd(a.costMicroUsd)],
    ['CREATED', (a) => a.createdAt],
    ['EXPIRES', (a) => a.expiresAt],
    ['SUMMARY', (a) => truncate(String(a.summary ?? ''), 60)],
  ],
};

/** `briefcase approvals list|approve|deny|watch`. */
export function registerApprovals(program: Command, act: ActionFactory): void {
  const approvals = program.command('approvals').description('review and decide approval requests');

  approvals
    .command('list')
    .description('list pending approvals (newest first)')
    .option('--all', 'include decided, expired and consumed approvals')
    .action(
      act<{ all?: boolean }>(async (ctx, _args, options) => {
        const list = await ctx.client().listApprovals(options.all ? 'all' : 'pending');
        return replyList(
          ctx,
          list,
          options.all ? { ...APPROVAL_LIST, empty: 'no approvals' } : APPROVAL_LIST,
        );
      }),
    );

  approvals
    .command('approve')
    .description('approve a pending request (single use: it covers one retry of the same call)')
    .argument('<id>', 'approval id')
    .action(
      act(async (ctx, [id]) => {
        const decided = await ctx.client().approve(id ?? '');
        const { approval } = decided;
        return reply(ctx, decided, () =>
          ctx.io.out(
            `approved ${inlineSafe(approval.id)} (${inlineSafe(approval.tool)}): ${inlineSafe(String(approval.summary))}\n` +
              (decided.callWaiting
                ? 'the waiting call runs now and uses this approval.\n'
                : 'no call is waiting for it: the agent can repeat the same call once.\n'),
          ),
        );
      }),
    );

  approvals
    .command('deny')
    .description('deny a pending request')
    .argument('<id>', 'approval id')
    .option('--reason <text>', 'why, shown to whoever retries')
    .action(
      act<{ reason?: string }>(async (ctx, [id], options) => {
        const decided = await ctx.client().deny(id ?? '', options.reason);
        const { approval } = decided;
        return reply(ctx, decided, () =>
          ctx.io.out(
            `denied ${inlineSafe(approval.id)} (${inlineSafe(approval.tool)}): ${inlineSafe(String(approval.summary))}\n` +
              (decided.callWaiting
                ? 'the waiting call is refused now.\n'
                : `if the agent repeats the same call before ${inlineSafe(String(approval.expiresAt))}, it is refused.\n`),
          ),
        );
      }),
    );

  approvals
    .command('watch')
    .description('print approval events as they happen, until Ctrl-C')
    .action(
      act(async (ctx) => {
        const controller = new AbortController();
        const stop = (): void => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          await ctx.client().watchApprovals((event) => {
            if (ctx.json) {
              printJson(ctx, event);
              return;
            }
            const now = new Date().toISOString();
            if (event.event === 'snapshot') {
              ctx.io.out(`${now}  ${event.approvals.length} pending\n`);
              for (const a of event.approvals) ctx.io.out(line(now, 'pending', a));
            } else {
              ctx.io.out(line(now, event.type, event.approval));
            }
          }, controller.signal);
        } finally {
          process.removeListener('SIGINT', stop);
          process.removeListener('SIGTERM', stop);
        }
        if (!controller.signal.aborted) {
          throw new DaemonUnavailableError(
            'connection_lost',
            'briefcased closed the approval stream',
            ctx.dataDir,
          );
        }
        return 0;
      }),
    );
}

function line(time: string, what: string, a: Approval): string {
  const extra = a.state === 'denied' && a.denyReason ? ` (reason: ${inlineSafe(a.denyReason)})` : '';
  return `${time}  ${what.padEnd(8)}  ${inlineSafe(a.id)}  ${inlineSafe(a.tool)}  ${usd(a.costMicroUsd)}  ${inlineSafe(truncate(String(a.summary ?? ''), 80))}${extra}\n`;
}
