import { MAX_JSON_DEPTH } from '@briefcase/core';

// Caps on what a remote server may send. Everything a server sends is hostile: without a cap, one
// server could exhaust the daemon's memory, stack or time. The per-message byte cap itself is
// configurable per server (`maxResponseBytes`) and enforced by the transports.

/** Pagination limits of `tools/list`: more than this is treated as hostile (`too_large`). */
export const MAX_TOOL_PAGES = 100;
/** Most tools accepted from one server. */
export const MAX_TOOLS_PER_SERVER = 2000;
/** Tool definitions larger than this (canonical JSON) are dropped: no legitimate tool needs it. */
export const MAX_TOOL_DEFINITION_BYTES = 128 * 1024;
/** Longest `nextCursor` accepted from `tools/list`; a cursor is an opaque token, not a payload. */
export const MAX_CURSOR_CHARS = 4096;
/** Progress messages are cut to this length before they reach a listener. */
export const MAX_PROGRESS_MESSAGE_CHARS = 1024;

/**
 * Default oldest catalog the call-time pin check trusts, in ms. A server may change a tool without
 * announcing it; a call older than this re-lists first, so a silent change is caught on the first
 * call after at most this long. A few seconds keeps a burst of calls to one round trip of listing.
 */
export const DEFAULT_PIN_CHECK_MAX_AGE_MS = 2_000;

/** What a value is checked against by {@link assertWithinLimits}. */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays accepted (default `MAX_JSON_DEPTH` of `@briefcase/core`). */
  maxDepth?: number;
  /** Most UTF-8 bytes of the serialized value accepted; unset: the size is not checked. */
  maxBytes?: number;
  /**
   * Serializes the value to measure it; one that throws marks the value as not representable. Given
   * without `maxBytes`, only representability is checked. Default `JSON.stringify` when `maxBytes`
   * is set; when neither is set, nothing is serialized.
   */
  serialize?: (value: unknown) => string;
}

/** Which limit a value broke, and the limit it broke. */
export type LimitViolation =
  | { kind: 'too_deep'; limit: number }
  | { kind: 'too_large'; limit: number }
  | { kind: 'not_json' };

/**
 * True when objects or arrays in `value` nest deeper than `maxDepth` (a bare object is depth 1).
 * Iterative, and stops at the first node past the limit: hostile input may be deep enough to overflow
 * a recursive walk, and a cyclic value reads as too deep instead of looping forever.
 */
function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: Array<[object, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [object, number];
    if (depth > maxDepth) return true;
    for (const child of Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * The first limit `value` breaks, or null. Depth is checked first because serializers recurse: a
 * hostile value must be known to be shallow before one touches it.
 */
export function findLimitViolation(value: unknown, limits: JsonLimits = {}): LimitViolation | null {
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  if (nestedDeeperThan(value, maxDepth)) return { kind: 'too_deep', limit: maxDepth };
  const { maxBytes } = limits;
  const serialize = limits.serialize ?? (maxBytes === undefined ? undefined : JSON.stringify);
  if (serialize === undefined) return null;
  let text: string;
  try {
    text = serialize(value);
  } catch {
    return { kind: 'not_json' };
  }
  if (typeof text !== 'string') return { kind: 'not_json' }; // e.g. JSON.stringify(undefined)
  // Bytes can be at most 3 per UTF-16 code unit: short text is under the cap without measuring it.
  if (maxBytes !== undefined && text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes) {
    return { kind: 'too_large', limit: maxBytes };
  }
  return null;
}

/**
 * Throws `toError(violation)` when `value` breaks one of `limits` (see {@link findLimitViolation});
 * the caller decides the error, so each boundary keeps its own stable code and wording.
 */
export function assertWithinLimits(
  value: unknown,
  limits: JsonLimits,
  toError: (violation: LimitViolation) => Error,
): void {
  const violation = findLimitViolation(value, limits);
  if (violation) throw toError(violation);
}

/**
 * The violation as a phrase that completes "... is/are", e.g. "nested deeper than 64 levels", for
 * messages. Never quotes the value: it may be hostile or hold secrets.
 */
export function describeViolation(violation: LimitViolation): string {
  switch (violation.kind) {
    case 'too_deep':
      return `nested deeper than ${violation.limit} levels`;
    case 'too_large':
      return `larger than the ${violation.limit}-byte limit`;
    case 'not_json':
      return 'not representable as JSON';
  }
}
