import { readFile } from 'node:fs/promises';
import { ERROR_CATALOG } from '@briefcase/core';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import { printJson } from '../context.js';
import { UsageError } from '../errors.js';
import { inlineSafe, shellQuote, terminalSafe } from '../output.js';

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
        if (ctx.json) {
          printJson(ctx, view);
          return 0;
        }
        const count = Array.isArray(view.policyIds) ? view.policyIds.length : 0;
        ctx.io.err(
          `# policy ${inlineSafe(String(view.hash))}, updated ${inlineSafe(String(view.updatedAt))}, ${count} ${count === 1 ? 'policy' : 'policies'}\n`,
        );
        ctx.io.out(terminalSafe(view.text.endsWith('\n') ? view.text : `${view.text}\n`));
        return 0;
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
        if (ctx.json) printJson(ctx, result);
        if (!result.ok) {
          if (!ctx.json) {
            ctx.io.err(`error[invalid_args]: ${inlineSafe(file ?? '')} is not a valid policy\n`);
            for (const e of result.errors ?? []) {
              ctx.io.err(
                `  - ${e.policyId ? `${inlineSafe(e.policyId)}: ` : ''}${inlineSafe(String(e.message))}\n`,
              );
            }
          }
          return ERROR_CATALOG.invalid_args.exitCode;
        }
        if (!ctx.json) ctx.io.out(`policy is valid: ${policyCount(result.policyIds)}\n`);
        return 0;
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
        if (ctx.json) {
          printJson(ctx, view);
          return 0;
        }
        ctx.io.out(`policy updated: ${policyCount(view.policyIds)}, hash ${inlineSafe(String(view.hash))}\n`);
        return 0;
      }),
    );
}

function policyCount(ids: unknown): string {
  const list = Array.isArray(ids) ? ids.map((id) => inlineSafe(String(id))) : [];
  const noun = list.length === 1 ? 'policy' : 'policies';
  return list.length === 0 ? `0 ${noun}` : `${list.length} ${noun} (${list.join(', ')})`;
}
