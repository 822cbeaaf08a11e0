import { type BriefcaseClient, DaemonUnavailableError, type ToolView } from '@briefcase/client';
import type { Approval } from '@briefcase/core';
import { BriefcaseError, DENIAL_CATALOG, isBriefcaseError } from '@briefcase/core';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import type { CommandContext } from '../context.js';
import { inlineSafe, shellQuote, terminalSafe, truncate, usd } from '../output.js';
import { parseArgsJson, parseSeconds } from '../parse.js';
import { type ListView, reply, replyList } from '../reply.js';

interface CallOptions {
  args?: string;
  approval?: string;
  wait?: boolean;
  timeout: string;
}

const DEFAULT_WAIT_SECONDS = '600';
const MAX_WAIT_SECONDS = 7 * 24 * 3600;

const TOOL_LIST: ListView<ToolView> = {
  jsonKey: 'tools',
  empty: 'no tools',
  columns: [
    ['NAME', (t) => t.name],
    ['EFFECT', (t) => t.effect],
    ['CATEGORY', (t) => t.category],
    ['COST', (t) => usd(t.costMicroUsd)],
    ['SOURCE', (t) => (t.source?.server ? `${t.source.kind}:${t.source.server}` : t.source?.kind)],
    ['DESCRIPTION', (t) => truncate(String(t.description ?? ''), 70)],
  ],
};

/** `briefcase tools list|call`. */
export function registerTools(program: Command, act: ActionFactory): void {
  const tools = program.command('tools').description('list and call tools');

  tools
    .command('list')
    .description('list the tools briefcased offers')
    .action(act(async (ctx) => replyList(ctx, await ctx.client().listTools(), TOOL_LIST)));

  tools
    .command('call')
    .description('call a tool through the policy, budget and approval checks')
    .argument('<name>', 'tool name')
    .option('--args <json>', 'arguments as a JSON object (default {})')
    .option('--approval <id>', 'the approval this call was granted')
    .option('--wait', 'if approval is required, wait for a person to decide, then retry')
    .option('--timeout <seconds>', 'how long --wait waits', DEFAULT_WAIT_SECONDS)
    .action(
      act<CallOptions>(async (ctx, [name], options) => {
        const tool = name ?? '';
        const args = parseArgsJson(options.args);
        const timeoutMs = parseSeconds('--timeout', options.timeout, MAX_WAIT_SECONDS);
        ctx.errorContext.retry = `${ctx.cli} tools call ${shellQuote(tool)} --args ${shellQuote(JSON.stringify(args))}`;
        const client = ctx.client();
        const call = {
          tool,
          args,
          ...(options.approval === undefined ? {} : { approvalId: options.approval }),
        };
        let response: Awaited<ReturnType<BriefcaseClient['callTool']>>;
        try {
          response = await client.callTool(call);
        } catch (error) {
          if (isBadApprovalId(error)) {
            // The tool's arguments are fine; the hint about its input schema would send the person astray.
            ctx.errorContext.hints = {
              ...ctx.errorContext.hints,
              invalid_args: DENIAL_CATALOG.approval.hint,
            };
          }
          if (
            !options.wait ||
            !isBriefcaseError(error) ||
            error.code !== 'approval_required' ||
            !error.approvalId
          ) {
            throw error;
          }
          await waitForApproval(ctx, error.approvalId, timeoutMs);
          response = await client.callTool({ tool, args, approvalId: error.approvalId });
        }
        return reply(ctx, response, () => {
          ctx.io.out(`${terminalSafe(JSON.stringify(response.result, null, 2) ?? 'null')}\n`);
          const p = response.provenance;
          const approval = p.approvalId ? `, approval ${inlineSafe(p.approvalId)}` : '';
          ctx.io.err(
            `ok: ${inlineSafe(p.tool)} ran in ${p.durationMs} ms, cost ${usd(p.costMicroUsd)}${approval}; receipt #${p.receiptSeq} ${inlineSafe(String(p.receiptHash))}\n`,
          );
        });
      }),
    );
}

/**
 * Blocks until approval `id` is decided, using the approvals event stream. The snapshot that
 * opens the stream closes the race where the decision happened before we subscribed.
 * Resolves when approved; throws `denied` (exit 5) when denied or expired.
 */
async function waitForApproval(ctx: CommandContext, id: string, timeoutMs: number): Promise<void> {
  const client = ctx.client();
  ctx.io.err(
    `waiting for approval ${inlineSafe(id)}… (approve it with: ${ctx.cli} approvals approve ${shellQuote(id)})\n`,
  );
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  let decided: Approval | undefined;
  const settle = (approval: Approval): void => {
    if (approval.state === 'pending') return;
    decided = approval;
    controller.abort();
  };
  try {
    await client.watchApprovals(async (event) => {
      if (event.event === 'snapshot') {
        if (!event.approvals.some((a) => a.id === id))
          settle(await client.getApproval(id, { signal: controller.signal }));
      } else if (event.approval.id === id) {
        settle(event.approval);
      }
    }, controller.signal);
  } catch (error) {
    // An abort that raced a getApproval in flight surfaces here; it is not a failure.
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  if (decided === undefined && !timedOut) {
    // The daemon ended the stream: one last look before giving up.
    const approval = await client.getApproval(id);
    if (approval.state === 'pending') {
      throw new DaemonUnavailableError(
        'connection_lost',
        `briefcased closed the approval stream while approval ${id} was still pending`,
        ctx.dataDir,
      );
    }
    decided = approval;
  }
  if (decided === undefined) {
    throw new BriefcaseError(
      'approval_required',
      `gave up after ${timeoutMs / 1000} s waiting for approval ${id}; it is still pending`,
      { approvalId: id },
    );
  }
  switch (decided.state) {
    case 'approved':
      ctx.io.err(`approval ${inlineSafe(id)} approved; retrying the call\n`);
      return;
    case 'denied':
      throw new BriefcaseError(
        'denied',
        `approval ${id} was denied${decided.denyReason ? `: ${decided.denyReason}` : ''}`,
        { details: { deniedBy: 'person' } },
      );
    case 'expired':
      throw new BriefcaseError('denied', `approval ${id} expired before anyone decided`, {
        details: { deniedBy: 'approval' },
      });
    default:
      throw new BriefcaseError(
        'approval_required',
        `approval ${id} was already used by another call (state ${decided.state}); run the call again`,
      );
  }
}

/** An `invalid_args` that is about `--approval` (not an approval id), not about the tool's arguments. */
function isBadApprovalId(error: unknown): boolean {
  if (!isBriefcaseError(error) || error.code !== 'invalid_args') return false;
  const errors = (error.details as { errors?: unknown } | null | undefined)?.errors;
  return (
    Array.isArray(errors) && errors.some((e) => (e as { path?: unknown } | null)?.path === '/approvalId')
  );
}
