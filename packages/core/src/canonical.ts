import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** Objects nested deeper than this are rejected before they reach a recursive serializer. */
export const MAX_JSON_DEPTH = 64;

/**
 * RFC 8785 (JSON Canonicalization Scheme) serialization.
 * Throws a TypeError for values JSON cannot represent (undefined, functions, non-finite numbers).
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}

/** Lowercase hex SHA-256 of a UTF-8 string or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 over the RFC 8785 canonical JSON of `value`: the identity of a tool call's arguments. */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** Depth of nested arrays/objects, without recursion (hostile input may be very deep). */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) max = depth;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
}
