import { readFile } from 'node:fs/promises';
import { ERROR_CATALOG } from '@briefcase/core';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import { UsageError } from '../errors.js';
import { inlineSafe, shellQuote } from '../output.js';
import { reply, replyVerdict } from '../reply.js';

const MAX_POLICY_BYTES = 1024 * 1024;

/** Reads a Cedar policy file as UTF-8 text; any problem is the caller's to fix (exit 2). */
async function readPolicyFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new UsageError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (bytes.length > MAX_POLICY_BYTES)
    throw new UsageError(`${file} is larger than ${MAX_POLICY_BYTES} bytes`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${file} is not valid UTF-8 text`);
  }
}

/** `briefcase policy show|validate|set`. */
export function registerPolicy(program: Command, act: ActionFactory): void {
  const policy = program.command('policy').description('show, check and replace the Cedar policy');

  policy
    .command('show')
    .description('print the active policy (text on stdout, details on stderr)')
    .action(
      act(async (ctx) => {
        const view = await ctx.client().getPolicy();
        // Loaded here only: @briefcase/policy brings Cedar's wasm, which no other command needs.
        const { policyTextForDisplay } = await import('@briefcase/policy');
        return reply(ctx, view, () => {
          const count = Array.isArray(view.policyIds) ? view.policyIds.length : 0;
          ctx.io.err(
            `# policy ${inlineSafe(String(view.hash))}, updated ${inlineSafe(String(view.updatedAt))}, ${count} ${count === 1 ? 'policy' : 'policies'}\n`,
          );
          // Not terminalSafe: its `\u202e` is not Cedar, and the shown text must validate as is.
          const shown = policyTextForDisplay(String(view.text));
          ctx.io.out(shown.endsWith('\n') ? shown : `${shown}\n`);
        });
      }),
    );

  policy
    .command('validate')
    .description('check a Cedar policy file without activating it')
    .argument('<file>', 'Cedar policy file')
    .action(
      act(async (ctx, [file]) => {
        const text = await readPolicyFile(file ?? '');
        const result = await ctx.client().validatePolicy(text);
        return replyVerdict(ctx, result, ERROR_CATALOG.invalid_args.exitCode, {
          passed: ({ policyIds }) => ctx.io.out(`policy is valid: ${policyCount(policyIds)}\n`),
          failed: ({ errors }) => {
            ctx.io.err(`error[invalid_args]: ${inlineSafe(file ?? '')} is not a valid policy\n`);
            for (const e of errors ?? []) {
              ctx.io.err(
                `  - ${e.policyId ? `${inlineSafe(e.policyId)}: ` : ''}${inlineSafe(String(e.message))}\n`,
              );
            }
          },
        });
      }),
    );

  policy
    .command('set')
    .description('validate a Cedar policy file and make it the active policy')
    .argument('<file>', 'Cedar policy file')
    .action(
      act(async (ctx, [file]) => {
        ctx.errorContext.hints = {
          invalid_args: `Nothing changed. Fix the policy and check it with \`briefcase policy validate ${shellQuote(file ?? '')}\`.`,
        };
        const text = await readPolicyFile(file ?? '');
        const view = await ctx.client().setPolicy(text);
        return reply(ctx, view, () =>
          ctx.io.out(
            `policy updated: ${policyCount(view.policyIds)}, hash ${inlineSafe(String(view.hash))}\n`,
          ),
        );
      }),
    );
}

function policyCount(ids: unknown): string {
  const list = Array.isArray(ids) ? ids.map((id) => inlineSafe(String(id))) : [];
  const noun = list.length === 1 ? 'policy' : 'policies';
  return list.length === 0 ? `0 ${noun}` : `${list.length} ${noun} (${list.join(', ')})`;
}
