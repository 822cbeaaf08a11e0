import type { StatusView } from '@briefcase/client';
import { type RecordedGateway, readGatewayRuntime } from '@briefcase/gateway';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import { inlineSafe, plural } from '../output.js';
import { formatFields, reply } from '../reply.js';

/**
 * The HTTP gateway line: what the running gateway recorded in the data dir. A record whose process
 * is gone is reported as not running (the gateway was killed before it could remove the file).
 */
function gatewayLine(gateway: RecordedGateway | undefined): string {
  if (gateway === undefined) return 'not running (no HTTP gateway recorded in this data dir)';
  if (!gateway.alive) return `not running (stale record: pid ${gateway.pid} is gone)`;
  return `${gateway.url} (${gateway.transport}, pid ${gateway.pid}, since ${gateway.startedAt})`;
}

/** `briefcase status`. */
export function registerStatus(program: Command, act: ActionFactory): void {
  program
    .command('status')
    .description('show whether briefcased is running, and how it is configured')
    .action(
      act(async (ctx) => {
        const status = await ctx.client().status();
        const gateway = readGatewayRuntime(ctx.dataDir);
        // The daemon does not know the gateway (it is a separate process); the CLI adds what it recorded.
        const json = { ...status, gateway: gateway ?? null };
        return reply(ctx, json, () => {
          const receipts = status.receipts ?? { count: 0, headSeq: null, headHash: null };
          const head =
            receipts.headSeq === null ? '' : `, head #${receipts.headSeq} ${String(receipts.headHash ?? '')}`;
          ctx.io.out(`briefcased ${inlineSafe(String(status.version))} is running (pid ${status.pid})\n`);
          ctx.io.out(
            formatFields([
              ['started', status.startedAt],
              ['data dir', status.dataDir],
              ['socket', status.socketPath],
              ['tcp', status.tcp ?? 'off'],
              ['gateway', gatewayLine(gateway)],
              ['secret backend', status.secretBackend],
              ['policy hash', status.policyHash],
              ['durability', status.durability],
              ['receipts', `${plural(Number(receipts.count), 'receipt')}${head}`],
              ...(receipts.chain ? [['receipt chain', chainText(receipts.chain)] as [string, string]] : []),
              ['approvals', `${status.approvalsPending} pending`],
              ...(status.keyCustody
                ? [
                    [
                      'keys',
                      `${plural(Number(status.keyCustody.keys), 'key')}, ${Number(status.keyCustody.active)} active${
                        status.keyCustody.backends.length > 0
                          ? ` (${status.keyCustody.backends.join(', ')})`
                          : ''
                      }`,
                    ],
                  ]
                : []),
            ]),
          );
          const warnings = [
            ...(status.secretBackendNotice ? [status.secretBackendNotice] : []),
            ...(Array.isArray(status.warnings) ? status.warnings.filter((w) => typeof w === 'string') : []),
          ];
          for (const text of warnings) {
            const warning = `warning: ${inlineSafe(text)}`;
            ctx.io.err(ctx.io.stderrIsTty ? `\u001b[1;33m${warning}\u001b[0m\n` : `${warning}\n`);
          }
        });
      }),
    );
}

/** The chain's health in one line: intact as far as checked, or where it breaks and what that stops. */
function chainText(chain: NonNullable<StatusView['receipts']['chain']>): string {
  if (chain.ok) return `intact (checked through #${chain.checkedThrough})`;
  return `BROKEN at #${chain.brokenAt}${chain.callsRefused ? ', tool calls refused' : ''} (BRIEFCASE_ON_BROKEN_CHAIN=${chain.onBroken})`;
}
