import { BriefcaseError, isRecord } from '@briefcase/core';
import { checkTimeoutMs } from './config.js';
import { assertWithinLimits, describeViolation } from './limits.js';

import type { UpstreamCallOptions } from './pool-types.js';
import { isRelayedMethod } from './relayed-methods.js';
import { isValidToolName } from './tools.js';

// What our own callers pass in, checked before anything is sent: a bad input is the caller's
// mistake (`invalid_args`), not the server's, and must not cost the server's session.

/** Longest excerpt of an unknown method name echoed in an error. */
const MAX_ECHOED_METHOD_CHARS = 64;

/**
 * Checks the inputs of {@link UpstreamPool.callTool}.
 * @throws BriefcaseError `invalid_args`
 */
export function checkCallInputs(
  toolName: string,
  args: Record<string, unknown>,
  opts: UpstreamCallOptions,
): void {
  if (!isValidToolName(toolName)) {
    throw new BriefcaseError(
      'invalid_args',
      'The tool name must be 1-128 characters of letters, digits, "_", "." or "-".',
    );
  }
  for (const [what, value] of [
    ['args', args],
    ['meta', opts.meta ?? {}],
  ] as const) {
    if (!isRecord(value))
      throw new BriefcaseError('invalid_args', `The tool call ${what} must be a JSON object.`);
    // Serialized here so a value the SDK could not send (a BigInt, say) is the caller's
    // `invalid_args`, not a failed request that counts against the server.
    assertWithinLimits(
      value,
      { serialize: JSON.stringify },
      (violation) =>
        new BriefcaseError('invalid_args', `The tool call ${what} are ${describeViolation(violation)}.`),
    );
  }
  checkTimeoutMs(opts.timeoutMs, 'timeoutMs');
}

/**
 * Checks the inputs of {@link UpstreamPool.request}.
 * @throws BriefcaseError `invalid_args`
 */
export function checkRelayInputs(
  method: unknown,
  params: Record<string, unknown>,
  opts: UpstreamCallOptions,
): void {
  if (!isRelayedMethod(method)) {
    throw new BriefcaseError(
      'invalid_args',
      `${JSON.stringify(String(method).slice(0, MAX_ECHOED_METHOD_CHARS))} is not relayed.`,
    );
  }
  if (!isRecord(params)) throw new BriefcaseError('invalid_args', 'The params must be a JSON object.');
  assertWithinLimits(
    params,
    {},
    (violation) => new BriefcaseError('invalid_args', `The params are ${describeViolation(violation)}.`),
  );
  checkTimeoutMs(opts.timeoutMs, 'timeoutMs');
}
