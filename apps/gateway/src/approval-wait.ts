import { MAX_APPROVAL_WAIT_MS } from '@briefcase/core';

/**
 * How long the gateway holds a call that needs approval when not told otherwise: 45 s, below the
 * 60 s default request timeout of the official MCP TypeScript SDK (`DEFAULT_REQUEST_TIMEOUT_MSEC`),
 * which many clients inherit. Equal to it, the client gives up a few milliseconds before the gateway
 * answers, and the agent sees "Request timed out" instead of `approval_required` with an id.
 */
export const DEFAULT_APPROVAL_WAIT_MS = 45_000;

/**
 * Parses an approval wait given in seconds (`--approval-wait`, `BRIEFCASE_APPROVAL_WAIT`) into
 * milliseconds: a plain decimal number from 0 to `MAX_APPROVAL_WAIT_MS / 1000`.
 *
 * @param text - the seconds as the person wrote them
 * @param name - how the person gave it, for the message (e.g. `--approval-wait`)
 * @throws RangeError naming `name`, the accepted range and the value, when `text` is not such a number
 */
export function parseApprovalWait(text: string, name: string): number {
  const seconds = Number(text);
  // Only digits and one optional fraction: Number() alone would also take "", " ", "1e2" and "0x10".
  if (!/^\d+(\.\d+)?$/.test(text) || seconds * 1000 > MAX_APPROVAL_WAIT_MS) {
    throw new RangeError(
      `${name} must be a number of seconds from 0 to ${MAX_APPROVAL_WAIT_MS / 1000}, got ${JSON.stringify(text)}`,
    );
  }
  return Math.round(seconds * 1000);
}
