import { BriefcaseError, isBriefcaseError } from '@briefcase/core';
import type { RegisteredTool } from '../tools/registry.js';
import type { ToolContext } from '../tools/types.js';

/** Runs a tool (any mode), failing with `upstream_error` when it does not answer within `timeoutMs`. */
export async function runWithTimeout(
  tool: RegisteredTool,
  args: Record<string, unknown>,
  ctx: ToolContext,
  timeoutMs: number,
) {
  const exec = tool.executor;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BriefcaseError('upstream_error', `${tool.definition.name} did not answer in time.`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(() => exec.run(args, ctx)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a transactional tool's synchronous body (inside its receipt's transaction). A failure that is
 * not already a BriefcaseError becomes an `upstream_error` that points at the daemon log.
 */
export function runTransactional(
  name: string,
  run: (args: Record<string, unknown>, ctx: ToolContext) => unknown,
  args: Record<string, unknown>,
  ctx: ToolContext,
): unknown {
  try {
    return run(args, ctx);
  } catch (error) {
    throw isBriefcaseError(error)
      ? error
      : new BriefcaseError('upstream_error', `${name} failed while running; see the daemon log.`);
  }
}
