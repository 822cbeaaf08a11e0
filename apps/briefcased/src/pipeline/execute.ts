import { BriefcaseError, isBriefcaseError } from '@briefcase/core';
import type { TransactionalToolContext } from '../tools/types.js';

/**
 * Runs an action's executor (any mode), failing with `upstream_error` when it does not answer within
 * `timeoutMs`; without a deadline here, the executor enforces its own (remote servers have per-server
 * timeouts).
 */
export async function runWithTimeout<T>(
  name: string,
  run: () => T | Promise<T>,
  timeoutMs?: number,
): Promise<T> {
  if (timeoutMs === undefined) return run();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BriefcaseError('upstream_error', `${name} did not answer in time.`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(run), timeout]);
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
  run: (args: Record<string, unknown>, ctx: TransactionalToolContext) => unknown,
  args: Record<string, unknown>,
  ctx: TransactionalToolContext,
): unknown {
  try {
    return run(args, ctx);
  } catch (error) {
    throw isBriefcaseError(error)
      ? error
      : new BriefcaseError('upstream_error', `${name} failed while running; see the daemon log.`);
  }
}
